-- A search takes a tier's newest matches either from the word's GIN index (a rare word) or
-- by walking the newest rows until enough match (a common word). The planner chooses from
-- the word's frequency; with the default statistics it knew only the commonest few hundred
-- words and guessed 3,000 matches for any other, so a word in 20 products of a million
-- walked the whole table (450 ms). Tracking up to 100,000 words gives it their counts.
ALTER TABLE product_search ALTER COLUMN document SET STATISTICS 10000;
ALTER TABLE product_search ALTER COLUMN name_document SET STATISTICS 10000;
