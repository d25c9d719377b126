-- Search ranks every match by BM25 over products_fts, the name weighted; the index of names
-- alone served the old two-tier ranking and is no longer read.
DROP TRIGGER products_name_fts_update;
DROP TRIGGER products_name_fts_delete;
DROP TRIGGER products_name_fts_insert;
DROP TABLE products_name_fts;
