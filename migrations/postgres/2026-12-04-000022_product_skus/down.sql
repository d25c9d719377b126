DROP INDEX products_sku;
ALTER TABLE products DROP COLUMN sku;
