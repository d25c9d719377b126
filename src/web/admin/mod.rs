//! The admin area: pages for the people who run the shop. Every handler takes `AdminUser`,
//! so anonymous visitors are sent to log in and customers get a 403 page; every write goes
//! through `crate::admin`, which records it in the audit log.

pub mod audit;
pub mod categories;
pub mod csv;
pub mod dashboard;
pub mod orders;
pub mod products;
pub mod users;

use actix_multipart::form::{MultipartCollect, MultipartForm};
use actix_web::{web, FromRequest, HttpRequest};

use crate::admin::Actor;
use crate::web::auth::AdminUser;
use crate::web::error::AppError;

/// The admin behind a request, as the audit log names them.
pub fn actor(admin: &AdminUser) -> Actor {
    Actor {
        id: admin.0.id,
        email: admin.0.email.clone(),
    }
}

/// The URL of page `page` of a list at `base` with the non-empty `params`.
pub fn list_url(base: &str, params: &[(&str, &str)], page: i64) -> String {
    let mut pairs: Vec<(&str, String)> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (*k, v.to_string()))
        .collect();
    if page > 1 {
        pairs.push(("page", page.to_string()));
    }
    match serde_urlencoded::to_string(&pairs) {
        Ok(query) if !query.is_empty() => format!("{base}?{query}"),
        _ => base.to_string(),
    }
}

/// Reads a multipart form, after the handler has checked who is asking.
///
/// As a handler argument, `MultipartForm` would start reading (and could refuse a body with
/// 415) before `AdminUser` had answered, so a customer could learn about the form before
/// being told the page is not theirs. Handlers take the raw payload and call this instead.
pub async fn read_form<T: MultipartCollect + 'static>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, AppError> {
    let mut payload = payload.into_inner();
    match MultipartForm::<T>::from_request(req, &mut payload).await {
        Ok(form) => Ok(form.into_inner()),
        Err(e)
            if e.as_response_error().status_code()
                == actix_web::http::StatusCode::PAYLOAD_TOO_LARGE =>
        {
            Err(AppError::PayloadTooLarge)
        }
        Err(e) => {
            log::debug!("unreadable multipart form: {e}");
            Err(AppError::BadRequest(
                "The form was incomplete or malformed. Go back, reload the page and try again."
                    .into(),
            ))
        }
    }
}
