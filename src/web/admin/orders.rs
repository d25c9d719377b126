//! Orders in the admin area: the list (status filter, search by address or number), one
//! order, and moving it along the status machine.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::domain::{OrderStatus, PageNumber, Pagination};
use crate::models::now;
use crate::models::order::{self, AdminOrderRow, Order, OrderFilter, OrderItem};
use crate::services::order_admin;
use crate::web::admin::{actor, choice, list_url, read_page};
use crate::web::error::AppError;
use crate::web::flash::{self};
use crate::web::page::{render, PageContext};
use crate::web::pagination::PageLinks;
use crate::web::state::AppState;
use crate::web::visit::{path_id, AdminVisit, Reply};

/// The list's query string.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
    q: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/orders.html")]
struct ListPage {
    page: PageContext,
    rows: Vec<AdminOrderRow>,
    pagination: Pagination,
    status: String,
    q: String,
    statuses: [OrderStatus; 5],
    links: PageLinks,
}

/// `GET /admin/orders`.
pub async fn list(v: AdminVisit, query: web::Query<ListQuery>) -> Reply {
    let AdminVisit { state, page, .. } = v;
    let query = query.into_inner();
    let status_text = query.status.unwrap_or_default();
    let status = choice(&status_text, OrderStatus::parse, "Unknown order status.")?;
    let q = query.q.unwrap_or_default().trim().to_string();
    let number = PageNumber::parse(query.page.as_deref())?;
    let filter = OrderFilter {
        status,
        search: (!q.is_empty()).then(|| q.clone()),
    };
    let (rows, pagination) = read_page(&state, number, move |conn, window| {
        Ok(order::admin_page(conn, &filter, window)?)
    })
    .await?;
    let params = [("status", status_text.as_str()), ("q", q.as_str())];
    render(
        StatusCode::OK,
        &ListPage {
            page,
            links: PageLinks::new(&pagination, |n| list_url("/admin/orders", &params, n)),
            rows,
            pagination,
            status: status_text,
            q,
            statuses: OrderStatus::ALL,
        },
    )
}

#[derive(Template)]
#[template(path = "admin/order.html")]
struct OrderPage {
    page: PageContext,
    order: Order,
    items: Vec<OrderItem>,
    email: String,
    error: Option<String>,
}

async fn order_page(
    state: &AppState,
    page: PageContext,
    id: i32,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (order, items, email) = db::run(&state.pool, move |conn| {
        let order = order::find(conn, id)?.ok_or(AppError::NotFound)?;
        let items = order::items(conn, id)?;
        let email = order::customer_email(conn, id)?.unwrap_or_default();
        Ok((order, items, email))
    })
    .await?;
    render(
        status,
        &OrderPage {
            page,
            order,
            items,
            email,
            error,
        },
    )
}

/// `GET /admin/orders/{id}`.
pub async fn show(v: AdminVisit, id: web::Path<String>) -> Reply {
    let AdminVisit { state, page, .. } = v;
    order_page(&state, page, path_id(&id)?, None, StatusCode::OK).await
}

/// The status form as posted.
#[derive(Debug, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
}

/// `POST /admin/orders/{id}/status`: only the moves the status machine allows; cancelling
/// puts the stock back in the same transaction.
pub async fn set_status(
    v: AdminVisit,
    id: web::Path<String>,
    form: web::Form<StatusForm>,
) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let id = path_id(&id)?;
    let Some(to) = OrderStatus::parse(form.status.trim()) else {
        let message =
            "Choose a status: pending, paid, shipped, delivered or cancelled.".to_string();
        return order_page(&state, page, id, Some(message), StatusCode::BAD_REQUEST).await;
    };
    let actor = actor(&admin);
    let moved = db::run(&state.pool, move |conn| {
        order_admin::change_order_status(conn, &actor, id, to, now())
    })
    .await?;
    match moved {
        Ok(()) => {
            log::info!("admin {} moved order {id} to {}", admin.0.id, to.as_str());
            Ok(flash::success(
                &req,
                format!("Order #{id} is now {}.", to.label().to_lowercase()),
                &format!("/admin/orders/{id}"),
            ))
        }
        Err(reason) => order_page(&state, page, id, Some(reason), StatusCode::BAD_REQUEST).await,
    }
}
