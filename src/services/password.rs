//! Passwords: "forgot password" requests turned into reset links, setting a new password with
//! a link, and changing it while logged in. Passwords arrive already hashed.

use chrono::NaiveDateTime;

use crate::db::{self, DbConn};
use crate::domain::account::{hash_token, issue_token, random_token, Email, TokenPurpose};
use crate::error::{AppError, Outcome};
use crate::mail::{compose, Links};
use crate::models::email_token::{self, TokenProblem};
use crate::models::login_failure::{self};
use crate::models::user::{self, User};
use crate::models::{outbox, reset_request};

/// Queues a reset request for `email`, known or not: the same work either way, so neither
/// the answer nor its timing tells whether the address has an account.
/// [`handle_reset_request`] later turns it into a link, if there is an account.
pub fn request_reset(conn: &mut DbConn, email: &Email, now: NaiveDateTime) -> Result<(), AppError> {
    reset_request::insert(conn, email.as_str(), now)?;
    Ok(())
}

/// Turns the oldest queued reset request into a token and a mail when its address has an
/// account, and into nothing otherwise; `false` when the queue is empty. Each request is
/// handled once across instances.
pub fn handle_reset_request(
    conn: &mut DbConn,
    links: &Links,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    db::transaction(conn, |conn| {
        let Some((_, email)) = reset_request::take_next(conn)? else {
            return Ok(false);
        };
        let Some(user) = user::find_by_email(conn, &email)? else {
            return Ok(true);
        };
        let token = issue_token();
        email_token::insert(conn, user.id, TokenPurpose::Reset, &token.hash, now)?;
        outbox::enqueue(
            conn,
            &compose::reset(links, &user.email, &token.token)?,
            now,
        )?;
        log::info!("password reset link queued for user {}", user.id);
        Ok(true)
    })
}

/// The owner of a reset token that can still be used.
pub fn reset_token_owner(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
) -> Outcome<User, TokenProblem> {
    match email_token::find_usable(conn, &hash_token(token), TokenPurpose::Reset, now)? {
        Ok(token) => Ok(Ok(
            user::find(conn, token.user_id)?.ok_or(AppError::NotFound)?
        )),
        Err(problem) => Ok(Err(problem)),
    }
}

/// Sets a new password with a reset token: uses it, voids the user's other reset links,
/// bumps the security stamp (ending every session), marks the address verified (the link
/// proved it) and clears every failed-login count of the account.
pub fn reset_password(
    conn: &mut DbConn,
    token: &str,
    password_hash: &str,
    links: &Links,
    now: NaiveDateTime,
) -> Outcome<User, TokenProblem> {
    db::transaction(conn, |conn| {
        let found = email_token::find_usable(conn, &hash_token(token), TokenPurpose::Reset, now)?;
        let token = match found {
            Ok(token) => token,
            Err(problem) => return Ok(Err(problem)),
        };
        if !email_token::use_once(conn, token.id, now)? {
            return Ok(Err(TokenProblem::Used));
        }
        email_token::void_all(conn, token.user_id, TokenPurpose::Reset, now)?;
        user::set_password(conn, token.user_id, password_hash, &random_token(), now)?;
        user::mark_verified(conn, token.user_id, now)?;
        let user = user::find(conn, token.user_id)?.ok_or(AppError::NotFound)?;
        // The owner proved the address: every failed-login count on the account starts over.
        login_failure::clear(conn, &user.email, None)?;
        outbox::enqueue(conn, &compose::password_changed(links, &user.email)?, now)?;
        log::info!("password reset for user {}", user.id);
        Ok(Ok(user))
    })
}

/// Sets a new password for a logged-in user; returns the user with the new security stamp.
pub fn change_password(
    conn: &mut DbConn,
    user_id: i32,
    password_hash: &str,
    links: &Links,
    now: NaiveDateTime,
) -> Result<User, AppError> {
    db::transaction(conn, |conn| {
        user::set_password(conn, user_id, password_hash, &random_token(), now)?;
        email_token::void_all(conn, user_id, TokenPurpose::Reset, now)?;
        let user = user::find(conn, user_id)?.ok_or(AppError::NotFound)?;
        outbox::enqueue(conn, &compose::password_changed(links, &user.email)?, now)?;
        log::info!("password changed for user {}", user.id);
        Ok(user)
    })
}
