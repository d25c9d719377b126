-- How many products each category has on sale, kept by triggers, so that a list page reads
-- its total instead of counting a large catalogue on every request.
CREATE TABLE catalog_counts (
    category_id INTEGER PRIMARY KEY REFERENCES categories (id) ON DELETE CASCADE,
    active INTEGER NOT NULL DEFAULT 0 CHECK (active >= 0)
);
INSERT INTO catalog_counts (category_id, active)
    SELECT c.id, (SELECT count(*) FROM products p WHERE p.category_id = c.id AND p.status = 'active')
    FROM categories c;

CREATE TRIGGER catalog_counts_new_category AFTER INSERT ON categories BEGIN
    INSERT INTO catalog_counts (category_id, active) VALUES (new.id, 0);
END;
CREATE TRIGGER catalog_counts_insert AFTER INSERT ON products WHEN new.status = 'active' BEGIN
    UPDATE catalog_counts SET active = active + 1 WHERE category_id = new.category_id;
END;
CREATE TRIGGER catalog_counts_delete AFTER DELETE ON products WHEN old.status = 'active' BEGIN
    UPDATE catalog_counts SET active = active - 1 WHERE category_id = old.category_id;
END;
CREATE TRIGGER catalog_counts_update AFTER UPDATE OF status, category_id ON products BEGIN
    UPDATE catalog_counts SET active = active - 1
        WHERE category_id = old.category_id AND old.status = 'active';
    UPDATE catalog_counts SET active = active + 1
        WHERE category_id = new.category_id AND new.status = 'active';
END;
