DROP TRIGGER products_bump_listing_delete;
DROP TRIGGER products_bump_listing_update;
DROP TRIGGER products_bump_listing_insert;
ALTER TABLE catalog_version DROP COLUMN listing;
