-- Reviews: one per user and product (posting again edits it); hidden ones count nowhere.
CREATE TABLE reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    rating INTEGER NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    hidden BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (product_id, user_id)
);
CREATE INDEX reviews_product ON reviews (product_id, hidden, created_at DESC, id DESC);

-- The visible reviews' sum and count, kept on the product so that lists can show and sort
-- by the average without aggregating; recomputed in the transaction of every review change.
ALTER TABLE products ADD COLUMN rating_sum INTEGER NOT NULL DEFAULT 0 CHECK (rating_sum >= 0);
ALTER TABLE products ADD COLUMN rating_count INTEGER NOT NULL DEFAULT 0 CHECK (rating_count >= 0);
