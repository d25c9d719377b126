//! Carts and their lines. A guest's cart is found by a random token kept in the session; a
//! user's by the user id. Lines hold only the product and quantity: prices are always read
//! from the products, never remembered.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::{self, DbConn};
use crate::domain::cart::{line_total, LineProblem};
use crate::domain::{Money, ProductStatus, StockState};
use crate::schema::{cart_items, carts, products};

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

/// One line of a cart, with what the product is like now.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = cart_items)]
pub struct CartLine {
    /// The product.
    pub product_id: i32,
    /// How many.
    pub quantity: i32,
    /// The product's name now.
    #[diesel(select_expression = products::name)]
    pub name: String,
    /// The product's price now.
    #[diesel(select_expression = products::price_cents)]
    pub unit_price_cents: i64,
    /// Items on hand now.
    #[diesel(select_expression = products::stock)]
    pub stock: i32,
    /// On sale or archived.
    #[diesel(select_expression = products::status)]
    pub status: ProductStatus,
    /// How it is taxed.
    #[diesel(select_expression = products::tax_class)]
    pub tax_class: crate::domain::tax::TaxClass,
}

impl CartLine {
    /// The unit price.
    pub fn unit_price(&self) -> Money {
        Money::from_cents(self.unit_price_cents)
    }

    /// The line total.
    pub fn line_total_cents(&self) -> i64 {
        line_total(self.unit_price_cents, self.quantity)
    }

    /// Whether the product can still be bought.
    pub fn on_sale(&self) -> bool {
        self.status == ProductStatus::Active
    }

    /// What stops this line from being ordered as it is, if anything.
    pub fn problem(&self) -> Option<LineProblem> {
        LineProblem::of(self.on_sale(), self.quantity, self.stock)
    }

    /// Availability as the shopper reads it.
    pub fn stock_state(&self) -> StockState {
        StockState::of(self.stock)
    }
}

/// The cart of `owner`, if it has one.
pub fn find(conn: &mut DbConn, owner: &CartOwner) -> QueryResult<Option<i32>> {
    let query = carts::table.select(carts::id).into_boxed();
    let query = match owner {
        CartOwner::Guest(token) => query.filter(carts::token.eq(token.clone())),
        CartOwner::User(id) => query.filter(carts::user_id.eq(*id)),
    };
    query.first(conn).optional()
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
    diesel::update(carts::table.find(cart_id))
        .set(carts::updated_at.eq(now))
        .execute(conn)
}

/// The lines of a cart, oldest first.
pub fn lines(conn: &mut DbConn, cart_id: i32) -> QueryResult<Vec<CartLine>> {
    cart_items::table
        .inner_join(products::table)
        .filter(cart_items::cart_id.eq(cart_id))
        .order((cart_items::added_at.asc(), cart_items::id.asc()))
        .select(CartLine::as_select())
        .load(conn)
}

/// How many of `product_id` the cart holds (0 if none).
pub fn quantity_of(conn: &mut DbConn, cart_id: i32, product_id: i32) -> QueryResult<i32> {
    Ok(cart_items::table
        .filter(cart_items::cart_id.eq(cart_id))
        .filter(cart_items::product_id.eq(product_id))
        .select(cart_items::quantity)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// How many lines a cart holds.
pub fn line_count(conn: &mut DbConn, cart_id: i32) -> QueryResult<usize> {
    let count: i64 = cart_items::table
        .filter(cart_items::cart_id.eq(cart_id))
        .count()
        .get_result(conn)?;
    Ok(usize::try_from(count).unwrap_or(usize::MAX))
}

/// Sets the quantity of a line, adding the line if needed. Call with the cart locked.
pub fn set_quantity(
    conn: &mut DbConn,
    cart_id: i32,
    product_id: i32,
    quantity: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let updated = diesel::update(
        cart_items::table
            .filter(cart_items::cart_id.eq(cart_id))
            .filter(cart_items::product_id.eq(product_id)),
    )
    .set(cart_items::quantity.eq(quantity))
    .execute(conn)?;
    if updated > 0 {
        return Ok(updated);
    }
    diesel::insert_into(cart_items::table)
        .values((
            cart_items::cart_id.eq(cart_id),
            cart_items::product_id.eq(product_id),
            cart_items::quantity.eq(quantity),
            cart_items::added_at.eq(now),
        ))
        .execute(conn)
}

/// Takes a line out.
pub fn remove(conn: &mut DbConn, cart_id: i32, product_id: i32) -> QueryResult<usize> {
    diesel::delete(
        cart_items::table
            .filter(cart_items::cart_id.eq(cart_id))
            .filter(cart_items::product_id.eq(product_id)),
    )
    .execute(conn)
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
    let query = cart_items::table
        .inner_join(carts::table)
        .select(diesel::dsl::sum(cart_items::quantity))
        .into_boxed();
    let query = match owner {
        CartOwner::Guest(token) => query.filter(carts::token.eq(token.clone())),
        CartOwner::User(id) => query.filter(carts::user_id.eq(*id)),
    };
    Ok(query.first::<Option<i64>>(conn)?.unwrap_or(0))
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
