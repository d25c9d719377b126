ALTER TABLE order_items DROP COLUMN variant_id;

DELETE FROM cart_items WHERE variant_id IS NOT NULL;
DROP INDEX cart_items_line;
ALTER TABLE cart_items DROP COLUMN variant_id;
ALTER TABLE cart_items ADD CONSTRAINT cart_items_cart_id_product_id_key UNIQUE (cart_id, product_id);

ALTER TABLE products DROP COLUMN has_variants;
DROP TABLE product_variants;
