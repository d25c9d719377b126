ALTER TABLE product_search ADD COLUMN name_document TSVECTOR;
UPDATE product_search s SET name_document = to_tsvector('shopfront', p.name)
    FROM products p WHERE p.id = s.product_id;
ALTER TABLE product_search ALTER COLUMN name_document SET NOT NULL;
ALTER TABLE product_search ALTER COLUMN name_document SET STATISTICS 10000;
CREATE INDEX product_search_name ON product_search USING GIN (name_document);
CREATE OR REPLACE FUNCTION product_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> 'active' THEN
        DELETE FROM product_search WHERE product_id = NEW.id;
        RETURN NULL;
    END IF;
    INSERT INTO product_search (product_id, document, name_document)
    VALUES (
        NEW.id,
        setweight(to_tsvector('shopfront', NEW.name), 'A')
            || setweight(to_tsvector('shopfront', NEW.description), 'B'),
        to_tsvector('shopfront', NEW.name)
    )
    ON CONFLICT (product_id) DO UPDATE
        SET document = EXCLUDED.document, name_document = EXCLUDED.name_document;
    RETURN NULL;
END
$$;
