DROP INDEX products_updated;
DROP TRIGGER audit_log_no_delete;
DROP TRIGGER audit_log_no_update;
DROP TABLE audit_log;
ALTER TABLE products DROP COLUMN image;
ALTER TABLE products DROP COLUMN version;
