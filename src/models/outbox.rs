//! The mail outbox: mail is queued in the transaction of the change that causes it, and a
//! worker claims, delivers and marks each one. A claim is a lease: if the instance dies
//! mid-delivery, the lease runs out and another attempt picks the mail up again.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::schema::outbox;

/// A queued mail, as the worker delivers it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxMail {
    /// Primary key; also names the `.eml` file and the Message-ID, so a retry is the same mail.
    pub id: i32,
    /// The address it goes to.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Delivery attempts so far, this one included.
    pub attempts: i32,
    /// When it was queued.
    pub created_at: NaiveDateTime,
}

/// A mail to queue.
#[derive(Debug, Clone)]
pub struct NewMail {
    /// The address it goes to.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

/// Queues `mail`; call inside the transaction of the change that causes it.
pub fn enqueue(conn: &mut DbConn, mail: &NewMail, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::recipient.eq(&mail.recipient),
            outbox::subject.eq(&mail.subject),
            outbox::body.eq(&mail.body),
            outbox::created_at.eq(now),
            outbox::next_attempt_at.eq(now),
        ))
        .execute(conn)
}

/// Claims the oldest mail that is due and not held by another worker, for `lease`.
///
/// PostgreSQL skips rows another instance has locked (`FOR UPDATE SKIP LOCKED`); SQLite has
/// one writer at a time, and the immediate transaction takes that lock before reading.
pub fn claim_next(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lease: TimeDelta,
) -> QueryResult<Option<OutboxMail>> {
    let due = outbox::sent_at
        .is_null()
        .and(outbox::next_attempt_at.le(now))
        .and(
            outbox::locked_until
                .is_null()
                .or(outbox::locked_until.lt(now)),
        );
    // Picks the first due mail (`$lock` locks the row where the engine can) and takes the
    // lease on it, inside the engine's transaction `$begin`.
    macro_rules! claim {
        ($conn:expr, $begin:ident $(, $lock:ident)*) => {
            $conn.$begin(|conn| {
                let id: Option<i32> = outbox::table
                    .filter(due)
                    .order(outbox::id.asc())
                    .select(outbox::id)
                    $(.$lock())*
                    .first(conn)
                    .optional()?;
                if let Some(id) = id {
                    diesel::update(outbox::table.filter(outbox::id.eq(id)))
                        .set((
                            outbox::locked_until.eq(now + lease),
                            outbox::attempts.eq(outbox::attempts + 1),
                        ))
                        .execute(conn)?;
                }
                Ok::<_, diesel::result::Error>(id)
            })?
        };
    }
    let candidate = match conn {
        DbConn::Sqlite(conn) => claim!(conn, immediate_transaction),
        DbConn::Pg(conn) => claim!(conn, transaction, for_update, skip_locked),
    };
    match candidate {
        Some(id) => outbox::table
            .find(id)
            .select(OutboxMail::as_select())
            .first(conn)
            .optional(),
        None => Ok(None),
    }
}

/// Marks a mail delivered.
pub fn mark_sent(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::sent_at.eq(now),
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)
}

/// Records a failed delivery and when to try again.
pub fn mark_failed(
    conn: &mut DbConn,
    id: i32,
    error: &str,
    next_attempt_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::locked_until.eq(None::<NaiveDateTime>),
            outbox::last_error.eq(error),
            outbox::next_attempt_at.eq(next_attempt_at),
        ))
        .execute(conn)
}

/// A queued mail as tests and operators look at it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct QueuedMail {
    /// Primary key.
    pub id: i32,
    /// The address it goes to.
    pub recipient: String,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
    /// Delivery attempts so far.
    pub attempts: i32,
    /// When it went out, if it did.
    pub sent_at: Option<NaiveDateTime>,
    /// The last delivery error, if any.
    pub last_error: Option<String>,
}

/// Every mail to `recipient`, oldest first.
pub fn to_recipient(conn: &mut DbConn, recipient: &str) -> QueryResult<Vec<QueuedMail>> {
    outbox::table
        .filter(outbox::recipient.eq(recipient))
        .order(outbox::id.asc())
        .select(QueuedMail::as_select())
        .load(conn)
}

/// Every mail, oldest first.
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<QueuedMail>> {
    outbox::table
        .order(outbox::id.asc())
        .select(QueuedMail::as_select())
        .load(conn)
}
