//! shopfront: a web shop whose backend owns the rules, the data and the HTML.
//!
//! [`app`] is the one place routes and middleware are wired; `main` and every test use it.

pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod models;
pub mod schema;
pub mod web;

use std::net::TcpListener;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::middleware::{Compress, Logger};
use actix_web::{web as aweb, App, HttpServer};

pub use crate::config::Config;
pub use crate::web::state::AppState;
use crate::web::{assets, catalog, catch_panic::CatchPanic, health, security_headers};

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
    App::new()
        .app_data(aweb::Data::new(state))
        .app_data(aweb::QueryConfig::default().error_handler(web::query_error))
        .app_data(aweb::PathConfig::default().error_handler(web::path_error))
        .route("/", web::get().to(catalog::home))
        .route("/products", web::get().to(catalog::list))
        .route("/products/{id}", web::get().to(catalog::show))
        .route("/healthz", web::get().to(health::healthz))
        .route("/robots.txt", web::get().to(assets::robots))
        .route("/static/{name}", web::get().to(assets::file))
        .default_service(aweb::to(web::not_found))
        // Innermost first: a panic becomes the 500 page before the headers are added.
        .wrap(CatchPanic)
        .wrap(security_headers::security_headers())
        .wrap(Compress::default())
        .wrap(request_logger())
}

/// Logs one line per request: never the query string (it can carry tokens) or cookies. The
/// address is the TCP peer's: a forwarded-for header is only as honest as whoever sent it.
fn request_logger() -> Logger {
    Logger::new("%a \"%{method}xi %U\" %s %b %Dms")
        .custom_request_replace("method", |req| req.method().to_string())
}

/// Starts serving `state` on `listener` with `workers` worker threads.
pub fn serve(state: AppState, listener: TcpListener, workers: usize) -> std::io::Result<Server> {
    let server = HttpServer::new(move || app(state.clone()))
        .workers(workers.max(1))
        .listen(listener)?
        .run();
    Ok(server)
}
