//! What the card provider tells the shop, applied once per event: a completed Checkout Session
//! marks its order paid, but only when the amount and currency are the order's; anything else
//! is recorded and left alone.

use chrono::NaiveDateTime;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Deserialize;
use serde_json::Value;

use crate::db::{self, DbConn};
use crate::domain::OrderStatus;
use crate::error::AppError;
use crate::models::{order, payment_event};

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

/// What applying an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventOutcome {
    /// The order is paid (now, or it already was).
    Paid(i32),
    /// The payment could not be accepted for the order; it is flagged for an admin.
    Refused(i32, String),
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
/// delivered) event changes nothing more. `currency` is the shop's (ISO 4217, lower case).
pub fn apply_stripe_event(
    conn: &mut DbConn,
    event: &StripeEvent,
    currency: &str,
    now: NaiveDateTime,
) -> Result<EventOutcome, AppError> {
    let applied = db::transaction(conn, |conn| {
        let session = &event.data.object;
        let order = match order_of(session) {
            Some(id) => order::find(conn, id)?,
            None => None,
        };
        let order_id = order.as_ref().map(|o| o.id);
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
        let Some(order) = order.filter(|_| pays) else {
            return Ok(EventOutcome::Ignored);
        };
        let amount = session.get("amount_total").and_then(Value::as_i64);
        let paid_in = session.get("currency").and_then(Value::as_str);
        let problem = if amount != Some(order.total_cents) || paid_in != Some(currency) {
            Some(format!(
                "payment does not match: {} {} paid, the order is {} {currency}",
                amount.map_or("no amount".to_string(), |a| a.to_string()),
                paid_in.unwrap_or("no currency"),
                order.total_cents
            ))
        } else if !matches!(order.status, OrderStatus::Pending | OrderStatus::Paid) {
            Some(format!(
                "paid while {}: refund it or take it up by hand",
                order.status.label().to_lowercase()
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            order::flag_payment_problem(conn, order.id, &problem, now)?;
            return Ok(EventOutcome::Refused(order.id, problem));
        }
        let intent = session.get("payment_intent").and_then(Value::as_str);
        order::mark_paid(conn, order.id, intent, now)?;
        Ok(EventOutcome::Paid(order.id))
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
