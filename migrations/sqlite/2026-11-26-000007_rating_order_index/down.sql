DROP INDEX products_category_rating;
DROP INDEX products_rating;
