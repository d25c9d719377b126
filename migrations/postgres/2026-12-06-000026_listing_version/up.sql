-- A second number, moved on only by the writes that can change which products a list or a
-- search holds or their order. A sale changes stock, which every page shows (so the catalogue
-- version moves) but no list's order: the kept page marks and search rankings, keyed by this
-- number, survive it. Bumped once per transaction at commit, as the catalogue version is.
ALTER TABLE catalog_version ADD COLUMN listing BIGINT NOT NULL DEFAULT 1;
CREATE FUNCTION bump_listing_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('shopfront.listing_bumped', true) IS DISTINCT FROM 'yes' THEN
        UPDATE catalog_version SET listing = listing + 1 WHERE id = 1;
        PERFORM set_config('shopfront.listing_bumped', 'yes', true);
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER products_bump_listing
    AFTER INSERT OR DELETE
        OR UPDATE OF category_id, name, description, price_cents, status, created_at, rating_sum, rating_count
    ON products
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION bump_listing_version();
