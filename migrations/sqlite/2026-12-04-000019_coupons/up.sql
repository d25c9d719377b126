-- Coupons: the terms an admin sets, how often each has been used (counted up in the
-- checkout transaction by a conditional update, so racing checkouts cannot pass max_uses),
-- one row per use (given back when its order is cancelled or expires unpaid), the code a
-- cart holds, and the code an order used.
CREATE TABLE coupons (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE CHECK (code = UPPER(code) AND LENGTH(code) BETWEEN 3 AND 32),
    kind TEXT NOT NULL CHECK (kind IN ('percent', 'fixed')),
    -- the percent (1-100), or the amount off in cents
    amount BIGINT NOT NULL CHECK (amount > 0 AND (kind = 'fixed' OR amount <= 100)),
    min_subtotal_cents BIGINT CHECK (min_subtotal_cents >= 0),
    starts_on DATE,
    ends_on DATE,
    max_uses INTEGER CHECK (max_uses > 0),
    max_uses_per_customer INTEGER NOT NULL DEFAULT 1 CHECK (max_uses_per_customer > 0),
    active BOOLEAN NOT NULL DEFAULT TRUE,
    uses INTEGER NOT NULL DEFAULT 0 CHECK (uses >= 0),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE TABLE coupon_uses (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    coupon_id INTEGER NOT NULL REFERENCES coupons (id) ON DELETE RESTRICT,
    order_id INTEGER NOT NULL UNIQUE REFERENCES orders (id) ON DELETE CASCADE,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- the customer's address, lower-case: a guest is known by it
    email TEXT NOT NULL,
    used_at TIMESTAMP NOT NULL,
    given_back_at TIMESTAMP
);
CREATE INDEX coupon_uses_by_email ON coupon_uses (coupon_id, email);
CREATE INDEX coupon_uses_by_user ON coupon_uses (coupon_id, user_id);
ALTER TABLE carts ADD COLUMN coupon_code TEXT;
ALTER TABLE orders ADD COLUMN coupon_code TEXT;
