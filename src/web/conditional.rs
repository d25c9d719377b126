//! Conditional GET for the catalogue pages a visitor sees as anyone would: an `ETag` made of
//! the catalogue's version and the page's inputs, and a 304 when the browser's copy carries it.
//!
//! A page that shows the visitor's own things (who is logged in, a cart, a message) gets no
//! tag and stays `private`. The form token every page carries is part of the tag (hashed), so
//! a copy kept by a shared cache for one browser never answers for another.

use std::future::Future;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, EntityTag, Header, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse};

use crate::web::error::AppError;
use crate::web::page::PageContext;
use crate::web::state::{state_of, AppState};
use crate::web::visit::{Reply, Visit};
use crate::web::{csrf, page_cache};

/// Whether a catalogue page may be answered with a 304, and the catalogue version it was
/// checked against.
pub struct Conditional {
    /// The catalogue's version, when the page shows nothing of the visitor's own.
    version: Option<i64>,
}

impl Conditional {
    /// The conditions of `page`: it may carry a tag when it shows nothing of the visitor's own.
    pub fn of(page: &PageContext) -> Conditional {
        let anonymous = page.user.is_none() && page.cart_count == 0 && page.flash.is_empty();
        Conditional {
            version: anonymous.then_some(page.catalog_version),
        }
    }

    /// A 304 when the browser's copy of this page is still the page.
    pub fn unchanged(&self, req: &HttpRequest, state: &AppState) -> Option<HttpResponse> {
        // Most requests offer no copy: they cost no tag.
        if !req.headers().contains_key(header::IF_NONE_MATCH) {
            return None;
        }
        let tag = self.tag(req, state)?;
        let fresh = match header::IfNoneMatch::parse(req).ok()? {
            header::IfNoneMatch::Any => true,
            header::IfNoneMatch::Items(items) => items.iter().any(|item| item.weak_eq(&tag)),
        };
        if !fresh {
            return None;
        }
        let mut response = HttpResponse::NotModified().finish();
        stamp(&mut response, &tag);
        Some(response)
    }

    /// Tags a page answered in full (200) when it showed nothing of the visitor's own; any
    /// other answer keeps its headers.
    pub fn finish(
        &self,
        req: &HttpRequest,
        state: &AppState,
        mut response: HttpResponse,
    ) -> HttpResponse {
        if response.status() == StatusCode::OK {
            if let Some(tag) = self.tag(req, state) {
                stamp(&mut response, &tag);
            }
        }
        response
    }

    /// The page's tag: the catalogue version, the address, the stylesheet's fingerprint (a
    /// new release) and the browser's form token, hashed.
    fn tag(&self, req: &HttpRequest, state: &AppState) -> Option<EntityTag> {
        let version = self.version?;
        let mut hasher = DefaultHasher::new();
        req.uri()
            .path_and_query()
            .map(|p| p.as_str())
            .hash(&mut hasher);
        crate::web::assets::stylesheet_url().hash(&mut hasher);
        env!("CARGO_PKG_VERSION").hash(&mut hasher);
        csrf::token_in_force(req, state).hash(&mut hasher);
        Some(EntityTag::new_weak(format!(
            "c{version}-{:016x}",
            hasher.finish()
        )))
    }
}

/// Answers a catalogue page: a 304 when the browser's copy is still the page; else, for a
/// visitor who sees it as anyone would, the page kept at this catalogue version (rendered by
/// `page_of` and kept from its address's second request on), tagged, with the visitor's own
/// token in its forms; else the page `page_of` renders.
pub async fn serve<F, Fut>(visit: Visit, page_of: F) -> Reply
where
    F: FnOnce(Visit) -> Fut,
    Fut: Future<Output = Reply>,
{
    let conditional = Conditional::of(&visit.page);
    let (req, state) = (visit.req.clone(), visit.state.clone());
    if let Some(unchanged) = conditional.unchanged(&req, &state) {
        return Ok(unchanged);
    }
    let Some(version) = conditional.version else {
        return page_of(visit).await;
    };
    let address = req.uri().path_and_query().map_or("/", |p| p.as_str());
    let html = match state.pages.get(version, address) {
        Some(html) => html,
        None if !state.pages.seen_before(version, address) => {
            let response = page_of(visit).await?;
            return Ok(conditional.finish(&req, &state, response));
        }
        None => {
            visit.page.use_token_placeholder();
            let rendered = page_of(visit).await?;
            if rendered.status() != StatusCode::OK {
                return with_tokens(&req, &state, rendered).await;
            }
            let html = body_text(rendered).await?;
            state.pages.put(version, address, html.clone());
            html
        }
    };
    let response = HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(filled_in(&req, &state, html));
    Ok(conditional.finish(&req, &state, response))
}

/// A kept page as the bytes of a response body.
struct KeptHtml(Arc<str>);

impl AsRef<[u8]> for KeptHtml {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// `html` with the visitor's token where the kept page has the placeholder; a page without
/// one goes out as kept, without a copy.
fn filled_in(req: &HttpRequest, state: &AppState, html: Arc<str>) -> Bytes {
    let placeholder = page_cache::token_placeholder();
    match html.contains(placeholder) {
        true => Bytes::from(html.replace(placeholder, &csrf::token_for_page(req, state))),
        false => Bytes::from_owner(KeptHtml(html)),
    }
}

/// The whole body of a rendered page, as text.
async fn body_text(response: HttpResponse) -> Result<Arc<str>, AppError> {
    let bytes = body_bytes(response.into_body()).await?;
    let text = std::str::from_utf8(&bytes)
        .map_err(|e| AppError::Internal(format!("a rendered page is not UTF-8: {e}")))?;
    Ok(Arc::from(text))
}

/// A page rendered to be kept but answered otherwise (not 200), with the visitor's token put in.
async fn with_tokens(req: &HttpRequest, state: &AppState, rendered: HttpResponse) -> Reply {
    let (head, body) = rendered.into_parts();
    let html = body_bytes(body).await?;
    let html = Arc::from(String::from_utf8_lossy(&html));
    Ok(head
        .set_body(filled_in(req, state, html))
        .map_into_boxed_body())
}

async fn body_bytes(body: BoxBody) -> Result<Bytes, AppError> {
    actix_web::body::to_bytes(body)
        .await
        .map_err(|e| AppError::Internal(format!("reading a rendered page: {e}")))
}

/// Gives `response` the validator `tag`: any cache may keep the page but must ask again
/// before every use, and a copy answers only for the same cookies.
fn stamp(response: &mut HttpResponse, tag: &EntityTag) {
    let Ok(tag) = HeaderValue::from_str(&tag.to_string()) else {
        return;
    };
    let headers = response.headers_mut();
    headers.insert(header::ETAG, tag);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    headers.insert(header::VARY, HeaderValue::from_static("Cookie"));
}

/// Reads the catalogue's version again once an unsafe request has been carried out (its
/// writes have committed), before its answer leaves: the page it leads to, and every page
/// after, is rendered from at least what it wrote. Refused requests (400, 403, 429…) wrote
/// nothing and cost nothing here, so a flood of failed logins leaves pages reading no
/// database.
pub async fn read_version_after_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let writes = !req.method().is_safe();
    let state = writes.then(|| state_of(req.request())).transpose()?;
    let response = next.call(req).await?;
    let carried_out = response.status().is_success() || response.status().is_redirection();
    if let (Some(state), true) = (state, carried_out) {
        state.reread_catalog_version().await;
    }
    Ok(response)
}
