-- Rate limits that hold across instances: one row per counted event in a named bucket
-- ("signup-client:203.0.113.7", "mail:ada@example.com", ...), swept after a day.
CREATE TABLE throttle_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    bucket TEXT NOT NULL,
    happened_at TIMESTAMP NOT NULL
);
CREATE INDEX throttle_events_bucket ON throttle_events (bucket, happened_at);

-- "Forgot password" requests, turned into a token and a mail by the background worker, so
-- that a known and an unknown address cost the request exactly the same.
CREATE TABLE reset_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    requested_at TIMESTAMP NOT NULL
);
