//! shopfront: a web shop whose backend owns the rules, the data and the HTML.
//!
//! [`app`] is the one place routes and middleware are wired; `main` and every test use it.

pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod housekeeping;
pub mod listener;
pub mod mail;
pub mod models;
pub mod ops;
pub mod schema;
pub mod services;
pub mod web;

use std::net::TcpListener;
use std::sync::Arc;

use actix_identity::config::LogoutBehavior;
use actix_identity::IdentityMiddleware;
use actix_session::config::{CookieContentSecurity, PersistentSession};
use actix_session::SessionMiddleware;
use actix_web::body::MessageBody;
use actix_web::cookie::{time::Duration as CookieDuration, SameSite};
use actix_web::dev::{Server, ServerHandle, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{from_fn, Compress, Logger};
use actix_web::{web as aweb, App, HttpServer};

use crate::config::limits;
pub use crate::config::Config;
use crate::web::csrf::CsrfProtection;
use crate::web::session_store::DbSessionStore;
pub use crate::web::state::AppState;
use crate::web::{
    account, assets, cart, catalog, catch_panic::CatchPanic, checkout, client_ip, compression,
    conditional, health, key_rotation, new_sessions, reviews, security_headers, uploads,
};

/// A login lasts at most this long, however active.
pub(crate) const LOGIN_DEADLINE_DAYS: u64 = 30;
/// A login ends after this long without a visit.
const VISIT_DEADLINE_DAYS: u64 = 14;

/// The session cookie's name (`__Host-` when cookies are HTTPS-only, which pins it to this host).
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-shopfront_session"
    } else {
        "shopfront_session"
    }
}

/// Builds the application: every route, every middleware, the shared state.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let secure = state.config.cookie_secure;
    let logged_config = Arc::clone(&state.config);
    let sessions = SessionMiddleware::builder(
        DbSessionStore::new(state.pool.clone()),
        state.cookie_key.clone(),
    )
    .cookie_name(session_cookie_name(secure).to_string())
    .cookie_secure(secure)
    .cookie_http_only(true)
    .cookie_same_site(SameSite::Lax)
    .cookie_path("/".to_string())
    .cookie_content_security(CookieContentSecurity::Signed)
    .session_lifecycle(
        PersistentSession::default().session_ttl(CookieDuration::days(LOGIN_DEADLINE_DAYS as i64)),
    )
    .build();
    let identity = IdentityMiddleware::builder()
        .login_deadline(Some(std::time::Duration::from_secs(
            LOGIN_DEADLINE_DAYS * 86_400,
        )))
        .visit_deadline(Some(std::time::Duration::from_secs(
            VISIT_DEADLINE_DAYS * 86_400,
        )))
        // Logout clears and renews the session itself (deleting the old row), keeping the flash.
        .logout_behavior(LogoutBehavior::DeleteIdentityKeys)
        .build();

    let multipart_bytes = state.config.multipart_bytes();
    App::new()
        .app_data(aweb::Data::new(state))
        .app_data(aweb::QueryConfig::default().error_handler(web::query_error))
        .app_data(aweb::PathConfig::default().error_handler(web::path_error))
        .app_data(
            aweb::FormConfig::default()
                .limit(limits::FORM_BYTES)
                .error_handler(web::form_error),
        )
        .app_data(
            actix_multipart::form::MultipartFormConfig::default()
                .total_limit(multipart_bytes)
                .memory_limit(multipart_bytes)
                .error_handler(web::multipart_error),
        )
        // The catalogue
        .route("/", web::get().to(catalog::home))
        .service(
            aweb::resource("/products")
                .route(web::get().to(catalog::list))
                .route(aweb::post().to(web::admin::products::create)),
        )
        .service(
            aweb::resource("/products/{id}")
                .route(web::get().to(catalog::show))
                .route(aweb::post().to(web::admin::products::update)),
        )
        .route(
            "/products/{id}/archive",
            aweb::post().to(web::admin::products::archive),
        )
        .route(
            "/products/{id}/unarchive",
            aweb::post().to(web::admin::products::unarchive),
        )
        .route("/products/{id}/reviews", aweb::post().to(reviews::post))
        // Accounts
        .service(
            aweb::resource("/signup")
                .route(web::get().to(account::signup::signup_form))
                .route(aweb::post().to(account::signup::signup)),
        )
        .route(
            "/verify-email",
            web::get().to(account::signup::verify_email),
        )
        .service(
            aweb::resource("/login")
                .route(web::get().to(account::login::login_form))
                .route(aweb::post().to(account::login::login)),
        )
        .route("/logout", aweb::post().to(account::login::logout))
        .service(
            aweb::resource("/password/forgot")
                .route(web::get().to(account::password::forgot_form))
                .route(aweb::post().to(account::password::forgot)),
        )
        .service(
            aweb::resource("/password/reset")
                .route(web::get().to(account::password::reset_form))
                .route(aweb::post().to(account::password::reset)),
        )
        .route("/account/credit", web::get().to(account::credit::show))
        .route(
            "/account/addresses",
            web::get().to(account::addresses::list),
        )
        .route(
            "/account/addresses",
            aweb::post().to(account::addresses::add),
        )
        .route(
            "/account/addresses/{id}/delete",
            aweb::post().to(account::addresses::delete),
        )
        .route("/account", web::get().to(account::settings::account))
        .route(
            "/account/verify-email",
            aweb::post().to(account::signup::resend_verification),
        )
        .route(
            "/account/password",
            aweb::post().to(account::settings::change_password),
        )
        // Cart, checkout, orders
        .route("/cart", web::get().to(cart::show))
        .route("/cart/items", aweb::post().to(cart::add))
        .route("/cart/items/{product_id}", aweb::post().to(cart::set))
        .route("/cart/coupon", aweb::post().to(cart::apply_coupon))
        .route("/cart/coupon/remove", aweb::post().to(cart::remove_coupon))
        .service(
            aweb::resource("/checkout")
                .route(web::get().to(checkout::show))
                .route(aweb::post().to(checkout::place)),
        )
        .route("/orders", web::get().to(web::orders::list))
        .route("/orders/{id}", web::get().to(web::orders::show))
        .route("/orders/{id}/cancel", aweb::post().to(web::orders::cancel))
        .route("/orders/{id}/pay", aweb::post().to(web::orders::pay))
        .route("/orders/{id}/invoice", web::get().to(web::orders::invoice))
        // Operations and files, before the admin pages: actix tries routes in order, and
        // each pattern with a parameter costs a match.
        .route("/healthz", web::get().to(health::healthz))
        .route("/robots.txt", web::get().to(assets::robots))
        .route("/sitemap.xml", web::get().to(web::seo::sitemap))
        .route(
            "/{name:sitemap-[0-9]+\\.xml}",
            web::get().to(web::seo::sitemap_part),
        )
        .route("/static/{name}", web::get().to(assets::file))
        .route("/uploads/{name}", web::get().to(uploads::serve))
        // Running the shop
        .route("/admin", web::get().to(web::admin::dashboard::dashboard))
        .route("/admin/products", web::get().to(web::admin::products::list))
        .route(
            "/admin/products/new",
            web::get().to(web::admin::products::new_form),
        )
        .route(
            "/admin/products/{id}/edit",
            web::get().to(web::admin::products::edit_form),
        )
        .route(
            "/admin/products/{id}/variants",
            aweb::post().to(web::admin::variants::create),
        )
        .route(
            "/admin/products/{id}/variants/{variant_id}",
            aweb::post().to(web::admin::variants::update),
        )
        .route(
            "/admin/products/{id}/variants/{variant_id}/archive",
            aweb::post().to(web::admin::variants::archive),
        )
        .route(
            "/admin/products/{id}/photos",
            aweb::post().to(web::admin::photos::create),
        )
        .route(
            "/admin/products/{id}/photos/{photo_id}/cover",
            aweb::post().to(web::admin::photos::cover),
        )
        .route(
            "/admin/products/{id}/photos/{photo_id}/delete",
            aweb::post().to(web::admin::photos::delete),
        )
        .route(
            "/admin/products.csv",
            web::get().to(web::admin::csv::export),
        )
        .route(
            "/admin/products/import",
            aweb::post().to(web::admin::csv::import),
        )
        .service(
            aweb::resource("/admin/categories")
                .route(web::get().to(web::admin::categories::list))
                .route(aweb::post().to(web::admin::categories::create)),
        )
        .route(
            "/admin/categories/new",
            web::get().to(web::admin::categories::new_form),
        )
        .route(
            "/admin/categories/{id}",
            aweb::post().to(web::admin::categories::update),
        )
        .route(
            "/admin/categories/{id}/edit",
            web::get().to(web::admin::categories::edit_form),
        )
        .route(
            "/admin/categories/{id}/delete",
            aweb::post().to(web::admin::categories::delete),
        )
        .route("/admin/orders", web::get().to(web::admin::orders::list))
        .route(
            "/admin/orders/{id}",
            web::get().to(web::admin::orders::show),
        )
        .route(
            "/admin/orders/{id}/status",
            aweb::post().to(web::admin::orders::set_status),
        )
        .service(
            aweb::resource("/admin/coupons")
                .route(web::get().to(web::admin::coupons::list))
                .route(aweb::post().to(web::admin::coupons::create)),
        )
        .route(
            "/admin/coupons/new",
            web::get().to(web::admin::coupons::new_form),
        )
        .route(
            "/admin/coupons/{id}",
            aweb::post().to(web::admin::coupons::update),
        )
        .route(
            "/admin/coupons/{id}/edit",
            web::get().to(web::admin::coupons::edit_form),
        )
        .route(
            "/admin/coupons/{id}/delete",
            aweb::post().to(web::admin::coupons::delete),
        )
        .route("/admin/shipping", web::get().to(web::admin::shipping::list))
        .route(
            "/admin/shipping",
            aweb::post().to(web::admin::shipping::create),
        )
        .route(
            "/admin/shipping/{id}",
            aweb::post().to(web::admin::shipping::update),
        )
        .route(
            "/admin/shipping/{id}/delete",
            aweb::post().to(web::admin::shipping::delete),
        )
        .route("/admin/taxes", web::get().to(web::admin::shipping::taxes))
        .route(
            "/admin/taxes",
            aweb::post().to(web::admin::shipping::set_rates),
        )
        .route(
            "/admin/taxes/{country}/delete",
            aweb::post().to(web::admin::shipping::delete_rates),
        )
        .route("/admin/settings", web::get().to(web::admin::settings::show))
        .route(
            "/admin/settings",
            aweb::post().to(web::admin::settings::save),
        )
        .route(
            "/admin/orders/{id}/refund",
            aweb::post().to(web::admin::orders::refund),
        )
        .route("/admin/users", web::get().to(web::admin::users::list))
        .route(
            "/admin/users/{id}/role",
            aweb::post().to(web::admin::users::set_role),
        )
        .route(
            "/admin/users/{id}/credit",
            aweb::post().to(web::admin::users::adjust_credit),
        )
        .route(
            web::payments::STRIPE_WEBHOOK_PATH,
            aweb::post().to(web::payments::stripe_webhook),
        )
        .route("/admin/audit", web::get().to(web::admin::audit::list))
        .route(
            "/admin/reviews/{id}/hide",
            aweb::post().to(web::admin::reviews::hide),
        )
        .route(
            "/admin/reviews/{id}/show",
            aweb::post().to(web::admin::reviews::show),
        )
        .default_service(aweb::to(web::not_found))
        // Innermost first: a panic becomes the 500 page before the headers are added; the
        // CSRF check needs the session, so the session middleware wraps it; a post counts
        // as a new session only once its token is checked.
        .wrap(CatchPanic)
        .wrap(from_fn(conditional::read_version_after_writes))
        .wrap(from_fn(new_sessions::cap_new_sessions))
        .wrap(CsrfProtection)
        .wrap(identity)
        .wrap(sessions)
        .wrap(from_fn(key_rotation::resign_previous_key_cookies))
        .wrap(security_headers::security_headers(secure))
        .wrap(Compress::default())
        .wrap(from_fn(compression::identity_for_http10))
        .wrap(request_logger(logged_config))
}

/// Logs one line per request: never the query string (it can carry tokens) or cookies. The
/// address is the client's as `TRUSTED_PROXIES` allow it to be known (see `client_ip`).
fn request_logger(config: Arc<Config>) -> Logger {
    Logger::new("%{client}xi \"%{method}xi %U\" %s %b %Dms")
        .custom_request_replace("method", |req| req.method().to_string())
        .custom_request_replace("client", move |req| {
            client_ip::of(req.request(), &config.trusted_proxies)
                .map_or_else(|| "-".to_string(), |ip| ip.to_string())
        })
}

/// A started shop: the HTTP server and, beside it, the mail worker.
pub struct Shop {
    server: Server,
    mail: mail::Worker,
    payments: tokio::task::JoinHandle<()>,
    shutdown_timeout: std::time::Duration,
}

impl Shop {
    /// A handle to stop the server: `stop(true)` stops accepting, lets requests in flight
    /// finish (within `SHUTDOWN_TIMEOUT`) and closes idle keep-alive connections.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped through a handle, then lets the mail worker deliver the mail in
    /// hand before returning.
    pub async fn run(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.payments.abort();
        self.mail.stop(self.shutdown_timeout).await;
        served
    }
}

/// Starts serving `state` on `listener` with `workers` worker threads, and the mail worker
/// beside them. Call from within an actix system. OS signals are the caller's to handle.
pub fn serve(state: AppState, listener: TcpListener, workers: usize) -> Result<Shop, String> {
    let mailer = Arc::new(mail::Mailer::from_config(&state.config)?);
    // Mails sent before any page is served are signed with the stored shop name too.
    if let Ok(mut conn) = state.pool.get() {
        let seed = state.config.seed_settings();
        if let Ok(settings) = models::settings::load_or_seed(&mut conn, &seed, models::now()) {
            state.links.set_shop_name(&settings.shop_name);
        }
    }
    let mail = mail::Worker::spawn(
        state.pool.clone(),
        mailer,
        state.links.clone(),
        Arc::clone(&state.mail_wake),
    );
    let payments = actix_web::rt::spawn(
        housekeeping::PaymentJob {
            pool: state.pool.clone(),
            stripe: state.stripe.clone(),
            config: Arc::clone(&state.config),
            links: state.links.clone(),
            mail_wake: Arc::clone(&state.mail_wake),
        }
        .run(),
    );
    let shutdown_timeout = state.config.shutdown_timeout;
    let server = HttpServer::new(move || app(state.clone()))
        .workers(workers.max(1))
        .disable_signals()
        .shutdown_timeout(shutdown_timeout)
        .listen(listener)
        .map_err(|e| format!("cannot listen: {e}"))?
        .run();
    Ok(Shop {
        server,
        mail,
        payments,
        shutdown_timeout: std::time::Duration::from_secs(shutdown_timeout),
    })
}
