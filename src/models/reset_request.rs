//! "Forgot password" requests waiting for the background worker, which turns each into a
//! token and a mail when the address has an account, and into nothing otherwise.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::schema::reset_requests;

/// Queues a request for `email`.
pub fn insert(conn: &mut DbConn, email: &str, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::insert_into(reset_requests::table)
        .values((
            reset_requests::email.eq(email),
            reset_requests::requested_at.eq(now),
        ))
        .execute(conn)
}

/// Takes the oldest waiting request out of the queue, inside the caller's transaction; on
/// PostgreSQL one that another instance holds is skipped.
pub fn take_next(conn: &mut DbConn) -> QueryResult<Option<(i32, String)>> {
    let oldest = reset_requests::table
        .order(reset_requests::id.asc())
        .select((reset_requests::id, reset_requests::email));
    let next: Option<(i32, String)> = match conn {
        DbConn::Sqlite(conn) => oldest.first(conn).optional()?,
        DbConn::Pg(conn) => oldest.for_update().skip_locked().first(conn).optional()?,
    };
    if let Some((id, _)) = &next {
        diesel::delete(reset_requests::table.find(*id)).execute(conn)?;
    }
    Ok(next)
}
