DROP TRIGGER products_bump_listing ON products;
DROP FUNCTION bump_listing_version();
ALTER TABLE catalog_version DROP COLUMN listing;
