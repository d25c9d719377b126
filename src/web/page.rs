//! The page context every page shows (navigation, search box, money format) and the
//! helper that renders a page template into a response.

use std::cell::OnceCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use actix_session::SessionExt;
use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::http::StatusCode;
use actix_web::{dev::Payload, web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;

use crate::db;
use crate::domain::money::{self, Money};
use crate::models::cart as cart_model;
use crate::models::category::CategoryLink;
use crate::web::assets;
use crate::web::auth::{current_user, SessionUser};
use crate::web::error::AppError;
use crate::web::flash::{self, Flash};
use crate::web::state::{state_of, AppState};
use crate::web::{cart, csrf};

/// What the layout (`base.html`) reads on every page.
#[derive(Debug, Clone)]
pub struct PageContext {
    /// Categories for the navigation.
    pub nav: Arc<[CategoryLink]>,
    /// Currency symbol shown before prices.
    pub currency: Arc<str>,
    /// The search box's text.
    pub search: String,
    /// The stylesheet's fingerprinted URL.
    pub css_url: &'static str,
    /// The logged-in user, if any.
    pub user: Option<SessionUser>,
    /// The token every form on the page carries, read through [`PageContext::csrf_token`].
    csrf: CsrfSlot,
    /// Messages left by the previous request, shown once.
    pub flash: Vec<Flash>,
    /// Items in the visitor's cart, for the header.
    pub cart_count: i64,
    /// The shop's name, for the header, the titles and the footer.
    pub shop_name: Arc<str>,
    /// The footer's sentence about tax.
    pub tax_sentence: &'static str,
    /// What search engines read in the head: canonical address, description, product data.
    pub meta: Option<crate::web::seo::PageMeta>,
    /// The catalogue's version when the request began (read before anything it shows).
    pub catalog_version: i64,
    /// The version of what the catalogue's lists hold and their order, read with it.
    pub listing_version: i64,
}

impl PageContext {
    /// A context that needs no request or database, for error pages.
    pub fn bare() -> PageContext {
        PageContext {
            nav: Arc::from(Vec::new()),
            currency: Arc::from("$"),
            search: String::new(),
            css_url: assets::stylesheet_url(),
            user: None,
            csrf: CsrfSlot::default(),
            flash: Vec::new(),
            cart_count: 0,
            shop_name: Arc::from("shopfront"),
            tax_sentence: "prices include tax",
            meta: None,
            catalog_version: 0,
            listing_version: 0,
        }
    }

    /// The token this page's forms carry. It is looked up (or made) on first use, so a page
    /// without a POST form costs no token and sets no cookie.
    pub fn csrf_token(&self) -> &str {
        self.csrf.token.get_or_init(|| match &self.csrf.source {
            Some((req, state)) => csrf::token_for_page(req, state),
            None => String::new(),
        })
    }

    /// Has the page's forms carry the page cache's placeholder instead of a token: the page is
    /// rendered to be kept, and each visitor's token goes in as it is served.
    pub fn use_token_placeholder(&self) {
        let _ = self
            .csrf
            .token
            .set(crate::web::page_cache::token_placeholder().to_string());
    }

    // Askama passes fields by reference and call results by value, hence `AsCents`.

    /// An amount formatted for people, like `$1,234.56`.
    pub fn money(&self, amount: impl AsCents) -> String {
        Money::from_cents(amount.as_cents()).display(&self.currency)
    }

    /// A count for people, like `1,234`.
    pub fn count(&self, n: impl AsCents) -> String {
        money::group_thousands(n.as_cents().unsigned_abs())
    }
}

/// Where a page's form token comes from, and the token once it is needed.
#[derive(Clone, Default)]
struct CsrfSlot {
    source: Option<(HttpRequest, web::Data<AppState>)>,
    token: OnceCell<String>,
}

impl std::fmt::Debug for CsrfSlot {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CsrfSlot")
    }
}

/// Anything a template shows as money: cents as `i64`, or a `Money`, by value or reference.
pub trait AsCents {
    /// The amount in cents (or, for a count, the number).
    fn as_cents(&self) -> i64;
}

impl AsCents for i64 {
    fn as_cents(&self) -> i64 {
        *self
    }
}

impl AsCents for Money {
    fn as_cents(&self) -> i64 {
        self.cents()
    }
}

impl<T: AsCents + ?Sized> AsCents for &T {
    fn as_cents(&self) -> i64 {
        (**self).as_cents()
    }
}

impl FromRequest for PageContext {
    type Error = AppError;
    type Future = Pin<Box<dyn Future<Output = Result<PageContext, AppError>>>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = state_of(&req)?;
            // First: the navigation and settings below are then at least this new.
            let versions = state.catalog_version().await?;
            let nav = state.categories().await?.nav.clone();
            let settings = state.settings().await?;
            let user = current_user(&req).await?;
            let session = req.get_session();
            // Visitors without a cart (most who only browse) cost no query here.
            let cart_count = match cart::owner_of(&session, user.as_ref()) {
                Some(owner) => {
                    db::read(&state.pool, move |conn| {
                        Ok(cart_model::item_count(conn, &owner)?)
                    })
                    .await?
                }
                None => 0,
            };
            Ok(PageContext {
                nav,
                currency: Arc::from(state.config.currency_symbol.as_str()),
                search: String::new(),
                css_url: assets::stylesheet_url(),
                user,
                csrf: CsrfSlot {
                    source: Some((req.clone(), state.clone())),
                    token: OnceCell::new(),
                },
                flash: flash::take(&session),
                cart_count,
                shop_name: Arc::from(settings.shop_name.as_str()),
                tax_sentence: settings.tax_sentence(),
                meta: None,
                catalog_version: versions.catalog,
                listing_version: versions.listing,
            })
        })
    }
}

/// Renders `page` as an HTML response with `status`. Pages carry a form token and who is
/// logged in, so shared caches must not keep them.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Result<HttpResponse, AppError> {
    let body = page.render()?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header(CacheControl(vec![
            CacheDirective::Private,
            CacheDirective::NoCache,
        ]))
        .body(body))
}
