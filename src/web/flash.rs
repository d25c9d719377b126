//! Flash messages: set by a POST handler before its redirect, shown once by the next page.

use actix_session::{Session, SessionExt};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use crate::config::limits;

const SESSION_KEY: &str = "flash";

/// How a message is styled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FlashKind {
    /// Something worked.
    Success,
    /// Something to know.
    Info,
    /// Something went wrong.
    Error,
}

impl FlashKind {
    /// The CSS class of the message.
    pub fn css_class(self) -> &'static str {
        match self {
            FlashKind::Success => "flash success",
            FlashKind::Info => "flash info",
            FlashKind::Error => "flash error",
        }
    }
}

/// One message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flash {
    /// Its kind.
    pub kind: FlashKind,
    /// What it says.
    pub text: String,
}

/// Queues a message for the next page, keeping only the newest
/// [`limits::FLASH_MESSAGES`]: a client that never follows its redirects cannot grow its
/// session with them.
pub fn push(session: &Session, kind: FlashKind, text: impl Into<String>) {
    let mut messages: Vec<Flash> = session.get(SESSION_KEY).ok().flatten().unwrap_or_default();
    messages.push(Flash {
        kind,
        text: text.into(),
    });
    let excess = messages.len().saturating_sub(limits::FLASH_MESSAGES);
    messages.drain(..excess);
    if let Err(e) = session.insert(SESSION_KEY, messages) {
        log::warn!("cannot store a flash message: {e}");
    }
}

/// Takes the queued messages. A session without any is left untouched (removing a missing
/// key would still mark the session changed and cost a write).
pub fn take(session: &Session) -> Vec<Flash> {
    if !session.entries().contains_key(SESSION_KEY) {
        return Vec::new();
    }
    session
        .remove(SESSION_KEY)
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

/// A 303 See Other to `to`: where a form post sends the browser next.
pub fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// Says `text` as a success on the next page, which is `to` (303 See Other).
pub fn success(req: &HttpRequest, text: impl Into<String>, to: &str) -> HttpResponse {
    push(&req.get_session(), FlashKind::Success, text);
    see_other(to)
}

/// Says `text` as a note on the next page, which is `to` (303 See Other).
pub fn info(req: &HttpRequest, text: impl Into<String>, to: &str) -> HttpResponse {
    push(&req.get_session(), FlashKind::Info, text);
    see_other(to)
}

/// Flashes a problem and redirects (303) to `to`.
pub fn error(req: &HttpRequest, text: impl Into<String>, to: &str) -> HttpResponse {
    push(&req.get_session(), FlashKind::Error, text);
    see_other(to)
}
