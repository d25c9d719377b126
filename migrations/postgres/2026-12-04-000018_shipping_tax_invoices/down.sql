DROP TABLE addresses;
DROP TABLE invoice_counters;
DROP TABLE order_taxes;
ALTER TABLE order_items DROP COLUMN tax_rate_bp;
ALTER TABLE products DROP COLUMN tax_class;
DROP TABLE tax_rates;
DROP TABLE shipping_methods;
ALTER TABLE orders DROP CONSTRAINT orders_total_check;
UPDATE orders SET
    total_cents = subtotal_cents - discount_cents,
    paid_cents = LEAST(paid_cents, subtotal_cents - discount_cents),
    refunded_cents = LEAST(refunded_cents, subtotal_cents - discount_cents);
ALTER TABLE orders ADD CONSTRAINT orders_check1 CHECK (total_cents = subtotal_cents - discount_cents);
ALTER TABLE orders
    DROP COLUMN shipping_method,
    DROP COLUMN shipping_cents,
    DROP COLUMN tax_cents,
    DROP COLUMN prices_include_tax,
    DROP COLUMN invoice_number,
    DROP COLUMN invoiced_at;
