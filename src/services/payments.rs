//! Card payments through Stripe Checkout. Starting one makes (or resumes) a Checkout Session
//! for a pending order; what Stripe says about a session — in a signed webhook event, or read
//! back when the customer returns — settles the order once: paid only when the amount and
//! currency are the order's, and an order that expired meanwhile takes its stock back or, when
//! that stock is gone, is refunded in full.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Deserialize;
use serde_json::Value;

use crate::db::{self, DbConn, DbPool};
use crate::domain::payment::PaymentMethod;
use crate::domain::{Money, OrderStatus};
use crate::error::AppError;
use crate::mail::compose::{self, Links, OrderNews};
use crate::models::order::{self, Order, OrderAccess, OrderItem};
use crate::models::{coupon, order_guest, outbox, payment_event};
use crate::services::stripe::{Stripe, StripeError};
use crate::services::{invoices, stock};

/// Stripe accepts a session's `expires_at` from 30 minutes to 24 hours after it is made.
const SESSION_MIN_LIFE: TimeDelta = TimeDelta::minutes(30);
const SESSION_MAX_LIFE: TimeDelta = TimeDelta::hours(24);

/// What settling a payment needs to know of the shop.
#[derive(Debug, Clone, Copy)]
pub struct Shop<'a> {
    /// For the links in mails and the session's return URLs.
    pub links: &'a Links,
    /// ISO 4217, lower case, as Stripe writes it.
    pub currency: &'a str,
    /// For amounts in mails.
    pub symbol: &'a str,
}

/// A Stripe event, with only the fields the shop reads.
#[derive(Debug, Clone, Deserialize)]
pub struct StripeEvent {
    /// `evt_…`, unique per event; a redelivery carries the same id.
    pub id: String,
    /// What happened, such as `checkout.session.completed`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The object the event is about.
    pub data: EventData,
}

/// The `data` of an event.
#[derive(Debug, Clone, Deserialize)]
pub struct EventData {
    /// The object itself (a Checkout Session for the events the shop acts on).
    pub object: Value,
}

/// What applying an event (or a session read back) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventOutcome {
    /// The order is paid (now, or it already was).
    Paid(i32),
    /// The payment could not be accepted for the order; it is flagged for an admin.
    Refused(i32, String),
    /// The money came for an order that expired and whose stock is gone: it must go back
    /// in full (the caller starts that refund once the transaction committed).
    RefundDue(i32),
    /// This event was applied before: nothing changed.
    Replay,
    /// Nothing to do for this event.
    Ignored,
}

/// The order a Checkout Session is for: `metadata[order_id]`, else `client_reference_id`.
fn order_of(session: &Value) -> Option<i32> {
    let named = session
        .pointer("/metadata/order_id")
        .or_else(|| session.get("client_reference_id"))?;
    named.as_str()?.parse().ok()
}

/// Applies `event` in one transaction with its record, so that a redelivered (or twice
/// delivered) event changes nothing more.
pub fn apply_stripe_event(
    conn: &mut DbConn,
    event: &StripeEvent,
    shop: Shop<'_>,
    now: NaiveDateTime,
) -> Result<EventOutcome, AppError> {
    let applied = db::transaction(conn, |conn| {
        let session = &event.data.object;
        let order_id = match order_of(session) {
            Some(id) => order::find(conn, id)?.map(|o| o.id),
            None => None,
        };
        if !payment_event::record(conn, (&event.id, &event.kind), order_id, now)? {
            return Ok(EventOutcome::Replay);
        }
        let pays = match event.kind.as_str() {
            "checkout.session.completed" => {
                session.get("payment_status").and_then(Value::as_str) == Some("paid")
            }
            "checkout.session.async_payment_succeeded" => true,
            _ => false,
        };
        if !pays {
            return Ok(EventOutcome::Ignored);
        }
        settle(conn, session, shop, now)
    });
    match applied {
        // The same event delivered twice at once: the other delivery recorded it first.
        Err(AppError::Database(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _,
        ))) => Ok(EventOutcome::Replay),
        other => other,
    }
}

/// Settles the order of a paid Checkout Session. Call inside a transaction; idempotent, so
/// the webhook and the customer's return may both call it.
pub fn settle(
    conn: &mut DbConn,
    session: &Value,
    shop: Shop<'_>,
    now: NaiveDateTime,
) -> Result<EventOutcome, AppError> {
    // Locked: an expiry or a cancel at the same time waits for this transaction (or skips
    // the order), so the status decided on below is the one the order keeps.
    let Some(order) = order_of(session)
        .map(|id| order::lock(conn, id))
        .transpose()?
    else {
        return Ok(EventOutcome::Ignored);
    };
    let Some(order) = order else {
        return Ok(EventOutcome::Ignored);
    };
    let amount = session.get("amount_total").and_then(Value::as_i64);
    let paid_in = session.get("currency").and_then(Value::as_str);
    let intent = session.get("payment_intent").and_then(Value::as_str);
    if amount != Some(order.total_cents) || paid_in != Some(shop.currency) {
        let problem = format!(
            "payment does not match: {} {} paid, the order is {} {}",
            amount.map_or("no amount".to_string(), |a| a.to_string()),
            paid_in.unwrap_or("no currency"),
            order.total_cents,
            shop.currency
        );
        log::warn!("order {}: {problem}", order.id);
        order::flag_payment_problem(conn, order.id, &problem, now)?;
        return Ok(EventOutcome::Refused(order.id, problem));
    }
    match order.status {
        OrderStatus::Pending => {
            record_payment(conn, shop, &order, intent, now)?;
            Ok(EventOutcome::Paid(order.id))
        }
        OrderStatus::Expired if order.paid_cents == 0 => {
            if retake_stock(conn, order.id, now)? {
                record_payment(conn, shop, &order, intent, now)?;
                log::info!(
                    "order {}: paid after it expired; its stock was still there",
                    order.id
                );
                Ok(EventOutcome::Paid(order.id))
            } else {
                order::keep_payment(conn, order.id, intent, now)?;
                let problem = "paid after it expired, with its stock gone: refunded in full";
                order::flag_payment_problem(conn, order.id, problem, now)?;
                log::warn!("order {}: {problem}", order.id);
                Ok(EventOutcome::RefundDue(order.id))
            }
        }
        OrderStatus::Cancelled if order.paid_cents == 0 => {
            order::keep_payment(conn, order.id, intent, now)?;
            let problem = "paid while cancelled: refund it";
            order::flag_payment_problem(conn, order.id, problem, now)?;
            log::warn!("order {}: {problem}", order.id);
            Ok(EventOutcome::Refused(order.id, problem.to_string()))
        }
        // Paid already (this session, or an earlier one that was completed too).
        _ => Ok(EventOutcome::Paid(order.id)),
    }
}

/// Marks `order` paid in full (by the provider's `payment_intent`, if any) if it is still in
/// the status it was read in, with its invoice number and the receipt, in the caller's
/// transaction; false when another request moved it first. Every way an order becomes paid
/// after it was placed goes through here.
pub fn record_payment(
    conn: &mut DbConn,
    shop: Shop<'_>,
    order: &Order,
    payment_intent: Option<&str>,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    if !order::mark_paid(conn, order.id, order.status, payment_intent, now)? {
        return Ok(false);
    }
    invoices::assign(conn, order.id, now)?;
    let amount = Money::from_cents(order.total_cents).display(shop.symbol);
    let news = OrderNews::Paid {
        amount,
        method: order.payment_method.label(),
    };
    tell(conn, shop.links, order.id, &news, now)?;
    Ok(true)
}

/// Queues a mail about order `order_id` to its customer.
pub fn tell(
    conn: &mut DbConn,
    links: &Links,
    order_id: i32,
    news: &OrderNews<'_>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if let Some(email) = order::customer_email(conn, order_id)? {
        let guest = order_guest::is_unclaimed(conn, order_id)?;
        let mail = compose::order_news(links, (&email, guest), order_id, news)?;
        outbox::enqueue(conn, &mail, now)?;
    }
    Ok(())
}

/// Takes an expired order's stock again, all of it or none; false when some is gone.
fn retake_stock(conn: &mut DbConn, order_id: i32, now: NaiveDateTime) -> Result<bool, AppError> {
    let moves: Vec<_> = order::items(conn, order_id)?
        .iter()
        .map(OrderItem::stock_move)
        .collect();
    let taken = db::transaction(conn, |conn| {
        if !stock::take(conn, &moves, now)?.is_empty() {
            // Undoes what was taken of the other lines.
            return Err(Retake::Short);
        }
        order::note_stock_taken(conn, order_id, now)?;
        // The order is sold at its price after all: its coupon use counts again, even
        // past the coupon's limit (the customer has paid for it).
        coupon::take_back(conn, order_id, now)?;
        Ok(())
    });
    match taken {
        Ok(()) => Ok(true),
        Err(Retake::Short) => Ok(false),
        Err(Retake::Failed(e)) => Err(e),
    }
}

/// Why an expired order's stock was not taken again.
enum Retake {
    /// Some of it is gone.
    Short,
    /// The database failed.
    Failed(AppError),
}

impl From<AppError> for Retake {
    fn from(e: AppError) -> Self {
        Retake::Failed(e)
    }
}

impl From<DieselError> for Retake {
    fn from(e: DieselError) -> Self {
        Retake::Failed(e.into())
    }
}

/// What starting a card payment came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CardStart {
    /// Send the customer to Stripe's payment page here.
    Redirect(String),
    /// Nothing to pay: the order is paid (or no longer waits for a card payment).
    Settled(OrderStatus),
    /// Stripe could not be reached or refused; the order still waits.
    Failed(StripeError),
}

/// The form of a new Checkout Session for `order`: one line "Order #N" of exactly its total,
/// back to its page afterwards, open until its payment deadline.
pub fn session_form(
    order: &Order,
    (email, guest_key): (&str, Option<&str>),
    shop: Shop<'_>,
    now: NaiveDateTime,
) -> Vec<(String, String)> {
    let deadline = order.pay_by.unwrap_or(now).max(now + SESSION_MIN_LIFE);
    let expires_at = deadline.min(now + SESSION_MAX_LIFE).and_utc().timestamp();
    let id = order.id.to_string();
    // A guest comes back to the private link, which is their only way to the order.
    let (page, back) = match guest_key {
        None => (
            shop.links.order(order.id),
            shop.links.order(order.id) + "?payment=return",
        ),
        Some(key) => {
            let page = shop.links.guest_order(order.id, key);
            let back = format!("{page}&payment=return");
            (page, back)
        }
    };
    [
        ("mode", "payment".to_string()),
        ("client_reference_id", id.clone()),
        ("customer_email", email.to_string()),
        ("currency", shop.currency.to_string()),
        ("line_items[0][quantity]", "1".to_string()),
        (
            "line_items[0][price_data][currency]",
            shop.currency.to_string(),
        ),
        (
            "line_items[0][price_data][unit_amount]",
            order.total_cents.to_string(),
        ),
        (
            "line_items[0][price_data][product_data][name]",
            format!("Order #{id}"),
        ),
        ("success_url", back),
        ("cancel_url", page),
        ("expires_at", expires_at.to_string()),
        ("metadata[order_id]", id),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// The idempotency key of the order's session: the same for every retry, a new one only
/// after the session before it (`previous`) can no longer be paid.
fn session_key(order_id: i32, previous: Option<&str>) -> String {
    match previous {
        None => format!("shopfront-order-{order_id}-session"),
        Some(previous) => format!("shopfront-order-{order_id}-after-{previous}"),
    }
}

/// Starts (or resumes) the card payment of order `order_id`, which `access` must be allowed
/// to see: the open session's page, or a new session's (a guest's, leading back to their
/// private link with `guest_key`). Blocks on Stripe: call in `web::block`; no transaction is
/// open while it waits. `Ok(None)` when the order is not theirs.
pub fn start_card_payment(
    pool: &DbPool,
    stripe: &Stripe,
    shop: Shop<'_>,
    (order_id, access, guest_key): (i32, &OrderAccess, Option<&str>),
    now: NaiveDateTime,
) -> Result<Option<CardStart>, AppError> {
    let (order, email) = {
        let mut conn = pool.get()?;
        let Some(order) = order::find_for(&mut conn, order_id, access)? else {
            return Ok(None);
        };
        let email = order::customer_email(&mut conn, order_id)?.unwrap_or_default();
        (order, email)
    };
    if !order.awaits_card_payment() {
        return Ok(Some(CardStart::Settled(order.status)));
    }
    let previous = order.stripe_session_id.clone();
    if let Some(session_id) = &previous {
        let session = match stripe.checkout_session(session_id) {
            Ok(session) => session,
            Err(e) => return Ok(Some(CardStart::Failed(e))),
        };
        match session.get("status").and_then(Value::as_str) {
            Some("open") => {
                if let Some(url) = session.get("url").and_then(Value::as_str) {
                    return Ok(Some(CardStart::Redirect(url.to_string())));
                }
            }
            Some("complete") => {
                let status = settle_read_back(pool, &session, shop, order_id, now)?;
                return Ok(Some(CardStart::Settled(status)));
            }
            _ => {}
        }
    }
    let form = session_form(&order, (&email, guest_key), shop, now);
    let key = session_key(order.id, previous.as_deref());
    let session = match stripe.create_checkout_session(&form, &key) {
        Ok(session) => session,
        Err(e) => return Ok(Some(CardStart::Failed(e))),
    };
    let (Some(session_id), Some(url)) = (
        session.get("id").and_then(Value::as_str),
        session.get("url").and_then(Value::as_str),
    ) else {
        let why = "a Checkout Session without id or url".to_string();
        return Ok(Some(CardStart::Failed(StripeError::Unreachable(why))));
    };
    let mut conn = pool.get()?;
    if order::set_checkout_session(&mut conn, order.id, (session_id, url), now)? {
        Ok(Some(CardStart::Redirect(url.to_string())))
    } else {
        // The order stopped waiting (it expired or was cancelled) while the session was made.
        let status = order::find(&mut conn, order.id)?.map_or(OrderStatus::Cancelled, |o| o.status);
        Ok(Some(CardStart::Settled(status)))
    }
}

/// Reads the order's session back from Stripe when its customer returns from the payment
/// page, and settles the order if the session is paid: the customer sees "paid" even before
/// the webhook arrives. Blocks on Stripe. Returns the order's status afterwards.
pub fn check_on_return(
    pool: &DbPool,
    stripe: &Stripe,
    shop: Shop<'_>,
    order: &Order,
    now: NaiveDateTime,
) -> Result<OrderStatus, AppError> {
    let Some(session_id) = order.stripe_session_id.as_deref() else {
        return Ok(order.status);
    };
    if !order.awaits_card_payment() {
        return Ok(order.status);
    }
    match stripe.checkout_session(session_id) {
        Ok(session) if session.get("payment_status").and_then(Value::as_str) == Some("paid") => {
            settle_read_back(pool, &session, shop, order.id, now)
        }
        Ok(_) => Ok(order.status),
        Err(e) => {
            log::warn!("order {}: cannot read its Checkout Session: {e}", order.id);
            Ok(order.status)
        }
    }
}

/// Settles a session read back from Stripe (it is Stripe's own answer, so as good as a
/// signed event), if it names `order_id`; the order's status afterwards.
fn settle_read_back(
    pool: &DbPool,
    session: &Value,
    shop: Shop<'_>,
    order_id: i32,
    now: NaiveDateTime,
) -> Result<OrderStatus, AppError> {
    let mut conn = pool.get()?;
    if order_of(session) == Some(order_id)
        && session.get("payment_status").and_then(Value::as_str) == Some("paid")
    {
        db::transaction(&mut conn, |conn| settle(conn, session, shop, now))?;
    }
    Ok(order::find(&mut conn, order_id)?.map_or(OrderStatus::Pending, |o| o.status))
}

/// How the order's money goes back, for people.
pub fn refund_way(method: PaymentMethod) -> &'static str {
    match method {
        PaymentMethod::Card => "to your card",
        PaymentMethod::StoreCredit => "to your store credit",
        PaymentMethod::BankTransfer => "to your bank account",
    }
}

/// Makes sure nobody can still pay for `order` through Stripe before it is called off
/// (expired or cancelled): true when its session (if any) is expired now; false when the
/// order was settled as paid instead, or Stripe could not say. Blocks on Stripe.
pub fn close_checkout_session(
    pool: &DbPool,
    stripe: Option<&Stripe>,
    shop: Shop<'_>,
    order: &Order,
    now: NaiveDateTime,
) -> Result<bool, AppError> {
    let (Some(session_id), PaymentMethod::Card) =
        (order.stripe_session_id.as_deref(), order.payment_method)
    else {
        return Ok(true);
    };
    let Some(stripe) = stripe else {
        return Ok(true);
    };
    match stripe.expire_checkout_session(session_id) {
        Ok(_) => return Ok(true),
        Err(StripeError::Unreachable(why)) => {
            log::warn!("order {}: cannot expire its session yet: {why}", order.id);
            return Ok(false);
        }
        // Not open any more: completed (paid late) or expired already.
        Err(StripeError::Refused { .. }) => {}
    }
    let session = match stripe.checkout_session(session_id) {
        Ok(session) => session,
        Err(e) => {
            log::warn!("order {}: cannot read its session: {e}", order.id);
            return Ok(false);
        }
    };
    match session.get("status").and_then(Value::as_str) {
        Some("expired") => Ok(true),
        Some("complete") => {
            let status = settle_read_back(pool, &session, shop, order.id, now)?;
            log::info!(
                "order {}: its session was completed at the deadline: {status}",
                order.id
            );
            Ok(false)
        }
        _ => Ok(false),
    }
}
