-- Guest checkout: an order may belong to no account, only to the e-mail address it was
-- placed with and a private link (its key kept as a hash), in order_guests.
ALTER TABLE orders ALTER COLUMN user_id DROP NOT NULL;
CREATE TABLE order_guests (
    order_id INTEGER PRIMARY KEY REFERENCES orders (id) ON DELETE CASCADE,
    -- whom the order's mails go to, lower-case
    email TEXT NOT NULL,
    -- SHA-256 (hex) of the private link's key
    key_hash TEXT NOT NULL UNIQUE,
    -- the client that placed it, for the cap on unpaid orders per client
    client_ip TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX order_guests_email ON order_guests (email);
CREATE INDEX order_guests_client ON order_guests (client_ip);
