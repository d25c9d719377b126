//! `GET /admin`: the shop at a glance.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

use crate::db;
use crate::domain::ProductStatus;
use crate::schema::{products, users};
use crate::web::auth::AdminUser;
use crate::web::error::AppError;
use crate::web::page::{render, PageContext};
use crate::web::state::AppState;

/// Counts shown on the dashboard.
struct Counts {
    products_on_sale: i64,
    products_archived: i64,
    customers: i64,
    unverified: i64,
}

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    page: PageContext,
    counts: Counts,
}

/// `GET /admin`.
pub async fn dashboard(
    state: web::Data<AppState>,
    page: PageContext,
    _admin: AdminUser,
) -> Result<HttpResponse, AppError> {
    let counts = db::run(&state.pool, |conn| {
        let by_status = |conn: &mut db::DbConn, status: ProductStatus| {
            products::table
                .filter(products::status.eq(status.as_str()))
                .count()
                .get_result::<i64>(conn)
        };
        Ok(Counts {
            products_on_sale: by_status(conn, ProductStatus::Active)?,
            products_archived: by_status(conn, ProductStatus::Archived)?,
            customers: users::table.count().get_result(conn)?,
            unverified: users::table
                .filter(users::email_verified_at.is_null())
                .count()
                .get_result(conn)?,
        })
    })
    .await?;
    render(StatusCode::OK, &DashboardPage { page, counts })
}
