//! "Forgot password": the request form and the reset link's form.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::db;
use crate::domain::account::{check_new_password, Email};
use crate::domain::throttle::Limit;
use crate::models::now;
use crate::services::password;
use crate::services::signup::{self};
use crate::web::error::AppError;
use crate::web::flash::{self};
use crate::web::forms::FormErrors;
use crate::web::page::{render, PageContext};
use crate::web::visit::{Reply, Visit};

use super::{minutes, token_problem, with_retry_after, TokenQuery};

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
pub async fn forgot(v: Visit, form: web::Form<ForgotForm>) -> Reply {
    let (req, state, page) = v.into_parts();
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
    Ok(flash::info(&req, format!(
            "If {email} has an account, we have sent it a link to set a new password. The link works for one hour."
        ), "/password/forgot"))
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
pub async fn reset_form(v: Visit, query: web::Query<TokenQuery>) -> Reply {
    let Visit { state, page, .. } = v;
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
pub async fn reset(v: Visit, form: web::Form<ResetForm>) -> Reply {
    let (req, state, page) = v.into_parts();
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
            Ok(flash::success(&req, "Your password has been changed, and you have been logged out everywhere. Log in with the new password.", "/login"))
        }
        Err(problem) => Ok(no_referrer(token_problem(page, problem, true)?)),
    }
}
