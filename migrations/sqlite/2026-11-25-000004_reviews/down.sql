ALTER TABLE products DROP COLUMN rating_count;
ALTER TABLE products DROP COLUMN rating_sum;
DROP TABLE reviews;
