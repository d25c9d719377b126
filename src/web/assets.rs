//! Static assets compiled into the binary (so it runs from any directory), served with a
//! fingerprinted URL and a year-long cache, plus `robots.txt`.

use std::hash::{Hash, Hasher};
use std::sync::OnceLock;

use actix_web::http::header::{self, CacheControl, CacheDirective, EntityTag, Header, IfNoneMatch};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::web::error::AppError;

const STYLESHEET: &str = include_str!("../../static/style.css");
const FAVICON: &str = include_str!("../../static/favicon.svg");
const ROBOTS: &str = "User-agent: *\nDisallow: /cart\nDisallow: /checkout\nDisallow: /account\nDisallow: /orders\nDisallow: /admin\n";

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const ASSETS: [Asset; 2] = [
    Asset {
        name: "style.css",
        content_type: "text/css; charset=utf-8",
        body: STYLESHEET,
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        body: FAVICON,
    },
];

fn fingerprint(body: &str) -> String {
    // SipHash with fixed keys: stable for one build, which is all a cache-buster needs.
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    body.hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

/// The stylesheet's URL, which changes whenever its content does.
pub fn stylesheet_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| format!("/static/style.css?v={}", fingerprint(STYLESHEET)))
}

/// `GET /static/{name}`: an embedded file, cached for a year (its URL changes with it).
pub async fn file(req: HttpRequest, name: web::Path<String>) -> Result<HttpResponse, AppError> {
    let asset = ASSETS
        .iter()
        .find(|a| a.name == name.as_str())
        .ok_or(AppError::NotFound)?;
    let etag = EntityTag::new_strong(fingerprint(asset.body));
    let cache = CacheControl(vec![
        CacheDirective::Public,
        CacheDirective::MaxAge(31_536_000),
        CacheDirective::Extension("immutable".into(), None),
    ]);
    let unchanged = match IfNoneMatch::parse(&req) {
        Ok(IfNoneMatch::Any) => true,
        Ok(IfNoneMatch::Items(tags)) => tags.iter().any(|t| t.weak_eq(&etag)),
        Err(_) => false,
    };
    let mut response = if unchanged {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header(cache)
        .insert_header(header::ETag(etag));
    if unchanged {
        return Ok(response.finish());
    }
    Ok(response.content_type(asset.content_type).body(asset.body))
}

/// `GET /robots.txt`: keeps crawlers out of private pages. Served from memory, it is also
/// the benchmark's ceiling route.
pub async fn robots(state: actix_web::web::Data<crate::web::state::AppState>) -> HttpResponse {
    let base = state.config.public_url.trim_end_matches('/');
    HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(86_400),
        ]))
        .body(format!("{ROBOTS}Sitemap: {base}/sitemap.xml\n"))
}
