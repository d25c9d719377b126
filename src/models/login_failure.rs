//! Login attempts and failures per account and client, shared by every instance through the
//! database. An attempt is recorded before its password is checked and counts as a failure
//! unless it succeeds, so parallel guesses see each other at once.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::schema::login_failures;

/// Records an attempt on `email` from `client` (when known); returns its id.
pub fn record(
    conn: &mut DbConn,
    email: &str,
    client: Option<&str>,
    at: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::email.eq(email),
            login_failures::failed_at.eq(at),
            login_failures::client.eq(client),
        ))
        .returning(login_failures::id)
        .get_result(conn)
}

/// Who the counted failures are of.
#[derive(Debug, Clone, Copy)]
pub enum Of<'a> {
    /// One account, from any client.
    Account(&'a str),
    /// One client, on any account.
    Client(&'a str),
    /// One client on one account.
    AccountAndClient(&'a str, &'a str),
}

/// The newest failures of `whom` since `since` (at most `limit`), newest first, leaving out
/// the attempt `except` (the one being decided).
pub fn recent(
    conn: &mut DbConn,
    whom: Of<'_>,
    since: NaiveDateTime,
    except: i32,
    limit: usize,
) -> QueryResult<Vec<NaiveDateTime>> {
    let query = login_failures::table
        .filter(login_failures::failed_at.gt(since))
        .filter(login_failures::id.ne(except))
        .order(login_failures::failed_at.desc())
        .limit(i64::try_from(limit).unwrap_or(i64::MAX))
        .select(login_failures::failed_at)
        .into_boxed();
    let query = match whom {
        Of::Account(email) => query.filter(login_failures::email.eq(email.to_string())),
        Of::Client(client) => query.filter(login_failures::client.eq(client.to_string())),
        Of::AccountAndClient(email, client) => query
            .filter(login_failures::email.eq(email.to_string()))
            .filter(login_failures::client.eq(client.to_string())),
    };
    query.load(conn)
}

/// Forgets one attempt (refused before its password was checked).
pub fn forget(conn: &mut DbConn, id: i32) -> QueryResult<usize> {
    diesel::delete(login_failures::table.find(id)).execute(conn)
}

/// Forgets the failures of `client` on `email` (after it logged in), or of `email` from any
/// client when `client` is `None` (after a password reset).
pub fn clear(conn: &mut DbConn, email: &str, client: Option<&str>) -> QueryResult<usize> {
    match client {
        Some(client) => diesel::delete(
            login_failures::table
                .filter(login_failures::email.eq(email))
                .filter(login_failures::client.eq(client)),
        )
        .execute(conn),
        None => diesel::delete(login_failures::table.filter(login_failures::email.eq(email)))
            .execute(conn),
    }
}

/// Deletes failures older than `before`.
pub fn sweep(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(login_failures::table.filter(login_failures::failed_at.lt(before))).execute(conn)
}
