//! A customer's orders: the list, one order, and cancelling while it is pending. Another
//! user's order is a 404, never a 403 that would confirm it exists.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::domain::payment::PaymentMethod;
use crate::domain::OrderStatus;
use crate::domain::{PageNumber, Pagination};
use crate::models::now;
use crate::models::order::{self, Order, OrderItem};
use crate::services::cancellation::{self, CannotCancel};
use crate::services::checkout::bank_transfer_instructions;
use crate::web::auth::CurrentUser;
use crate::web::error::AppError;
use crate::web::flash::{self};
use crate::web::page::{render, PageContext};
use crate::web::pagination::PageLinks;
use crate::web::state::AppState;
use crate::web::visit::{path_id, Reply, Visit};

/// Orders on one page of the list.
const ORDERS_PER_PAGE: i64 = 20;

/// `?page=` of the order list.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "orders/list.html")]
struct OrdersPage {
    page: PageContext,
    orders: Vec<Order>,
    pagination: Pagination,
    links: PageLinks,
}

/// `GET /orders`: the user's orders, newest first.
pub async fn list(v: Visit, CurrentUser(user): CurrentUser, query: web::Query<ListQuery>) -> Reply {
    let Visit { state, page, .. } = v;
    let number = PageNumber::parse(query.page.as_deref())?;
    let (orders, pagination) = db::run(&state.pool, move |conn| {
        let pagination = Pagination::new(
            number,
            ORDERS_PER_PAGE,
            order::count_for_user(conn, user.id)?,
        );
        let orders = order::page_for_user(conn, user.id, pagination.per_page, pagination.offset())?;
        Ok((orders, pagination))
    })
    .await?;
    let pagination = pagination.checked()?;
    render(
        StatusCode::OK,
        &OrdersPage {
            page,
            orders,
            links: PageLinks::new(&pagination, |n| match n {
                1 => "/orders".to_string(),
                n => format!("/orders?page={n}"),
            })
            .newest_first(),
            pagination,
        },
    )
}

#[derive(Template)]
#[template(path = "orders/show.html")]
struct OrderPage {
    page: PageContext,
    order: Order,
    items: Vec<OrderItem>,
    error: Option<String>,
    bank_instructions: Option<String>,
}

async fn order_page(
    state: &AppState,
    page: PageContext,
    id: i32,
    user_id: i32,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (order, items) = db::run(&state.pool, move |conn| {
        let order = order::find_for_user(conn, id, user_id)?.ok_or(AppError::NotFound)?;
        let items = order::items(conn, id)?;
        Ok((order, items))
    })
    .await?;
    let awaiting_transfer =
        order.payment_method == PaymentMethod::BankTransfer && order.status == OrderStatus::Pending;
    let details = &state.config.bank_transfer_details;
    render(
        status,
        &OrderPage {
            page,
            bank_instructions: awaiting_transfer
                .then(|| bank_transfer_instructions(details, order.id)),
            order,
            items,
            error,
        },
    )
}

/// `GET /orders/{id}`: items, totals, status, address.
pub async fn show(v: Visit, CurrentUser(user): CurrentUser, id: web::Path<String>) -> Reply {
    let Visit { state, page, .. } = v;
    order_page(&state, page, path_id(&id)?, user.id, None, StatusCode::OK).await
}

/// `POST /orders/{id}/cancel`: while pending; the stock goes back in the same transaction.
pub async fn cancel(v: Visit, CurrentUser(user): CurrentUser, id: web::Path<String>) -> Reply {
    let (req, state, page) = v.into_parts();
    let id = path_id(&id)?;
    let user_id = user.id;
    let result = db::run(&state.pool, move |conn| {
        cancellation::cancel_by_customer(conn, id, user_id, now())
    })
    .await?;
    match result {
        None => Err(AppError::NotFound),
        Some(Ok(())) => {
            log::info!("order {id} cancelled by its customer");
            Ok(flash::success(
                &req,
                format!("Order #{id} is cancelled."),
                &format!("/orders/{id}"),
            ))
        }
        Some(Err(CannotCancel(status))) => {
            let message = format!(
                "This order is {} and can no longer be cancelled here. Please contact us.",
                status.label().to_lowercase()
            );
            order_page(
                &state,
                page,
                id,
                user_id,
                Some(message),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}
