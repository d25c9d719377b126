//! `GET /admin`: the shop at a glance — products by state, orders by status, revenue of the
//! last 30 days, the ten latest orders, and links to everything.

use actix_web::http::StatusCode;
use askama::Template;
use chrono::TimeDelta;

use crate::db;
use crate::domain::OrderStatus;
use crate::models::now;
use crate::models::order::{self, AdminOrderRow};
use crate::models::product::{self, StockCounts};
use crate::web::page::{render, PageContext};
use crate::web::visit::{AdminVisit, Reply};

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct DashboardPage {
    page: PageContext,
    stock: StockCounts,
    by_status: Vec<(OrderStatus, i64)>,
    revenue_cents: i64,
    latest: Vec<AdminOrderRow>,
}

/// `GET /admin`.
pub async fn dashboard(v: AdminVisit) -> Reply {
    let AdminVisit { state, page, .. } = v;
    let (stock, counts, revenue_cents, latest) = db::run(&state.pool, |conn| {
        Ok((
            product::stock_counts(conn)?,
            order::counts_by_status(conn)?,
            order::revenue_since(conn, now() - TimeDelta::days(30))?,
            order::latest(conn, 10)?,
        ))
    })
    .await?;
    let by_status = OrderStatus::ALL
        .into_iter()
        .map(|s| {
            let n = counts
                .iter()
                .find(|(name, _)| name == s.as_str())
                .map_or(0, |(_, n)| *n);
            (s, n)
        })
        .collect();
    render(
        StatusCode::OK,
        &DashboardPage {
            page,
            stock,
            by_status,
            revenue_cents,
            latest,
        },
    )
}
