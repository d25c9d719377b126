//! Renders `AppError` as a status and an error page in the layout.
//! Internal details go to the log, never to the page.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

pub use crate::error::AppError;
use crate::web::page::PageContext;
use crate::web::security_headers::SECURITY_HEADERS;

/// The heading and message the visitor sees for `err`.
fn heading_and_message(err: &AppError) -> (&'static str, String) {
    match err {
        AppError::BadRequest(message) => ("That request did not make sense", message.clone()),
        AppError::Forbidden(message) => ("Not allowed", message.clone()),
        AppError::NotFound => (
            "Page not found",
            "There is nothing here. It may have moved, or the address may be mistyped."
                .to_string(),
        ),
        AppError::PayloadTooLarge => (
            "Too much data",
            "What you sent is larger than the shop accepts. Send less and try again."
                .to_string(),
        ),
        AppError::UnsupportedMediaType => (
            "Not a form this page takes",
            "This address takes ordinary forms, not file uploads. Go back, reload the page and try again."
                .to_string(),
        ),
        AppError::TooManyRequests { retry_after } => (
            "Too many attempts",
            format!("Please wait {retry_after} seconds and try again."),
        ),
        AppError::LoginRequired { .. } => (
            "Please log in",
            "Log in to see this page.".to_string(),
        ),
        AppError::Unavailable(_) => (
            "The shop is busy",
            "We could not serve this page just now. Please try again in a moment.".to_string(),
        ),
        AppError::Internal(_) | AppError::Database(_) => (
            "Something went wrong",
            "Sorry, the shop could not finish this request. Please try again; if it keeps happening, let us know."
                .to_string(),
        ),
    }
}

/// The page shown for every error status.
#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    page: PageContext,
    status: u16,
    heading: &'static str,
    message: String,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::LoginRequired { .. } => StatusCode::SEE_OTHER,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) | AppError::Database(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(detail) => log::error!("internal error: {detail}"),
            AppError::Database(e) => log::error!("database error: {e}"),
            AppError::Unavailable(detail) => log::warn!("unavailable: {detail}"),
            AppError::LoginRequired { next } => {
                let query =
                    serde_urlencoded::to_string([("next", next.as_str())]).unwrap_or_default();
                return HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, format!("/login?{query}")))
                    .insert_header(header::CacheControl(vec![header::CacheDirective::NoStore]))
                    .finish();
            }
            _ => {}
        }
        let status = self.status_code();
        let (heading, message) = heading_and_message(self);
        let page = ErrorPage {
            page: PageContext::bare(),
            status: status.as_u16(),
            heading,
            message,
        };
        let mut response = HttpResponse::build(status);
        response.insert_header(header::CacheControl(vec![header::CacheDirective::NoStore]));
        // Errors raised outside a handler (a panic) never pass the header middleware.
        for pair in SECURITY_HEADERS {
            response.insert_header(pair);
        }
        match self {
            AppError::TooManyRequests { retry_after } => {
                response.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            AppError::Unavailable(_) => {
                response.insert_header((header::RETRY_AFTER, "5"));
            }
            _ => {}
        }
        match page.render() {
            Ok(body) => response.content_type("text/html; charset=utf-8").body(body),
            Err(e) => {
                log::error!("cannot render the error page: {e}");
                response
                    .content_type("text/plain; charset=utf-8")
                    .body(format!("{heading}\n\n{}\n", page.message))
            }
        }
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(err: actix_web::error::BlockingError) -> AppError {
        AppError::Internal(format!("blocking task failed: {err}"))
    }
}

impl From<askama::Error> for AppError {
    fn from(err: askama::Error) -> AppError {
        AppError::internal("template", err)
    }
}
