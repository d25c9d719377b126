//! Carts and their lines. A guest's cart is found by a random token kept in the session; a
//! user's by the user id. Lines hold only the product (and variant) and quantity: prices are
//! always read from the products, never remembered.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::{self, on_backend, DbConn};
use crate::domain::cart::{line_total, LineProblem};
use crate::domain::{Money, ProductStatus, StockState};
use crate::schema::{cart_items, carts, product_variants, products};

/// Whose cart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartOwner {
    /// A guest, by the token in their session.
    Guest(String),
    /// A logged-in user.
    User(i32),
}

impl CartOwner {
    /// The account, for a user's cart.
    pub fn user_id(&self) -> Option<i32> {
        match self {
            CartOwner::User(id) => Some(*id),
            CartOwner::Guest(_) => None,
        }
    }
}

/// Which line of a cart: a product, or one variant of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineKey {
    /// The product.
    pub product_id: i32,
    /// The variant, for a product sold through variants.
    pub variant_id: Option<i32>,
}

impl LineKey {
    /// The line of a product sold as it is.
    pub fn product(product_id: i32) -> LineKey {
        LineKey {
            product_id,
            variant_id: None,
        }
    }
}

/// A cart line as stored, with what its product and variant are like now.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = cart_items)]
#[diesel(check_for_backend(diesel::sqlite::Sqlite, diesel::pg::Pg))]
struct CartRow {
    product_id: i32,
    variant_id: Option<i32>,
    quantity: i32,
    #[diesel(select_expression = products::name)]
    name: String,
    #[diesel(select_expression = products::price_cents)]
    price_cents: i64,
    #[diesel(select_expression = products::stock)]
    stock: i32,
    #[diesel(select_expression = products::status)]
    status: ProductStatus,
    #[diesel(select_expression = products::tax_class)]
    tax_class: crate::domain::tax::TaxClass,
    #[diesel(select_expression = products::has_variants)]
    has_variants: bool,
    #[diesel(select_expression = product_variants::name.nullable())]
    variant_name: Option<String>,
    #[diesel(select_expression = product_variants::price_cents.nullable())]
    variant_price_cents: Option<i64>,
    #[diesel(select_expression = product_variants::stock.nullable())]
    variant_stock: Option<i32>,
    #[diesel(select_expression = product_variants::archived.nullable())]
    variant_archived: Option<bool>,
}

/// One line of a cart, with what the product (or variant) is like now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CartLine {
    /// The product.
    pub product_id: i32,
    /// The variant, for a product sold through variants.
    pub variant_id: Option<i32>,
    /// How many.
    pub quantity: i32,
    /// The product's name now, with the variant's ("Trail Shirt — Size M").
    pub name: String,
    /// The price now: the variant's own, else the product's.
    pub unit_price_cents: i64,
    /// Items on hand now (of the variant, for a variant line).
    pub stock: i32,
    /// On sale or archived (a variant line: archived when either is).
    pub status: ProductStatus,
    /// How it is taxed.
    pub tax_class: crate::domain::tax::TaxClass,
    /// A line of the product itself, which is now sold only through its variants.
    pub needs_variant: bool,
}

impl CartLine {
    fn from_row(row: CartRow) -> CartLine {
        let variant_archived = row.variant_archived.unwrap_or(false);
        CartLine {
            product_id: row.product_id,
            variant_id: row.variant_id,
            quantity: row.quantity,
            name: match &row.variant_name {
                Some(variant) => variant_label(&row.name, variant),
                None => row.name,
            },
            unit_price_cents: row.variant_price_cents.unwrap_or(row.price_cents),
            stock: row.variant_stock.unwrap_or(row.stock),
            status: if variant_archived {
                ProductStatus::Archived
            } else {
                row.status
            },
            tax_class: row.tax_class,
            needs_variant: row.variant_id.is_none() && row.has_variants,
        }
    }

    /// Which line this is.
    pub fn key(&self) -> LineKey {
        LineKey {
            product_id: self.product_id,
            variant_id: self.variant_id,
        }
    }

    /// A fragment for the page's element ids: "12", or "12-5" for variant 5.
    pub fn dom_id(&self) -> String {
        match self.variant_id {
            Some(variant_id) => format!("{}-{variant_id}", self.product_id),
            None => self.product_id.to_string(),
        }
    }

    /// The unit price.
    pub fn unit_price(&self) -> Money {
        Money::from_cents(self.unit_price_cents)
    }

    /// The line total.
    pub fn line_total_cents(&self) -> i64 {
        line_total(self.unit_price_cents, self.quantity)
    }

    /// Whether the product (and variant) can still be bought as the line holds it.
    pub fn on_sale(&self) -> bool {
        self.status == ProductStatus::Active && !self.needs_variant
    }

    /// What stops this line from being ordered as it is, if anything.
    pub fn problem(&self) -> Option<LineProblem> {
        if self.needs_variant && self.status == ProductStatus::Active {
            return Some(LineProblem::ChooseVariant);
        }
        LineProblem::of(self.on_sale(), self.quantity, self.stock)
    }

    /// Availability as the shopper reads it.
    pub fn stock_state(&self) -> StockState {
        StockState::of(self.stock)
    }
}

/// How a variant is named on cart lines, orders and invoices.
pub fn variant_label(product: &str, variant: &str) -> String {
    format!("{product} — {variant}")
}

/// The cart of `owner`, if it has one.
pub fn find(conn: &mut DbConn, owner: &CartOwner) -> QueryResult<Option<i32>> {
    Ok(find_with_coupon(conn, owner)?.map(|(id, _)| id))
}

/// The id of `owner`'s cart and the coupon code it holds. One fixed query per kind of owner
/// rather than one boxed, so each is prepared once per connection.
pub fn find_with_coupon(
    conn: &mut DbConn,
    owner: &CartOwner,
) -> QueryResult<Option<(i32, Option<String>)>> {
    let columns = (carts::id, carts::coupon_code);
    match owner {
        CartOwner::Guest(token) => on_backend!(conn, |c| carts::table
            .filter(carts::token.eq(token.as_str()))
            .select(columns)
            .first(c)
            .optional()),
        CartOwner::User(id) => on_backend!(conn, |c| carts::table
            .filter(carts::user_id.eq(*id))
            .select(columns)
            .first(c)
            .optional()),
    }
}

/// The cart of `owner`, created if it has none, and locked for the rest of the transaction
/// (see [`lock`]).
pub fn find_or_create(
    conn: &mut DbConn,
    owner: &CartOwner,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    if let Some(id) = find(conn, owner)? {
        lock(conn, id, now)?;
        return Ok(id);
    }
    let (user_id, token) = match owner {
        CartOwner::Guest(token) => (None, Some(token.as_str())),
        CartOwner::User(id) => (Some(*id), None),
    };
    // In a savepoint: when a twin request created the cart first, use theirs.
    let created = db::transaction(conn, |conn| {
        diesel::insert_into(carts::table)
            .values((
                carts::user_id.eq(user_id),
                carts::token.eq(token),
                carts::created_at.eq(now),
                carts::updated_at.eq(now),
            ))
            .returning(carts::id)
            .get_result(conn)
    });
    match created {
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
            let id = find(conn, owner)?.ok_or(DieselError::NotFound)?;
            lock(conn, id, now)?;
            Ok(id)
        }
        other => other,
    }
}

/// Touches the cart row, which on PostgreSQL locks it until the transaction ends: changes to
/// one cart then happen one after another, so a quantity read and written back is never
/// overwritten by a twin request. (SQLite's write transactions are serial already.)
pub fn lock(conn: &mut DbConn, cart_id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    on_backend!(conn, |c| diesel::update(carts::table.find(cart_id))
        .set(carts::updated_at.eq(now))
        .execute(c))
}

/// The lines of a cart, oldest first.
pub fn lines(conn: &mut DbConn, cart_id: i32) -> QueryResult<Vec<CartLine>> {
    let rows: Vec<CartRow> = on_backend!(conn, |c| cart_items::table
        .inner_join(products::table)
        .left_join(
            product_variants::table.on(product_variants::id.nullable().eq(cart_items::variant_id)),
        )
        .filter(cart_items::cart_id.eq(cart_id))
        .order((cart_items::added_at.asc(), cart_items::id.asc()))
        .select(CartRow::as_select())
        .load(c))?;
    Ok(rows.into_iter().map(CartLine::from_row).collect())
}

/// The line `key` of `cart_id`, if the cart holds it: its row id and quantity. Two fixed
/// queries (one per kind of line) rather than one boxed, so each is prepared once per
/// connection.
pub fn find_line(conn: &mut DbConn, cart_id: i32, key: LineKey) -> QueryResult<Option<(i32, i32)>> {
    let lines = cart_items::table
        .filter(cart_items::cart_id.eq(cart_id))
        .filter(cart_items::product_id.eq(key.product_id));
    let columns = (cart_items::id, cart_items::quantity);
    match key.variant_id {
        Some(variant_id) => on_backend!(conn, |c| lines
            .filter(cart_items::variant_id.eq(variant_id))
            .select(columns)
            .first(c)
            .optional()),
        None => on_backend!(conn, |c| lines
            .filter(cart_items::variant_id.is_null())
            .select(columns)
            .first(c)
            .optional()),
    }
}

/// How many of the line `key` the cart holds (0 if none).
pub fn quantity_of(conn: &mut DbConn, cart_id: i32, key: LineKey) -> QueryResult<i32> {
    Ok(find_line(conn, cart_id, key)?.map_or(0, |(_, quantity)| quantity))
}

/// How many lines a cart holds.
pub fn line_count(conn: &mut DbConn, cart_id: i32) -> QueryResult<usize> {
    let count: i64 = on_backend!(conn, |c| cart_items::table
        .filter(cart_items::cart_id.eq(cart_id))
        .count()
        .get_result(c))?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

/// Sets the quantity of a line, adding the line if needed. Call with the cart locked.
pub fn set_quantity(
    conn: &mut DbConn,
    cart_id: i32,
    key: LineKey,
    quantity: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let line = find_line(conn, cart_id, key)?.map(|(id, _)| id);
    put_line(conn, cart_id, key, line, quantity, now)
}

/// Sets the quantity of the line `key` whose row is `line` (none: the line is added). Call
/// with the cart locked and `line` read under that lock.
pub fn put_line(
    conn: &mut DbConn,
    cart_id: i32,
    key: LineKey,
    line: Option<i32>,
    quantity: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    if let Some(id) = line {
        return on_backend!(conn, |c| diesel::update(cart_items::table.find(id))
            .set(cart_items::quantity.eq(quantity))
            .execute(c));
    }
    on_backend!(conn, |c| diesel::insert_into(cart_items::table)
        .values((
            cart_items::cart_id.eq(cart_id),
            cart_items::product_id.eq(key.product_id),
            cart_items::variant_id.eq(key.variant_id),
            cart_items::quantity.eq(quantity),
            cart_items::added_at.eq(now),
        ))
        .execute(c))
}

/// Takes a line out.
pub fn remove(conn: &mut DbConn, cart_id: i32, key: LineKey) -> QueryResult<usize> {
    match find_line(conn, cart_id, key)? {
        Some((id, _)) => diesel::delete(cart_items::table.find(id)).execute(conn),
        None => Ok(0),
    }
}

/// Empties a cart.
pub fn clear(conn: &mut DbConn, cart_id: i32) -> QueryResult<usize> {
    diesel::delete(cart_items::table.filter(cart_items::cart_id.eq(cart_id))).execute(conn)
}

/// Deletes a cart and its lines.
pub fn delete(conn: &mut DbConn, cart_id: i32) -> QueryResult<usize> {
    diesel::delete(carts::table.find(cart_id)).execute(conn)
}

/// The number of items in the cart of `owner` (the header shows it).
pub fn item_count(conn: &mut DbConn, owner: &CartOwner) -> QueryResult<i64> {
    // One fixed query per kind of owner, each prepared once per connection.
    let lines = cart_items::table.inner_join(carts::table);
    let items = diesel::dsl::sum(cart_items::quantity);
    let count: Option<i64> = match owner {
        CartOwner::Guest(token) => on_backend!(conn, |c| lines
            .filter(carts::token.eq(token.as_str()))
            .select(items)
            .first(c))?,
        CartOwner::User(id) => on_backend!(conn, |c| lines
            .filter(carts::user_id.eq(*id))
            .select(items)
            .first(c))?,
    };
    Ok(count.unwrap_or(0))
}

/// Deletes guest carts untouched since `before` (their sessions, and so their tokens, are gone).
pub fn sweep_guest_carts(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        carts::table
            .filter(carts::user_id.is_null())
            .filter(carts::updated_at.lt(before)),
    )
    .execute(conn)
}

/// The coupon code the cart holds, if any.
pub fn coupon_code(conn: &mut DbConn, cart_id: i32) -> QueryResult<Option<String>> {
    Ok(carts::table
        .find(cart_id)
        .select(carts::coupon_code)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// Puts `code` in the cart, or takes its coupon off (`None`).
pub fn set_coupon_code(
    conn: &mut DbConn,
    cart_id: i32,
    code: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(carts::table.find(cart_id))
        .set((carts::coupon_code.eq(code), carts::updated_at.eq(now)))
        .execute(conn)
}
