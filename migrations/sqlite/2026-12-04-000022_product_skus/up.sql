-- Stock-keeping units: optional, unique, what a spreadsheet import matches rows by.
ALTER TABLE products ADD COLUMN sku TEXT;
CREATE UNIQUE INDEX products_sku ON products (sku);
