DROP TABLE reset_requests;
DROP TABLE throttle_events;
