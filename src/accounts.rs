//! Account flows: each is one transaction that changes the accounts and queues the mail the
//! change causes, so a mail goes out exactly when its change is committed. Used by the web
//! handlers and the command line alike; passwords arrive already hashed.
//!
//! The throttles in front of them (failed logins, sign-ups, mails per address) record an
//! attempt before it is let through and count it after, outside any transaction, so that
//! parallel attempts see each other.

use chrono::NaiveDateTime;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::config::LoginLimits;
use crate::db::{self, DbConn};
use crate::domain::account::{hash_token, issue_token, random_token, Email, Role, TokenPurpose};
use crate::domain::throttle::{Bucket, ClientKey, Limit};
use crate::mail::{compose, Links};
use crate::models::email_token::{self, TokenProblem};
use crate::models::login_failure::{self, Of};
use crate::models::user::{self, NewUser, User};
use crate::models::{outbox, reset_request, throttle};
use crate::web::error::AppError;

// ---------------------------------------------------------------- throttles

/// Why a login was refused before its password was checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginRefused {
    /// This client failed too often lately, on this account or on any.
    Client {
        /// Seconds until it may try again.
        retry_after: u64,
    },
    /// The account failed too often from every client together: everyone waits, or sets a
    /// new password (which clears the count).
    Account {
        /// Seconds until anyone may try again.
        retry_after: u64,
    },
}

/// A login attempt let through to the password check. Until [`login_succeeded`] it counts
/// as a failure.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    id: i32,
    email: String,
    client: Option<String>,
}

/// Records an attempt on `email` from `client` and lets it through to the password check
/// unless the client, the client on this account, or the account as a whole has failed too
/// often in the window. Call outside a transaction.
pub fn begin_login(
    conn: &mut DbConn,
    email: &Email,
    client: Option<&ClientKey>,
    limits: LoginLimits,
    now: NaiveDateTime,
) -> Result<Result<LoginAttempt, LoginRefused>, AppError> {
    let email = email.as_str();
    let client = client.map(ClientKey::as_str);
    let id = login_failure::record(conn, email, client, now)?;
    let mut wait_of = |whom: Of<'_>, limit: Limit| -> Result<Option<u64>, AppError> {
        let failures = login_failure::recent(conn, whom, now - limit.window, id, limit.max)?;
        Ok(limit.wait(&failures, now))
    };
    let by_client = match client {
        Some(client) => wait_of(
            Of::AccountAndClient(email, client),
            limits.per_account_and_client,
        )?
        .max(wait_of(Of::Client(client), limits.per_client)?),
        None => None,
    };
    let by_account = wait_of(Of::Account(email), limits.per_account)?;
    let refused = match (by_client, by_account) {
        (_, Some(retry_after)) => Some(LoginRefused::Account { retry_after }),
        (Some(retry_after), None) => Some(LoginRefused::Client { retry_after }),
        (None, None) => None,
    };
    match refused {
        Some(refused) => {
            // A refused attempt checked no password: it is not a failure.
            login_failure::forget(conn, id)?;
            Ok(Err(refused))
        }
        None => Ok(Ok(LoginAttempt {
            id,
            email: email.to_string(),
            client: client.map(str::to_string),
        })),
    }
}

/// The attempt's password matched: this client's failures on the account are forgiven
/// (other clients' are not, or a guesser would get a fresh count whenever the owner logs in).
pub fn login_succeeded(conn: &mut DbConn, attempt: &LoginAttempt) -> Result<(), AppError> {
    match &attempt.client {
        Some(client) => login_failure::clear(conn, &attempt.email, Some(client))?,
        None => login_failure::forget(conn, attempt.id)?,
    };
    Ok(())
}

/// Counts a sign-up from `client` for `email` against `SIGNUP_MAX_PER_HOUR` and the mails an
/// address may get in an hour; `Err` holds the seconds to wait. Call outside a transaction.
pub fn admit_signup(
    conn: &mut DbConn,
    client: Option<&ClientKey>,
    email: &Email,
    (signups, mails): (Limit, Limit),
    now: NaiveDateTime,
) -> Result<Result<(), u64>, AppError> {
    let from_client = match client {
        Some(client) => match throttle::take(conn, Bucket::SignupsFrom(client), signups, now)? {
            Ok(taken) => Some(taken),
            Err(wait) => return Ok(Err(wait)),
        },
        None => None,
    };
    match throttle::take(conn, Bucket::MailsTo(email.as_str()), mails, now)? {
        Ok(_) => Ok(Ok(())),
        Err(wait) => {
            // No sign-up happened: the client keeps its allowance.
            if let Some(taken) = from_client {
                throttle::give_back(conn, taken)?;
            }
            Ok(Err(wait))
        }
    }
}

/// Counts one mail to `email` (a verification link sent again, a reset link) against the
/// hourly allowance of the address, known or not; `Err` holds the seconds to wait. Call
/// outside a transaction.
pub fn admit_mail_to(
    conn: &mut DbConn,
    email: &Email,
    mails: Limit,
    now: NaiveDateTime,
) -> Result<Result<(), u64>, AppError> {
    Ok(throttle::take(conn, Bucket::MailsTo(email.as_str()), mails, now)?.map(|_| ()))
}

// ---------------------------------------------------------------- flows

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

/// Sends a new verification link (its allowance is counted by [`admit_mail_to`]).
pub fn resend_verification(
    conn: &mut DbConn,
    user: &User,
    links: &Links,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        queue_verification(conn, user.id, &user.email, links, now)
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
) -> Result<Result<User, TokenProblem>, AppError> {
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
