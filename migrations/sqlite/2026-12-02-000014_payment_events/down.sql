ALTER TABLE orders DROP COLUMN payment_problem;
ALTER TABLE orders DROP COLUMN payment_intent_id;
DROP TABLE payment_events;
