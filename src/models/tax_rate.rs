//! Tax rates by country.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::tax::{CountryRates, TaxRate};
use crate::schema::tax_rates;

/// A country's rates.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = tax_rates)]
pub struct CountryTax {
    /// ISO 3166-1 alpha-2 code.
    pub country: String,
    /// Standard rate, hundredths of a percent.
    pub standard_bp: i32,
    /// Reduced rate, hundredths of a percent.
    pub reduced_bp: i32,
}

fn rate(bp: i32) -> TaxRate {
    u32::try_from(bp)
        .ok()
        .and_then(TaxRate::from_basis_points)
        .unwrap_or(TaxRate::ZERO)
}

impl CountryTax {
    /// The two rates.
    pub fn rates(&self) -> CountryRates {
        CountryRates {
            standard: rate(self.standard_bp),
            reduced: rate(self.reduced_bp),
        }
    }
}

/// Every country's rates, by code.
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<CountryTax>> {
    tax_rates::table
        .order(tax_rates::country.asc())
        .select(CountryTax::as_select())
        .load(conn)
}

/// The rates of `country`; none (no tax) when it has none.
pub fn for_country(conn: &mut DbConn, country: &str) -> QueryResult<CountryRates> {
    Ok(tax_rates::table
        .find(country)
        .select(CountryTax::as_select())
        .first(conn)
        .optional()?
        .map_or_else(CountryRates::default, |t| t.rates()))
}

/// The rates of `country` if it has any.
pub fn find(conn: &mut DbConn, country: &str) -> QueryResult<Option<CountryTax>> {
    tax_rates::table
        .find(country)
        .select(CountryTax::as_select())
        .first(conn)
        .optional()
}

/// Sets the rates of `country`.
pub fn set(
    conn: &mut DbConn,
    country: &str,
    rates: CountryRates,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let standard = i32::try_from(rates.standard.basis_points()).unwrap_or(0);
    let reduced = i32::try_from(rates.reduced.basis_points()).unwrap_or(0);
    let values = (
        tax_rates::standard_bp.eq(standard),
        tax_rates::reduced_bp.eq(reduced),
        tax_rates::updated_at.eq(now),
    );
    let updated = diesel::update(tax_rates::table.find(country))
        .set(values)
        .execute(conn)?;
    if updated == 1 {
        return Ok(updated);
    }
    diesel::insert_into(tax_rates::table)
        .values((tax_rates::country.eq(country), values))
        .execute(conn)
}

/// Removes the rates of `country`; false when it had none.
pub fn delete(conn: &mut DbConn, country: &str) -> QueryResult<bool> {
    Ok(diesel::delete(tax_rates::table.find(country)).execute(conn)? == 1)
}
