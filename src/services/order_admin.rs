//! Admin changes to orders: moving one along the status machine, with its audit row.

use chrono::NaiveDateTime;

use crate::db::{self, DbConn};
use crate::domain::OrderStatus;
use crate::error::{AppError, Outcome};
use crate::models::audit::Changes;
use crate::models::order;
use crate::services::cancellation::{cancel_and_restock, CannotCancel};
use crate::services::Actor;

/// Moves an order along the status machine; cancelling puts the stock back in the same
/// transaction. `Err` holds the reason an illegal move was refused.
pub fn change_order_status(
    conn: &mut DbConn,
    actor: &Actor,
    id: i32,
    to: OrderStatus,
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
        actor.record(conn, "order.status", ("order", id), changes, "", now)?;
        Ok(Ok(()))
    })
}
