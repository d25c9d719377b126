//! Refunds: money goes back the way it came — to the card through Stripe, to the store-credit
//! balance through its ledger, or recorded as paid back by hand for a bank transfer — and
//! never more than came in. The amount is reserved on the order first, in one conditional
//! update, so two refunds at once cannot pass the payment; a card refund then waits for
//! Stripe outside any transaction and is finished (or given up) afterwards, and one cut off
//! half-way stays pending for the background job to finish with the same idempotency key.

use chrono::NaiveDateTime;

use crate::db::{self, DbConn, DbPool};
use crate::domain::payment::{check_refund, PaymentMethod, RefundProblem};
use crate::domain::{Money, OrderStatus};
use crate::error::AppError;
use crate::mail::compose::OrderNews;
use crate::models::audit::Changes;
use crate::models::credit::{self, NewCreditEntry};
use crate::models::order;
use crate::models::refund::{self, NewRefund, Refund};
use crate::services::cancellation::return_stock;
use crate::services::payments::{refund_way, tell, Shop};
use crate::services::stripe::{Stripe, StripeError};
use crate::services::Actor;

/// A refund as asked for.
#[derive(Debug, Clone)]
pub struct RefundRequest<'a> {
    /// The order.
    pub order_id: i32,
    /// How much.
    pub amount: Money,
    /// Why (shown to the customer).
    pub reason: &'a str,
    /// Whether the order's stock goes back.
    pub restock: bool,
}

/// Why a refund was not made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundFailure {
    /// The amount is not refundable (nothing was paid, or less is left).
    Amount(RefundProblem),
    /// Stripe refused it; nothing was refunded.
    Refused(String),
    /// Stripe could not be reached: the refund is kept and tried again in the background.
    Delayed(String),
}

/// What the refund is, once reserved.
enum Reserved {
    /// Done already (store credit, bank transfer).
    Done,
    /// Waits for Stripe.
    Card {
        refund_id: i32,
        payment_intent: String,
    },
}

/// Refunds `request` on behalf of `actor` (the shop itself when `None`). Blocks on Stripe
/// for a card refund; call in `web::block` or the background job.
pub fn refund(
    pool: &DbPool,
    stripe: Option<&Stripe>,
    shop: Shop<'_>,
    actor: Option<&Actor>,
    request: &RefundRequest<'_>,
    now: NaiveDateTime,
) -> Result<Result<(), RefundFailure>, AppError> {
    let reserved = {
        let mut conn = pool.get()?;
        db::transaction(&mut conn, |conn| reserve(conn, shop, actor, request, now))?
    };
    let (refund_id, payment_intent) = match reserved {
        Err(failure) => return Ok(Err(failure)),
        Ok(Reserved::Done) => return Ok(Ok(())),
        Ok(Reserved::Card {
            refund_id,
            payment_intent,
        }) => (refund_id, payment_intent),
    };
    let Some(stripe) = stripe else {
        return Ok(Err(RefundFailure::Delayed(
            "card refunds need STRIPE_SECRET_KEY".to_string(),
        )));
    };
    let amount = request.amount.cents();
    send_card_refund(
        pool,
        stripe,
        shop,
        (refund_id, &payment_intent, amount),
        now,
    )
}

/// Reserves the amount on the order and records the refund; finishes it at once unless it
/// goes to a card. Call inside a transaction.
fn reserve(
    conn: &mut DbConn,
    shop: Shop<'_>,
    actor: Option<&Actor>,
    request: &RefundRequest<'_>,
    now: NaiveDateTime,
) -> Result<Result<Reserved, RefundFailure>, AppError> {
    let order = order::find(conn, request.order_id)?.ok_or(AppError::NotFound)?;
    let paid = Money::from_cents(order.paid_cents);
    let refunded = Money::from_cents(order.refunded_cents);
    if let Err(problem) = check_refund(request.amount, paid, refunded) {
        return Ok(Err(RefundFailure::Amount(problem)));
    }
    if order::add_refunded(conn, order.id, request.amount.cents())?.is_none() {
        // Another refund took the rest first.
        let order = order::find(conn, order.id)?.ok_or(AppError::NotFound)?;
        let refundable = Money::from_cents(order.refundable_cents());
        return Ok(Err(RefundFailure::Amount(RefundProblem::OverRefundable {
            refundable,
        })));
    }
    let by_card = order.payment_method == PaymentMethod::Card;
    let refund_id = refund::insert(
        conn,
        &NewRefund {
            order_id: order.id,
            amount_cents: request.amount.cents(),
            reason: request.reason,
            restock: request.restock,
            state: if by_card { "pending" } else { "done" },
            admin_id: actor.map(|a| a.id),
            created_at: now,
            updated_at: now,
        },
    )?;
    if let Some(actor) = actor {
        let mut changes = Changes::new();
        changes.field(
            "refunded",
            order.refunded_cents.to_string(),
            (order.refunded_cents + request.amount.cents()).to_string(),
        );
        actor.record(
            conn,
            "order.refund",
            ("order", order.id),
            changes,
            request.reason,
            now,
        )?;
    }
    if by_card {
        let Some(payment_intent) = order.payment_intent_id.clone() else {
            return Err(AppError::BadRequest(
                "This card order has no payment to refund.".into(),
            ));
        };
        return Ok(Ok(Reserved::Card {
            refund_id,
            payment_intent,
        }));
    }
    if order.payment_method == PaymentMethod::StoreCredit {
        // Guests never pay with store credit: such an order always has its account.
        let user_id = order.user_id.ok_or(AppError::NotFound)?;
        let balance =
            credit::add(conn, user_id, request.amount.cents())?.ok_or(AppError::NotFound)?;
        let reason = format!("Refund for order #{}: {}", order.id, request.reason);
        credit::record(
            conn,
            &NewCreditEntry {
                user_id,
                amount_cents: request.amount.cents(),
                balance_cents: balance,
                reason: &reason,
                order_id: Some(order.id),
                admin_id: actor.map(|a| a.id),
                created_at: now,
            },
        )?;
    }
    let done = refund::find(conn, refund_id)?.ok_or(AppError::NotFound)?;
    finish(conn, shop, &done, now)?;
    Ok(Ok(Reserved::Done))
}

/// Finishes a refund whose money is on its way: its stock back if asked, the order
/// `refunded` once all it paid went back, and the customer told.
fn finish(
    conn: &mut DbConn,
    shop: Shop<'_>,
    done: &Refund,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if done.restock {
        return_stock(conn, done.order_id, now)?;
    }
    let order = order::find(conn, done.order_id)?.ok_or(AppError::NotFound)?;
    if order.refunded_cents == order.paid_cents && order.status != OrderStatus::Refunded {
        order::change_status(conn, order.id, order.status, OrderStatus::Refunded, now)?;
    }
    let money = |cents: i64| Money::from_cents(cents).display(shop.symbol);
    let news = OrderNews::Refunded {
        amount: money(done.amount_cents),
        refunded: money(order.refunded_cents),
        paid: money(order.paid_cents),
        reason: &done.reason,
        way: refund_way(order.payment_method),
    };
    tell(conn, shop.links, order.id, &news, now)
}

/// Asks Stripe for a reserved card refund (idempotent by the refund's id) and finishes or
/// gives it up by the answer; an unreachable Stripe leaves it pending.
fn send_card_refund(
    pool: &DbPool,
    stripe: &Stripe,
    shop: Shop<'_>,
    (refund_id, payment_intent, amount): (i32, &str, i64),
    now: NaiveDateTime,
) -> Result<Result<(), RefundFailure>, AppError> {
    let key = format!("shopfront-refund-{refund_id}");
    let answer = stripe.refund(payment_intent, amount, &key);
    let mut conn = pool.get()?;
    match answer {
        Ok(made) => {
            let provider_id = made.get("id").and_then(serde_json::Value::as_str);
            db::transaction(&mut conn, |conn| {
                if refund::mark_done(conn, refund_id, provider_id, now)? {
                    let done = refund::find(conn, refund_id)?.ok_or(AppError::NotFound)?;
                    finish(conn, shop, &done, now)?;
                }
                Ok::<_, AppError>(())
            })?;
            Ok(Ok(()))
        }
        Err(StripeError::Refused { message, .. }) => {
            db::transaction(&mut conn, |conn| {
                let pending = refund::find(conn, refund_id)?.ok_or(AppError::NotFound)?;
                if refund::drop_pending(conn, refund_id)? {
                    order::add_refunded(conn, pending.order_id, -pending.amount_cents)?;
                }
                Ok::<_, AppError>(())
            })?;
            log::warn!("refund {refund_id} refused by Stripe: {message}");
            Ok(Err(RefundFailure::Refused(message)))
        }
        Err(e @ StripeError::Unreachable(_)) => {
            log::warn!("refund {refund_id} waits: {e}");
            Ok(Err(RefundFailure::Delayed(e.to_string())))
        }
    }
}

/// Finishes card refunds left pending (Stripe was down, or the process stopped half-way)
/// that were asked for before `before`; returns how many were finished.
pub fn finish_pending(
    pool: &DbPool,
    stripe: &Stripe,
    shop: Shop<'_>,
    before: NaiveDateTime,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let pending = {
        let mut conn = pool.get()?;
        refund::pending_before(&mut conn, before, 20)?
    };
    let mut finished = 0;
    for left in pending {
        let intent = {
            let mut conn = pool.get()?;
            order::find(&mut conn, left.order_id)?.and_then(|o| o.payment_intent_id)
        };
        let Some(intent) = intent else { continue };
        let sent = send_card_refund(
            pool,
            stripe,
            shop,
            (left.id, &intent, left.amount_cents),
            now,
        )?;
        if sent.is_ok() {
            finished += 1;
        }
    }
    Ok(finished)
}
