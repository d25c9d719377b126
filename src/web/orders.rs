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
use crate::models::order::OrderAccess;
use crate::models::order::{self, Order, OrderItem};
use crate::models::order_guest;
use crate::models::order_tax::{self, OrderTax};
use crate::models::refund::{self, Refund};
use crate::services::cancellation::{self, CannotCancel};
use crate::services::checkout::bank_transfer_instructions;
use crate::services::checkout::hash_link_key;
use crate::services::payments;
use crate::web::auth::{current_user, login_required, CurrentUser};
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

/// Who asks for order `id`, from a guest's private link `key` or the login: any key makes
/// it a guest's request (a wrong key then finds nothing: 404); without one, the logged-in
/// customer's (an admin's with `admin_sees_all`); an anonymous visitor is sent to log in,
/// except to a guest's order, which only its key opens (404).
async fn access_for(
    req: &actix_web::HttpRequest,
    state: &AppState,
    id: i32,
    (key, admin_sees_all): (Option<&str>, bool),
) -> Result<OrderAccess, AppError> {
    if let Some(key) = key {
        return Ok(OrderAccess::GuestKey(hash_link_key(key)));
    }
    match current_user(req).await? {
        Some(user) if admin_sees_all && user.is_admin() => Ok(OrderAccess::Admin),
        Some(user) => Ok(OrderAccess::User(user.id)),
        None => {
            if db::run(&state.pool, move |conn| {
                Ok(order_guest::is_unclaimed(conn, id)?)
            })
            .await?
            {
                return Err(AppError::NotFound);
            }
            Err(login_required(req))
        }
    }
}

/// The page of order `id`: for a guest, the private link again.
pub fn order_url(id: i32, guest_key: Option<&str>) -> String {
    match guest_key {
        Some(key) => format!("/orders/{id}?key={key}"),
        None => format!("/orders/{id}"),
    }
}

/// Pages that show a guest's order never pass its private link on as a referrer.
fn no_referrer(response: &mut HttpResponse) {
    response.headers_mut().insert(
        actix_web::http::header::REFERRER_POLICY,
        actix_web::http::header::HeaderValue::from_static("no-referrer"),
    );
}

/// The private link's key of a guest's form (`key`).
#[derive(Debug, Default, Deserialize)]
pub struct KeyForm {
    #[serde(default)]
    key: String,
}

impl KeyForm {
    fn key(&self) -> Option<&str> {
        Some(self.key.trim()).filter(|k| !k.is_empty())
    }
}

#[derive(Template)]
#[template(path = "orders/show.html")]
struct OrderPage {
    page: PageContext,
    /// A guest's private link key, carried by the page's forms and links.
    guest_key: Option<String>,
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
    (id, access, guest_key): (i32, OrderAccess, Option<&str>),
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (order, items, refunds, taxes) = db::run(&state.pool, move |conn| {
        let order = order::find_for(conn, id, &access)?.ok_or(AppError::NotFound)?;
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
            guest_key: guest_key.map(str::to_string),
            order,
            items,
            error,
            refunds,
            taxes,
        },
    )?;
    state.allow_payment_redirects(&mut response);
    if guest_key.is_some() {
        no_referrer(&mut response);
    }
    Ok(response)
}

/// `?payment=return` of an order page: the customer is back from Stripe's payment page;
/// `?key=`: a guest's private link.
#[derive(Debug, Deserialize)]
pub struct ShowQuery {
    payment: Option<String>,
    key: Option<String>,
}

/// `GET /orders/{id}`: items, totals, status, address. Back from Stripe's payment page
/// (`?payment=return`), the order's session is read from Stripe, so a paid order shows paid
/// even before the webhook arrives; the return itself proves nothing.
pub async fn show(v: Visit, id: web::Path<String>, query: web::Query<ShowQuery>) -> Reply {
    let (req, state, page) = v.into_parts();
    let id = path_id(&id)?;
    let key = query.key.as_deref();
    let access = access_for(&req, &state, id, (key, false)).await?;
    if query.payment.as_deref() == Some("return") {
        let mut response = back_from_payment(&req, &state, (id, access), key).await?;
        if key.is_some() {
            no_referrer(&mut response);
        }
        return Ok(response);
    }
    order_page(&state, page, (id, access, key), None, StatusCode::OK).await
}

/// Settles the order from its session if Stripe says it is paid, then shows the order
/// (303, so a reload does not ask Stripe again) with what is known.
async fn back_from_payment(
    req: &actix_web::HttpRequest,
    state: &AppState,
    (id, access): (i32, OrderAccess),
    guest_key: Option<&str>,
) -> Reply {
    let page = order_url(id, guest_key);
    let Some(stripe) = state.stripe.clone() else {
        return Ok(see_other(&page));
    };
    let worker_state = state.clone();
    let status = web::block(move || {
        let found = {
            let mut conn = worker_state.pool.get()?;
            order::find_for(&mut conn, id, &access)?
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
pub async fn pay(v: Visit, id: web::Path<String>, form: web::Form<KeyForm>) -> Reply {
    let (req, state, _) = v.into_parts();
    let id = path_id(&id)?;
    let access = access_for(&req, &state, id, (form.key(), false)).await?;
    crate::web::checkout::pay_by_card(&req, &state, id, (access, form.key())).await
}

/// `POST /orders/{id}/cancel`: while pending; the stock goes back in the same transaction.
pub async fn cancel(v: Visit, id: web::Path<String>, form: web::Form<KeyForm>) -> Reply {
    let (req, state, page) = v.into_parts();
    let id = path_id(&id)?;
    let key = form.key();
    let access = access_for(&req, &state, id, (key, false)).await?;
    let shown = (id, access.clone(), key);
    if !crate::web::payments::payment_stopped(&state, id, Some(access.clone())).await? {
        let message = "We could not stop the card payment of this order just now, so it is not cancelled. Please try again in a moment.".to_string();
        return order_page(
            &state,
            page,
            shown,
            Some(message),
            StatusCode::SERVICE_UNAVAILABLE,
        )
        .await;
    }
    let worker_state = state.clone();
    let worker_access = access.clone();
    let result = db::run(&state.pool, move |conn| {
        cancellation::cancel_by_customer(conn, &worker_state.links, (id, &worker_access), now())
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
                &order_url(id, key),
            ))
        }
        Some(Err(CannotCancel(status))) => {
            let message = format!(
                "This order is {} and can no longer be cancelled here. Please contact us.",
                status.label().to_lowercase()
            );
            order_page(&state, page, shown, Some(message), StatusCode::BAD_REQUEST).await
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
pub async fn invoice(v: Visit, id: web::Path<String>, query: web::Query<ShowQuery>) -> Reply {
    let (req, state, page) = v.into_parts();
    let id = path_id(&id)?;
    let guest = query.key.is_some();
    let access = access_for(&req, &state, id, (query.key.as_deref(), true)).await?;
    let (order, items, taxes, refunds) = db::run(&state.pool, move |conn| {
        let order = order::find_for(conn, id, &access)?.ok_or(AppError::NotFound)?;
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
    let mut response = render(
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
    )?;
    if guest {
        no_referrer(&mut response);
    }
    Ok(response)
}
