-- Best-rated-first lists read this index instead of sorting every product on sale. The key
-- must be written exactly as models::catalog::RATING_KEY_SQL for the planner to match it.
CREATE INDEX products_rating ON products (
    status,
    (CASE WHEN rating_count = 0 THEN -1 ELSE rating_sum * 1000 / rating_count END) DESC,
    rating_count DESC,
    id DESC
);
CREATE INDEX products_category_rating ON products (
    category_id,
    status,
    (CASE WHEN rating_count = 0 THEN -1 ELSE rating_sum * 1000 / rating_count END) DESC,
    rating_count DESC,
    id DESC
);
