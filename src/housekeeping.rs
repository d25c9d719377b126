//! Housekeeping: deletes what has expired, so tables hold only what can still be used.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use tokio::sync::Notify;

use crate::config::Config;
use crate::db::{self, DbPool};
use crate::error::AppError;
use crate::mail::Links;
use crate::models::{cart, email_token, login_failure, now, session, throttle};
use crate::services::payments::Shop;
use crate::services::stripe::Stripe;
use crate::services::{expiry, refunds};

/// How often unpaid orders and unfinished refunds are looked at.
pub const PAYMENT_CHECK_INTERVAL: Duration = Duration::from_secs(15);
/// A pending card refund younger than this is still in its admin's request.
const REFUND_RETRY_AFTER: TimeDelta = TimeDelta::seconds(60);

/// What the payment job works with.
#[derive(Clone)]
pub struct PaymentJob {
    /// The database.
    pub pool: DbPool,
    /// Stripe, when card payments are on.
    pub stripe: Option<Stripe>,
    /// The currency and amounts.
    pub config: Arc<Config>,
    /// Links in mails.
    pub links: Links,
    /// Wakes the mail worker.
    pub mail_wake: Arc<Notify>,
}

impl PaymentJob {
    /// One round: expires overdue unpaid orders and finishes card refunds left pending;
    /// returns how many of each. Blocks on Stripe and the database.
    pub fn run_once(&self, now: chrono::NaiveDateTime) -> Result<(usize, usize), AppError> {
        let shop = Shop {
            links: &self.links,
            currency: &self.config.currency,
            symbol: &self.config.currency_symbol,
        };
        let expired = expiry::expire_overdue(&self.pool, self.stripe.as_ref(), shop, now)?;
        let refunded = match &self.stripe {
            Some(stripe) => {
                refunds::finish_pending(&self.pool, stripe, shop, now - REFUND_RETRY_AFTER, now)?
            }
            None => 0,
        };
        Ok((expired, refunded))
    }

    /// Runs a round every [`PAYMENT_CHECK_INTERVAL`], forever (the server aborts it when it
    /// stops; a round cut off rolls back and is redone by the next).
    pub async fn run(self) {
        let mut tick = tokio::time::interval(PAYMENT_CHECK_INTERVAL);
        loop {
            tick.tick().await;
            let job = self.clone();
            match actix_web::web::block(move || job.run_once(now())).await {
                Ok(Ok((0, 0))) => {}
                Ok(Ok((expired, refunded))) => {
                    log::info!(
                        "payment job: {expired} orders expired, {refunded} refunds finished"
                    );
                    self.mail_wake.notify_one();
                }
                Ok(Err(e)) => log::warn!("payment job: {e}"),
                Err(e) => log::warn!("payment job: {e}"),
            }
        }
    }
}

/// A guest cart untouched this long has outlived its session (which lasts 30 days).
const GUEST_CART_DAYS: i64 = 31;

/// Deletes what has expired: sessions, mailed tokens, login failures and throttle events
/// past every window, and guest carts whose sessions are gone.
pub async fn sweep(pool: &DbPool) -> Result<(), AppError> {
    db::run(pool, |conn| {
        let now = now();
        let sessions = session::sweep(conn, now)?;
        let tokens = email_token::sweep(conn, now - TimeDelta::days(7))?;
        let failures = login_failure::sweep(conn, now - TimeDelta::days(1))?;
        let events = throttle::sweep(conn, now - TimeDelta::days(1))?;
        let carts = cart::sweep_guest_carts(conn, now - TimeDelta::days(GUEST_CART_DAYS))?;
        if sessions + tokens + failures + events + carts > 0 {
            log::info!(
                "swept {sessions} sessions, {tokens} tokens, {failures} login failures, \
                 {events} throttle events, {carts} guest carts"
            );
        }
        Ok(())
    })
    .await
}
