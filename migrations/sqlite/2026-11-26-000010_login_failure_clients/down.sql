DROP INDEX login_failures_client;
ALTER TABLE login_failures DROP COLUMN client;
