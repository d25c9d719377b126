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
