DROP TABLE sessions;
DROP TABLE outbox;
DROP TABLE login_failures;
DROP TABLE email_tokens;
DROP TABLE users;
