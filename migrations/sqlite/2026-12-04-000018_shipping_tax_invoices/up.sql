-- Shipping, tax and invoices: shipping methods by country, tax rates by country, a tax class
-- per product; on each order the shipping method and price, its tax (in total, and per rate
-- in order_taxes), whether its prices included tax, and its invoice number; the invoice
-- counters; saved addresses. SQLite rebuilds orders (its total's CHECK now counts shipping
-- and tax added on top) with foreign keys off, in its own transaction.
PRAGMA foreign_keys = OFF;
BEGIN;
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
    invoiced_at TIMESTAMP
);
INSERT INTO orders_rebuilt (id, user_id, status, subtotal_cents, discount_cents, total_cents, ship_name, ship_line1,
    ship_line2, ship_postcode, ship_city, ship_country, checkout_key, created_at, updated_at,
    payment_intent_id, payment_problem, payment_method, pay_by, paid_cents, refunded_cents,
    stripe_session_id, stripe_session_url, tracking_number, stock_returned)
SELECT id, user_id, status, subtotal_cents, discount_cents, total_cents, ship_name, ship_line1,
    ship_line2, ship_postcode, ship_city, ship_country, checkout_key, created_at, updated_at,
    payment_intent_id, payment_problem, payment_method, pay_by, paid_cents, refunded_cents,
    stripe_session_id, stripe_session_url, tracking_number, stock_returned FROM orders;
-- Keep the id sequence where it was, so no order number is ever given out twice.
DELETE FROM sqlite_sequence WHERE name = 'orders_rebuilt';
INSERT INTO sqlite_sequence (name, seq) SELECT 'orders_rebuilt', seq FROM sqlite_sequence
    WHERE name = 'orders';
DROP TABLE orders;
ALTER TABLE orders_rebuilt RENAME TO orders;
CREATE INDEX orders_user ON orders (user_id, created_at DESC, id DESC);
CREATE INDEX orders_status ON orders (status, created_at DESC);
CREATE INDEX orders_unpaid ON orders (pay_by) WHERE status = 'pending';
CREATE TABLE shipping_methods (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    -- ISO 3166-1 alpha-2 codes, comma-separated: DE,AT
    countries TEXT NOT NULL,
    price_cents BIGINT NOT NULL CHECK (price_cents >= 0),
    free_above_cents BIGINT CHECK (free_above_cents >= 0),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE tax_rates (
    country TEXT PRIMARY KEY NOT NULL,
    -- hundredths of a percent: 19 % is 1900
    standard_bp INTEGER NOT NULL CHECK (standard_bp BETWEEN 0 AND 10000),
    reduced_bp INTEGER NOT NULL CHECK (reduced_bp BETWEEN 0 AND 10000),
    updated_at TIMESTAMP NOT NULL
);
ALTER TABLE products ADD COLUMN tax_class TEXT NOT NULL DEFAULT 'standard'
    CHECK (tax_class IN ('standard', 'reduced', 'zero'));
ALTER TABLE order_items ADD COLUMN tax_rate_bp INTEGER NOT NULL DEFAULT 0
    CHECK (tax_rate_bp BETWEEN 0 AND 10000);
CREATE TABLE order_taxes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    rate_bp INTEGER NOT NULL CHECK (rate_bp BETWEEN 0 AND 10000),
    net_cents BIGINT NOT NULL,
    tax_cents BIGINT NOT NULL CHECK (tax_cents >= 0),
    gross_cents BIGINT NOT NULL CHECK (gross_cents = net_cents + tax_cents),
    UNIQUE (order_id, rate_bp)
);
-- The last invoice number given out in each calendar year: taken with the row locked in
-- the transaction that marks an order paid, so numbers have no gaps and no twins.
CREATE TABLE invoice_counters (
    year INTEGER PRIMARY KEY NOT NULL,
    last_number INTEGER NOT NULL CHECK (last_number >= 0)
);
CREATE TABLE addresses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    line1 TEXT NOT NULL,
    line2 TEXT NOT NULL DEFAULT '',
    postcode TEXT NOT NULL,
    city TEXT NOT NULL,
    country TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL
);
CREATE INDEX addresses_user ON addresses (user_id, last_used_at DESC);
COMMIT;
PRAGMA foreign_keys = ON;
