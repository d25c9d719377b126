-- Product names get a search document of their own. Search ranks name matches first; a
-- weight restriction (word:A) on the whole document cannot be answered by the index, so it
-- would recheck every row that has the word anywhere.
ALTER TABLE product_search ADD COLUMN name_document TSVECTOR;
UPDATE product_search s SET name_document = to_tsvector('shopfront', p.name)
    FROM products p WHERE p.id = s.product_id;
ALTER TABLE product_search ALTER COLUMN name_document SET NOT NULL;
CREATE INDEX product_search_name ON product_search USING GIN (name_document);

-- The search documents cover only the products on sale, so a search reads its candidates
-- from them alone, without looking up each product's status.
DELETE FROM product_search s USING products p WHERE p.id = s.product_id AND p.status <> 'active';

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
DROP TRIGGER products_search_update ON products;
CREATE TRIGGER products_search_update AFTER UPDATE OF name, description, status ON products
    FOR EACH ROW EXECUTE FUNCTION product_search_refresh();
