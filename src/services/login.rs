//! Logging in: the throttles in front of the password check, the check itself on the bounded
//! hashing line, and what a success changes (failures forgiven, the guest's cart merged).
//! Attempts are recorded before they are let through and counted after, outside any
//! transaction, so that parallel attempts see each other.

use chrono::NaiveDateTime;

use crate::config::LoginLimits;
use crate::db::DbConn;
use crate::domain::account::Email;
use crate::domain::throttle::{ClientKey, Limit};
use crate::error::AppError;
use crate::models::login_failure::{self, Of};

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
