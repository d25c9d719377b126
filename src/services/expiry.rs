//! Unpaid orders expire: past its payment deadline an order is called off as `expired`, its
//! stock goes back and its customer is told, in one transaction. A card order's Checkout
//! Session is expired at Stripe first (no transaction is open meanwhile), so nobody can pay
//! for an order that is gone; when Stripe says the session was completed after all, the
//! order is settled as paid instead. Across instances each order is expired once: it is taken
//! with a row lock others skip, and moved only while still pending.

use chrono::NaiveDateTime;

use crate::db::{self, DbPool};
use crate::domain::OrderStatus;
use crate::error::AppError;
use crate::mail::compose::OrderNews;
use crate::models::{coupon, order};
use crate::services::cancellation::return_stock;
use crate::services::payments::{close_checkout_session, tell, Shop};
use crate::services::stripe::Stripe;

/// Orders looked at per round.
const BATCH: i64 = 50;

/// Expires the orders whose payment deadline passed before `now`; returns how many.
pub fn expire_overdue(
    pool: &DbPool,
    stripe: Option<&Stripe>,
    shop: Shop<'_>,
    now: NaiveDateTime,
) -> Result<usize, AppError> {
    let due = {
        let mut conn = pool.get()?;
        order::overdue(&mut conn, now, BATCH)?
    };
    let mut expired = 0;
    for order in due {
        if !close_checkout_session(pool, stripe, shop, &order, now)? {
            continue;
        }
        let mut conn = pool.get()?;
        let done = db::transaction(&mut conn, |conn| {
            let Some(order) = order::claim_pending(conn, order.id)? else {
                return Ok::<_, AppError>(false);
            };
            if order.pay_by.is_none_or(|deadline| deadline >= now) {
                return Ok(false);
            }
            if !order::change_status(
                conn,
                order.id,
                OrderStatus::Pending,
                OrderStatus::Expired,
                now,
            )? {
                return Ok(false);
            }
            return_stock(conn, order.id, now)?;
            coupon::give_back(conn, order.id, now)?;
            tell(conn, shop.links, order.id, &OrderNews::Expired, now)?;
            Ok(true)
        })?;
        if done {
            log::info!("order {} expired unpaid; its stock is back", order.id);
            expired += 1;
        }
    }
    Ok(expired)
}
