-- Product images live in the database, not on one instance's disk, so every instance serves
-- every image, and a backup or a copy-to holds them. Names are random and never reused.
CREATE TABLE images (
    name TEXT PRIMARY KEY NOT NULL,
    data BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL
);
