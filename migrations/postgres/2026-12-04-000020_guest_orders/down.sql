-- Back to orders that always belong to an account: guests' orders (and what hangs on them)
-- are deleted, as that table cannot hold them.
DELETE FROM order_items WHERE order_id IN (SELECT id FROM orders WHERE user_id IS NULL);
DELETE FROM order_taxes WHERE order_id IN (SELECT id FROM orders WHERE user_id IS NULL);
DELETE FROM refunds WHERE order_id IN (SELECT id FROM orders WHERE user_id IS NULL);
DELETE FROM coupon_uses WHERE order_id IN (SELECT id FROM orders WHERE user_id IS NULL);
UPDATE payment_events SET order_id = NULL WHERE order_id IN (SELECT id FROM orders WHERE user_id IS NULL);
DELETE FROM orders WHERE user_id IS NULL;
DROP TABLE order_guests;
ALTER TABLE orders ALTER COLUMN user_id SET NOT NULL;
