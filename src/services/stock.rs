//! Stock moves of order lines, each a product or one of its variants: taken at checkout (or
//! again, when an expired order is paid after all), given back on cancel, expiry and refund.
//!
//! Lines are moved in (product, variant) order, and a variant only with its product's row
//! locked, so on PostgreSQL two orders never wait on each other's rows; a product sold
//! through variants keeps the sum of their stock, refreshed while it is still locked.

use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::error::AppError;
use crate::models::cart::LineKey;
use crate::models::{product, variant};

/// A line's stock move: which product or variant, and how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    /// The product or variant.
    pub key: LineKey,
    /// How many items.
    pub quantity: i32,
}

/// Takes every line's quantity off the stock; returns the lines short of stock with what
/// is left of each (nothing is taken from those, so roll back when any is short).
pub fn take(
    conn: &mut DbConn,
    moves: &[Move],
    now: NaiveDateTime,
) -> Result<Vec<(LineKey, i32)>, AppError> {
    let mut short = Vec::new();
    each_in_lock_order(conn, moves, now, |conn, m| {
        let taken = match m.key.variant_id {
            Some(variant_id) => variant::take_stock(conn, variant_id, m.quantity, now)?,
            None => product::take_stock(conn, m.key.product_id, m.quantity, now)?,
        };
        if !taken {
            let left = match m.key.variant_id {
                Some(variant_id) => variant::stock_of(conn, variant_id)?,
                None => product::find(conn, m.key.product_id)?.map_or(0, |p| p.stock),
            };
            short.push((m.key, left));
        }
        Ok(())
    })?;
    Ok(short)
}

/// Puts every line's quantity back on the stock.
pub fn give_back(conn: &mut DbConn, moves: &[Move], now: NaiveDateTime) -> Result<(), AppError> {
    each_in_lock_order(conn, moves, now, |conn, m| {
        match m.key.variant_id {
            Some(variant_id) => variant::return_stock(conn, variant_id, m.quantity, now)?,
            None => product::return_stock(conn, m.key.product_id, m.quantity, now)?,
        };
        Ok(())
    })
}

/// Runs `step` on each move in (product, variant) order, locking a product before its
/// variants move and refreshing its stock sum after them.
fn each_in_lock_order(
    conn: &mut DbConn,
    moves: &[Move],
    now: NaiveDateTime,
    mut step: impl FnMut(&mut DbConn, &Move) -> Result<(), AppError>,
) -> Result<(), AppError> {
    let mut sorted = moves.to_vec();
    sorted.sort_by_key(|m| m.key);
    for (i, m) in sorted.iter().enumerate() {
        let first_of_product = i == 0 || sorted[i - 1].key.product_id != m.key.product_id;
        if m.key.variant_id.is_some() && first_of_product {
            product::lock(conn, m.key.product_id)?;
        }
        step(conn, m)?;
        let last_of_product = sorted
            .get(i + 1)
            .is_none_or(|next| next.key.product_id != m.key.product_id);
        if m.key.variant_id.is_some() && last_of_product {
            variant::refresh_product_stock(conn, m.key.product_id, now)?;
        }
    }
    Ok(())
}
