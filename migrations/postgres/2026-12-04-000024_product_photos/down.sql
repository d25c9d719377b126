ALTER TABLE products DROP COLUMN image_height;
ALTER TABLE products DROP COLUMN image_width;
DROP TABLE product_photos;
