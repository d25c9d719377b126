DROP TABLE refunds;
DROP INDEX orders_unpaid;
ALTER TABLE orders
    DROP COLUMN pay_by,
    DROP COLUMN refunded_cents,
    DROP COLUMN paid_cents,
    DROP COLUMN stripe_session_id,
    DROP COLUMN stripe_session_url,
    DROP COLUMN tracking_number,
    DROP COLUMN stock_returned;
UPDATE orders SET status = 'cancelled' WHERE status IN ('expired', 'refunded');
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('pending', 'paid', 'shipped', 'delivered', 'cancelled'));
