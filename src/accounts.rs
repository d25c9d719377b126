//! Account flows: each is one transaction that changes the accounts and queues the mail the
//! change causes, so a mail goes out exactly when its change is committed. Used by the web
//! handlers and the command line alike; passwords arrive already hashed.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::{self, DbConn};
use crate::domain::account::{hash_token, issue_token, random_token, Email, Role, TokenPurpose};
use crate::mail::{compose, Links};
use crate::models::email_token::{self, TokenProblem};
use crate::models::outbox;
use crate::models::user::{self, NewUser, User};
use crate::web::error::AppError;

/// How many verification links a user may ask for in [`RESEND_WINDOW_MINUTES`].
pub const RESEND_MAX: usize = 3;
/// The window for [`RESEND_MAX`].
pub const RESEND_WINDOW_MINUTES: i64 = 60;
/// How many reset links one address gets in an hour; more requests are quietly dropped.
pub const RESET_MAX_PER_HOUR: usize = 3;

/// What a sign-up did (the visitor is told the same either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupOutcome {
    /// A new account, with a verification mail queued.
    Created(i32),
    /// The address already had an account; its owner was told by mail.
    AlreadyRegistered,
}

fn is_unique_violation(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Database(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _
        ))
    )
}

/// Creates an unverified customer and queues the verification mail; for a known address,
/// queues a note to its owner instead.
pub fn sign_up(
    conn: &mut DbConn,
    email: &Email,
    password_hash: &str,
    links: &Links,
    now: NaiveDateTime,
) -> Result<SignupOutcome, AppError> {
    let attempt = db::transaction(conn, |conn| {
        if user::find_by_email(conn, email.as_str())?.is_some() {
            outbox::enqueue(conn, &compose::signup_attempt(links, email.as_str())?, now)?;
            return Ok(SignupOutcome::AlreadyRegistered);
        }
        let stamp = random_token();
        let id = user::insert(
            conn,
            &NewUser {
                email: email.as_str(),
                password_hash,
                role: Role::Customer.as_str(),
                email_verified_at: None,
                security_stamp: &stamp,
                created_at: now,
                updated_at: now,
            },
        )?;
        queue_verification(conn, id, email.as_str(), links, now)?;
        Ok(SignupOutcome::Created(id))
    });
    match attempt {
        // Two sign-ups for one address raced and the other won: this one is the known address.
        Err(e) if is_unique_violation(&e) => db::transaction(conn, |conn| {
            outbox::enqueue(conn, &compose::signup_attempt(links, email.as_str())?, now)?;
            Ok(SignupOutcome::AlreadyRegistered)
        }),
        other => other,
    }
}

fn queue_verification(
    conn: &mut DbConn,
    user_id: i32,
    email: &str,
    links: &Links,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    let token = issue_token();
    email_token::insert(conn, user_id, TokenPurpose::Verify, &token.hash, now)?;
    outbox::enqueue(conn, &compose::verify(links, email, &token.token)?, now)?;
    Ok(())
}

/// Sends a new verification link, unless [`RESEND_MAX`] went out in the last hour: then the
/// number of seconds to wait.
pub fn resend_verification(
    conn: &mut DbConn,
    user: &User,
    links: &Links,
    now: NaiveDateTime,
) -> Result<Result<(), u64>, AppError> {
    db::transaction(conn, |conn| {
        let window = TimeDelta::minutes(RESEND_WINDOW_MINUTES);
        let recent = email_token::issued_since(conn, user.id, TokenPurpose::Verify, now - window)?;
        if recent.len() >= RESEND_MAX {
            let oldest_counted = recent[RESEND_MAX - 1];
            let wait = (oldest_counted + window - now).num_seconds().max(1);
            return Ok(Err(u64::try_from(wait).unwrap_or(60)));
        }
        queue_verification(conn, user.id, &user.email, links, now)?;
        Ok(Ok(()))
    })
}

/// Marks the address of the token's owner verified and uses the token.
pub fn verify_email(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
) -> Result<Result<User, TokenProblem>, AppError> {
    db::transaction(conn, |conn| {
        let found = email_token::find_usable(conn, &hash_token(token), TokenPurpose::Verify, now)?;
        let token = match found {
            Ok(token) => token,
            Err(problem) => return Ok(Err(problem)),
        };
        if !email_token::use_once(conn, token.id, now)? {
            return Ok(Err(TokenProblem::Used));
        }
        user::mark_verified(conn, token.user_id, now)?;
        let user = user::find(conn, token.user_id)?.ok_or(AppError::NotFound)?;
        Ok(Ok(user))
    })
}

/// Queues a reset link for `email` if it has an account (and has not had too many lately).
/// Returns nothing either way: the visitor must not learn whether the address is known.
pub fn request_reset(
    conn: &mut DbConn,
    email: &Email,
    links: &Links,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        let Some(user) = user::find_by_email(conn, email.as_str())? else {
            return Ok(());
        };
        let recent = email_token::issued_since(
            conn,
            user.id,
            TokenPurpose::Reset,
            now - TimeDelta::hours(1),
        )?;
        if recent.len() >= RESET_MAX_PER_HOUR {
            log::warn!(
                "password reset for user {} not sent: {} in the last hour",
                user.id,
                recent.len()
            );
            return Ok(());
        }
        let token = issue_token();
        email_token::insert(conn, user.id, TokenPurpose::Reset, &token.hash, now)?;
        outbox::enqueue(
            conn,
            &compose::reset(links, &user.email, &token.token)?,
            now,
        )?;
        log::info!("password reset requested for user {}", user.id);
        Ok(())
    })
}

/// The owner of a reset token that can still be used.
pub fn reset_token_owner(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
) -> Result<Result<User, TokenProblem>, AppError> {
    match email_token::find_usable(conn, &hash_token(token), TokenPurpose::Reset, now)? {
        Ok(token) => Ok(Ok(
            user::find(conn, token.user_id)?.ok_or(AppError::NotFound)?
        )),
        Err(problem) => Ok(Err(problem)),
    }
}

/// Sets a new password with a reset token: uses it, voids the user's other reset links,
/// bumps the security stamp (ending every session) and marks the address verified (the link
/// proved it).
pub fn reset_password(
    conn: &mut DbConn,
    token: &str,
    password_hash: &str,
    links: &Links,
    now: NaiveDateTime,
) -> Result<Result<User, TokenProblem>, AppError> {
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

/// What `create-admin` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminOutcome {
    /// A new verified admin.
    Created,
    /// An existing account became a verified admin with the given password.
    Promoted,
}

/// Creates a verified admin, or promotes (and re-keys) the existing account of `email`.
pub fn create_admin(
    conn: &mut DbConn,
    email: &Email,
    password_hash: &str,
    now: NaiveDateTime,
) -> Result<AdminOutcome, AppError> {
    db::transaction(conn, |conn| {
        let stamp = random_token();
        match user::find_by_email(conn, email.as_str())? {
            Some(existing) => {
                user::set_password(conn, existing.id, password_hash, &stamp, now)?;
                user::set_role(conn, existing.id, Role::Admin, &stamp, now)?;
                user::mark_verified(conn, existing.id, now)?;
                log::info!(
                    "user {} promoted to admin from the command line",
                    existing.id
                );
                Ok(AdminOutcome::Promoted)
            }
            None => {
                let id = user::insert(
                    conn,
                    &NewUser {
                        email: email.as_str(),
                        password_hash,
                        role: Role::Admin.as_str(),
                        email_verified_at: Some(now),
                        security_stamp: &stamp,
                        created_at: now,
                        updated_at: now,
                    },
                )?;
                log::info!("admin {id} created from the command line");
                Ok(AdminOutcome::Created)
            }
        }
    })
}
