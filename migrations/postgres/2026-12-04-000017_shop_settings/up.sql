-- The shop's own settings, changed by admins at run time: one row (id 1), written the first
-- time it is read, from the environment variables of the same meaning.
CREATE TABLE shop_settings (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    shop_name TEXT NOT NULL,
    shop_address TEXT NOT NULL DEFAULT '',
    vat_id TEXT NOT NULL DEFAULT '',
    contact_email TEXT NOT NULL DEFAULT '',
    prices_include_tax BOOLEAN NOT NULL DEFAULT TRUE,
    discount_percent INTEGER NOT NULL CHECK (discount_percent BETWEEN 0 AND 100),
    discount_threshold_cents BIGINT NOT NULL CHECK (discount_threshold_cents >= 0),
    bank_transfer_details TEXT NOT NULL DEFAULT '',
    updated_at TIMESTAMP NOT NULL
);
