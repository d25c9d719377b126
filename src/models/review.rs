//! Reviews: one per user and product. Hidden ones are shown to admins only and count nowhere.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::{self, on_backend, DbConn};
use crate::schema::{reviews, users};

/// A review as the product page shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = reviews)]
pub struct ReviewView {
    /// Primary key.
    pub id: i32,
    /// 1 to 5.
    pub rating: i32,
    /// The text, exactly as typed.
    pub body: String,
    /// Hidden by an admin.
    pub hidden: bool,
    /// When it was first posted.
    pub created_at: NaiveDateTime,
    /// When it was last edited.
    pub updated_at: NaiveDateTime,
    /// The author's address; pages show only its first letter.
    #[diesel(select_expression = users::email)]
    pub author_email: String,
}

impl ReviewView {
    /// Who wrote it, as far as other shoppers may know: the first letter of the address.
    pub fn author(&self) -> String {
        let initial = self
            .author_email
            .chars()
            .next()
            .unwrap_or('?')
            .to_uppercase();
        format!("{initial}.")
    }

    /// When it was posted, for people.
    pub fn posted_on(&self) -> String {
        self.created_at.format("%-d %B %Y").to_string()
    }

    /// Whether it was edited after it was posted.
    pub fn edited(&self) -> bool {
        self.updated_at > self.created_at
    }
}

/// The review `user_id` wrote of `product_id`, as (rating, text).
pub fn own(conn: &mut DbConn, product_id: i32, user_id: i32) -> QueryResult<Option<(i32, String)>> {
    reviews::table
        .filter(reviews::product_id.eq(product_id))
        .filter(reviews::user_id.eq(user_id))
        .select((reviews::rating, reviews::body))
        .first(conn)
        .optional()
}

/// Posts the user's review of a product, or edits it when there is one (which keeps it hidden
/// if an admin hid it). Returns true when it was new.
pub fn post(
    conn: &mut DbConn,
    product_id: i32,
    user_id: i32,
    rating: i32,
    body: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let edit = |conn: &mut DbConn| {
        diesel::update(
            reviews::table
                .filter(reviews::product_id.eq(product_id))
                .filter(reviews::user_id.eq(user_id)),
        )
        .set((
            reviews::rating.eq(rating),
            reviews::body.eq(body),
            reviews::updated_at.eq(now),
        ))
        .execute(conn)
    };
    if edit(conn)? > 0 {
        return Ok(false);
    }
    // In a savepoint: when a twin request posted first, edit theirs instead.
    let inserted = db::transaction(conn, |conn| {
        diesel::insert_into(reviews::table)
            .values((
                reviews::product_id.eq(product_id),
                reviews::user_id.eq(user_id),
                reviews::rating.eq(rating),
                reviews::body.eq(body),
                reviews::created_at.eq(now),
                reviews::updated_at.eq(now),
            ))
            .execute(conn)
    });
    match inserted {
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            edit(conn).map(|_| false)
        }
        other => other.map(|_| true),
    }
}

/// One page of a product's reviews, newest first; hidden ones only when `with_hidden`.
pub fn page_for_product(
    conn: &mut DbConn,
    product_id: i32,
    with_hidden: bool,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<ReviewView>> {
    let of_product = reviews::table
        .inner_join(users::table)
        .filter(reviews::product_id.eq(product_id));
    let newest = (reviews::created_at.desc(), reviews::id.desc());
    // Two fixed statements rather than one boxed: each is prepared once per connection.
    match with_hidden {
        true => on_backend!(conn, |c| of_product
            .order(newest)
            .limit(limit)
            .offset(offset)
            .select(ReviewView::as_select())
            .load(c)),
        false => on_backend!(conn, |c| of_product
            .filter(reviews::hidden.eq(false))
            .order(newest)
            .limit(limit)
            .offset(offset)
            .select(ReviewView::as_select())
            .load(c)),
    }
}

/// How many reviews a product has; hidden ones only when `with_hidden`.
pub fn count_for_product(
    conn: &mut DbConn,
    product_id: i32,
    with_hidden: bool,
) -> QueryResult<i64> {
    let mut query = reviews::table
        .filter(reviews::product_id.eq(product_id))
        .into_boxed();
    if !with_hidden {
        query = query.filter(reviews::hidden.eq(false));
    }
    query.count().get_result(conn)
}

/// Hides or shows a review; returns its product, or `None` when there is no such review.
/// (It is not an edit: `updated_at` stays, so the author's text is not marked "edited".)
pub fn set_hidden(conn: &mut DbConn, id: i32, hidden: bool) -> QueryResult<Option<i32>> {
    let product_id: Option<i32> = reviews::table
        .find(id)
        .select(reviews::product_id)
        .first(conn)
        .optional()?;
    if product_id.is_some() {
        diesel::update(reviews::table.find(id))
            .set(reviews::hidden.eq(hidden))
            .execute(conn)?;
    }
    Ok(product_id)
}
