//! Orders in the admin area: the list (status filter, search by address or number), one
//! order, and moving it along the status machine.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::domain::payment::RefundProblem;
use crate::domain::Money;
use crate::domain::{OrderStatus, PageNumber, Pagination};
use crate::mail::compose::tax_sentence_list;
use crate::models::now;
use crate::models::order::{self, AdminOrderRow, Order, OrderFilter, OrderItem};
use crate::models::order_tax;
use crate::models::refund::{self, Refund};
use crate::services::order_admin;
use crate::services::refunds::{self, RefundFailure, RefundRequest};
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
    statuses: [OrderStatus; 7],
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
    refunds: Vec<Refund>,
    refund: RefundForm,
    taxes: Vec<String>,
}

async fn order_page(
    state: &AppState,
    page: PageContext,
    id: i32,
    (error, refund): (Option<String>, RefundForm),
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (order, items, email, refunds, taxes) = db::run(&state.pool, move |conn| {
        let order = order::find(conn, id)?.ok_or(AppError::NotFound)?;
        let items = order::items(conn, id)?;
        let email = order::customer_email(conn, id)?.unwrap_or_default();
        let refunds = refund::for_order(conn, id)?;
        Ok((
            order,
            items,
            email,
            refunds,
            order_tax::for_order(conn, id)?,
        ))
    })
    .await?;
    let symbol = &state.config.currency_symbol;
    let taxes = tax_sentence_list(
        &order_tax::amounts(&taxes),
        order.prices_include_tax,
        symbol,
    );
    render(
        status,
        &OrderPage {
            page,
            order,
            items,
            email,
            error,
            refunds,
            refund,
            taxes,
        },
    )
}

/// The page again with a message, as a 400.
async fn refused(
    state: &AppState,
    page: PageContext,
    id: i32,
    (message, refund): (String, RefundForm),
) -> Result<HttpResponse, AppError> {
    order_page(
        state,
        page,
        id,
        (Some(message), refund),
        StatusCode::BAD_REQUEST,
    )
    .await
}

/// `GET /admin/orders/{id}`.
pub async fn show(v: AdminVisit, id: web::Path<String>) -> Reply {
    let AdminVisit { state, page, .. } = v;
    let blank = (None, RefundForm::default());
    order_page(&state, page, path_id(&id)?, blank, StatusCode::OK).await
}

/// The status form as posted.
#[derive(Debug, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    status: String,
    #[serde(default)]
    tracking_number: String,
}

/// Longest tracking number kept.
const TRACKING_NUMBER_MAX: usize = 64;
/// Longest refund reason kept.
const REASON_MAX: usize = 500;

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
        return refused(&state, page, id, (message, RefundForm::default())).await;
    };
    let tracking_number = form.tracking_number.trim().to_string();
    if tracking_number.chars().count() > TRACKING_NUMBER_MAX
        || tracking_number.chars().any(char::is_control)
    {
        let message =
            format!("A tracking number is at most {TRACKING_NUMBER_MAX} characters on one line.");
        return refused(&state, page, id, (message, RefundForm::default())).await;
    }
    if to == OrderStatus::Cancelled
        && !crate::web::payments::payment_stopped(&state, id, None).await?
    {
        let message = "Stripe could not be reached to stop this order's card payment, so it is not cancelled. Try again in a moment.".to_string();
        return refused(&state, page, id, (message, RefundForm::default())).await;
    }
    let actor = actor(&admin);
    let worker_state = state.clone();
    let moved = db::run(&state.pool, move |conn| {
        let change = (id, to, Some(tracking_number.as_str()));
        order_admin::change_order_status(conn, &actor, change, worker_state.shop(), now())
    })
    .await?;
    match moved {
        Ok(()) => {
            state.wake_mailer();
            log::info!("admin {} moved order {id} to {}", admin.0.id, to.as_str());
            Ok(flash::success(
                &req,
                format!("Order #{id} is now {}.", to.label().to_lowercase()),
                &format!("/admin/orders/{id}"),
            ))
        }
        Err(reason) => refused(&state, page, id, (reason, RefundForm::default())).await,
    }
}

/// The refund form as posted (and shown again with its values).
#[derive(Debug, Default, Deserialize)]
pub struct RefundForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    restock: Option<String>,
}

/// `POST /admin/orders/{id}/refund`: pays back `amount` (at most what is still refundable)
/// the way the money came, with a `reason`, optionally putting the stock back.
pub async fn refund(v: AdminVisit, id: web::Path<String>, form: web::Form<RefundForm>) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let id = path_id(&id)?;
    let form = form.into_inner();
    let reason = form.reason.trim().to_string();
    let amount = Money::parse_price(form.amount.trim());
    let problem = match (&amount, reason.is_empty()) {
        (Err(_), _) => Some("Enter the amount to refund, like 12.50.".to_string()),
        (_, true) => Some("Say why: the customer reads the reason in their mail.".to_string()),
        _ if reason.chars().count() > REASON_MAX => {
            Some(format!("The reason is at most {REASON_MAX} characters."))
        }
        _ => None,
    };
    let (Some(amount), None) = (amount.ok(), problem.clone()) else {
        let message = problem.unwrap_or_default();
        return refused(&state, page, id, (message, form)).await;
    };
    let actor = actor(&admin);
    let worker_state = state.clone();
    let restock = form.restock.is_some();
    let refund_reason = reason.clone();
    let outcome = web::block(move || {
        let request = RefundRequest {
            order_id: id,
            amount,
            reason: &refund_reason,
            restock,
        };
        let shop = worker_state.shop();
        refunds::refund(
            &worker_state.pool,
            worker_state.stripe.as_ref(),
            shop,
            Some(&actor),
            &request,
            now(),
        )
    })
    .await??;
    state.wake_mailer();
    let message = match outcome {
        Ok(()) => {
            log::info!(
                "admin {} refunded {} of order {id}",
                admin.0.id,
                amount.cents()
            );
            let text = format!("Refunded {} of order #{id}.", page.money(amount));
            return Ok(flash::success(&req, text, &format!("/admin/orders/{id}")));
        }
        Err(RefundFailure::Amount(RefundProblem::NotPositive)) => {
            "Enter an amount above zero.".to_string()
        }
        Err(RefundFailure::Amount(RefundProblem::OverRefundable { refundable })) => format!(
            "At most {} of this order can still be refunded.",
            page.money(refundable)
        ),
        Err(RefundFailure::Refused(why)) => {
            format!("Stripe refused the refund, so nothing was refunded: {why}")
        }
        Err(RefundFailure::Delayed(why)) => {
            log::warn!("refund of order {id} delayed: {why}");
            let text = "Stripe could not be reached: the refund is recorded and will be sent to Stripe automatically.";
            return Ok(flash::info(&req, text, &format!("/admin/orders/{id}")));
        }
    };
    let form = RefundForm { reason, ..form };
    refused(&state, page, id, (message, form)).await
}
