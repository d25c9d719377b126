//! Failed logins per address, shared by every instance through the database.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::account::{LOGIN_MAX_FAILURES, LOGIN_MAX_FAILURES_PER_CLIENT};
use crate::schema::login_failures;

/// Records a failed login for `email` from `client` (when known).
pub fn record(
    conn: &mut DbConn,
    email: &str,
    client: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::email.eq(email),
            login_failures::failed_at.eq(at),
            login_failures::client.eq(client),
        ))
        .execute(conn)
}

/// The most recent failures for `email` since `since`, newest first (as many as throttling needs).
pub fn recent(
    conn: &mut DbConn,
    email: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<NaiveDateTime>> {
    login_failures::table
        .filter(login_failures::email.eq(email))
        .filter(login_failures::failed_at.gt(since))
        .order(login_failures::failed_at.desc())
        .limit(LOGIN_MAX_FAILURES as i64)
        .select(login_failures::failed_at)
        .load(conn)
}

/// The most recent failures from `client` since `since`, on any address, newest first.
pub fn recent_from_client(
    conn: &mut DbConn,
    client: &str,
    since: NaiveDateTime,
) -> QueryResult<Vec<NaiveDateTime>> {
    login_failures::table
        .filter(login_failures::client.eq(client))
        .filter(login_failures::failed_at.gt(since))
        .order(login_failures::failed_at.desc())
        .limit(LOGIN_MAX_FAILURES_PER_CLIENT as i64)
        .select(login_failures::failed_at)
        .load(conn)
}

/// Forgets the failures of `email` (after a successful login).
pub fn clear(conn: &mut DbConn, email: &str) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::email.eq(email))).execute(conn)
}

/// Deletes failures older than `before`.
pub fn sweep(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::failed_at.lt(before))).execute(conn)
}
