//! Accounts over HTTP: sign-up, e-mail verification, login and logout, password reset, and
//! the account page with "send the link again" and "change password".
//!
//! Pages never tell whether an address has an account: sign-up and "forgot password" answer
//! the same for known and unknown addresses, and a failed login has one message.

pub mod addresses;
pub mod credit;
pub mod login;
pub mod password;
pub mod settings;
pub mod signup;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::HttpRequest;
use actix_web::HttpResponse;
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::domain::account::Email;
use crate::domain::throttle::ClientKey;
use crate::error::Outcome;
use crate::models::email_token::TokenProblem;
use crate::models::now;
use crate::services::login::{begin_login, LoginAttempt, LoginRefused};
use crate::web::client_ip;
use crate::web::error::AppError;
use crate::web::page::{render, PageContext};
use crate::web::state::AppState;

/// Where a login goes when it has no `next`.
const AFTER_LOGIN: &str = "/account";

fn session(req: &HttpRequest) -> actix_session::Session {
    actix_session::SessionExt::get_session(req)
}

/// The client `req` comes from, as the throttles count it.
fn client_of(state: &AppState, req: &HttpRequest) -> Option<ClientKey> {
    client_ip::key_of(req, &state.config.trusted_proxies)
}

/// A client for the log.
fn shown(client: &Option<ClientKey>) -> String {
    client
        .as_ref()
        .map_or_else(|| "-".to_string(), ToString::to_string)
}

/// A wait in whole minutes, as a person reads it.
fn minutes(seconds: u64) -> String {
    match seconds.div_ceil(60) {
        1 => "a minute".to_string(),
        n => format!("{n} minutes"),
    }
}

fn with_retry_after(mut response: HttpResponse, retry_after: u64) -> HttpResponse {
    if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// Records a password check of `email` from `client` before it happens: the attempt, or
/// why it is refused.
async fn begin_attempt(
    state: &AppState,
    client: Option<ClientKey>,
    email: &Email,
) -> Outcome<LoginAttempt, LoginRefused> {
    let email = email.clone();
    let limits = state.config.login_limits();
    db::run(&state.pool, move |conn| {
        begin_login(conn, &email, client.as_ref(), limits, now())
    })
    .await
}

/// What a refused attempt is told, and how long it waits.
fn refusal(refused: LoginRefused) -> (String, u64) {
    match refused {
        LoginRefused::Client { retry_after } => (
            format!(
                "Too many failed attempts. Please wait {} and try again, or set a new password.",
                minutes(retry_after)
            ),
            retry_after,
        ),
        LoginRefused::Account { retry_after } => (
            format!(
                "This account has had too many failed attempts lately, so logging in to it is paused for everyone for {}. Setting a new password opens it again at once.",
                minutes(retry_after)
            ),
            retry_after,
        ),
    }
}

/// `?token=` of a mailed link.
#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    pub(super) token: Option<String>,
}

#[derive(Template)]
#[template(path = "account/token_problem.html")]
struct TokenProblemPage {
    page: PageContext,
    heading: &'static str,
    message: &'static str,
    reset: bool,
}

/// The page for a mailed link that cannot be used, and why.
fn token_problem(
    page: PageContext,
    problem: TokenProblem,
    reset: bool,
) -> Result<HttpResponse, AppError> {
    let (heading, message) = match problem {
        TokenProblem::Unknown => (
            "This link does not work",
            "The link is incomplete or was never ours. Copy the whole link from the mail, or ask for a new one.",
        ),
        TokenProblem::Used => (
            "This link was already used",
            "Each link works only once. If you still need to, ask for a new one.",
        ),
        TokenProblem::Expired => (
            "This link has expired",
            "The link is too old to use. Ask for a new one.",
        ),
    };
    render(
        StatusCode::BAD_REQUEST,
        &TokenProblemPage {
            page,
            heading,
            message,
            reset,
        },
    )
}
