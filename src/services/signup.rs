//! Signing up and verifying the address. Each flow is one transaction that changes the
//! account and queues the mail the change causes, so a mail goes out exactly when its change is
//! committed. The throttles in front (sign-ups per client, mails per address) count outside
//! any transaction, so that parallel attempts see each other.

use chrono::NaiveDateTime;

use crate::db::{self, DbConn};
use crate::domain::account::{hash_token, issue_token, random_token, Email, Role, TokenPurpose};
use crate::domain::throttle::{Bucket, ClientKey, Limit};
use crate::error::{AppError, Outcome};
use crate::mail::{compose, Links};
use crate::models::email_token::{self, TokenProblem};
use crate::models::order_guest;
use crate::models::user::{self, NewUser, User};
use crate::models::{outbox, throttle};
use crate::services::is_unique_violation;

/// Counts a sign-up from `client` for `email` against `SIGNUP_MAX_PER_HOUR` and the mails an
/// address may get in an hour; `Err` holds the seconds to wait. Call outside a transaction.
pub fn admit_signup(
    conn: &mut DbConn,
    client: Option<&ClientKey>,
    email: &Email,
    (signups, mails): (Limit, Limit),
    now: NaiveDateTime,
) -> Outcome<(), u64> {
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
) -> Outcome<(), u64> {
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
) -> Outcome<User, TokenProblem> {
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
        // The address is proven theirs now: its guest orders join the account's.
        let claimed = order_guest::claim(conn, &user.email, user.id)?;
        if claimed > 0 {
            log::info!("user {} claimed {claimed} guest orders", user.id);
        }
        Ok(Ok(user))
    })
}
