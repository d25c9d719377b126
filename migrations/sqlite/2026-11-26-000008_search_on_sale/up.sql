-- The search indexes hold only the products on sale, so a search reads its candidates from
-- the index alone, without looking up each product's status.
DROP TRIGGER products_fts_update;
DROP TRIGGER products_fts_delete;
DROP TRIGGER products_fts_insert;
INSERT INTO products_fts (products_fts, rowid, name, description)
    SELECT 'delete', id, name, description FROM products WHERE status <> 'active';

CREATE TRIGGER products_fts_insert AFTER INSERT ON products WHEN new.status = 'active' BEGIN
    INSERT INTO products_fts (rowid, name, description) VALUES (new.id, new.name, new.description);
END;
CREATE TRIGGER products_fts_delete AFTER DELETE ON products WHEN old.status = 'active' BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, description)
    VALUES ('delete', old.id, old.name, old.description);
END;
CREATE TRIGGER products_fts_update AFTER UPDATE OF name, description, status ON products BEGIN
    INSERT INTO products_fts (products_fts, rowid, name, description)
        SELECT 'delete', old.id, old.name, old.description WHERE old.status = 'active';
    INSERT INTO products_fts (rowid, name, description)
        SELECT new.id, new.name, new.description WHERE new.status = 'active';
END;

-- Product names in a full-text index of their own. Search ranks name matches first; a name
-- restriction on products_fts ({name} : ...) has to read every row that has the word in any
-- column, which for a word common in descriptions is most of a large catalogue.
CREATE VIRTUAL TABLE products_name_fts USING fts5 (
    name,
    content = 'products',
    content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2',
    prefix = '2 3'
);
INSERT INTO products_name_fts (rowid, name) SELECT id, name FROM products WHERE status = 'active';

CREATE TRIGGER products_name_fts_insert AFTER INSERT ON products WHEN new.status = 'active' BEGIN
    INSERT INTO products_name_fts (rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER products_name_fts_delete AFTER DELETE ON products WHEN old.status = 'active' BEGIN
    INSERT INTO products_name_fts (products_name_fts, rowid, name) VALUES ('delete', old.id, old.name);
END;
CREATE TRIGGER products_name_fts_update AFTER UPDATE OF name, status ON products BEGIN
    INSERT INTO products_name_fts (products_name_fts, rowid, name)
        SELECT 'delete', old.id, old.name WHERE old.status = 'active';
    INSERT INTO products_name_fts (rowid, name) SELECT new.id, new.name WHERE new.status = 'active';
END;
