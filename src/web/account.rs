//! Accounts over HTTP: sign-up, e-mail verification, login and logout, password reset, and
//! the account page with "send the link again" and "change password".
//!
//! Pages never tell whether an address has an account: sign-up and "forgot password" answer
//! the same for known and unknown addresses, and a failed login has one message.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::db;
use crate::domain::account::{check_new_password, safe_next, Email};
use crate::domain::throttle::{ClientKey, Limit};
use crate::models::email_token::TokenProblem;
use crate::models::{now, user};
use crate::services::login::{self, LoginAttempt, LoginRefused};
use crate::services::signup::{self, SignupOutcome};
use crate::services::{self, password};
use crate::web::auth::{self, CurrentUser, SessionUser};
use crate::web::cart;
use crate::web::client_ip;
use crate::web::error::AppError;
use crate::web::flash::{self, FlashKind};
use crate::web::forms::FormErrors;
use crate::web::page::{render, PageContext};
use crate::web::state::AppState;

/// Where a login goes when it has no `next`.
const AFTER_LOGIN: &str = "/account";

fn redirect(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

fn session(req: &HttpRequest) -> actix_session::Session {
    actix_session::SessionExt::get_session(req)
}

// ---------------------------------------------------------------- sign-up

/// The sign-up form as posted.
#[derive(Debug, Deserialize, Validate)]
pub struct SignupForm {
    #[validate(length(max = 254, message = "That e-mail address is too long."))]
    email: String,
    #[validate(length(max = 1000, message = "That password is far too long."))]
    password: String,
    #[validate(must_match(other = "password", message = "The two passwords do not match."))]
    password_confirm: String,
}

#[derive(Template)]
#[template(path = "account/signup.html")]
struct SignupPage {
    page: PageContext,
    email: String,
    errors: FormErrors,
}

/// `GET /signup`.
pub async fn signup_form(page: PageContext) -> Result<HttpResponse, AppError> {
    render(
        StatusCode::OK,
        &SignupPage {
            page,
            email: String::new(),
            errors: FormErrors::new(),
        },
    )
}

/// `POST /signup`: creates the account (or tells the owner of a known address by mail) and
/// answers the same page either way.
pub async fn signup(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    form: web::Form<SignupForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let mut errors = match form.validate() {
        Ok(()) => FormErrors::new(),
        Err(e) => FormErrors::from_validation(&e, &["email", "password", "password_confirm"]),
    };
    let email = if errors.has("email") {
        None
    } else {
        errors.check("email", Email::parse(&form.email))
    };
    if !errors.has("password") {
        errors.check(
            "password",
            check_new_password(&form.password, email.as_ref()),
        );
    }
    let Some(email) = email.filter(|_| errors.is_empty()) else {
        return render(
            StatusCode::BAD_REQUEST,
            &SignupPage {
                page,
                email: form.email.trim().to_string(),
                errors,
            },
        );
    };
    let client = client_of(&state, &req);
    let limits = (
        Limit::per_hour(state.config.signup_max_per_hour),
        Limit::per_hour(state.config.mails_per_address_per_hour),
    );
    let address = email.clone();
    let admitted = db::run(&state.pool, move |conn| {
        signup::admit_signup(conn, client.as_ref(), &address, limits, now())
    })
    .await?;
    if let Err(retry_after) = admitted {
        log::warn!("sign-up throttled for {}", shown(&client_of(&state, &req)));
        let mut errors = FormErrors::new();
        errors.add(
            "form",
            format!(
                "Too many sign-ups from here or for this address. Please wait {} and try again.",
                minutes(retry_after)
            ),
        );
        let response = render(
            StatusCode::TOO_MANY_REQUESTS,
            &SignupPage {
                page,
                email: email.to_string(),
                errors,
            },
        )?;
        return Ok(with_retry_after(response, retry_after));
    }
    // Hashed for known addresses too, so both answers take as long.
    let hash = state.hasher.hash(form.password).await?;
    let links = state.links.clone();
    let account = email.clone();
    let outcome = db::run(&state.pool, move |conn| {
        signup::sign_up(conn, &account, &hash, &links, now())
    })
    .await?;
    state.wake_mailer();
    match outcome {
        SignupOutcome::Created(id) => log::info!("user {id} signed up"),
        SignupOutcome::AlreadyRegistered => log::info!("sign-up attempt for an existing account"),
    }
    flash::push(
        &session(&req),
        FlashKind::Success,
        format!(
            "Thanks! We have sent a message to {email}. Open the link in it to confirm your address, then log in."
        ),
    );
    Ok(redirect("/login"))
}

// ---------------------------------------------------------------- verification

/// `?token=` of a mailed link.
#[derive(Debug, Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

#[derive(Template)]
#[template(path = "account/verified.html")]
struct VerifiedPage {
    page: PageContext,
    email: String,
}

#[derive(Template)]
#[template(path = "account/token_problem.html")]
struct TokenProblemPage {
    page: PageContext,
    heading: &'static str,
    message: &'static str,
    reset: bool,
}

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

/// `GET /verify-email?token=`: marks the address verified (once; for 24 hours).
pub async fn verify_email(
    state: web::Data<AppState>,
    page: PageContext,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let token = query.into_inner().token.unwrap_or_default();
    let result = db::run(&state.pool, move |conn| {
        signup::verify_email(conn, &token, now())
    })
    .await?;
    match result {
        Ok(user) => {
            log::info!("user {} verified their address", user.id);
            let mut page = page;
            if let Some(current) = page.user.as_mut().filter(|u| u.id == user.id) {
                current.verified = true;
            }
            render(
                StatusCode::OK,
                &VerifiedPage {
                    page,
                    email: user.email,
                },
            )
        }
        Err(problem) => token_problem(page, problem, false),
    }
}

/// `POST /account/verify-email`: mails a new verification link (a few an hour at most).
pub async fn resend_verification(
    req: HttpRequest,
    state: web::Data<AppState>,
    CurrentUser(current): CurrentUser,
) -> Result<HttpResponse, AppError> {
    if current.verified {
        flash::push(
            &session(&req),
            FlashKind::Info,
            "Your address is already verified.",
        );
        return Ok(redirect("/account"));
    }
    let address = Email::parse(&current.email).map_err(|e| AppError::Internal(e.to_string()))?;
    let mails = Limit::per_hour(state.config.mails_per_address_per_hour);
    let links = state.links.clone();
    let user_id = current.id;
    db::run(&state.pool, move |conn| {
        if let Err(retry_after) = signup::admit_mail_to(conn, &address, mails, now())? {
            return Err(AppError::TooManyRequests { retry_after });
        }
        let user = user::find(conn, user_id)?.ok_or(AppError::NotFound)?;
        signup::resend_verification(conn, &user, &links, now())
    })
    .await?;
    state.wake_mailer();
    flash::push(
        &session(&req),
        FlashKind::Success,
        format!("We have sent a new link to {}.", current.email),
    );
    Ok(redirect("/account"))
}

// ---------------------------------------------------------------- login, logout

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
) -> Result<Result<LoginAttempt, LoginRefused>, AppError> {
    let email = email.clone();
    let limits = state.config.login_limits();
    db::run(&state.pool, move |conn| {
        login::begin_login(conn, &email, client.as_ref(), limits, now())
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

/// `POST /login`: one message for a wrong address or password. The attempt is counted
/// before the password is checked: a client with too many recent failures on the account (or
/// on any), or an account with too many from everywhere, waits (429) even with the right one.
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
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

    // A place in the line of password checks comes first: when the line is full (a flood of
    // attempts) the answer costs no database read and no hashing.
    let admission = match state.hasher.admit() {
        Ok(admission) => admission,
        Err(AppError::TooManyRequests { retry_after }) => {
            let mut errors = FormErrors::new();
            errors.add(
                "form",
                "Too many people are logging in at this moment. Please try again in a few seconds.",
            );
            let response = render(StatusCode::TOO_MANY_REQUESTS, &page_again(page, errors))?;
            return Ok(with_retry_after(response, retry_after));
        }
        Err(e) => return Err(e),
    };

    let client = client_of(&state, &req);
    let attempt = match begin_attempt(&state, client.clone(), &email).await? {
        Ok(attempt) => attempt,
        Err(refused) => {
            log::warn!(
                "login throttled for {email} from {}: {refused:?}",
                shown(&client)
            );
            let (message, retry_after) = refusal(refused);
            let mut errors = FormErrors::new();
            errors.add("form", message);
            let mut again = page_again(page, errors);
            again.offer_reset = true;
            let response = render(StatusCode::TOO_MANY_REQUESTS, &again)?;
            return Ok(with_retry_after(response, retry_after));
        }
    };

    let address = email.as_str().to_string();
    let found = db::run(&state.pool, move |conn| {
        Ok(user::find_by_email(conn, &address)?)
    })
    .await?;
    let hash = found.as_ref().map(|u| u.password_hash.clone());
    let matches = state
        .hasher
        .verify_admitted(admission, form.password.clone(), hash)
        .await?;
    let user = match found {
        Some(user) if matches => user,
        _ => {
            // The attempt recorded before the check stays: it is the failure.
            log::warn!("failed login for {email} from {}", shown(&client));
            let mut errors = FormErrors::new();
            errors.add(
                "form",
                "That e-mail address and password do not match an account.",
            );
            return render(StatusCode::BAD_REQUEST, &page_again(page, errors));
        }
    };

    let guest_cart = cart::take_guest_token(&session(&req));
    let user_id = user.id;
    let max_lines = state.config.cart_max_lines;
    db::run(&state.pool, move |conn| {
        login::login_succeeded(conn, &attempt)?;
        // The guest's cart joins the user's (quantities added, capped by the rules).
        if let Some(token) = guest_cart {
            services::cart::merge_guest_cart(conn, &token, user_id, max_lines, now())?;
        }
        Ok(())
    })
    .await?;
    auth::log_in(&req, &user)?;
    log::info!("user {} logged in", user.id);
    flash::push(&session(&req), FlashKind::Success, "You are logged in.");
    Ok(redirect(next.as_deref().unwrap_or(AFTER_LOGIN)))
}

/// `POST /logout`: ends the login and the session (its row is deleted).
pub async fn logout(req: HttpRequest) -> Result<HttpResponse, AppError> {
    if let Some(user) = auth::current_user(&req).await? {
        log::info!("user {} logged out", user.id);
    }
    auth::log_out(&req);
    flash::push(&session(&req), FlashKind::Info, "You have logged out.");
    Ok(redirect("/"))
}

// ---------------------------------------------------------------- password reset

/// The "forgot password" form as posted.
#[derive(Debug, Deserialize)]
pub struct ForgotForm {
    email: String,
}

#[derive(Template)]
#[template(path = "account/forgot.html")]
struct ForgotPage {
    page: PageContext,
    email: String,
    errors: FormErrors,
}

/// `GET /password/forgot`.
pub async fn forgot_form(page: PageContext) -> Result<HttpResponse, AppError> {
    render(
        StatusCode::OK,
        &ForgotPage {
            page,
            email: String::new(),
            errors: FormErrors::new(),
        },
    )
}

/// `POST /password/forgot`: mails a reset link if the address has an account; the answer
/// is the same either way.
pub async fn forgot(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    form: web::Form<ForgotForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let email = match Email::parse(&form.email) {
        Ok(email) => email,
        Err(message) => {
            let mut errors = FormErrors::new();
            errors.add("email", message);
            return render(
                StatusCode::BAD_REQUEST,
                &ForgotPage {
                    page,
                    email: form.email.trim().to_string(),
                    errors,
                },
            );
        }
    };
    let mails = Limit::per_hour(state.config.mails_per_address_per_hour);
    let address = email.clone();
    let admitted = db::run(&state.pool, move |conn| {
        let admitted = signup::admit_mail_to(conn, &address, mails, now())?;
        if admitted.is_ok() {
            password::request_reset(conn, &address, now())?;
        }
        Ok(admitted)
    })
    .await?;
    if let Err(retry_after) = admitted {
        let mut errors = FormErrors::new();
        errors.add(
            "email",
            format!(
                "We send at most {} links an hour to one address. Please wait {} and try again.",
                state.config.mails_per_address_per_hour,
                minutes(retry_after)
            ),
        );
        let response = render(
            StatusCode::TOO_MANY_REQUESTS,
            &ForgotPage {
                page,
                email: email.to_string(),
                errors,
            },
        )?;
        return Ok(with_retry_after(response, retry_after));
    }
    state.wake_mailer();
    flash::push(
        &session(&req),
        FlashKind::Info,
        format!(
            "If {email} has an account, we have sent it a link to set a new password. The link works for one hour."
        ),
    );
    Ok(redirect("/password/forgot"))
}

/// The reset form as posted.
#[derive(Debug, Deserialize, Validate)]
pub struct ResetForm {
    token: String,
    #[validate(length(max = 1000, message = "That password is far too long."))]
    password: String,
    #[validate(must_match(other = "password", message = "The two passwords do not match."))]
    password_confirm: String,
}

#[derive(Template)]
#[template(path = "account/reset.html")]
struct ResetPage {
    page: PageContext,
    token: String,
    errors: FormErrors,
}

/// The reset link's token must not leak to other sites through the Referer header.
fn no_referrer(mut response: HttpResponse) -> HttpResponse {
    response.headers_mut().insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// `GET /password/reset?token=`: the form to choose a new password.
pub async fn reset_form(
    state: web::Data<AppState>,
    page: PageContext,
    query: web::Query<TokenQuery>,
) -> Result<HttpResponse, AppError> {
    let token = query.into_inner().token.unwrap_or_default();
    let lookup = token.clone();
    let owner = db::run(&state.pool, move |conn| {
        password::reset_token_owner(conn, &lookup, now())
    })
    .await?;
    let response = match owner {
        Ok(_) => render(
            StatusCode::OK,
            &ResetPage {
                page,
                token,
                errors: FormErrors::new(),
            },
        )?,
        Err(problem) => token_problem(page, problem, true)?,
    };
    Ok(no_referrer(response))
}

/// `POST /password/reset`: sets the new password, which logs the user out everywhere.
pub async fn reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let lookup = form.token.clone();
    let owner = match db::run(&state.pool, move |conn| {
        password::reset_token_owner(conn, &lookup, now())
    })
    .await?
    {
        Ok(owner) => owner,
        Err(problem) => return Ok(no_referrer(token_problem(page, problem, true)?)),
    };
    let mut errors = match form.validate() {
        Ok(()) => FormErrors::new(),
        Err(e) => FormErrors::from_validation(&e, &["password", "password_confirm"]),
    };
    if !errors.has("password") {
        let email = Email::parse(&owner.email).ok();
        errors.check(
            "password",
            check_new_password(&form.password, email.as_ref()),
        );
    }
    if !errors.is_empty() {
        let response = render(
            StatusCode::BAD_REQUEST,
            &ResetPage {
                page,
                token: form.token,
                errors,
            },
        )?;
        return Ok(no_referrer(response));
    }
    let hash = state.hasher.hash(form.password).await?;
    let links = state.links.clone();
    let token = form.token;
    let result = db::run(&state.pool, move |conn| {
        password::reset_password(conn, &token, &hash, &links, now())
    })
    .await?;
    match result {
        Ok(_) => {
            state.wake_mailer();
            flash::push(
                &session(&req),
                FlashKind::Success,
                "Your password has been changed, and you have been logged out everywhere. Log in with the new password.",
            );
            Ok(redirect("/login"))
        }
        Err(problem) => Ok(no_referrer(token_problem(page, problem, true)?)),
    }
}

// ---------------------------------------------------------------- the account page

#[derive(Template)]
#[template(path = "account/account.html")]
struct AccountPage {
    page: PageContext,
    user: SessionUser,
    errors: FormErrors,
}

/// `GET /account`: the address, whether it is verified, and "change password".
pub async fn account(
    page: PageContext,
    CurrentUser(user): CurrentUser,
) -> Result<HttpResponse, AppError> {
    render(
        StatusCode::OK,
        &AccountPage {
            page,
            user,
            errors: FormErrors::new(),
        },
    )
}

/// The change-password form as posted.
#[derive(Debug, Deserialize, Validate)]
pub struct ChangePasswordForm {
    current_password: String,
    #[validate(length(max = 1000, message = "That password is far too long."))]
    password: String,
    #[validate(must_match(other = "password", message = "The two passwords do not match."))]
    password_confirm: String,
}

/// `POST /account/password`: needs the current password; ends every other session.
pub async fn change_password(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: PageContext,
    CurrentUser(current): CurrentUser,
    form: web::Form<ChangePasswordForm>,
) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let email = Email::parse(&current.email).ok();
    let account_page = |page, errors| AccountPage {
        page,
        user: current.clone(),
        errors,
    };
    let client = client_of(&state, &req);
    let attempt = match &email {
        Some(email) => match begin_attempt(&state, client, email).await? {
            Ok(attempt) => Some(attempt),
            Err(refused) => {
                let (message, retry_after) = refusal(refused);
                let mut errors = FormErrors::new();
                errors.add("current_password", message);
                let response = render(StatusCode::TOO_MANY_REQUESTS, &account_page(page, errors))?;
                return Ok(with_retry_after(response, retry_after));
            }
        },
        None => None,
    };
    let user_id = current.id;
    let stored = db::run(&state.pool, move |conn| Ok(user::find(conn, user_id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let mut errors = match form.validate() {
        Ok(()) => FormErrors::new(),
        Err(e) => FormErrors::from_validation(&e, &["password", "password_confirm"]),
    };
    if state
        .hasher
        .verify(form.current_password, Some(stored.password_hash.clone()))
        .await?
    {
        if let Some(attempt) = attempt {
            db::run(&state.pool, move |conn| {
                login::login_succeeded(conn, &attempt)
            })
            .await?;
        }
    } else {
        // The attempt recorded before the check stays: it is the failure.
        errors.add("current_password", "That is not your current password.");
    }
    if !errors.has("password") {
        errors.check(
            "password",
            check_new_password(&form.password, email.as_ref()),
        );
    }
    if !errors.is_empty() {
        return render(StatusCode::BAD_REQUEST, &account_page(page, errors));
    }
    let hash = state.hasher.hash(form.password).await?;
    let links = state.links.clone();
    let user = db::run(&state.pool, move |conn| {
        password::change_password(conn, user_id, &hash, &links, now())
    })
    .await?;
    state.wake_mailer();
    // The stamp changed: log this browser in again under the new one; the others are out.
    auth::log_in(&req, &user)?;
    flash::push(
        &session(&req),
        FlashKind::Success,
        "Your password has been changed. Every other place you were logged in has been logged out.",
    );
    Ok(redirect("/account"))
}
