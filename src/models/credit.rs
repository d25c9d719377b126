//! Store credit: each account's balance (`users.credit_cents`, never below zero) and the
//! ledger of what changed it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::schema::{credit_ledger, users};

/// One change of an account's balance.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = credit_ledger)]
pub struct CreditEntry {
    /// Primary key.
    pub id: i32,
    /// Cents added (negative: taken away).
    pub amount_cents: i64,
    /// The balance it left.
    pub balance_cents: i64,
    /// Why, as the customer reads it.
    pub reason: String,
    /// The order it paid or refunded, if any.
    pub order_id: Option<i32>,
    /// When (UTC).
    pub created_at: NaiveDateTime,
}

impl CreditEntry {
    /// When it happened, for people.
    pub fn on(&self) -> String {
        self.created_at.format("%-d %B %Y, %H:%M UTC").to_string()
    }
}

/// A ledger entry to append.
#[derive(Debug, Insertable)]
#[diesel(table_name = credit_ledger)]
pub struct NewCreditEntry<'a> {
    /// The account.
    pub user_id: i32,
    /// Cents added (negative: taken away); never zero.
    pub amount_cents: i64,
    /// The balance after it.
    pub balance_cents: i64,
    /// Why.
    pub reason: &'a str,
    /// The order it concerns, if any.
    pub order_id: Option<i32>,
    /// The admin who made it, if one did.
    pub admin_id: Option<i32>,
    /// When.
    pub created_at: NaiveDateTime,
}

/// The balance of `user_id`, if the account exists.
pub fn balance(conn: &mut DbConn, user_id: i32) -> QueryResult<Option<i64>> {
    users::table
        .find(user_id)
        .select(users::credit_cents)
        .first(conn)
        .optional()
}

/// Adds `amount_cents` (signed) to the balance of `user_id` in one conditional update, so
/// that no two changes at once can take it below zero; the new balance, or `None` when it
/// would go below zero (or there is no such account).
pub fn add(conn: &mut DbConn, user_id: i32, amount_cents: i64) -> QueryResult<Option<i64>> {
    diesel::update(
        users::table
            .find(user_id)
            .filter(users::credit_cents.ge(-amount_cents)),
    )
    .set(users::credit_cents.eq(users::credit_cents + amount_cents))
    .returning(users::credit_cents)
    .get_result(conn)
    .optional()
}

/// Appends an entry to the ledger.
pub fn record(conn: &mut DbConn, entry: &NewCreditEntry<'_>) -> QueryResult<usize> {
    diesel::insert_into(credit_ledger::table)
        .values(entry)
        .execute(conn)
}

/// The latest `limit` entries of `user_id`'s ledger, newest first.
pub fn entries(conn: &mut DbConn, user_id: i32, limit: i64) -> QueryResult<Vec<CreditEntry>> {
    credit_ledger::table
        .filter(credit_ledger::user_id.eq(user_id))
        .order(credit_ledger::id.desc())
        .limit(limit)
        .select(CreditEntry::as_select())
        .load(conn)
}

/// What `user_id` paid for orders with store credit since `since`, in cents (refunds to
/// store credit do not give the day's allowance back).
pub fn spent_on_orders_since(
    conn: &mut DbConn,
    user_id: i32,
    since: NaiveDateTime,
) -> QueryResult<i64> {
    let debits: Vec<i64> = credit_ledger::table
        .filter(credit_ledger::user_id.eq(user_id))
        .filter(credit_ledger::order_id.is_not_null())
        .filter(credit_ledger::amount_cents.lt(0))
        .filter(credit_ledger::created_at.ge(since))
        .select(credit_ledger::amount_cents)
        .load(conn)?;
    Ok(-debits.iter().sum::<i64>())
}

/// Locks the account's row until the transaction ends (PostgreSQL; SQLite's write
/// transactions are serial), so that two payments at once read the day's spending in turn;
/// returns its balance.
pub fn lock_balance(conn: &mut DbConn, user_id: i32) -> QueryResult<i64> {
    let balance = users::table.find(user_id).select(users::credit_cents);
    match conn {
        DbConn::Sqlite(conn) => balance.first(conn),
        DbConn::Pg(conn) => balance.for_no_key_update().first(conn),
    }
}
