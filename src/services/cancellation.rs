//! Cancelling an order: by its customer while it is pending, or by an admin through
//! `order_admin`; either way the stock goes back in the same transaction.

use chrono::NaiveDateTime;

use crate::db::{self, DbConn};
use crate::domain::OrderStatus;
use crate::error::{AppError, Outcome};
use crate::mail::compose::{Links, OrderNews};
use crate::models::coupon;
use crate::models::order::{self, OrderAccess, OrderItem};
use crate::services::payments::tell;
use crate::services::stock;

/// Why an order could not be cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CannotCancel(pub OrderStatus);

/// Cancels `order_id` for its owner while it is pending, and puts its stock back, in one
/// transaction. `Ok(None)` when the order is not theirs (or does not exist).
pub fn cancel_by_customer(
    conn: &mut DbConn,
    links: &Links,
    (order_id, access): (i32, &OrderAccess),
    now: NaiveDateTime,
) -> Result<Option<Result<(), CannotCancel>>, AppError> {
    db::transaction(conn, |conn| {
        let Some(found) = order::find_for(conn, order_id, access)? else {
            return Ok(None);
        };
        let status = found.status;
        if !status.customer_can_cancel() {
            return Ok(Some(Err(CannotCancel(status))));
        }
        let cancelled = cancel_and_restock(conn, order_id, status, now)?;
        if cancelled.is_ok() {
            tell(conn, links, order_id, &OrderNews::Cancelled, now)?;
        }
        Ok(Some(cancelled))
    })
}

/// Moves an order from `from` to cancelled and returns its stock; refused when another
/// request moved it first. Call inside a transaction.
pub fn cancel_and_restock(
    conn: &mut DbConn,
    order_id: i32,
    from: OrderStatus,
    now: NaiveDateTime,
) -> Outcome<(), CannotCancel> {
    if !order::change_status(conn, order_id, from, OrderStatus::Cancelled, now)? {
        let current = order::find(conn, order_id)?.map_or(OrderStatus::Cancelled, |o| o.status);
        return Ok(Err(CannotCancel(current)));
    }
    return_stock(conn, order_id, now)?;
    coupon::give_back(conn, order_id, now)?;
    Ok(Ok(()))
}

/// Puts the order's stock back, unless it went back before. Call inside a transaction.
pub fn return_stock(conn: &mut DbConn, order_id: i32, now: NaiveDateTime) -> Result<(), AppError> {
    if order::note_stock_returned(conn, order_id, now)? {
        let moves: Vec<_> = order::items(conn, order_id)?
            .iter()
            .map(OrderItem::stock_move)
            .collect();
        stock::give_back(conn, &moves, now)?;
    }
    Ok(())
}
