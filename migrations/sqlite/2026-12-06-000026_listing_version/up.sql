-- A second number, moved on only by the writes that can change which products a list or a
-- search holds or their order. A sale changes stock, which every page shows (so the catalogue
-- version moves) but no list's order: the kept page marks and search rankings, keyed by this
-- number, survive it.
ALTER TABLE catalog_version ADD COLUMN listing BIGINT NOT NULL DEFAULT 1;
CREATE TRIGGER products_bump_listing_insert AFTER INSERT ON products BEGIN
    UPDATE catalog_version SET listing = listing + 1 WHERE id = 1;
END;
CREATE TRIGGER products_bump_listing_update
AFTER UPDATE OF category_id, name, description, price_cents, status, created_at, rating_sum, rating_count
ON products BEGIN
    UPDATE catalog_version SET listing = listing + 1 WHERE id = 1;
END;
CREATE TRIGGER products_bump_listing_delete AFTER DELETE ON products BEGIN
    UPDATE catalog_version SET listing = listing + 1 WHERE id = 1;
END;
