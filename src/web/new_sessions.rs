//! A cap on the sessions one client may start: `GUEST_SESSIONS_PER_HOUR`.
//!
//! A session row (and, for an add to the cart, a guest cart) is written the first time a
//! visitor without a session posts a form. A client that keeps dropping its session cookie
//! would write new rows on every post until the sweep; past the cap it is answered 429.

use actix_session::SessionExt;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::web::Data;
use actix_web::{HttpRequest, ResponseError};

use crate::db;
use crate::domain::throttle::{Bucket, Limit};
use crate::models::{now, throttle};
use crate::web::client_ip;
use crate::web::error::AppError;
use crate::web::state::AppState;

/// Seconds the client of `req` must wait before it may start another session, if it started
/// as many as it may this hour. One read; handlers about to write for a new visitor (a guest
/// cart) ask first.
pub async fn wait_for_new_session(
    req: &HttpRequest,
    state: &AppState,
) -> Result<Option<u64>, AppError> {
    let Some(client) = client_ip::key_of(req, &state.config.trusted_proxies) else {
        return Ok(None);
    };
    let limit = Limit::per_hour(state.config.guest_sessions_per_hour);
    db::read(&state.pool, move |conn| {
        Ok(throttle::wait(
            conn,
            Bucket::NewSessionsFrom(&client),
            limit,
            now(),
        )?)
    })
    .await
}

/// Counts a session a post started for a visitor without one, or, past the client's hourly
/// cap, drops it (no row is written) and answers 429. Only posts that did start a session
/// cost anything: a flood of failed logins reaches no database here. Racing posts may
/// overshoot the cap by as many as race, which still bounds what one client can make the
/// tables hold. Wrap it inside the session and CSRF middleware.
pub async fn cap_new_sessions(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let had_no_session = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) && req.get_session().entries().is_empty();
    let response = next.call(req).await?.map_into_boxed_body();
    let session = response.request().get_session();
    if !had_no_session || session.entries().is_empty() {
        return Ok(response);
    }
    let Some(state) = response.request().app_data::<Data<AppState>>().cloned() else {
        return Ok(response);
    };
    match wait_for_new_session(response.request(), &state).await {
        Ok(None) => {
            if let Some(client) =
                client_ip::key_of(response.request(), &state.config.trusted_proxies)
            {
                db::run(&state.pool, move |conn| {
                    Ok(throttle::record(
                        conn,
                        Bucket::NewSessionsFrom(&client),
                        now(),
                    )?)
                })
                .await?;
            }
            Ok(response)
        }
        Ok(Some(retry_after)) => {
            log::warn!("refused a new session: too many from one client this hour");
            session.purge();
            let (req, _) = response.into_parts();
            let refused = AppError::TooManyRequests { retry_after }.error_response();
            Ok(ServiceResponse::new(req, refused))
        }
        Err(e) => {
            let (req, _) = response.into_parts();
            Ok(ServiceResponse::new(req, e.error_response()))
        }
    }
}
