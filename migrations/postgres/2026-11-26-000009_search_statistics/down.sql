ALTER TABLE product_search ALTER COLUMN name_document SET STATISTICS -1;
ALTER TABLE product_search ALTER COLUMN document SET STATISTICS -1;
