-- Search ranks every match by ts_rank_cd over the whole document, the name weighted (label
-- A); the document of names alone served the old two-tier ranking and is no longer read.
CREATE OR REPLACE FUNCTION product_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status <> 'active' THEN
        DELETE FROM product_search WHERE product_id = NEW.id;
        RETURN NULL;
    END IF;
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
