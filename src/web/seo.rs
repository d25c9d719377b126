//! What search engines read: each catalogue page's canonical address and description, a
//! product's Open Graph tags and schema.org `Product` block, the sitemap and `robots.txt`.

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{web, HttpResponse};
use chrono::NaiveDateTime;
use serde::Serialize;

use crate::db;
use crate::models::sitemap::{self, SitemapEntry};
use crate::web::error::AppError;
use crate::web::state::AppState;

/// The head of a catalogue page: its canonical address, its description and, for a product,
/// Open Graph tags and a JSON-LD block.
#[derive(Debug, Clone, Default)]
pub struct PageMeta {
    /// The absolute canonical URL.
    pub canonical: String,
    /// The `<meta name="description">`, at most [`DESCRIPTION_CHARS`] characters.
    pub description: String,
    /// `<meta property="og:…">` pairs.
    pub open_graph: Vec<(&'static str, String)>,
    /// The schema.org block, as JSON that is safe inside `<script>` (no `<`, `>`, `&`).
    pub json_ld: Option<String>,
}

/// How long a description may be: what search engines show.
pub const DESCRIPTION_CHARS: usize = 160;

/// `text` on one line, cut at a word to at most [`DESCRIPTION_CHARS`] characters.
pub fn description(text: &str) -> String {
    // Only the first characters matter: words stop being added once there are too many.
    let mut flat = String::new();
    let mut chars = 0;
    for word in text.split_whitespace() {
        if chars > DESCRIPTION_CHARS {
            break;
        }
        if !flat.is_empty() {
            flat.push(' ');
            chars += 1;
        }
        flat.push_str(word);
        chars += word.chars().count();
    }
    if chars <= DESCRIPTION_CHARS {
        return flat;
    }
    let end = flat
        .char_indices()
        .nth(DESCRIPTION_CHARS - 1)
        .map_or(flat.len(), |(at, _)| at);
    let cut = &flat[..end];
    let cut = match cut.rfind(' ') {
        Some(at) if at > DESCRIPTION_CHARS / 2 => &cut[..at],
        _ => cut,
    };
    format!("{cut}…")
}

/// `value` as JSON made safe to sit inside an HTML `<script>` element: the characters that
/// could end or confuse the element are written as JSON escapes.
pub fn script_safe_json<T: Serialize>(value: &T) -> Result<String, serde_json::Error> {
    let json = serde_json::to_string(value)?;
    if !json.contains(['<', '>', '&']) {
        return Ok(json);
    }
    let mut safe = String::with_capacity(json.len() + 32);
    for c in json.chars() {
        match c {
            '<' => safe.push_str("\\u003c"),
            '>' => safe.push_str("\\u003e"),
            '&' => safe.push_str("\\u0026"),
            c => safe.push(c),
        }
    }
    Ok(safe)
}

/// A schema.org `Product`, as a product page's JSON-LD block holds it.
#[derive(Serialize)]
struct ProductLd<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'a str,
    description: &'a str,
    sku: &'a str,
    url: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<[&'a str; 1]>,
    offers: OfferLd<'a>,
}

/// A schema.org `Offer`: the product's price and whether it can be bought.
#[derive(Serialize)]
struct OfferLd<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    price: &'a str,
    #[serde(rename = "priceCurrency")]
    price_currency: &'a str,
    availability: &'static str,
    url: &'a str,
}

/// What a product page tells search engines about the product.
pub struct ProductFacts<'a> {
    /// The product's id.
    pub id: i32,
    /// Its name.
    pub name: &'a str,
    /// Its description.
    pub description: &'a str,
    /// Its price, like `79.50`.
    pub price: String,
    /// The shop's ISO currency code, upper-case.
    pub currency: String,
    /// Whether it can be bought now.
    pub in_stock: bool,
    /// Its photo's absolute URL, if it has one.
    pub image: Option<String>,
    /// Its stock-keeping unit; the product number until products have SKUs of their own.
    pub sku: String,
}

/// The head of a product page at `canonical`.
pub fn product_meta(canonical: String, facts: &ProductFacts<'_>) -> PageMeta {
    let availability = match facts.in_stock {
        true => "https://schema.org/InStock",
        false => "https://schema.org/OutOfStock",
    };
    let description = description(facts.description);
    let block = ProductLd {
        context: "https://schema.org",
        kind: "Product",
        name: facts.name,
        description: &description,
        sku: &facts.sku,
        url: &canonical,
        image: facts.image.as_deref().map(|image| [image]),
        offers: OfferLd {
            kind: "Offer",
            price: &facts.price,
            price_currency: &facts.currency,
            availability,
            url: &canonical,
        },
    };
    let json_ld = script_safe_json(&block).ok();
    let mut open_graph = vec![
        ("og:type", "product".to_string()),
        ("og:title", facts.name.to_string()),
        ("og:description", description.clone()),
        ("og:url", canonical.clone()),
        ("product:price:amount", facts.price.clone()),
        ("product:price:currency", facts.currency.clone()),
    ];
    if let Some(image) = &facts.image {
        open_graph.push(("og:image", image.clone()));
    }
    PageMeta {
        description,
        canonical,
        open_graph,
        json_ld,
    }
}

/// URLs in one sitemap file, the most the protocol allows.
pub const URLS_PER_SITEMAP: i64 = 50_000;

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

fn lastmod(at: NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn xml_response(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .insert_header(CacheControl(vec![
            CacheDirective::Public,
            CacheDirective::MaxAge(3_600),
        ]))
        .body(body)
}

fn urlset(base: &str, entries: &[SitemapEntry]) -> String {
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for entry in entries {
        xml.push_str("<url><loc>");
        xml.push_str(&xml_escape(&format!("{base}{}", entry.path)));
        xml.push_str("</loc>");
        if let Some(at) = entry.updated_at {
            xml.push_str("<lastmod>");
            xml.push_str(&lastmod(at));
            xml.push_str("</lastmod>");
        }
        xml.push_str("</url>\n");
    }
    xml.push_str("</urlset>\n");
    xml
}

/// `GET /sitemap.xml`: the home page, the product list, every category with products and
/// every product on sale, with when each last changed. Past [`URLS_PER_SITEMAP`] URLs it is a
/// sitemap index of `/sitemap-{n}.xml` parts.
pub async fn sitemap(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let base = state.config.public_url.trim_end_matches('/').to_string();
    let total = db::read(&state.pool, |conn| Ok(sitemap::count(conn)?)).await?;
    if total <= URLS_PER_SITEMAP {
        let entries = db::read(&state.pool, |conn| {
            Ok(sitemap::entries(conn, 0, URLS_PER_SITEMAP)?)
        })
        .await?;
        return Ok(xml_response(urlset(&base, &entries)));
    }
    Ok(xml_response(sitemap_index(&base, total)))
}

/// The sitemap index for `total` addresses: one `/sitemap-{n}.xml` per
/// [`URLS_PER_SITEMAP`].
fn sitemap_index(base: &str, total: i64) -> String {
    let parts = (total + URLS_PER_SITEMAP - 1) / URLS_PER_SITEMAP;
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for n in 1..=parts {
        xml.push_str(&format!(
            "<sitemap><loc>{}</loc></sitemap>\n",
            xml_escape(&format!("{base}/sitemap-{n}.xml"))
        ));
    }
    xml.push_str("</sitemapindex>\n");
    xml
}

/// `GET /sitemap-{n}.xml`: part `n` of a sitemap index; a part that does not exist is a 404.
pub async fn sitemap_part(
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let n: i64 = name
        .strip_suffix(".xml")
        .and_then(|n| n.parse().ok())
        .filter(|n| *n >= 1)
        .ok_or(AppError::NotFound)?;
    let base = state.config.public_url.trim_end_matches('/').to_string();
    let offset = (n - 1) * URLS_PER_SITEMAP;
    let entries = db::read(&state.pool, move |conn| {
        Ok(sitemap::entries(conn, offset, URLS_PER_SITEMAP)?)
    })
    .await?;
    if entries.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(xml_response(urlset(&base, &entries)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn descriptions_are_one_line_and_short() {
        assert_eq!(description("A  brass\nlamp."), "A brass lamp.");
        let long = "word ".repeat(100);
        let cut = description(&long);
        assert!(cut.chars().count() <= DESCRIPTION_CHARS, "{cut}");
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn past_fifty_thousand_addresses_the_sitemap_is_an_index_of_parts() {
        let index = sitemap_index("https://shop.example", 2 * URLS_PER_SITEMAP + 1);
        assert_eq!(index.matches("<sitemap>").count(), 3);
        assert!(index.contains("<loc>https://shop.example/sitemap-3.xml</loc>"));
        assert!(index.starts_with("<?xml"));
    }

    #[test]
    fn json_ld_cannot_close_its_script_element() -> Result<(), serde_json::Error> {
        let value = serde_json::json!({"name": "</script><script>alert(1)</script> & co"});
        let safe = script_safe_json(&value)?;
        assert!(!safe.contains('<') && !safe.contains('>') && !safe.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&safe)?;
        assert_eq!(back, value);
        Ok(())
    }
}
