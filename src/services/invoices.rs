//! Invoice numbers: when an order becomes paid it gets the next number of the calendar year
//! (`2026-000001`, `2026-000002`, …), taken in the transaction that marks it paid. The year's
//! counter row is locked by the increment until that transaction ends, so payments at once
//! (on any instance) take numbers in turn, and a payment rolled back gives its number back:
//! no gaps, no twins.

use chrono::{Datelike, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::error::AppError;
use crate::schema::{invoice_counters, orders};

/// The invoice number `number` of `year`, as printed.
pub fn format_number(year: i32, number: i32) -> String {
    format!("{year}-{number:06}")
}

/// Gives order `order_id` the next invoice number of `now`'s year, unless it has one.
/// Call inside the transaction that marks it paid. Returns its number.
pub fn assign(conn: &mut DbConn, order_id: i32, now: NaiveDateTime) -> Result<String, AppError> {
    let existing: Option<String> = orders::table
        .find(order_id)
        .select(orders::invoice_number)
        .first(conn)?;
    if let Some(number) = existing {
        return Ok(number);
    }
    let year = now.year();
    let start = diesel::insert_into(invoice_counters::table).values((
        invoice_counters::year.eq(year),
        invoice_counters::last_number.eq(0),
    ));
    // The first payment of a year makes its counter; one made at the same time waits for it
    // and then changes nothing.
    match conn {
        DbConn::Sqlite(conn) => start.on_conflict_do_nothing().execute(conn)?,
        DbConn::Pg(conn) => start.on_conflict_do_nothing().execute(conn)?,
    };
    let number: i32 = diesel::update(invoice_counters::table.find(year))
        .set(invoice_counters::last_number.eq(invoice_counters::last_number + 1))
        .returning(invoice_counters::last_number)
        .get_result(conn)?;
    let formatted = format_number(year, number);
    diesel::update(orders::table.find(order_id))
        .set((
            orders::invoice_number.eq(&formatted),
            orders::invoiced_at.eq(now),
        ))
        .execute(conn)?;
    Ok(formatted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_the_year_and_six_digits() {
        assert_eq!(format_number(2026, 1), "2026-000001");
        assert_eq!(format_number(2027, 123_456), "2027-123456");
    }
}
