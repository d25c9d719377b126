//! Session rows: the state behind a session cookie. The key itself is never stored, only its
//! SHA-256, so a copy of the table cannot be replayed as cookies.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{on_backend, DbConn};
use crate::schema::sessions;

/// The state of the live session with this key hash, if any.
pub fn load(conn: &mut DbConn, key_hash: &str, now: NaiveDateTime) -> QueryResult<Option<String>> {
    on_backend!(conn, |c| sessions::table
        .find(key_hash)
        .filter(sessions::expires_at.gt(now))
        .select(sessions::state)
        .first(c)
        .optional())
}

/// Stores a new session.
pub fn insert(
    conn: &mut DbConn,
    key_hash: &str,
    state: &str,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(sessions::table)
        .values((
            sessions::key_hash.eq(key_hash),
            sessions::state.eq(state),
            sessions::expires_at.eq(expires_at),
            sessions::created_at.eq(now),
            sessions::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Extends a live session and, given a `state`, replaces its state; 0 when it is gone
/// (expired or logged out).
pub fn update(
    conn: &mut DbConn,
    key_hash: &str,
    state: Option<&str>,
    expires_at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let live = sessions::table
        .find(key_hash)
        .filter(sessions::expires_at.gt(now));
    // Two fixed statements, not one with an optional column: diesel prepares a statement
    // whose text depends on its values afresh on every call, and every flash message and
    // cart change of a visitor writes here.
    match state {
        Some(state) => on_backend!(conn, |c| diesel::update(live)
            .set((
                sessions::state.eq(state),
                sessions::expires_at.eq(expires_at),
                sessions::updated_at.eq(now),
            ))
            .execute(c)),
        None => on_backend!(conn, |c| diesel::update(live)
            .set((
                sessions::expires_at.eq(expires_at),
                sessions::updated_at.eq(now),
            ))
            .execute(c)),
    }
}

/// Deletes a session (logout).
pub fn delete(conn: &mut DbConn, key_hash: &str) -> QueryResult<usize> {
    diesel::delete(sessions::table.find(key_hash)).execute(conn)
}

/// Deletes every expired session.
pub fn sweep(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)
}

/// How many live sessions there are.
pub fn count_live(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<i64> {
    sessions::table
        .filter(sessions::expires_at.gt(now))
        .count()
        .get_result(conn)
}
