-- One number every write to what catalogue pages show moves on, in the writing transaction:
-- a page's ETag and the in-process caches are keyed by it, so a cached page is never served
-- after the data under it changed.
CREATE TABLE catalog_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO catalog_version (id, version) VALUES (1, 1);
CREATE TRIGGER products_bump_catalog_insert AFTER INSERT ON products BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER products_bump_catalog_update AFTER UPDATE ON products BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER products_bump_catalog_delete AFTER DELETE ON products BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER product_variants_bump_catalog_insert AFTER INSERT ON product_variants BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER product_variants_bump_catalog_update AFTER UPDATE ON product_variants BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER product_variants_bump_catalog_delete AFTER DELETE ON product_variants BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER product_photos_bump_catalog_insert AFTER INSERT ON product_photos BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER product_photos_bump_catalog_update AFTER UPDATE ON product_photos BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER product_photos_bump_catalog_delete AFTER DELETE ON product_photos BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER categories_bump_catalog_insert AFTER INSERT ON categories BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER categories_bump_catalog_update AFTER UPDATE ON categories BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER categories_bump_catalog_delete AFTER DELETE ON categories BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER reviews_bump_catalog_insert AFTER INSERT ON reviews BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER reviews_bump_catalog_update AFTER UPDATE ON reviews BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER reviews_bump_catalog_delete AFTER DELETE ON reviews BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER shop_settings_bump_catalog_insert AFTER INSERT ON shop_settings BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER shop_settings_bump_catalog_update AFTER UPDATE ON shop_settings BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER shop_settings_bump_catalog_delete AFTER DELETE ON shop_settings BEGIN
    UPDATE catalog_version SET version = version + 1 WHERE id = 1;
END;
