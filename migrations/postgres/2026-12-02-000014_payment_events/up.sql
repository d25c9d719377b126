-- What the payment provider told the shop: each event once (its id is the key, written in the
-- transaction of its effect, so a replay changes nothing), and on the order the payment it
-- was paid with, or why a payment could not be accepted for it.
CREATE TABLE payment_events (
    event_id TEXT PRIMARY KEY NOT NULL,
    event_type TEXT NOT NULL,
    order_id INTEGER REFERENCES orders (id) ON DELETE RESTRICT,
    received_at TIMESTAMP NOT NULL
);
ALTER TABLE orders ADD COLUMN payment_intent_id TEXT;
ALTER TABLE orders ADD COLUMN payment_problem TEXT;
