//! A customer's review: posting it (or editing the one they wrote) and recomputing the
//! product's rating, in one transaction.

use chrono::NaiveDateTime;

use crate::db::{self, DbConn};
use crate::domain::review::{Rating, ReviewBody};
use crate::error::AppError;
use crate::models::{product, review};

/// Posts `user_id`'s review of `product_id`, or replaces the one they wrote; `true` when it is
/// new. A product that does not exist is `NotFound`.
pub fn post_review(
    conn: &mut DbConn,
    product_id: i32,
    user_id: i32,
    rating: Rating,
    body: &ReviewBody,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    db::transaction(conn, |conn| {
        product::find(conn, product_id)?.ok_or(AppError::NotFound)?;
        let created = review::post(conn, product_id, user_id, rating.get(), body.as_str(), now)?;
        product::refresh_rating(conn, product_id)?;
        Ok(created)
    })
}
