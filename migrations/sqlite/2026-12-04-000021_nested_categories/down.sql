-- SQLite cannot drop a column that references a table: the categories are rebuilt without
-- it (foreign keys off, in the script's own transaction), with the trigger that keeps a
-- count row for each new category.
PRAGMA foreign_keys = OFF;
BEGIN;
CREATE TABLE categories_rebuilt (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    slug TEXT NOT NULL UNIQUE CHECK (length(slug) BETWEEN 1 AND 60),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description TEXT NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
INSERT INTO categories_rebuilt (id, slug, name, description, created_at, updated_at)
SELECT id, slug, name, description, created_at, updated_at FROM categories;
DELETE FROM sqlite_sequence WHERE name = 'categories_rebuilt';
INSERT INTO sqlite_sequence (name, seq) SELECT 'categories_rebuilt', seq FROM sqlite_sequence
    WHERE name = 'categories';
DROP TABLE categories;
ALTER TABLE categories_rebuilt RENAME TO categories;
CREATE TRIGGER catalog_counts_new_category AFTER INSERT ON categories BEGIN
    INSERT INTO catalog_counts (category_id, active) VALUES (new.id, 0);
END;
COMMIT;
PRAGMA foreign_keys = ON;
