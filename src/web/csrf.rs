//! Cross-site request forgery protection for every unsafe request (POST, PUT, PATCH, DELETE).
//!
//! A request is refused with 403 when it comes from another site (`Origin` of another
//! origin, or `Sec-Fetch-Site: cross-site`), or when its `csrf_token` field does not match
//! this browser's token. The token lives in the server-side session once there is one, and
//! is rotated at login; a visitor without a session (one who has only browsed) gets it from
//! a signed, HttpOnly cookie instead, so reading pages never writes a session row.
//!
//! Pages carry the token masked with a fresh random pad (pad + pad XOR token, as Django and
//! Rails do), so a compressed page never repeats the secret: guessing it byte by byte from
//! response sizes (BREACH) finds nothing to converge on.
//!
//! Url-encoded bodies (at most [`limits::FORM_BYTES`]) are read here for the token. Multipart
//! bodies are accepted only on [`MULTIPART_ROUTES`] (415 elsewhere, unread) and with a sane
//! boundary (400 otherwise, unread); their token is checked by the handler's own parse
//! ([`read_multipart`]), so the body is read once, by the crate that owns the format.
//!
//! One POST is left alone: the payment provider's webhook, which no browser sends and which
//! proves itself with a signature over its body instead (`web::payments`).

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use actix_multipart::form::{MultipartCollect, MultipartForm};
use actix_session::{Session, SessionExt};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Cookie, CookieJar, SameSite};
use actix_web::dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::web::{self, BytesMut};
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use futures_util::StreamExt;

use crate::config::limits;
use crate::domain::account::{constant_time_eq, random_token};
use crate::web::error::AppError;
use crate::web::state::{state_of, AppState};

/// The hidden form field that carries the token.
pub const FIELD: &str = "csrf_token";
/// The routes whose forms carry a file, as registered in `lib.rs`: the only ones that take
/// a multipart body.
pub const MULTIPART_ROUTES: [&str; 4] = [
    "/products",
    "/products/{id}",
    "/admin/products/import",
    "/admin/products/{id}/photos",
];
const SESSION_KEY: &str = "csrf";
/// Bytes in a token (it is kept as hex).
const TOKEN_BYTES: usize = 32;
const REFUSED: &str = "This form could not be accepted: it has expired, or it was sent from another site. Go back, reload the page and try again.";

/// The token cookie's name (`__Host-` when cookies are HTTPS-only, which pins it to this host).
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-shopfront_csrf"
    } else {
        "shopfront_csrf"
    }
}

/// What the middleware should do with the token cookie on the way out.
#[derive(Clone)]
enum CookieChange {
    Set(String),
    Remove,
}

fn cookie_token(req: &HttpRequest, state: &AppState) -> Option<String> {
    let name = cookie_name(state.config.cookie_secure);
    let raw = req.cookie(name)?;
    let mut jar = CookieJar::new();
    jar.add_original(raw.into_owned());
    jar.signed(&state.cookie_key)
        .get(name)
        .map(|c| c.value().to_string())
}

fn session_token(session: &Session) -> Option<String> {
    session.get::<String>(SESSION_KEY).ok().flatten()
}

/// The token to put in this page's forms, masked afresh: the session's token (created if the
/// session lacks one) or, for a visitor without a session, the cookie's (set if new).
pub fn token_for_page(req: &HttpRequest, state: &AppState) -> String {
    mask(&unmasked_token_for_page(req, state))
}

fn unmasked_token_for_page(req: &HttpRequest, state: &AppState) -> String {
    let session = req.get_session();
    if let Some(token) = session_token(&session) {
        return token;
    }
    // A session begun by a guest's post (a cart) carries no token of its own: the cookie's
    // stays in force, so forms already open in other tabs still work.
    if let Some(token) = cookie_token(req, state) {
        return token;
    }
    if !session.entries().is_empty() {
        let token = random_token();
        let _ = session.insert(SESSION_KEY, &token);
        return token;
    }
    if let Some(CookieChange::Set(token)) = req.extensions().get::<CookieChange>() {
        return token.clone();
    }
    let token = random_token();
    req.extensions_mut()
        .insert(CookieChange::Set(token.clone()));
    token
}

/// Gives the session a fresh token and drops the pre-session cookie (at login).
pub fn rotate(req: &HttpRequest, session: &Session) {
    let _ = session.insert(SESSION_KEY, random_token());
    req.extensions_mut().insert(CookieChange::Remove);
}

/// The token this browser's forms carry once this request is answered: the one it had, or the
/// one this response gives it. `None` while it has none and no page has needed one.
pub fn token_in_force(req: &HttpRequest, state: &AppState) -> Option<String> {
    expected_token(req, state).or_else(|| match req.extensions().get::<CookieChange>() {
        Some(CookieChange::Set(token)) => Some(token.clone()),
        _ => None,
    })
}

/// The token this browser's forms must carry, if it has one.
fn expected_token(req: &HttpRequest, state: &AppState) -> Option<String> {
    session_token(&req.get_session()).or_else(|| cookie_token(req, state))
}

/// The origin (`scheme://host[:port]`) of a URL.
fn origin_of(url: &str) -> &str {
    match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            let end = rest.find('/').map_or(url.len(), |j| i + 3 + j);
            &url[..end]
        }
        None => url,
    }
}

/// Whether the request says it comes from another site.
fn from_another_site(req: &ServiceRequest, public_url: &str) -> bool {
    let headers = req.headers();
    if headers
        .get("sec-fetch-site")
        .is_some_and(|site| site.as_bytes().eq_ignore_ascii_case(b"cross-site"))
    {
        return true;
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return false;
    };
    let Ok(origin) = origin.to_str() else {
        return true;
    };
    if origin == "null" {
        return true;
    }
    let origin = origin.trim_end_matches('/');
    let authority = origin.split_once("://").map_or("", |(_, rest)| rest);
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let same_host = !authority.is_empty() && authority.eq_ignore_ascii_case(host);
    !(same_host || origin.eq_ignore_ascii_case(origin_of(public_url)))
}

/// Finds `name` in a url-encoded body.
fn form_field(body: &[u8], name: &str) -> Option<String> {
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .ok()?
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// `token` masked with a fresh random pad: hex of the pad, then of pad XOR token.
fn mask(token: &str) -> String {
    use rand::Rng;
    let Some(secret) = from_hex(token) else {
        return String::new();
    };
    let mut pad = vec![0u8; secret.len()];
    rand::rng().fill(&mut pad[..]);
    let masked: Vec<u8> = pad.iter().zip(&secret).map(|(p, s)| p ^ s).collect();
    format!("{}{}", to_hex(&pad), to_hex(&masked))
}

/// The token inside a masked one, if it is one.
fn unmask(masked: &str) -> Option<String> {
    let bytes = from_hex(masked)?;
    if bytes.len() != 2 * TOKEN_BYTES {
        return None;
    }
    let (pad, secret) = bytes.split_at(TOKEN_BYTES);
    let token: Vec<u8> = pad.iter().zip(secret).map(|(p, s)| p ^ s).collect();
    Some(to_hex(&token))
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

/// Whether `sent` (a masked token from a form) carries this browser's token.
fn verify(req: &HttpRequest, state: &AppState, sent: Option<&str>) -> Result<(), AppError> {
    let sent = sent.and_then(unmask);
    match (sent, expected_token(req, state)) {
        (Some(sent), Some(expected)) if constant_time_eq(&sent, &expected) => Ok(()),
        _ => {
            log::warn!(
                "refused {} {}: missing or wrong CSRF token",
                req.method(),
                req.path()
            );
            Err(AppError::Forbidden(REFUSED.into()))
        }
    }
}

/// A multipart form that carries the token in its `csrf_token` field.
pub trait CarriesToken {
    /// The `csrf_token` field as sent.
    fn csrf_token(&self) -> Option<&str>;
}

/// Reads a multipart form (one of [`MULTIPART_ROUTES`]) and checks its token: the one read
/// of the body, by actix-multipart, within `MultipartFormConfig`'s limits.
///
/// Handlers call it after checking who is asking (as an argument, `MultipartForm` would
/// read the body before `AdminUser` had answered).
pub async fn read_multipart<T: MultipartCollect + CarriesToken + 'static>(
    req: &HttpRequest,
    payload: web::Payload,
) -> Result<T, AppError> {
    let state = state_of(req)?;
    let mut payload = payload.into_inner();
    let form = match MultipartForm::<T>::from_request(req, &mut payload).await {
        Ok(form) => form.into_inner(),
        Err(e) if e.as_response_error().status_code() == StatusCode::PAYLOAD_TOO_LARGE => {
            return Err(AppError::PayloadTooLarge)
        }
        Err(e) => {
            log::debug!("unreadable multipart form: {e}");
            return Err(AppError::BadRequest(
                "The form was incomplete or malformed. Go back, reload the page and try again."
                    .into(),
            ));
        }
    };
    verify(req, &state, form.csrf_token())?;
    Ok(form)
}

/// Where the token is in a body of this content type.
enum BodyKind {
    Form,
    /// With its boundary, as declared (possibly empty).
    Multipart(String),
    Other,
}

fn body_kind(req: &ServiceRequest) -> BodyKind {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // The media type is case-insensitive, the boundary is not (Chromium's is mixed-case).
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if media_type == "application/x-www-form-urlencoded" {
        BodyKind::Form
    } else if media_type == "multipart/form-data" {
        let boundary = content_type
            .split(';')
            .skip(1)
            .filter_map(|p| {
                let (name, value) = p.trim().split_once('=')?;
                name.trim()
                    .eq_ignore_ascii_case("boundary")
                    .then_some(value.trim())
            })
            .next()
            .map(|b| b.trim_matches('"').to_string());
        BodyKind::Multipart(boundary.unwrap_or_default())
    } else {
        BodyKind::Other
    }
}

/// The body length the request declares, if it does.
fn declared_length(req: &ServiceRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
}

/// Reads the whole body, refusing more than `limit` bytes.
async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<web::Bytes, AppError> {
    if declared_length(req).is_some_and(|n| n > limit) {
        return Err(AppError::PayloadTooLarge);
    }
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk
            .map_err(|_| AppError::BadRequest("The request body could not be read.".into()))?;
        if body.len() + chunk.len() > limit {
            return Err(AppError::PayloadTooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The middleware factory; wrap it inside the session middleware.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsrfProtection;

rc_middleware!(CsrfProtection => CsrfService);

/// The service `CsrfProtection` wraps around the app.
pub struct CsrfService<S> {
    service: Rc<S>,
}

/// Checks an unsafe request; `Err` is the answer to give instead of running the handler.
async fn check(req: &mut ServiceRequest, state: &AppState) -> Result<(), AppError> {
    if from_another_site(req, &state.config.public_url) {
        log::warn!("refused a cross-site {} {}", req.method(), req.path());
        return Err(AppError::Forbidden(REFUSED.into()));
    }
    let sent = match body_kind(req) {
        BodyKind::Form => {
            let body = read_body(req, limits::FORM_BYTES).await?;
            let token = form_field(&body, FIELD);
            req.set_payload(Payload::from(body));
            token
        }
        BodyKind::Multipart(boundary) => {
            // Answered from the headers alone: the body is not read here.
            if boundary.is_empty() || boundary.chars().count() > limits::MULTIPART_BOUNDARY_CHARS {
                log::warn!(
                    "refused {} {}: a malformed multipart boundary",
                    req.method(),
                    req.path()
                );
                return Err(AppError::BadRequest(
                    "The form's encoding is malformed. Go back, reload the page and try again."
                        .into(),
                ));
            }
            let takes_files = req
                .match_pattern()
                .is_some_and(|pattern| MULTIPART_ROUTES.contains(&pattern.as_str()));
            if !takes_files {
                return Err(AppError::UnsupportedMediaType);
            }
            if declared_length(req).is_some_and(|n| n > state.config.multipart_bytes()) {
                return Err(AppError::PayloadTooLarge);
            }
            // The handler's `read_multipart` checks the token.
            return Ok(());
        }
        BodyKind::Other => None,
    };
    verify(req.request(), state, sent.as_deref())
}

fn apply_cookie_change(response: &mut ServiceResponse<BoxBody>, state: &AppState) {
    let change = response
        .request()
        .extensions()
        .get::<CookieChange>()
        .cloned();
    let name = cookie_name(state.config.cookie_secure);
    let mut cookie = match change {
        None => return,
        Some(CookieChange::Set(token)) => {
            let mut jar = CookieJar::new();
            jar.signed_mut(&state.cookie_key)
                .add(Cookie::new(name, token));
            match jar.get(name) {
                Some(signed) => signed.clone(),
                None => return,
            }
        }
        Some(CookieChange::Remove) => {
            let mut gone = Cookie::new(name, "");
            gone.make_removal();
            gone
        }
    };
    cookie.set_path("/");
    cookie.set_http_only(true);
    cookie.set_same_site(SameSite::Lax);
    cookie.set_secure(state.config.cookie_secure);
    let _ = response.response_mut().add_cookie(&cookie);
}

impl<S, B> Service<ServiceRequest> for CsrfService<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self::Response, Self::Error>>>>;

    forward_ready!(service);

    fn call(&self, mut req: ServiceRequest) -> Self::Future {
        let service = Rc::clone(&self.service);
        Box::pin(async move {
            let state = match state_of(req.request()) {
                Ok(state) => state,
                Err(e) => return Err(e.into()),
            };
            let unsafe_method = matches!(
                *req.method(),
                Method::POST | Method::PUT | Method::PATCH | Method::DELETE
            );
            // The provider's webhook carries a signature instead of a token and a session.
            let signed_instead = req.path() == crate::web::payments::STRIPE_WEBHOOK_PATH;
            if unsafe_method && !signed_instead {
                if let Err(refusal) = check(&mut req, &state).await {
                    return Ok(req.error_response(refusal).map_into_boxed_body());
                }
            }
            let mut response = service.call(req).await?.map_into_boxed_body();
            apply_cookie_change(&mut response, &state);
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_masked_token_differs_every_time_and_unmasks_to_the_token() {
        let token = random_token();
        let (a, b) = (mask(&token), mask(&token));
        assert_ne!(a, b);
        assert_eq!(a.len(), 4 * TOKEN_BYTES);
        assert!(!a.contains(&token) && !b.contains(&token));
        assert_eq!(unmask(&a).as_deref(), Some(token.as_str()));
        assert_eq!(unmask(&b).as_deref(), Some(token.as_str()));
        assert_eq!(unmask(&token), None, "an unmasked token is not accepted");
        assert_eq!(unmask("zz"), None);
        assert_eq!(unmask(""), None);
        assert_eq!(unmask(&"é".repeat(64)), None);
    }

    #[test]
    fn finds_the_token_in_a_form_body() {
        assert_eq!(
            form_field(b"a=1&csrf_token=x%2By&b=2", FIELD).as_deref(),
            Some("x+y")
        );
        assert_eq!(form_field(b"a=1", FIELD), None);
    }

    #[test]
    fn origins() {
        assert_eq!(
            origin_of("https://shop.example/base"),
            "https://shop.example"
        );
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }
}
