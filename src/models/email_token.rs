//! Single-use tokens mailed for verification and password reset. Only their hash is stored.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::account::TokenPurpose;
use crate::schema::email_tokens;

/// A token row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = email_tokens)]
pub struct EmailToken {
    /// Primary key.
    pub id: i32,
    /// Whose token it is.
    pub user_id: i32,
    /// `verify` or `reset`.
    pub purpose: String,
    /// SHA-256 of the mailed token.
    pub token_hash: String,
    /// After this it is refused.
    pub expires_at: NaiveDateTime,
    /// Set once it has been used.
    pub used_at: Option<NaiveDateTime>,
    /// When it was issued.
    pub created_at: NaiveDateTime,
}

/// Why a token cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenProblem {
    /// No such token (mistyped, or for another purpose).
    Unknown,
    /// Already used once.
    Used,
    /// Too old.
    Expired,
}

/// Stores a token's hash for `user_id`.
pub fn insert(
    conn: &mut DbConn,
    user_id: i32,
    purpose: TokenPurpose,
    token_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(email_tokens::table)
        .values((
            email_tokens::user_id.eq(user_id),
            email_tokens::purpose.eq(purpose.as_str()),
            email_tokens::token_hash.eq(token_hash),
            email_tokens::expires_at.eq(now + purpose.lifetime()),
            email_tokens::created_at.eq(now),
        ))
        .execute(conn)
}

/// The token with this hash and purpose, if it can still be used.
pub fn find_usable(
    conn: &mut DbConn,
    token_hash: &str,
    purpose: TokenPurpose,
    now: NaiveDateTime,
) -> QueryResult<Result<EmailToken, TokenProblem>> {
    let token = email_tokens::table
        .filter(email_tokens::token_hash.eq(token_hash))
        .filter(email_tokens::purpose.eq(purpose.as_str()))
        .select(EmailToken::as_select())
        .first(conn)
        .optional()?;
    Ok(match token {
        None => Err(TokenProblem::Unknown),
        Some(t) if t.used_at.is_some() => Err(TokenProblem::Used),
        Some(t) if t.expires_at <= now => Err(TokenProblem::Expired),
        Some(t) => Ok(t),
    })
}

/// Uses the token: true if this call was the one that used it (a racing second use gets false).
pub fn use_once(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(
        email_tokens::table
            .find(id)
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(now))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Voids every unused token of `user_id` for `purpose` (after a reset, the other links die).
pub fn void_all(
    conn: &mut DbConn,
    user_id: i32,
    purpose: TokenPurpose,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        email_tokens::table
            .filter(email_tokens::user_id.eq(user_id))
            .filter(email_tokens::purpose.eq(purpose.as_str()))
            .filter(email_tokens::used_at.is_null()),
    )
    .set(email_tokens::used_at.eq(now))
    .execute(conn)
}

/// Deletes tokens that expired before `before`.
pub fn sweep(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(email_tokens::table.filter(email_tokens::expires_at.lt(before))).execute(conn)
}
