//! Logging in and out.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::domain::account::{safe_next, Email};
use crate::services::login::{self, LoginProblem, LoginRequest};
use crate::web::auth::{self};
use crate::web::cart;
use crate::web::error::AppError;
use crate::web::flash::{self};
use crate::web::forms::FormErrors;
use crate::web::page::{render, PageContext};
use crate::web::visit::{Reply, Visit};

use super::{client_of, refusal, session, with_retry_after, AFTER_LOGIN};

/// `?next=` of the login page.
#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// The login form as posted.
#[derive(Debug, Deserialize, Validate)]
pub struct LoginForm {
    #[validate(length(max = 254, message = "That e-mail address is too long."))]
    email: String,
    #[validate(length(max = 1000, message = "That password is far too long."))]
    password: String,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "account/login.html")]
struct LoginPage {
    page: PageContext,
    email: String,
    next: String,
    errors: FormErrors,
    /// Logging in is paused: point at setting a new password.
    offer_reset: bool,
}

/// `GET /login?next=`.
pub async fn login_form(
    page: PageContext,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, AppError> {
    let next = query
        .into_inner()
        .next
        .as_deref()
        .and_then(safe_next)
        .unwrap_or("")
        .to_string();
    render(
        StatusCode::OK,
        &LoginPage {
            page,
            email: String::new(),
            next,
            errors: FormErrors::new(),
            offer_reset: false,
        },
    )
}

/// `POST /login`: one message for a wrong address or password. The attempt is counted
/// before the password is checked: a client with too many recent failures on the account (or
/// on any), or an account with too many from everywhere, waits (429) even with the right one.
pub async fn login(v: Visit, form: web::Form<LoginForm>) -> Reply {
    let (req, state, page) = v.into_parts();
    let form = form.into_inner();
    let next = form.next.as_deref().and_then(safe_next).map(str::to_string);
    let mut errors = match form.validate() {
        Ok(()) => FormErrors::new(),
        Err(e) => FormErrors::from_validation(&e, &["email", "password"]),
    };
    let email = if errors.has("email") {
        None
    } else {
        errors.check("email", Email::parse(&form.email))
    };
    if form.password.is_empty() {
        errors.add("password", "Enter your password.");
    }
    let page_again = |page, errors| LoginPage {
        page,
        email: form.email.trim().to_string(),
        next: next.clone().unwrap_or_default(),
        errors,
        offer_reset: false,
    };
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return render(StatusCode::BAD_REQUEST, &page_again(page, errors));
    };

    let request = LoginRequest {
        email,
        password: form.password.clone(),
        client: client_of(&state, &req),
        guest_cart: cart::take_guest_token(&session(&req)),
        limits: state.config.login_limits(),
        max_lines: state.config.cart_max_lines,
    };
    let user = match login::log_in(&state.pool, &state.hasher, request).await? {
        Ok(user) => user,
        Err(problem) => {
            let (status, message, retry_after) = match problem {
                LoginProblem::Busy { retry_after } => (
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many people are logging in at this moment. Please try again in a few seconds."
                        .to_string(),
                    Some(retry_after),
                ),
                LoginProblem::Refused(refused) => {
                    let (message, retry_after) = refusal(refused);
                    (StatusCode::TOO_MANY_REQUESTS, message, Some(retry_after))
                }
                LoginProblem::Mismatch => (
                    StatusCode::BAD_REQUEST,
                    "That e-mail address and password do not match an account.".to_string(),
                    None,
                ),
            };
            let mut errors = FormErrors::new();
            errors.add("form", message);
            let mut again = page_again(page, errors);
            again.offer_reset = matches!(problem, LoginProblem::Refused(_));
            let response = render(status, &again)?;
            return Ok(match retry_after {
                Some(seconds) => with_retry_after(response, seconds),
                None => response,
            });
        }
    };
    auth::log_in(&req, &user)?;
    Ok(flash::success(
        &req,
        "You are logged in.",
        next.as_deref().unwrap_or(AFTER_LOGIN),
    ))
}

/// `POST /logout`: ends the login and the session (its row is deleted).
pub async fn logout(req: HttpRequest) -> Result<HttpResponse, AppError> {
    if let Some(user) = auth::current_user(&req).await? {
        log::info!("user {} logged out", user.id);
    }
    auth::log_out(&req);
    Ok(flash::info(&req, "You have logged out.", "/"))
}
