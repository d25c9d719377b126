//! The account page: the address, whether it is verified, and "change password".

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::db;
use crate::domain::account::{check_new_password, Email};
use crate::models::{now, user};
use crate::services::login::{self};
use crate::services::password;
use crate::web::auth::{self, CurrentUser, SessionUser};
use crate::web::error::AppError;
use crate::web::flash::{self};
use crate::web::forms::FormErrors;
use crate::web::page::{render, PageContext};
use crate::web::visit::{Reply, Visit};

use super::{begin_attempt, client_of, refusal, with_retry_after};

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
    v: Visit,
    CurrentUser(current): CurrentUser,
    form: web::Form<ChangePasswordForm>,
) -> Reply {
    let (req, state, page) = v.into_parts();
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
    Ok(flash::success(
        &req,
        "Your password has been changed. Every other place you were logged in has been logged out.",
        "/account",
    ))
}
