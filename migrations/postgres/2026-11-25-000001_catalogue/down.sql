DROP TRIGGER products_search_update ON products;
DROP TRIGGER products_search_insert ON products;
DROP FUNCTION product_search_refresh();
DROP TABLE product_search;
DROP TABLE products;
DROP TEXT SEARCH CONFIGURATION shopfront;
DROP TEXT SEARCH DICTIONARY shopfront_stem;
DROP TABLE categories;
