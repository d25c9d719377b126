//! The payment provider's events, each recorded once by its id.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::schema::payment_events;

/// Records event `event_id` unless it is recorded already; false for a replay. Call inside
/// the transaction of the event's effect, so the two are kept or lost together.
pub fn record(
    conn: &mut DbConn,
    (event_id, event_type): (&str, &str),
    order_id: Option<i32>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let seen: i64 = payment_events::table
        .filter(payment_events::event_id.eq(event_id))
        .count()
        .get_result(conn)?;
    if seen > 0 {
        return Ok(false);
    }
    diesel::insert_into(payment_events::table)
        .values((
            payment_events::event_id.eq(event_id),
            payment_events::event_type.eq(event_type),
            payment_events::order_id.eq(order_id),
            payment_events::received_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}
