DROP TRIGGER catalog_counts_products ON products;
DROP FUNCTION catalog_counts_track();
DROP TRIGGER catalog_counts_new_category ON categories;
DROP FUNCTION catalog_counts_new_category();
DROP TABLE catalog_counts;
