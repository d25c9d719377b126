//! `AppState`: what every handler can reach: the pool, the configuration, shared caches.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use actix_web::cookie::Key;
use tokio::sync::Notify;

use crate::config::Config;
use crate::db::{self, DbPool};
use crate::domain::settings::ShopSettings;
use crate::mail::Links;
use crate::models::catalog_version::{self, Versions};
use crate::models::category::Categories;
use crate::models::page_marks::PageMarks;
use crate::models::search::RankedSearches;
use crate::models::settings as settings_model;
use crate::services::hashing::Hasher;
use crate::services::payments::Shop;
use crate::services::stripe::Stripe;
use crate::web::error::AppError;
use crate::web::page_cache::PageCache;

/// How long the categories (navigation, breadcrumbs, branches) are reused at most. They are
/// read again sooner whenever the catalogue's version moves, so a change anywhere shows
/// within [`CATALOG_VERSION_TTL`].
const NAV_TTL: Duration = Duration::from_secs(10);

/// How long the shop settings are reused at most; like the categories they are read again
/// when the catalogue's version moves (a settings change moves it).
const SETTINGS_TTL: Duration = Duration::from_secs(2);

/// How long the catalogue's version is reused before it is read again. Writes on this
/// instance have it read again at once; writes elsewhere (another instance, a command) show
/// within this time, the longest a visitor can be shown (or told to keep) a catalogue page
/// that has changed since. The categories and settings are read again at a new version.
const CATALOG_VERSION_TTL: Duration = Duration::from_secs(1);

/// Shared by every worker; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database pool.
    pub pool: DbPool,
    /// The effective configuration.
    pub config: Arc<Config>,
    /// Every category's place in the tree (the navigation shown on every page, each
    /// category page's breadcrumbs and branch), read at most once per [`NAV_TTL`].
    pub categories: Arc<Kept<Categories>>,
    /// Signs the session and CSRF cookies; derived from `SECRET_KEY`.
    pub cookie_key: Key,
    /// The key derived from `SECRET_KEY_PREVIOUS`: what it signed is re-signed, not refused.
    pub previous_cookie_key: Option<Key>,
    /// bcrypt, bounded to one hash per core.
    pub hasher: Arc<Hasher>,
    /// Wakes the mail worker when a change has queued mail.
    pub mail_wake: Arc<Notify>,
    /// Absolute links for mails, on `PUBLIC_URL`.
    pub links: Links,
    /// The Stripe client, when `STRIPE_SECRET_KEY` is set.
    pub stripe: Option<Stripe>,
    /// The shop's settings, read at most once per [`SETTINGS_TTL`].
    pub settings: Arc<Kept<ShopSettings>>,
    /// The catalogue's version, read at most once per [`CATALOG_VERSION_TTL`] and again
    /// after every unsafe request this instance answers.
    pub catalog_version: Arc<Kept<Versions>>,
    /// Catalogue pages as anonymous visitors see them, by address, at the version above.
    pub pages: Arc<PageCache>,
    /// Where the deep pages of the plain lists start, at the version above.
    pub page_marks: Arc<PageMarks>,
    /// The ranked matches of recent searches, at the version above.
    pub searches: Arc<RankedSearches>,
}

impl AppState {
    /// State for `config` (which `Config::prepare` has completed), serving from `pool`.
    pub fn new(config: Config, pool: DbPool) -> AppState {
        let cookie_key = Key::derive_from(config.secret().expose().as_bytes());
        let previous_cookie_key = config
            .secret_key_previous
            .as_ref()
            .map(|previous| Key::derive_from(previous.expose().as_bytes()));
        AppState {
            pool,
            cookie_key,
            previous_cookie_key,
            hasher: Arc::new(Hasher::new(config.bcrypt_cost)),
            mail_wake: Arc::new(Notify::new()),
            links: Links::new(&config.public_url),
            categories: Arc::default(),
            stripe: Stripe::from_config(&config),
            settings: Arc::default(),
            catalog_version: Arc::default(),
            pages: Arc::default(),
            page_marks: Arc::default(),
            searches: Arc::default(),
            config: Arc::new(config),
        }
    }

    /// The shop's settings in force (from the cache when it is fresh and as new as the
    /// catalogue's version); mails composed from now on are signed with its name.
    pub async fn settings(&self) -> Result<Arc<ShopSettings>, AppError> {
        let version = self.catalog_version().await?.catalog;
        if let Some(settings) = self.settings.fresh(SETTINGS_TTL, version) {
            return Ok(settings);
        }
        let seed = self.config.seed_settings();
        let settings: Arc<ShopSettings> = db::read(&self.pool, move |conn| {
            Ok(settings_model::load_or_seed(
                conn,
                &seed,
                crate::models::now(),
            )?)
        })
        .await?
        .into();
        self.links.set_shop_name(&settings.shop_name);
        self.settings.keep(settings.clone(), version);
        Ok(settings)
    }

    /// Every category's place in the tree (from the cache when it is fresh and as new as
    /// the catalogue's version).
    pub async fn categories(&self) -> Result<Arc<Categories>, AppError> {
        let version = self.catalog_version().await?.catalog;
        if let Some(categories) = self.categories.fresh(NAV_TTL, version) {
            return Ok(categories);
        }
        let categories: Arc<Categories> = db::read(&self.pool, |conn| Ok(Categories::load(conn)?))
            .await?
            .into();
        self.categories.keep(categories.clone(), version);
        Ok(categories)
    }

    /// The catalogue's version (from the cache when it is fresh). Whatever is read after it
    /// is at least as new, so a page or cache keyed by it never holds older data.
    pub async fn catalog_version(&self) -> Result<Versions, AppError> {
        if let Some(versions) = self.catalog_version.fresh(CATALOG_VERSION_TTL, i64::MIN) {
            return Ok(*versions);
        }
        let versions = self.read_catalog_version().await?;
        self.catalog_version
            .keep(Arc::new(versions), versions.catalog);
        Ok(versions)
    }

    /// Reads the catalogue's version now (after a write this instance made). Concurrent
    /// writers may read in any order: the newest version seen is kept. When the read fails,
    /// the version is forgotten and the next page reads it.
    pub async fn reread_catalog_version(&self) {
        match self.read_catalog_version().await {
            Ok(versions) => self.catalog_version.keep_newest(versions),
            Err(e) => {
                log::warn!("reading the catalogue's version: {e}");
                self.catalog_version.invalidate();
            }
        }
    }

    async fn read_catalog_version(&self) -> Result<Versions, AppError> {
        db::read(&self.pool, |conn| Ok(catalog_version::current(conn)?)).await
    }

    /// What settling a payment needs to know of the shop.
    pub fn shop(&self) -> Shop<'_> {
        Shop {
            links: &self.links,
            currency: &self.config.currency,
            symbol: &self.config.currency_symbol,
        }
    }

    /// Lets a page's forms lead to Stripe's payment page (when card payments are on): the
    /// checkout and order pages, whose posts may be answered with a redirect there.
    pub fn allow_payment_redirects(&self, response: &mut actix_web::HttpResponse) {
        if self.stripe.is_none() {
            return;
        }
        let targets =
            crate::web::security_headers::payment_form_targets(&self.config.stripe_api_base);
        let policy = crate::web::security_headers::policy_with_form_targets(&targets);
        if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&policy) {
            response
                .headers_mut()
                .insert(actix_web::http::header::CONTENT_SECURITY_POLICY, value);
        }
    }

    /// Tells the mail worker that mail is waiting (call after the transaction commits).
    pub fn wake_mailer(&self) {
        self.mail_wake.notify_one();
    }
}

/// A value read from the database and kept for a while, shared by every worker, with the
/// catalogue version it was read at (or after).
pub struct Kept<T> {
    slot: RwLock<Option<Held<T>>>,
}

struct Held<T> {
    read_at: Instant,
    version: i64,
    value: Arc<T>,
}

impl<T> Default for Kept<T> {
    fn default() -> Self {
        Kept {
            slot: RwLock::new(None),
        }
    }
}

impl Kept<Versions> {
    /// Keeps `versions` as just read, unless newer ones are kept (they stay, read now).
    fn keep_newest(&self, versions: Versions) {
        let mut slot = self
            .slot
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let newest = match slot.as_ref() {
            Some(held) if held.version > versions.catalog => *held.value,
            _ => versions,
        };
        *slot = Some(Held {
            read_at: Instant::now(),
            version: newest.catalog,
            value: Arc::new(newest),
        });
    }
}

impl<T> Kept<T> {
    /// The kept value, if it was read less than `ttl` ago at catalogue `version` or later.
    fn fresh(&self, ttl: Duration, version: i64) -> Option<Arc<T>> {
        let slot = self
            .slot
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        slot.as_ref()
            .filter(|held| held.version >= version && held.read_at.elapsed() < ttl)
            .map(|held| held.value.clone())
    }

    /// Keeps `value` as just read, after the catalogue was seen at `version`.
    fn keep(&self, value: Arc<T>, version: i64) {
        *self
            .slot
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(Held {
            read_at: Instant::now(),
            version,
            value,
        });
    }

    /// Forgets the kept value, after it changed.
    pub fn invalidate(&self) {
        *self
            .slot
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = None;
    }
}

/// The shop's state registered with the app, as a handler or middleware reads it.
pub fn state_of(req: &actix_web::HttpRequest) -> Result<actix_web::web::Data<AppState>, AppError> {
    req.app_data::<actix_web::web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("AppState is not registered".into()))
}
