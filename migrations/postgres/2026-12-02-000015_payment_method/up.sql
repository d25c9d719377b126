-- How each order is paid. Orders placed before there was a choice were settled by hand, as a
-- bank transfer is.
ALTER TABLE orders ADD COLUMN payment_method TEXT NOT NULL DEFAULT 'bank_transfer'
    CHECK (payment_method IN ('card', 'store_credit', 'bank_transfer'));
