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
use crate::mail::compose::tax_sentence_list;
use crate::models::now;
use crate::models::order::{self, Order, OrderItem};
use crate::models::order_tax::{self, OrderTax};
use crate::models::refund::{self, Refund};
use crate::services::cancellation::{self, CannotCancel};
use crate::services::checkout::bank_transfer_instructions;
use crate::services::payments;
use crate::web::auth::CurrentUser;
use crate::web::error::AppError;
use crate::web::flash::{self, see_other};
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
    refunds: Vec<Refund>,
    card_payments: bool,
    taxes: Vec<String>,
}

async fn order_page(
    state: &AppState,
    page: PageContext,
    id: i32,
    user_id: i32,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (order, items, refunds, taxes) = db::run(&state.pool, move |conn| {
        let order = order::find_for_user(conn, id, user_id)?.ok_or(AppError::NotFound)?;
        let items = order::items(conn, id)?;
        let refunds = refund::for_order(conn, id)?;
        Ok((order, items, refunds, order_tax::for_order(conn, id)?))
    })
    .await?;
    let symbol = &state.config.currency_symbol;
    let taxes = tax_sentence_list(
        &order_tax::amounts(&taxes),
        order.prices_include_tax,
        symbol,
    );
    let awaiting_transfer =
        order.payment_method == PaymentMethod::BankTransfer && order.status == OrderStatus::Pending;
    let settings = state.settings().await?;
    let details = &settings.bank_transfer_details;
    let mut response = render(
        status,
        &OrderPage {
            page,
            bank_instructions: awaiting_transfer
                .then(|| bank_transfer_instructions(details, order.id)),
            card_payments: state.stripe.is_some(),
            order,
            items,
            error,
            refunds,
            taxes,
        },
    )?;
    state.allow_payment_redirects(&mut response);
    Ok(response)
}

/// `?payment=return` of an order page: the customer is back from Stripe's payment page.
#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    payment: Option<String>,
}

/// `GET /orders/{id}`: items, totals, status, address. Back from Stripe's payment page
/// (`?payment=return`), the order's session is read from Stripe, so a paid order shows paid
/// even before the webhook arrives; the return itself proves nothing.
pub async fn show(
    v: Visit,
    CurrentUser(user): CurrentUser,
    id: web::Path<String>,
    query: web::Query<ShowQuery>,
) -> Reply {
    let (req, state, page) = v.into_parts();
    let id = path_id(&id)?;
    if query.payment.as_deref() == Some("return") {
        return back_from_payment(&req, &state, id, user.id).await;
    }
    order_page(&state, page, id, user.id, None, StatusCode::OK).await
}

/// Settles the order from its session if Stripe says it is paid, then shows the order
/// (303, so a reload does not ask Stripe again) with what is known.
async fn back_from_payment(
    req: &actix_web::HttpRequest,
    state: &AppState,
    id: i32,
    user_id: i32,
) -> Reply {
    let page = format!("/orders/{id}");
    let Some(stripe) = state.stripe.clone() else {
        return Ok(see_other(&page));
    };
    let worker_state = state.clone();
    let status = web::block(move || {
        let found = {
            let mut conn = worker_state.pool.get()?;
            order::find_for_user(&mut conn, id, user_id)?
        };
        let Some(found) = found else {
            return Ok(None);
        };
        payments::check_on_return(
            &worker_state.pool,
            &stripe,
            worker_state.shop(),
            &found,
            now(),
        )
        .map(Some)
    })
    .await??
    .ok_or(AppError::NotFound)?;
    state.wake_mailer();
    Ok(match status {
        OrderStatus::Paid => flash::success(req, "Thank you! Your payment is confirmed.", &page),
        OrderStatus::Pending => flash::info(
            req,
            "Thank you! We are waiting for the confirmation of your payment; this page will show it once it arrives.",
            &page,
        ),
        _ => see_other(&page),
    })
}

/// `POST /orders/{id}/pay`: starts (or resumes) the card payment of a pending card order.
pub async fn pay(v: Visit, CurrentUser(user): CurrentUser, id: web::Path<String>) -> Reply {
    let (req, state, _) = v.into_parts();
    crate::web::checkout::pay_by_card(&req, &state, path_id(&id)?, user.id).await
}

/// `POST /orders/{id}/cancel`: while pending; the stock goes back in the same transaction.
pub async fn cancel(v: Visit, CurrentUser(user): CurrentUser, id: web::Path<String>) -> Reply {
    let (req, state, page) = v.into_parts();
    let id = path_id(&id)?;
    let user_id = user.id;
    if !crate::web::payments::payment_stopped(&state, id, Some(user_id)).await? {
        let message = "We could not stop the card payment of this order just now, so it is not cancelled. Please try again in a moment.".to_string();
        return order_page(
            &state,
            page,
            id,
            user_id,
            Some(message),
            StatusCode::SERVICE_UNAVAILABLE,
        )
        .await;
    }
    let worker_state = state.clone();
    let result = db::run(&state.pool, move |conn| {
        cancellation::cancel_by_customer(conn, &worker_state.links, (id, user_id), now())
    })
    .await?;
    state.wake_mailer();
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

#[derive(Template)]
#[template(path = "orders/invoice.html")]
struct InvoicePage {
    page: PageContext,
    order: Order,
    items: Vec<OrderItem>,
    taxes: Vec<OrderTax>,
    refunds: Vec<Refund>,
    settings: std::sync::Arc<crate::domain::settings::ShopSettings>,
    invoice_number: String,
    invoiced_on: String,
}

/// `GET /orders/{id}/invoice`: the printable invoice of a paid order, for its owner or an
/// admin; anyone else, and an order without an invoice, is a 404.
pub async fn invoice(v: Visit, CurrentUser(user): CurrentUser, id: web::Path<String>) -> Reply {
    let Visit { state, page, .. } = v;
    let id = path_id(&id)?;
    let (user_id, admin) = (user.id, user.is_admin());
    let (order, items, taxes, refunds) = db::run(&state.pool, move |conn| {
        let order = match admin {
            true => order::find(conn, id)?,
            false => order::find_for_user(conn, id, user_id)?,
        };
        let order = order.ok_or(AppError::NotFound)?;
        let items = order::items(conn, id)?;
        let taxes = order_tax::for_order(conn, id)?;
        let refunds = refund::for_order(conn, id)?;
        Ok((order, items, taxes, refunds))
    })
    .await?;
    let (Some(invoice_number), Some(invoiced_at)) =
        (order.invoice_number.clone(), order.invoiced_at)
    else {
        return Err(AppError::NotFound);
    };
    let settings = state.settings().await?;
    render(
        StatusCode::OK,
        &InvoicePage {
            page,
            invoiced_on: invoiced_at.format("%-d %B %Y").to_string(),
            invoice_number,
            order,
            items,
            taxes,
            refunds: refunds.into_iter().filter(Refund::is_done).collect(),
            settings,
        },
    )
}
