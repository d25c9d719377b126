DROP INDEX categories_parent;
ALTER TABLE categories DROP COLUMN parent_id;
