//! Housekeeping: deletes what has expired, so tables hold only what can still be used.

use chrono::TimeDelta;

use crate::db::{self, DbPool};
use crate::error::AppError;
use crate::models::{cart, email_token, login_failure, now, session, throttle};

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
