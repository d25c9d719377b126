-- Nested categories: each may have a parent (up to five levels; the application refuses
-- cycles and deeper trees, with the category rows locked while it checks). The reference is
-- checked at commit, so a copy may write a child before its parent.
ALTER TABLE categories ADD COLUMN parent_id INTEGER REFERENCES categories (id) ON DELETE RESTRICT
    DEFERRABLE INITIALLY DEFERRED;
CREATE INDEX categories_parent ON categories (parent_id);
