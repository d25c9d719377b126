//! Admin moderation of reviews: hiding or showing one, with the product's rating recomputed
//! and an audit row, in one transaction.

use chrono::NaiveDateTime;

use crate::db::{self, DbConn};
use crate::error::AppError;
use crate::models::audit::Changes;
use crate::models::product::{self};
use crate::models::review;
use crate::services::Actor;

/// Hides or shows a review and recomputes its product's rating; returns the product.
pub fn set_review_hidden(
    conn: &mut DbConn,
    actor: &Actor,
    review_id: i32,
    hidden: bool,
    now: NaiveDateTime,
) -> Result<i32, AppError> {
    db::transaction(conn, |conn| {
        let product_id = review::set_hidden(conn, review_id, hidden)?.ok_or(AppError::NotFound)?;
        product::refresh_rating(conn, product_id)?;
        let mut changes = Changes::new();
        changes.field("hidden", !hidden, hidden);
        let action = if hidden { "review.hide" } else { "review.show" };
        actor.record(conn, action, ("review", review_id), changes, "", now)?;
        Ok(product_id)
    })
}
