//! The card provider's side door: `POST /payments/stripe/webhook`. It is the one POST taken
//! without a CSRF token or a session; it trusts only a valid `Stripe-Signature` over the raw
//! body, and answers a plain-text 400 to anything else, before parsing it.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::db;
use crate::domain::payment::verify_webhook;
use crate::domain::Money;
use crate::domain::OrderStatus;
use crate::models::now;
use crate::models::order::{self, OrderAccess};
use crate::services::payments::{self, EventOutcome, StripeEvent};
use crate::services::refunds::{self, RefundRequest};
use crate::web::error::AppError;
use crate::web::state::AppState;
use crate::web::visit::Reply;

/// The address Stripe posts events to; the CSRF check leaves it alone.
pub const STRIPE_WEBHOOK_PATH: &str = "/payments/stripe/webhook";

fn refused(why: &str) -> HttpResponse {
    log::warn!("refused a Stripe webhook: {why}");
    HttpResponse::BadRequest()
        .content_type("text/plain; charset=utf-8")
        .body(format!("{why}\n"))
}

/// `POST /payments/stripe/webhook`: verifies the signature, then applies the event once.
/// Replays and event types the shop does not use answer 200, so Stripe stops sending them.
pub async fn stripe_webhook(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Reply {
    let Some(secret) = &state.config.stripe_webhook_secret else {
        return Ok(refused(
            "webhooks are not configured (STRIPE_WEBHOOK_SECRET)",
        ));
    };
    let header = req
        .headers()
        .get("Stripe-Signature")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let unix_now = now().and_utc().timestamp();
    if let Err(problem) = verify_webhook(header, &body, secret.expose(), unix_now) {
        return Ok(refused(&problem.to_string()));
    }
    let event: StripeEvent = match serde_json::from_slice(&body) {
        Ok(event) => event,
        Err(e) => return Ok(refused(&format!("not a Stripe event: {e}"))),
    };
    let (id, kind) = (event.id.clone(), event.kind.clone());
    let worker_state = state.clone();
    let outcome = db::run(&state.pool, move |conn| {
        payments::apply_stripe_event(conn, &event, worker_state.shop(), now())
    })
    .await?;
    match &outcome {
        EventOutcome::Paid(order) => log::info!("order {order} paid ({kind} {id})"),
        EventOutcome::Refused(order, why) => log::warn!("order {order} not paid by {id}: {why}"),
        EventOutcome::RefundDue(order) => {
            log::warn!("order {order} paid after it expired ({id}): refunding it in full");
            refund_late_payment(&state, *order).await;
        }
        EventOutcome::Replay => log::info!("Stripe event {id} was applied before"),
        EventOutcome::Ignored => log::info!("Stripe event {id} ({kind}) needs nothing"),
    }
    state.wake_mailer();
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok\n"))
}

/// Gives back in full the money that came for an order after it expired with its stock gone.
/// A refund Stripe cannot take now stays pending for the background job; the event itself
/// is answered 200 either way (it was applied).
async fn refund_late_payment(state: &web::Data<AppState>, order_id: i32) {
    let state = state.clone();
    let refunded = web::block(move || {
        let mut conn = state.pool.get()?;
        let total = crate::models::order::find(&mut conn, order_id)?.map_or(0, |o| o.paid_cents);
        drop(conn);
        let request = RefundRequest {
            order_id,
            amount: Money::from_cents(total),
            reason: "the order expired before the payment arrived, and its products sold out",
            restock: false,
        };
        refunds::refund(
            &state.pool,
            state.stripe.as_ref(),
            state.shop(),
            None,
            &request,
            now(),
        )
    })
    .await;
    match refunded {
        Ok(Ok(Ok(()))) => log::info!("order {order_id}: the late payment went back"),
        Ok(Ok(Err(why))) => {
            log::warn!("order {order_id}: the late payment did not go back yet: {why:?}")
        }
        Ok(Err(e)) => log::warn!("order {order_id}: refunding the late payment failed: {e}"),
        Err(e) => log::warn!("order {order_id}: refunding the late payment failed: {e}"),
    }
}

/// Before a pending card order is cancelled (by its owner `owner`, or an admin when `None`), its Checkout Session is expired at Stripe, so
/// nobody pays for a cancelled order; false when Stripe could not be reached. An order that
/// turns out paid meanwhile is settled, and the cancel then refuses it as paid.
pub async fn payment_stopped(
    state: &AppState,
    id: i32,
    owner: Option<OrderAccess>,
) -> Result<bool, AppError> {
    let Some(stripe) = state.stripe.clone() else {
        return Ok(true);
    };
    let worker_state = state.clone();
    web::block(move || {
        let found = {
            let mut conn = worker_state.pool.get()?;
            match &owner {
                Some(access) => order::find_for(&mut conn, id, access)?,
                None => order::find(&mut conn, id)?,
            }
        };
        let Some(found) = found.filter(|o| o.awaits_card_payment()) else {
            return Ok(true);
        };
        let shop = worker_state.shop();
        let closed = payments::close_checkout_session(
            &worker_state.pool,
            Some(&stripe),
            shop,
            &found,
            now(),
        )?;
        if closed {
            return Ok(true);
        }
        // Settled as paid: let the cancel say so. Otherwise Stripe could not tell.
        let mut conn = worker_state.pool.get()?;
        let status = order::find(&mut conn, id)?.map(|o| o.status);
        Ok(status != Some(OrderStatus::Pending))
    })
    .await?
}
