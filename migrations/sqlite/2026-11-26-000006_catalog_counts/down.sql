DROP TRIGGER catalog_counts_update;
DROP TRIGGER catalog_counts_delete;
DROP TRIGGER catalog_counts_insert;
DROP TRIGGER catalog_counts_new_category;
DROP TABLE catalog_counts;
