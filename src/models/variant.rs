//! Product variants ("Size M / Blue"): their rows, stock moves, and the product stock kept as
//! the sum of its active variants'.
//!
//! Lock order, for PostgreSQL: a variant's stock changes only while its product's row is
//! locked, and products are locked in id order, so two transactions never wait on each
//! other's variants.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::{Money, StockState};
use crate::schema::{product_variants, products};

/// A variant row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Identifiable)]
#[diesel(table_name = product_variants)]
pub struct Variant {
    /// Primary key.
    pub id: i32,
    /// The product it is a variant of.
    pub product_id: i32,
    /// "Size M / Blue".
    pub name: String,
    /// Its stock-keeping unit, unique.
    pub sku: String,
    /// Its own price in cents; `None` sells at the product's.
    pub price_cents: Option<i64>,
    /// Items on hand.
    pub stock: i32,
    /// Archived variants are kept for the orders that name them but no longer sold.
    pub archived: bool,
    /// Bumped by every admin save; a save made from an older version is refused.
    pub version: i32,
    /// When it was created (UTC).
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    pub updated_at: NaiveDateTime,
}

impl Variant {
    /// Its price, given the product's.
    pub fn price(&self, product_price_cents: i64) -> Money {
        Money::from_cents(self.price_cents.unwrap_or(product_price_cents))
    }

    /// Availability as the shopper reads it.
    pub fn stock_state(&self) -> StockState {
        StockState::of(self.stock)
    }
}

/// A variant's fields as an admin sets them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantFields<'a> {
    /// "Size M / Blue".
    pub name: &'a str,
    /// Unique stock-keeping unit.
    pub sku: &'a str,
    /// Its own price, or the product's.
    pub price_cents: Option<i64>,
    /// Items on hand.
    pub stock: i32,
}

/// Every variant of a product, archived too, oldest first.
pub fn all_of(conn: &mut DbConn, product_id: i32) -> QueryResult<Vec<Variant>> {
    product_variants::table
        .filter(product_variants::product_id.eq(product_id))
        .order(product_variants::id.asc())
        .select(Variant::as_select())
        .load(conn)
}

/// The variants on sale, oldest first.
pub fn active_of(conn: &mut DbConn, product_id: i32) -> QueryResult<Vec<Variant>> {
    product_variants::table
        .filter(product_variants::product_id.eq(product_id))
        .filter(product_variants::archived.eq(false))
        .order(product_variants::id.asc())
        .select(Variant::as_select())
        .load(conn)
}

/// Every variant on sale, by product, oldest first (the CSV export).
pub fn all_on_sale(conn: &mut DbConn) -> QueryResult<Vec<Variant>> {
    product_variants::table
        .filter(product_variants::archived.eq(false))
        .order((
            product_variants::product_id.asc(),
            product_variants::id.asc(),
        ))
        .select(Variant::as_select())
        .load(conn)
}

/// Whether the product is sold through variants (has any on sale).
pub fn has_active(conn: &mut DbConn, product_id: i32) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        product_variants::table
            .filter(product_variants::product_id.eq(product_id))
            .filter(product_variants::archived.eq(false)),
    ))
    .get_result(conn)
}

/// The variant `id` of product `product_id`.
pub fn find(conn: &mut DbConn, product_id: i32, id: i32) -> QueryResult<Option<Variant>> {
    product_variants::table
        .find(id)
        .filter(product_variants::product_id.eq(product_id))
        .select(Variant::as_select())
        .first(conn)
        .optional()
}

/// The product a variant belongs to, if the variant exists.
pub fn product_of(conn: &mut DbConn, id: i32) -> QueryResult<Option<i32>> {
    product_variants::table
        .find(id)
        .select(product_variants::product_id)
        .first(conn)
        .optional()
}

/// The variant whose SKU is `sku`.
pub fn find_by_sku(conn: &mut DbConn, sku: &str) -> QueryResult<Option<Variant>> {
    product_variants::table
        .filter(product_variants::sku.eq(sku))
        .select(Variant::as_select())
        .first(conn)
        .optional()
}

/// Adds a variant; call with the product locked, then [`refresh_product_stock`].
pub fn insert(
    conn: &mut DbConn,
    product_id: i32,
    fields: &VariantFields<'_>,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(product_variants::table)
        .values((
            product_variants::product_id.eq(product_id),
            product_variants::name.eq(fields.name),
            product_variants::sku.eq(fields.sku),
            product_variants::price_cents.eq(fields.price_cents),
            product_variants::stock.eq(fields.stock),
            product_variants::created_at.eq(now),
            product_variants::updated_at.eq(now),
        ))
        .returning(product_variants::id)
        .get_result(conn)
}

/// Saves an admin's edit when the row is still at `version`; false (nothing changed) when
/// someone saved in between.
pub fn update(
    conn: &mut DbConn,
    id: i32,
    version: i32,
    fields: &VariantFields<'_>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        product_variants::table
            .find(id)
            .filter(product_variants::version.eq(version)),
    )
    .set((
        product_variants::name.eq(fields.name),
        product_variants::sku.eq(fields.sku),
        product_variants::price_cents.eq(fields.price_cents),
        product_variants::stock.eq(fields.stock),
        product_variants::version.eq(version + 1),
        product_variants::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Archives a variant (it stays on the orders that name it).
pub fn archive(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(product_variants::table.find(id))
        .set((
            product_variants::archived.eq(true),
            product_variants::version.eq(product_variants::version + 1),
            product_variants::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Takes `quantity` off the variant's stock if that many are on hand (false, nothing changed,
/// when fewer are); call with its product locked, then [`refresh_product_stock`].
pub fn take_stock(
    conn: &mut DbConn,
    id: i32,
    quantity: i32,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        product_variants::table
            .find(id)
            .filter(product_variants::stock.ge(quantity)),
    )
    .set((
        product_variants::stock.eq(product_variants::stock - quantity),
        product_variants::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Puts `quantity` back on the variant's stock; call with its product locked, then
/// [`refresh_product_stock`].
pub fn return_stock(
    conn: &mut DbConn,
    id: i32,
    quantity: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(product_variants::table.find(id))
        .set((
            product_variants::stock.eq(product_variants::stock + quantity),
            product_variants::updated_at.eq(now),
        ))
        .execute(conn)
}

/// The stock of one variant now (0 if it is gone).
pub fn stock_of(conn: &mut DbConn, id: i32) -> QueryResult<i32> {
    Ok(product_variants::table
        .find(id)
        .select(product_variants::stock)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Sets a product with active variants to the sum of their stock and marks it sold through
/// them; a product without any keeps its own stock and loses the mark. Call with the product
/// locked (see `product::lock`).
pub fn refresh_product_stock(
    conn: &mut DbConn,
    product_id: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let active = product_variants::table
        .filter(product_variants::product_id.eq(product_id))
        .filter(product_variants::archived.eq(false));
    let count: i64 = active.count().get_result(conn)?;
    let product = products::table.find(product_id);
    if count == 0 {
        return diesel::update(product.filter(products::has_variants.eq(true)))
            .set((
                products::has_variants.eq(false),
                products::updated_at.eq(now),
            ))
            .execute(conn);
    }
    let sum: Option<i64> = active
        .select(diesel::dsl::sum(product_variants::stock))
        .first(conn)?;
    let stock = i32::try_from(sum.unwrap_or(0)).unwrap_or(i32::MAX);
    diesel::update(product)
        .set((
            products::stock.eq(stock),
            products::has_variants.eq(true),
            products::updated_at.eq(now),
        ))
        .execute(conn)
}
