-- The client a failed login came from (as TRUSTED_PROXIES let it be known), so one client
-- failing on many addresses is throttled as well as one address failing from many clients.
ALTER TABLE login_failures ADD COLUMN client TEXT;
CREATE INDEX login_failures_client ON login_failures (client, failed_at);
