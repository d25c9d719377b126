-- Variants ("Size M / Blue"): each with its own SKU, optional price and stock. A product
-- with active variants is sold only through them, and its own `stock` is kept as the sum of
-- theirs so lists, filters and feeds read one column.
CREATE TABLE product_variants (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    sku TEXT NOT NULL UNIQUE,
    price_cents BIGINT CHECK (price_cents IS NULL OR price_cents >= 0),
    stock INTEGER NOT NULL CHECK (stock >= 0),
    archived BOOLEAN NOT NULL DEFAULT FALSE,
    version INTEGER NOT NULL DEFAULT 1,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX product_variants_product ON product_variants (product_id, id);
-- Whether a product has variants on sale, kept with its stock: pages and carts of the many
-- products without any then read nothing more.
ALTER TABLE products ADD COLUMN has_variants BOOLEAN NOT NULL DEFAULT FALSE;

-- A cart line is a product, or one variant of it. SQLite cannot drop the old UNIQUE
-- constraint, so the (short-lived) lines move to a rebuilt table.
CREATE TABLE cart_items_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    cart_id INTEGER NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    quantity INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 99),
    added_at TIMESTAMP NOT NULL,
    variant_id INTEGER REFERENCES product_variants (id) ON DELETE CASCADE
);
INSERT INTO cart_items_new (id, cart_id, product_id, quantity, added_at)
    SELECT id, cart_id, product_id, quantity, added_at FROM cart_items;
DROP TABLE cart_items;
ALTER TABLE cart_items_new RENAME TO cart_items;
CREATE UNIQUE INDEX cart_items_line ON cart_items (cart_id, product_id, COALESCE(variant_id, 0));

-- Ordered lines remember the variant, for restocking; its name is in `name` already. No
-- REFERENCES here: SQLite cannot drop a column a foreign key names, and variants are only
-- ever archived, never deleted, while an order names them.
ALTER TABLE order_items ADD COLUMN variant_id INTEGER;
