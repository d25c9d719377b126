//! Guests' orders: the address an order belongs to, its private link's key (as a hash), and
//! the client that placed it. An account claims its address's guest orders once the address
//! is verified as its own.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::OrderStatus;
use crate::schema::{order_guests, orders};

/// Records that order `order_id` is a guest's.
pub fn insert(
    conn: &mut DbConn,
    order_id: i32,
    (email, key_hash, client_ip): (&str, &str, &str),
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(order_guests::table)
        .values((
            order_guests::order_id.eq(order_id),
            order_guests::email.eq(email.to_lowercase()),
            order_guests::key_hash.eq(key_hash),
            order_guests::client_ip.eq(client_ip),
            order_guests::created_at.eq(now),
        ))
        .execute(conn)
}

/// How many guest orders placed with `email` wait for payment.
pub fn unpaid_for_email(conn: &mut DbConn, email: &str) -> QueryResult<i64> {
    order_guests::table
        .inner_join(orders::table)
        .filter(order_guests::email.eq(email.to_lowercase()))
        .filter(orders::status.eq(OrderStatus::Pending.as_str()))
        .count()
        .get_result(conn)
}

/// How many guest orders placed from `client_ip` wait for payment.
pub fn unpaid_from_client(conn: &mut DbConn, client_ip: &str) -> QueryResult<i64> {
    order_guests::table
        .inner_join(orders::table)
        .filter(order_guests::client_ip.eq(client_ip))
        .filter(orders::status.eq(OrderStatus::Pending.as_str()))
        .count()
        .get_result(conn)
}

/// Gives account `user_id` the unclaimed guest orders placed with `email` (its verified
/// address); how many.
pub fn claim(conn: &mut DbConn, email: &str, user_id: i32) -> QueryResult<usize> {
    let theirs = order_guests::table
        .filter(order_guests::email.eq(email.to_lowercase()))
        .select(order_guests::order_id);
    diesel::update(
        orders::table
            .filter(orders::user_id.is_null())
            .filter(orders::id.eq_any(theirs)),
    )
    .set(orders::user_id.eq(user_id))
    .execute(conn)
}

/// Whether order `id` was placed by a guest and no account has claimed it.
pub fn is_unclaimed(conn: &mut DbConn, id: i32) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        orders::table
            .inner_join(order_guests::table)
            .filter(orders::id.eq(id))
            .filter(orders::user_id.is_null()),
    ))
    .get_result(conn)
}
