-- How many products each category has on sale, kept by triggers, so that a list page reads
-- its total instead of counting a large catalogue on every request.
CREATE TABLE catalog_counts (
    category_id INTEGER PRIMARY KEY REFERENCES categories (id) ON DELETE CASCADE,
    active INTEGER NOT NULL DEFAULT 0 CHECK (active >= 0)
);
INSERT INTO catalog_counts (category_id, active)
    SELECT c.id, (SELECT count(*) FROM products p WHERE p.category_id = c.id AND p.status = 'active')
    FROM categories c;

CREATE FUNCTION catalog_counts_new_category() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO catalog_counts (category_id, active) VALUES (NEW.id, 0);
    RETURN NULL;
END
$$;
CREATE TRIGGER catalog_counts_new_category AFTER INSERT ON categories
    FOR EACH ROW EXECUTE FUNCTION catalog_counts_new_category();

CREATE FUNCTION catalog_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'active' THEN
        UPDATE catalog_counts SET active = active - 1 WHERE category_id = OLD.category_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.status = 'active' THEN
        UPDATE catalog_counts SET active = active + 1 WHERE category_id = NEW.category_id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER catalog_counts_products AFTER INSERT OR DELETE OR UPDATE OF status, category_id ON products
    FOR EACH ROW EXECUTE FUNCTION catalog_counts_track();
