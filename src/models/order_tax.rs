//! An order's tax, one row per rate: net, tax and gross as they were charged.

use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::tax::{TaxLine, TaxRate};
use crate::schema::order_taxes;

/// One rate of an order's tax.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = order_taxes)]
pub struct OrderTax {
    /// The rate, hundredths of a percent.
    pub rate_bp: i32,
    /// Without tax.
    pub net_cents: i64,
    /// The tax.
    pub tax_cents: i64,
    /// With tax.
    pub gross_cents: i64,
}

/// The rate of `basis_points` (0 if out of range).
pub fn rate_of(basis_points: i32) -> TaxRate {
    u32::try_from(basis_points)
        .ok()
        .and_then(TaxRate::from_basis_points)
        .unwrap_or(TaxRate::ZERO)
}

impl OrderTax {
    /// The rate, for people (`19 %`).
    pub fn rate(&self) -> String {
        rate_of(self.rate_bp).display()
    }
}

/// What each rate of `taxes` charged, for [`crate::mail::compose::tax_sentence_list`].
pub fn amounts(taxes: &[OrderTax]) -> Vec<(TaxRate, crate::domain::Money)> {
    taxes
        .iter()
        .map(|t| {
            (
                rate_of(t.rate_bp),
                crate::domain::Money::from_cents(t.tax_cents),
            )
        })
        .collect()
}

/// Stores the tax lines of order `order_id`.
pub fn insert(conn: &mut DbConn, order_id: i32, lines: &[TaxLine]) -> QueryResult<()> {
    for line in lines {
        diesel::insert_into(order_taxes::table)
            .values((
                order_taxes::order_id.eq(order_id),
                order_taxes::rate_bp.eq(i32::try_from(line.rate.basis_points()).unwrap_or(0)),
                order_taxes::net_cents.eq(line.net.cents()),
                order_taxes::tax_cents.eq(line.tax.cents()),
                order_taxes::gross_cents.eq(line.gross.cents()),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The tax lines of order `order_id`, highest rate first.
pub fn for_order(conn: &mut DbConn, order_id: i32) -> QueryResult<Vec<OrderTax>> {
    order_taxes::table
        .filter(order_taxes::order_id.eq(order_id))
        .order(order_taxes::rate_bp.desc())
        .select(OrderTax::as_select())
        .load(conn)
}
