//! Sign-up and e-mail verification: the form, the link, and "send the link again".

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use validator::Validate;

use crate::db;
use crate::domain::account::{check_new_password, Email};
use crate::domain::throttle::Limit;
use crate::models::{now, user};
use crate::services::signup::{self, SignupOutcome};
use crate::web::auth::CurrentUser;
use crate::web::error::AppError;
use crate::web::flash::{self};
use crate::web::forms::FormErrors;
use crate::web::page::{render, PageContext};
use crate::web::state::AppState;
use crate::web::visit::{Reply, Visit};

use super::{client_of, minutes, shown, token_problem, with_retry_after, TokenQuery};

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
pub async fn signup(v: Visit, form: web::Form<SignupForm>) -> Reply {
    let (req, state, page) = v.into_parts();
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
    Ok(flash::success(&req, format!(
            "Thanks! We have sent a message to {email}. Open the link in it to confirm your address, then log in."
        ), "/login"))
}

#[derive(Template)]
#[template(path = "account/verified.html")]
struct VerifiedPage {
    page: PageContext,
    email: String,
}

/// `GET /verify-email?token=`: marks the address verified (once; for 24 hours).
pub async fn verify_email(v: Visit, query: web::Query<TokenQuery>) -> Reply {
    let Visit { state, page, .. } = v;
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
        return Ok(flash::info(
            &req,
            "Your address is already verified.",
            "/account",
        ));
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
    Ok(flash::success(
        &req,
        format!("We have sent a new link to {}.", current.email),
        "/account",
    ))
}
