//! Counted events behind the rate limits, shared by every instance through the database.
//!
//! An event is recorded first and counted after: of N requests racing for the last place,
//! each one counts every event committed before its own, so at most the allowed number see
//! room. One that finds no room takes its event back.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::throttle::{Bucket, Limit};
use crate::schema::throttle_events;

/// An event that was let through, to give back when it turned out not to count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Taken(i32);

/// Records one event in `bucket` if `limit` leaves room: the event, or the seconds to wait.
///
/// Call it outside a transaction: the event must be committed before it is counted, or
/// racing requests would not see each other.
pub fn take(
    conn: &mut DbConn,
    bucket: Bucket<'_>,
    limit: Limit,
    now: NaiveDateTime,
) -> QueryResult<Result<Taken, u64>> {
    let name = bucket.name();
    let id: i32 = diesel::insert_into(throttle_events::table)
        .values((
            throttle_events::bucket.eq(&name),
            throttle_events::happened_at.eq(now),
        ))
        .returning(throttle_events::id)
        .get_result(conn)?;
    let others: Vec<NaiveDateTime> = throttle_events::table
        .filter(throttle_events::bucket.eq(&name))
        .filter(throttle_events::happened_at.gt(now - limit.window))
        .filter(throttle_events::id.ne(id))
        .order(throttle_events::happened_at.desc())
        .limit(i64::try_from(limit.max).unwrap_or(i64::MAX))
        .select(throttle_events::happened_at)
        .load(conn)?;
    match limit.wait(&others, now) {
        None => Ok(Ok(Taken(id))),
        Some(wait) => {
            give_back(conn, Taken(id))?;
            Ok(Err(wait))
        }
    }
}

/// Seconds until `limit` leaves room for one more event in `bucket`, or `None` when there is
/// room now. A read only: for a cap that may be overshot by requests racing each other (use
/// [`take`] where it may not), with [`record`] once the event has happened.
pub fn wait(
    conn: &mut DbConn,
    bucket: Bucket<'_>,
    limit: Limit,
    now: NaiveDateTime,
) -> QueryResult<Option<u64>> {
    let events: Vec<NaiveDateTime> = throttle_events::table
        .filter(throttle_events::bucket.eq(bucket.name()))
        .filter(throttle_events::happened_at.gt(now - limit.window))
        .order(throttle_events::happened_at.desc())
        .limit(i64::try_from(limit.max).unwrap_or(i64::MAX))
        .select(throttle_events::happened_at)
        .load(conn)?;
    Ok(limit.wait(&events, now))
}

/// Records an event that happened in `bucket`.
pub fn record(conn: &mut DbConn, bucket: Bucket<'_>, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::insert_into(throttle_events::table)
        .values((
            throttle_events::bucket.eq(bucket.name()),
            throttle_events::happened_at.eq(now),
        ))
        .execute(conn)
}

/// Forgets an event: it did not happen after all.
pub fn give_back(conn: &mut DbConn, taken: Taken) -> QueryResult<usize> {
    diesel::delete(throttle_events::table.find(taken.0)).execute(conn)
}

/// Deletes events older than `before`.
pub fn sweep(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(throttle_events::table.filter(throttle_events::happened_at.lt(before)))
        .execute(conn)
}
