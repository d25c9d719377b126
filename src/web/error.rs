//! `AppError`: every way a request can fail, mapped to a status and a page in the layout.
//! Internal details go to the log, never to the page.

use std::fmt;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::web::page::PageContext;
use crate::web::security_headers::SECURITY_HEADERS;

/// A failed request, as the visitor should hear about it.
#[derive(Debug)]
pub enum AppError {
    /// The request itself is malformed; the message says what to do instead.
    BadRequest(String),
    /// The visitor may not do this; the message says why.
    Forbidden(String),
    /// Nothing is here (or nothing the visitor may know about).
    NotFound,
    /// The body is larger than the shop accepts.
    PayloadTooLarge,
    /// The body is encoded in a way this address does not take (a file upload where only an
    /// ordinary form is expected).
    UnsupportedMediaType,
    /// Too many attempts; try again after this many seconds.
    TooManyRequests {
        /// Seconds until the next attempt is welcome.
        retry_after: u64,
    },
    /// The visitor must log in first; they come back to `next` afterwards.
    LoginRequired {
        /// The path (and query) to return to.
        next: String,
    },
    /// The database is busy or down; try again shortly.
    Unavailable(String),
    /// A database error other than "not found"; kept whole so callers can match on it
    /// (a unique violation becomes a form message). Shown as the 500 page.
    Database(diesel::result::Error),
    /// A bug or an unexpected failure; the text is logged and never shown.
    Internal(String),
}

impl AppError {
    /// An internal error carrying `context` and the cause chain of `err`, for the log.
    pub fn internal(context: &str, err: impl std::error::Error) -> AppError {
        let mut text = format!("{context}: {err}");
        let mut source = err.source();
        while let Some(cause) = source {
            text.push_str(&format!(": {cause}"));
            source = cause.source();
        }
        AppError::Internal(text)
    }

    fn heading_and_message(&self) -> (&'static str, String) {
        match self {
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
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Internal(detail) | AppError::Unavailable(detail) => f.write_str(detail),
            AppError::Database(e) => write!(f, "database: {e}"),
            other => f.write_str(other.heading_and_message().0),
        }
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
        let (heading, message) = self.heading_and_message();
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

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> AppError {
        match err {
            diesel::result::Error::NotFound => AppError::NotFound,
            other => AppError::Database(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(err: diesel::r2d2::PoolError) -> AppError {
        AppError::Unavailable(format!("no database connection: {err}"))
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
