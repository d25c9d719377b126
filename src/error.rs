//! `AppError`: every way a use case or a request can fail, said without HTTP.
//! `web::error` renders it as a status and a page; internal details go to the log only.

use std::fmt;

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
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::BadRequest(message) | AppError::Forbidden(message) => f.write_str(message),
            AppError::NotFound => f.write_str("not found"),
            AppError::PayloadTooLarge => f.write_str("payload too large"),
            AppError::UnsupportedMediaType => f.write_str("unsupported media type"),
            AppError::TooManyRequests { retry_after } => {
                write!(f, "too many requests; retry after {retry_after} s")
            }
            AppError::LoginRequired { next } => write!(f, "login required for {next}"),
            AppError::Internal(detail) | AppError::Unavailable(detail) => f.write_str(detail),
            AppError::Database(e) => write!(f, "database: {e}"),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> AppError {
        match err {
            diesel::result::Error::NotFound => AppError::NotFound,
            // The pool drops the connection on its return; the next request gets a fresh one.
            lost if crate::db::connection_lost(&lost) => {
                AppError::Unavailable(format!("database connection lost: {lost}"))
            }
            other => AppError::Database(other),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(err: diesel::r2d2::PoolError) -> AppError {
        AppError::Unavailable(format!("no database connection: {err}"))
    }
}

/// What a use case ends in when the database did its part: `Ok` is the thing done, `Err` a
/// problem the visitor can fix (shown back with the form); an `AppError` around it is a failure
/// of the shop itself.
pub type Outcome<T, P> = Result<Result<T, P>, AppError>;
