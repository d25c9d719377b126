-- Back to orders that always belong to an account: guests' orders (and what hangs on them)
-- are deleted, as that table cannot hold them.
PRAGMA foreign_keys = OFF;
BEGIN;
DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE user_id IS NULL);
DELETE FROM order_taxes WHERE order_id IN (SELECT id FROM orders WHERE user_id IS NULL);
DELETE FROM refunds WHERE order_id IN (SELECT id FROM orders WHERE user_id IS NULL);
DELETE FROM coupon_uses WHERE order_id IN (SELECT id FROM orders WHERE user_id IS NULL);
UPDATE payment_events SET order_id = NULL WHERE order_id IN (SELECT id FROM orders WHERE user_id IS NULL);
DELETE FROM orders WHERE user_id IS NULL;
DROP TABLE order_guests;
CREATE TABLE orders_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    status TEXT NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'expired', 'refunded')),
    subtotal_cents BIGINT NOT NULL CHECK (subtotal_cents >= 0),
    discount_cents BIGINT NOT NULL CHECK (discount_cents >= 0 AND discount_cents <= subtotal_cents),
    total_cents BIGINT NOT NULL CHECK (total_cents = subtotal_cents - discount_cents + shipping_cents
        + CASE WHEN prices_include_tax THEN 0 ELSE tax_cents END),
    ship_name TEXT NOT NULL,
    ship_line1 TEXT NOT NULL,
    ship_line2 TEXT NOT NULL DEFAULT '',
    ship_postcode TEXT NOT NULL,
    ship_city TEXT NOT NULL,
    ship_country TEXT NOT NULL,
    checkout_key TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    payment_intent_id TEXT,
    payment_problem TEXT,
    payment_method TEXT NOT NULL DEFAULT 'bank_transfer'
        CHECK (payment_method IN ('card', 'store_credit', 'bank_transfer')),
    pay_by TIMESTAMP,
    paid_cents BIGINT NOT NULL DEFAULT 0 CHECK (paid_cents >= 0 AND paid_cents <= total_cents),
    refunded_cents BIGINT NOT NULL DEFAULT 0
        CHECK (refunded_cents >= 0 AND refunded_cents <= paid_cents),
    stripe_session_id TEXT,
    stripe_session_url TEXT,
    tracking_number TEXT,
    stock_returned BOOLEAN NOT NULL DEFAULT FALSE,
    shipping_method TEXT,
    shipping_cents BIGINT NOT NULL DEFAULT 0 CHECK (shipping_cents >= 0),
    tax_cents BIGINT NOT NULL DEFAULT 0 CHECK (tax_cents >= 0),
    prices_include_tax BOOLEAN NOT NULL DEFAULT TRUE,
    invoice_number TEXT UNIQUE,
    invoiced_at TIMESTAMP,
    coupon_code TEXT
);
INSERT INTO orders_rebuilt (id, user_id, status, subtotal_cents, discount_cents, total_cents, ship_name, ship_line1,
    ship_line2, ship_postcode, ship_city, ship_country, checkout_key, created_at, updated_at,
    payment_intent_id, payment_problem, payment_method, pay_by, paid_cents, refunded_cents,
    stripe_session_id, stripe_session_url, tracking_number, stock_returned, shipping_method,
    shipping_cents, tax_cents, prices_include_tax, invoice_number, invoiced_at, coupon_code)
SELECT id, user_id, status, subtotal_cents, discount_cents, total_cents, ship_name, ship_line1,
    ship_line2, ship_postcode, ship_city, ship_country, checkout_key, created_at, updated_at,
    payment_intent_id, payment_problem, payment_method, pay_by, paid_cents, refunded_cents,
    stripe_session_id, stripe_session_url, tracking_number, stock_returned, shipping_method,
    shipping_cents, tax_cents, prices_include_tax, invoice_number, invoiced_at, coupon_code FROM orders;
-- Keep the id sequence where it was, so no order number is ever given out twice.
DELETE FROM sqlite_sequence WHERE name = 'orders_rebuilt';
INSERT INTO sqlite_sequence (name, seq) SELECT 'orders_rebuilt', seq FROM sqlite_sequence
    WHERE name = 'orders';
DROP TABLE orders;
ALTER TABLE orders_rebuilt RENAME TO orders;
CREATE INDEX orders_user ON orders (user_id, created_at DESC, id DESC);
CREATE INDEX orders_status ON orders (status, created_at DESC);
CREATE INDEX orders_unpaid ON orders (pay_by) WHERE status = 'pending';
COMMIT;
PRAGMA foreign_keys = ON;
