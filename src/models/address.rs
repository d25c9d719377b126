//! Addresses an account saved at checkout or on its addresses page.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::{AddressInput, ShippingAddress};
use crate::schema::addresses;

/// A saved address.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = addresses)]
pub struct Address {
    /// Primary key.
    pub id: i32,
    /// Who receives it.
    pub name: String,
    /// Street and number.
    pub line1: String,
    /// Flat, building, c/o.
    pub line2: String,
    /// Postal code.
    pub postcode: String,
    /// Town or city.
    pub city: String,
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
}

impl Address {
    /// The address as the checkout form's fields.
    pub fn input(&self) -> AddressInput {
        AddressInput {
            name: self.name.clone(),
            address_line1: self.line1.clone(),
            address_line2: self.line2.clone(),
            postcode: self.postcode.clone(),
            city: self.city.clone(),
            country: self.country.clone(),
        }
    }

    /// On one line, for a radio label.
    pub fn one_line(&self) -> String {
        let country = crate::domain::shipping::country_name(&self.country).unwrap_or(&self.country);
        let mut parts = vec![self.name.as_str(), self.line1.as_str()];
        if !self.line2.is_empty() {
            parts.push(&self.line2);
        }
        format!(
            "{}, {} {}, {country}",
            parts.join(", "),
            self.postcode,
            self.city
        )
    }
}

/// The most addresses one account keeps.
pub const MAX_PER_ACCOUNT: i64 = 20;

/// Saves `address` for `user_id`; its id.
pub fn insert(
    conn: &mut DbConn,
    user_id: i32,
    address: &ShippingAddress,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(addresses::table)
        .values((
            addresses::user_id.eq(user_id),
            addresses::name.eq(address.name()),
            addresses::line1.eq(address.address_line1()),
            addresses::line2.eq(address.address_line2()),
            addresses::postcode.eq(address.postcode()),
            addresses::city.eq(address.city()),
            addresses::country.eq(address.country()),
            addresses::created_at.eq(now),
            addresses::last_used_at.eq(now),
        ))
        .returning(addresses::id)
        .get_result(conn)
}

/// `user_id`'s addresses, the last used first.
pub fn for_user(conn: &mut DbConn, user_id: i32) -> QueryResult<Vec<Address>> {
    addresses::table
        .filter(addresses::user_id.eq(user_id))
        .order((addresses::last_used_at.desc(), addresses::id.desc()))
        .select(Address::as_select())
        .load(conn)
}

/// How many addresses `user_id` keeps.
pub fn count_for_user(conn: &mut DbConn, user_id: i32) -> QueryResult<i64> {
    addresses::table
        .filter(addresses::user_id.eq(user_id))
        .count()
        .get_result(conn)
}

/// Address `id` if it is `user_id`'s.
pub fn find_for_user(conn: &mut DbConn, id: i32, user_id: i32) -> QueryResult<Option<Address>> {
    addresses::table
        .find(id)
        .filter(addresses::user_id.eq(user_id))
        .select(Address::as_select())
        .first(conn)
        .optional()
}

/// Notes that address `id` was just used.
pub fn touch(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(addresses::table.find(id))
        .set(addresses::last_used_at.eq(now))
        .execute(conn)
}

/// Deletes address `id` if it is `user_id`'s; false when it is not.
pub fn delete_for_user(conn: &mut DbConn, id: i32, user_id: i32) -> QueryResult<bool> {
    Ok(diesel::delete(
        addresses::table
            .find(id)
            .filter(addresses::user_id.eq(user_id)),
    )
    .execute(conn)?
        == 1)
}
