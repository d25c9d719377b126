//! Categories: the catalogue's sections, addressed by slug.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::schema::categories;

/// A category row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = categories)]
pub struct Category {
    /// Primary key.
    pub id: i32,
    /// Unique, URL-safe name used in `/products?category=`.
    pub slug: String,
    /// Shown to shoppers.
    pub name: String,
    /// A sentence or two shown on the category's list page.
    pub description: String,
    /// When it was created (UTC).
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    pub updated_at: NaiveDateTime,
}

/// A category to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = categories)]
pub struct NewCategory<'a> {
    /// Unique, URL-safe name.
    pub slug: &'a str,
    /// Shown to shoppers.
    pub name: &'a str,
    /// Shown on the category's page.
    pub description: &'a str,
    /// Creation time (UTC).
    pub created_at: NaiveDateTime,
    /// Same as `created_at` for a new row.
    pub updated_at: NaiveDateTime,
}

/// What a link to a category needs: the navigation and product pages use it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = categories)]
pub struct CategoryLink {
    /// Primary key.
    pub id: i32,
    /// URL-safe name.
    pub slug: String,
    /// Shown to shoppers.
    pub name: String,
}

/// Every category as a link, A to Z.
pub fn all_links(conn: &mut DbConn) -> QueryResult<Vec<CategoryLink>> {
    categories::table
        .select(CategoryLink::as_select())
        .order((categories::name.asc(), categories::id.asc()))
        .load(conn)
}

/// The category with `slug`, if any.
pub fn find_by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Category>> {
    categories::table
        .filter(categories::slug.eq(slug))
        .select(Category::as_select())
        .first(conn)
        .optional()
}

/// Inserts a category and returns its id.
pub fn insert(conn: &mut DbConn, new: &NewCategory<'_>) -> QueryResult<i32> {
    diesel::insert_into(categories::table)
        .values(new)
        .returning(categories::id)
        .get_result(conn)
}

/// The category with this id, if any.
pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Category>> {
    categories::table
        .find(id)
        .select(Category::as_select())
        .first(conn)
        .optional()
}

/// Every category with the number of its products, A to Z.
pub fn all_with_counts(conn: &mut DbConn) -> QueryResult<Vec<(Category, i64)>> {
    use crate::schema::products;
    let all = categories::table
        .select(Category::as_select())
        .order((categories::name.asc(), categories::id.asc()))
        .load(conn)?;
    let counts: Vec<(i32, i64)> = products::table
        .group_by(products::category_id)
        .select((products::category_id, diesel::dsl::count_star()))
        .load(conn)?;
    Ok(all
        .into_iter()
        .map(|c| {
            let n = counts
                .iter()
                .find(|(id, _)| *id == c.id)
                .map_or(0, |(_, n)| *n);
            (c, n)
        })
        .collect())
}

/// How many products (on sale or not) are in the category.
pub fn product_count(conn: &mut DbConn, id: i32) -> QueryResult<i64> {
    use crate::schema::products;
    products::table
        .filter(products::category_id.eq(id))
        .count()
        .get_result(conn)
}

/// Changes a category's name, slug and description.
pub fn update(
    conn: &mut DbConn,
    id: i32,
    slug: &str,
    name: &str,
    description: &str,
    now: chrono::NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(categories::table.find(id))
        .set((
            categories::slug.eq(slug),
            categories::name.eq(name),
            categories::description.eq(description),
            categories::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Deletes a category (the database refuses while it has products).
pub fn delete(conn: &mut DbConn, id: i32) -> QueryResult<usize> {
    diesel::delete(categories::table.find(id)).execute(conn)
}
