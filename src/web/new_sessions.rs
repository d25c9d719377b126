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

use crate::db;
use crate::domain::throttle::{Bucket, Limit};
use crate::models::{now, throttle};
use crate::web::client_ip;
use crate::web::error::AppError;
use crate::web::state::AppState;

/// Refuses a post from a visitor without a session when its client started too many this
/// hour, and counts it once it did start one. Checking costs one read, and only a post that
/// stored something in its session writes: a flood of posts that start nothing (failed logins)
/// stays cheap. Requests racing each other may overshoot the cap by as many as race, which
/// still bounds what one client can make the tables hold. Wrap it inside the session and
/// CSRF middleware.
pub async fn cap_new_sessions(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let starts_session = matches!(
        *req.method(),
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) && req.get_session().entries().is_empty();
    let state = req.app_data::<Data<AppState>>().cloned();
    let client = state
        .as_ref()
        .and_then(|state| client_ip::key_of(req.request(), &state.config.trusted_proxies));
    let (Some(state), Some(client), true) = (state, client, starts_session) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let limit = Limit::per_hour(state.config.guest_sessions_per_hour);
    let counted = client.clone();
    let wait = db::read(&state.pool, move |conn| {
        Ok(throttle::wait(
            conn,
            Bucket::NewSessionsFrom(&counted),
            limit,
            now(),
        )?)
    })
    .await;
    match wait {
        Ok(None) => {}
        Ok(Some(retry_after)) => {
            log::warn!("refused a new session: too many from one client this hour");
            return Ok(req
                .error_response(AppError::TooManyRequests { retry_after })
                .map_into_boxed_body());
        }
        Err(e) => return Ok(req.error_response(e).map_into_boxed_body()),
    }
    let response = next.call(req).await?.map_into_boxed_body();
    if !response.request().get_session().entries().is_empty() {
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
