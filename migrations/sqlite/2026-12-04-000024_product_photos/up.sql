-- Up to 8 photos a product, in order, each with alt text, stored re-encoded (no metadata) in
-- two sizes as rows of `images`. The product keeps its cover's thumbnail and its size in
-- `image`, `image_width`, `image_height`, so list pages read no other table.
CREATE TABLE product_photos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    alt TEXT NOT NULL,
    thumb TEXT NOT NULL,
    thumb_width INTEGER NOT NULL,
    thumb_height INTEGER NOT NULL,
    large TEXT NOT NULL,
    large_width INTEGER NOT NULL,
    large_height INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX product_photos_product ON product_photos (product_id, position, id);
ALTER TABLE products ADD COLUMN image_width INTEGER;
ALTER TABLE products ADD COLUMN image_height INTEGER;
