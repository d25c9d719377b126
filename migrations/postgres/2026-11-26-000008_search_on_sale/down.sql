DROP TRIGGER products_search_update ON products;
CREATE TRIGGER products_search_update AFTER UPDATE OF name, description ON products
    FOR EACH ROW EXECUTE FUNCTION product_search_refresh();
CREATE OR REPLACE FUNCTION product_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO product_search (product_id, document)
    VALUES (
        NEW.id,
        setweight(to_tsvector('shopfront', NEW.name), 'A')
            || setweight(to_tsvector('shopfront', NEW.description), 'B')
    )
    ON CONFLICT (product_id) DO UPDATE SET document = EXCLUDED.document;
    RETURN NULL;
END
$$;
DROP INDEX product_search_name;
ALTER TABLE product_search DROP COLUMN name_document;
INSERT INTO product_search (product_id, document)
    SELECT id, setweight(to_tsvector('shopfront', name), 'A')
        || setweight(to_tsvector('shopfront', description), 'B')
    FROM products WHERE status <> 'active';
