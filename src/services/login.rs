//! Logging in: the throttles in front of the password check, the check itself on the bounded
//! hashing line, and what a success changes (failures forgiven, the guest's cart merged).
//! Attempts are recorded before they are let through and counted after, outside any
//! transaction, so that parallel attempts see each other.

use chrono::NaiveDateTime;

use crate::config::LoginLimits;
use crate::db::{self, DbConn, DbPool};
use crate::domain::account::Email;
use crate::domain::throttle::{ClientKey, Limit};
use crate::error::{AppError, Outcome};
use crate::models::login_failure::{self, Of};
use crate::models::now;
use crate::models::order_guest;
use crate::models::user::{self, User};
use crate::services::cart::merge_guest_cart;
use crate::services::hashing::Hasher;

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
) -> Outcome<LoginAttempt, LoginRefused> {
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

/// Why a login did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginProblem {
    /// The line of password checks is full at this moment.
    Busy {
        /// Seconds until a place is likely free.
        retry_after: u64,
    },
    /// A throttle refused the attempt before its password was checked.
    Refused(LoginRefused),
    /// No account has this address and password.
    Mismatch,
}

/// A login as asked for: who, with what, from where, and the guest cart it brings.
pub struct LoginRequest {
    /// The address typed.
    pub email: Email,
    /// The password typed.
    pub password: String,
    /// The client, as the throttles count it.
    pub client: Option<ClientKey>,
    /// The guest cart of the browser, merged into the user's on success.
    pub guest_cart: Option<String>,
    /// The throttles' limits.
    pub limits: LoginLimits,
    /// The most lines a cart may hold after the merge.
    pub max_lines: usize,
}

/// The login sequence: a place in the line of password checks first (a flood costs no
/// database read, and waits for its refusal), then the attempt recorded against the throttles, then the password
/// checked; on success the client's failures are forgiven and the guest cart joins the
/// user's. A failed check leaves its recorded attempt: it is the failure.
pub async fn log_in(
    pool: &DbPool,
    hasher: &Hasher,
    request: LoginRequest,
) -> Outcome<User, LoginProblem> {
    let admission = match hasher.admit_login().await {
        Ok(admission) => admission,
        Err(AppError::TooManyRequests { retry_after }) => {
            return Ok(Err(LoginProblem::Busy { retry_after }))
        }
        Err(e) => return Err(e),
    };
    let LoginRequest {
        email,
        password,
        client,
        guest_cart,
        limits,
        max_lines,
    } = request;
    let shown_client = client
        .as_ref()
        .map_or_else(|| "-".to_string(), ToString::to_string);
    let address = email.clone();
    let begun = db::run(pool, move |conn| {
        let attempt = begin_login(conn, &address, client.as_ref(), limits, now())?;
        let found = match attempt {
            Ok(_) => user::find_by_email(conn, address.as_str())?,
            Err(_) => None,
        };
        Ok((attempt, found))
    })
    .await?;
    let (attempt, found) = match begun {
        (Ok(attempt), found) => (attempt, found),
        (Err(refused), _) => {
            log::warn!("login throttled for {email} from {shown_client}: {refused:?}");
            return Ok(Err(LoginProblem::Refused(refused)));
        }
    };
    let hash = found.as_ref().map(|u| u.password_hash.clone());
    let matches = hasher.verify_admitted(admission, password, hash).await?;
    let user = match found {
        Some(user) if matches => user,
        _ => {
            log::warn!("failed login for {email} from {shown_client}");
            return Ok(Err(LoginProblem::Mismatch));
        }
    };
    let user_id = user.id;
    let verified_email = user.is_verified().then(|| user.email.clone());
    db::run(pool, move |conn| {
        login_succeeded(conn, &attempt)?;
        // A verified address's guest orders (placed while logged out) join the account.
        if let Some(email) = verified_email {
            order_guest::claim(conn, &email, user_id)?;
        }
        // The guest's cart joins the user's (quantities added, capped by the rules).
        if let Some(token) = guest_cart {
            merge_guest_cart(conn, &token, user_id, max_lines, now())?;
        }
        Ok(())
    })
    .await?;
    log::info!("user {user_id} logged in");
    Ok(Ok(user))
}
