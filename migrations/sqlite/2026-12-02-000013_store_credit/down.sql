DROP TABLE credit_ledger;
ALTER TABLE users DROP COLUMN credit_cents;
