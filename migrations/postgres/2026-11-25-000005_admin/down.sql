DROP INDEX products_updated;
DROP TRIGGER audit_log_no_change ON audit_log;
DROP FUNCTION audit_log_append_only();
DROP TABLE audit_log;
ALTER TABLE products DROP COLUMN image;
ALTER TABLE products DROP COLUMN version;
