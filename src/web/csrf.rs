//! Cross-site request forgery protection for every unsafe request (POST, PUT, PATCH, DELETE).
//!
//! A request is refused with 403 when it comes from another site (`Origin` of another
//! origin, or `Sec-Fetch-Site: cross-site`), or when its `csrf_token` field does not match
//! this browser's token. The token lives in the server-side session once there is one, and
//! is rotated at login; a visitor without a session (one who has only browsed) gets it from
//! a signed, HttpOnly cookie instead, so reading pages never writes a session row.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;

use actix_session::{Session, SessionExt};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Cookie, CookieJar, SameSite};
use actix_web::dev::{forward_ready, Payload, Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::{header, Method};
use actix_web::web::{self, BytesMut};
use actix_web::{HttpMessage, HttpRequest};
use futures_util::StreamExt;

use crate::domain::account::{constant_time_eq, random_token};
use crate::web::error::AppError;
use crate::web::state::AppState;

/// The hidden form field that carries the token.
pub const FIELD: &str = "csrf_token";
/// Largest url-encoded form body accepted.
pub const FORM_LIMIT: usize = 64 * 1024;
/// Largest multipart body accepted (a 2 MB image and the other fields).
pub const MULTIPART_LIMIT: usize = 3 * 1024 * 1024;
const SESSION_KEY: &str = "csrf";
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

/// The token to put in this page's forms: the session's (created if the session lacks one),
/// or, for a visitor without a session, the cookie's (set on the response if new).
pub fn token_for_page(req: &HttpRequest, state: &AppState) -> String {
    let session = req.get_session();
    if let Some(token) = session_token(&session) {
        return token;
    }
    if !session.entries().is_empty() {
        let token = random_token();
        let _ = session.insert(SESSION_KEY, &token);
        return token;
    }
    if let Some(token) = cookie_token(req, state) {
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

fn find(haystack: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    haystack
        .get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| i + from)
}

/// Finds the text field `name` in a multipart/form-data body.
fn multipart_field(body: &[u8], boundary: &str, name: &str) -> Option<String> {
    let delimiter = format!("--{boundary}");
    let wanted = format!("name=\"{name}\"");
    let mut start = find(body, delimiter.as_bytes(), 0)? + delimiter.len();
    loop {
        let end = find(body, delimiter.as_bytes(), start)?;
        let part = body[start..end].strip_prefix(b"\r\n")?;
        let headers_end = find(part, b"\r\n\r\n", 0)?;
        let headers = std::str::from_utf8(&part[..headers_end]).ok()?;
        let is_field = headers.lines().any(|line| {
            line.to_ascii_lowercase()
                .starts_with("content-disposition:")
                && line.contains(&wanted)
                && !line.contains("filename=")
        });
        if is_field {
            let value = &part[headers_end + 4..];
            let value = value.strip_suffix(b"\r\n").unwrap_or(value);
            return String::from_utf8(value.to_vec()).ok();
        }
        start = end + delimiter.len();
    }
}

/// Where the token is in a body of this content type, and how large such a body may be.
enum BodyKind {
    Form,
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
        match boundary {
            Some(b) if !b.is_empty() => BodyKind::Multipart(b),
            _ => BodyKind::Other,
        }
    } else {
        BodyKind::Other
    }
}

/// Reads the whole body, refusing more than `limit` bytes.
async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<web::Bytes, AppError> {
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > limit) {
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

impl<S, B> Transform<S, ServiceRequest> for CsrfProtection
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error> + 'static,
    B: MessageBody + 'static,
{
    type Response = ServiceResponse<BoxBody>;
    type Error = actix_web::Error;
    type Transform = CsrfService<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(CsrfService {
            service: Rc::new(service),
        }))
    }
}

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
            let body = read_body(req, FORM_LIMIT).await?;
            let token = form_field(&body, FIELD);
            req.set_payload(Payload::from(body));
            token
        }
        BodyKind::Multipart(boundary) => {
            let body = read_body(req, MULTIPART_LIMIT).await?;
            let token = multipart_field(&body, &boundary, FIELD);
            req.set_payload(Payload::from(body));
            token
        }
        BodyKind::Other => None,
    };
    let expected = expected_token(req.request(), state);
    match (sent, expected) {
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
            let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
                return Err(AppError::Internal("AppState is not registered".into()).into());
            };
            let unsafe_method = matches!(
                *req.method(),
                Method::POST | Method::PUT | Method::PATCH | Method::DELETE
            );
            if unsafe_method {
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
    fn finds_the_token_in_a_multipart_body() {
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nLamp\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\nabc123\r\n--XyZ\r\nContent-Disposition: form-data; name=\"image\"; filename=\"csrf_token\"\r\nContent-Type: image/png\r\n\r\n\x89PNG\r\n--XyZ--\r\n";
        assert_eq!(
            multipart_field(body, "XyZ", "csrf_token").as_deref(),
            Some("abc123")
        );
        assert_eq!(multipart_field(body, "XyZ", "missing"), None);
        assert_eq!(multipart_field(b"garbage", "XyZ", "csrf_token"), None);
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
