//! The HTTP side: one module per area, plus the pieces every area shares.

/// Implements actix's `Transform` for a middleware factory `$factory` whose service
/// `$service { service: Rc<S> }` answers with a boxed body.
macro_rules! rc_middleware {
    ($factory:ty => $service:ident) => {
        impl<S, B> actix_web::dev::Transform<S, actix_web::dev::ServiceRequest> for $factory
        where
            S: actix_web::dev::Service<
                    actix_web::dev::ServiceRequest,
                    Response = actix_web::dev::ServiceResponse<B>,
                    Error = actix_web::Error,
                > + 'static,
            B: actix_web::body::MessageBody + 'static,
        {
            type Response = actix_web::dev::ServiceResponse<actix_web::body::BoxBody>;
            type Error = actix_web::Error;
            type Transform = $service<S>;
            type InitError = ();
            type Future = std::future::Ready<Result<Self::Transform, Self::InitError>>;

            fn new_transform(&self, service: S) -> Self::Future {
                std::future::ready(Ok($service {
                    service: std::rc::Rc::new(service),
                }))
            }
        }
    };
}

/// Implements actix's `FromRequest` for `$t`, read by an async block from a clone of the
/// request named `$req` (the body is never read).
macro_rules! extract_async {
    ($t:ty, |$req:ident| $body:block) => {
        impl actix_web::FromRequest for $t {
            type Error = crate::web::error::AppError;
            type Future = std::pin::Pin<
                Box<dyn std::future::Future<Output = Result<$t, crate::web::error::AppError>>>,
            >;

            fn from_request(
                req: &actix_web::HttpRequest,
                _: &mut actix_web::dev::Payload,
            ) -> Self::Future {
                let $req = req.clone();
                Box::pin(async move $body)
            }
        }
    };
}

pub mod account;
pub mod admin;
pub mod assets;
pub mod auth;
pub mod cart;
pub mod catalog;
pub mod catch_panic;
pub mod checkout;
pub mod client_ip;
pub mod compression;
pub mod conditional;
pub mod csrf;
pub mod error;
pub mod flash;
pub mod forms;
pub mod health;
pub mod key_rotation;
pub mod new_sessions;
pub mod orders;
pub mod page;
pub mod page_cache;
pub mod pagination;
pub mod payments;
pub mod reviews;
pub mod security_headers;
pub mod seo;
pub mod session_store;
pub mod state;
pub mod uploads;
pub mod visit;

use actix_web::{guard, web, HttpRequest, HttpResponse, Route};

use crate::web::error::AppError;

/// A route for a page: GET, and HEAD (actix sends the same headers without the body).
pub fn get() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// Any path no route claims: the 404 page.
pub async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// Malformed query strings (`?page=1&page=2`, broken percent-encoding) answer a 400 page.
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _req: &HttpRequest,
) -> actix_web::Error {
    log::debug!("bad query string: {err}");
    AppError::BadRequest("The address has a malformed query string.".to_string()).into()
}

/// A form that cannot be read (a missing field, a wrong type) answers a 400 page; one that
/// is too large answers 413.
pub fn form_error(err: actix_web::error::UrlencodedError, _req: &HttpRequest) -> actix_web::Error {
    log::debug!("bad form: {err}");
    match err {
        actix_web::error::UrlencodedError::Overflow { .. } => AppError::PayloadTooLarge.into(),
        _ => AppError::BadRequest(
            "The form was incomplete or malformed. Go back, reload the page and try again."
                .to_string(),
        )
        .into(),
    }
}

/// A multipart form that cannot be read answers a 400 page; one that is too large, 413.
pub fn multipart_error(
    err: actix_multipart::MultipartError,
    _req: &HttpRequest,
) -> actix_web::Error {
    log::debug!("bad multipart form: {err}");
    let text = err.to_string().to_lowercase();
    if text.contains("limit") || text.contains("overflow") || text.contains("too large") {
        return AppError::PayloadTooLarge.into();
    }
    AppError::BadRequest(
        "The form was incomplete or malformed. Go back, reload the page and try again.".to_string(),
    )
    .into()
}

/// Path segments that cannot be parsed name nothing: 404.
pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    log::debug!("bad path parameter: {err}");
    AppError::NotFound.into()
}
