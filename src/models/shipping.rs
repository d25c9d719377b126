//! Shipping methods and the countries each serves.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::shipping::ShippingRate;
use crate::domain::Money;
use crate::schema::shipping_methods;

/// A shipping method row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = shipping_methods)]
pub struct ShippingMethod {
    /// Primary key.
    pub id: i32,
    /// Its name, like "Standard parcel".
    pub name: String,
    /// ISO 3166-1 alpha-2 codes, comma-separated.
    pub countries: String,
    /// Its price.
    pub price_cents: i64,
    /// Free above this order value (after the discount).
    pub free_above_cents: Option<i64>,
}

impl ShippingMethod {
    /// The countries it serves.
    pub fn country_codes(&self) -> impl Iterator<Item = &str> {
        self.countries.split(',').filter(|c| !c.is_empty())
    }

    /// Whether it ships to `country`.
    pub fn serves(&self, country: &str) -> bool {
        self.country_codes().any(|c| c == country)
    }

    /// Its price as the admin form shows it (`4.90`).
    pub fn price_input(&self) -> String {
        Money::from_cents(self.price_cents).to_decimal_string()
    }

    /// Its free-above threshold as the admin form shows it (empty when none).
    pub fn free_above_input(&self) -> String {
        self.free_above_cents
            .map_or(String::new(), |c| Money::from_cents(c).to_decimal_string())
    }

    /// What it charges.
    pub fn rate(&self) -> ShippingRate {
        ShippingRate {
            price: Money::from_cents(self.price_cents),
            free_above: self.free_above_cents.map(Money::from_cents),
        }
    }
}

/// A method as written.
#[derive(Debug, Clone, Insertable, AsChangeset)]
#[diesel(table_name = shipping_methods)]
pub struct MethodFields<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its countries, comma-separated codes.
    pub countries: &'a str,
    /// Its price.
    pub price_cents: i64,
    /// Free above this, if at all (`None` writes NULL).
    #[diesel(treat_none_as_null = true)]
    pub free_above_cents: Option<i64>,
    /// Now.
    pub updated_at: NaiveDateTime,
}

/// Every method, by name.
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<ShippingMethod>> {
    shipping_methods::table
        .order((shipping_methods::name.asc(), shipping_methods::id.asc()))
        .select(ShippingMethod::as_select())
        .load(conn)
}

/// The method `id`.
pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<ShippingMethod>> {
    shipping_methods::table
        .find(id)
        .select(ShippingMethod::as_select())
        .first(conn)
        .optional()
}

/// Adds a method; its id.
pub fn insert(
    conn: &mut DbConn,
    fields: &MethodFields<'_>,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(shipping_methods::table)
        .values((fields, shipping_methods::created_at.eq(now)))
        .returning(shipping_methods::id)
        .get_result(conn)
}

/// Changes method `id`; false when there is none.
pub fn update(conn: &mut DbConn, id: i32, fields: &MethodFields<'_>) -> QueryResult<bool> {
    Ok(diesel::update(shipping_methods::table.find(id))
        .set(fields)
        .execute(conn)?
        == 1)
}

/// Removes method `id` (orders keep their copy of its name and price); false when there is
/// none.
pub fn delete(conn: &mut DbConn, id: i32) -> QueryResult<bool> {
    Ok(diesel::delete(shipping_methods::table.find(id)).execute(conn)? == 1)
}
