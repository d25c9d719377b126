//! Admin changes to orders: moving one along the status machine, with its audit row.

use chrono::NaiveDateTime;

use crate::db::{self, DbConn};
use crate::domain::OrderStatus;
use crate::error::{AppError, Outcome};
use crate::mail::compose::OrderNews;
use crate::models::audit::Changes;
use crate::models::order;
use crate::services::cancellation::{cancel_and_restock, CannotCancel};
use crate::services::payments::{record_payment, tell, Shop};
use crate::services::Actor;

/// Moves an order along the status machine, telling its customer: marking it paid counts
/// its total as paid (a bank transfer arrived), shipping keeps the `tracking_number`,
/// cancelling puts the stock back, all in the same transaction. `Err` holds the reason an
/// illegal move was refused.
pub fn change_order_status(
    conn: &mut DbConn,
    actor: &Actor,
    (id, to, tracking_number): (i32, OrderStatus, Option<&str>),
    shop: Shop<'_>,
    now: NaiveDateTime,
) -> Outcome<(), String> {
    db::transaction(conn, |conn| {
        let found = order::find(conn, id)?.ok_or(AppError::NotFound)?;
        let from = found.status;
        if let Err(illegal) = from.move_to(to) {
            return Ok(Err(illegal.to_string()));
        }
        let moved = if to == OrderStatus::Cancelled {
            cancel_and_restock(conn, id, from, now)?
        } else if to == OrderStatus::Paid {
            match record_payment(conn, shop, &found, None, now)? {
                true => Ok(()),
                false => Err(CannotCancel(from)),
            }
        } else if order::change_status(conn, id, from, to, now)? {
            Ok(())
        } else {
            Err(CannotCancel(from))
        };
        if moved.is_err() {
            return Ok(Err(
                "Someone else changed this order in the meantime. Look again.".to_string(),
            ));
        }
        let mut changes = Changes::new();
        changes.field("status", from.as_str(), to.as_str());
        let tracking_number =
            tracking_number.filter(|n| !n.is_empty() && to == OrderStatus::Shipped);
        if let Some(number) = tracking_number {
            order::set_tracking_number(conn, id, number, now)?;
            changes.field("tracking_number", "", number);
        }
        // A payment's receipt went with it (record_payment).
        let news = match to {
            OrderStatus::Shipped => Some(OrderNews::Shipped { tracking_number }),
            OrderStatus::Cancelled => Some(OrderNews::Cancelled),
            _ => None,
        };
        if let Some(news) = news {
            tell(conn, shop.links, id, &news, now)?;
        }
        actor.record(conn, "order.status", ("order", id), changes, "", now)?;
        Ok(Ok(()))
    })
}
