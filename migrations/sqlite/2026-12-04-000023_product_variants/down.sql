ALTER TABLE order_items DROP COLUMN variant_id;

CREATE TABLE cart_items_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    cart_id INTEGER NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    added_at TIMESTAMP NOT NULL,
    UNIQUE (cart_id, product_id)
);
INSERT INTO cart_items_old (id, cart_id, product_id, quantity, added_at)
    SELECT id, cart_id, product_id, quantity, added_at FROM cart_items WHERE variant_id IS NULL;
DROP TABLE cart_items;
ALTER TABLE cart_items_old RENAME TO cart_items;

ALTER TABLE products DROP COLUMN has_variants;
DROP TABLE product_variants;
