//! Refunds: each amount paid back on an order, the way its money came. A card refund is
//! `pending` from the moment its amount is reserved on the order until the provider confirms
//! it, so a refund interrupted half-way is finished later, never lost or made twice.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::schema::refunds;

/// A refund row.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refunds)]
pub struct Refund {
    /// Primary key; also the base of the provider's idempotency key.
    pub id: i32,
    /// The order refunded.
    pub order_id: i32,
    /// How much, in cents.
    pub amount_cents: i64,
    /// Why, as the admin wrote it.
    pub reason: String,
    /// Whether the order's stock goes back with it.
    pub restock: bool,
    /// `pending` or `done`.
    pub state: String,
    /// The provider's refund (`re_…`), for card refunds.
    pub provider_refund_id: Option<String>,
    /// When it was asked for (UTC).
    pub created_at: NaiveDateTime,
}

impl Refund {
    /// Whether the money is on its way back.
    pub fn is_done(&self) -> bool {
        self.state == "done"
    }

    /// When it was asked for, for people.
    pub fn made_on(&self) -> String {
        self.created_at.format("%-d %b %Y %H:%M").to_string()
    }
}

/// A refund to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = refunds)]
pub struct NewRefund<'a> {
    /// The order.
    pub order_id: i32,
    /// How much, in cents.
    pub amount_cents: i64,
    /// Why.
    pub reason: &'a str,
    /// Whether the stock goes back.
    pub restock: bool,
    /// `pending` (a provider must confirm it) or `done`.
    pub state: &'a str,
    /// The admin who asked for it (none when the shop refunds by itself).
    pub admin_id: Option<i32>,
    /// Now.
    pub created_at: NaiveDateTime,
    /// Now.
    pub updated_at: NaiveDateTime,
}

/// Inserts a refund and returns its id.
pub fn insert(conn: &mut DbConn, new: &NewRefund<'_>) -> QueryResult<i32> {
    diesel::insert_into(refunds::table)
        .values(new)
        .returning(refunds::id)
        .get_result(conn)
}

/// The refund `id`.
pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Refund>> {
    refunds::table
        .find(id)
        .select(Refund::as_select())
        .first(conn)
        .optional()
}

/// Marks a pending refund done with the provider's id; false when it was done already.
pub fn mark_done(
    conn: &mut DbConn,
    id: i32,
    provider_refund_id: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(refunds::table.find(id).filter(refunds::state.eq("pending")))
        .set((
            refunds::state.eq("done"),
            refunds::provider_refund_id.eq(provider_refund_id),
            refunds::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(updated == 1)
}

/// Deletes a pending refund the provider refused; false when it is no longer pending.
pub fn drop_pending(conn: &mut DbConn, id: i32) -> QueryResult<bool> {
    let deleted = diesel::delete(refunds::table.find(id).filter(refunds::state.eq("pending")))
        .execute(conn)?;
    Ok(deleted == 1)
}

/// The refunds of an order, oldest first.
pub fn for_order(conn: &mut DbConn, order_id: i32) -> QueryResult<Vec<Refund>> {
    refunds::table
        .filter(refunds::order_id.eq(order_id))
        .order(refunds::id.asc())
        .select(Refund::as_select())
        .load(conn)
}

/// Up to `limit` refunds still pending that were asked for before `before`.
pub fn pending_before(
    conn: &mut DbConn,
    before: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Refund>> {
    refunds::table
        .filter(refunds::state.eq("pending"))
        .filter(refunds::created_at.lt(before))
        .order(refunds::id.asc())
        .limit(limit)
        .select(Refund::as_select())
        .load(conn)
}
