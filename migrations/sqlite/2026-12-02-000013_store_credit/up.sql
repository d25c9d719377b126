-- Store credit: each account's balance, which the database never lets go below zero, and the
-- append-only ledger of what changed it (an admin's grant or correction, an order paid or
-- refunded), each entry with the balance it left.
ALTER TABLE users ADD COLUMN credit_cents BIGINT NOT NULL DEFAULT 0 CHECK (credit_cents >= 0);

CREATE TABLE credit_ledger (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    amount_cents BIGINT NOT NULL CHECK (amount_cents <> 0),
    balance_cents BIGINT NOT NULL CHECK (balance_cents >= 0),
    reason TEXT NOT NULL,
    order_id INTEGER REFERENCES orders (id) ON DELETE RESTRICT,
    admin_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX credit_ledger_user ON credit_ledger (user_id, id);
