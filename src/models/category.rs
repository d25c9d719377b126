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
