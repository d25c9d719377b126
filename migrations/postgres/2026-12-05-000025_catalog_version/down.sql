DROP TRIGGER products_bump_catalog ON products;
DROP TRIGGER product_variants_bump_catalog ON product_variants;
DROP TRIGGER product_photos_bump_catalog ON product_photos;
DROP TRIGGER categories_bump_catalog ON categories;
DROP TRIGGER reviews_bump_catalog ON reviews;
DROP TRIGGER shop_settings_bump_catalog ON shop_settings;
DROP FUNCTION bump_catalog_version();
DROP TABLE catalog_version;
