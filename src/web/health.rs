//! `GET /healthz`: whether this instance can reach its database.

use actix_web::http::header::{CacheControl, CacheDirective};
use actix_web::{web, HttpResponse};

use crate::db;
use crate::web::state::AppState;

/// 200 `ok` when the database answers, 503 otherwise.
pub async fn healthz(state: web::Data<AppState>) -> HttpResponse {
    let up = matches!(
        db::run(&state.pool, |conn| Ok(db::ping(conn))).await,
        Ok(true)
    );
    let mut response = if up {
        HttpResponse::Ok()
    } else {
        HttpResponse::ServiceUnavailable()
    };
    response
        .content_type("text/plain; charset=utf-8")
        .insert_header(CacheControl(vec![CacheDirective::NoStore]))
        .body(if up { "ok\n" } else { "database unavailable\n" })
}
