//! Cart flows: add a product (or one of its variants), change or remove a line, merge a guest's cart at login. Each
//! runs in one transaction with the cart locked, and checks the rules in `domain::cart`
//! against the product as it is now.

use chrono::NaiveDateTime;

use crate::db::{self, DbConn};
use crate::domain::cart::{add_to_line, check_line, merged_quantity};
use crate::domain::{LineChange, ProductStatus, Quantity};
use crate::error::{AppError, Outcome};
use crate::models::cart::{self, variant_label, CartOwner, LineKey};
use crate::models::{product, variant};

/// Why a cart change was refused; the text is for the shopper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CartProblem {
    /// No such product.
    UnknownProduct,
    /// The product exists but is off sale.
    NotForSale,
    /// Over the per-line limit or the stock (the message says which).
    Limit(String),
    /// The line to change is not in the cart.
    NotInCart,
    /// The cart already holds as many lines as a cart may.
    TooManyLines(usize),
    /// The product is sold only through its variants, and none was chosen.
    ChooseVariant,
}

impl CartProblem {
    /// What the shopper is told.
    pub fn message(&self) -> String {
        match self {
            CartProblem::UnknownProduct => "That product does not exist.".to_string(),
            CartProblem::NotForSale => "Sorry, this product is no longer sold.".to_string(),
            CartProblem::Limit(message) => message.clone(),
            CartProblem::NotInCart => "That product is not in your cart.".to_string(),
            CartProblem::ChooseVariant => {
                "Please choose one of the options (size, colour…) first.".to_string()
            }
            CartProblem::TooManyLines(max) => format!(
                "Your cart already holds {max} different products, as many as one order can. Check out or remove a line first."
            ),
        }
    }
}

/// What an add did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Added {
    /// The product's name (with the variant's).
    pub name: String,
    /// The line's quantity now.
    pub quantity: i32,
}

/// What a line may hold now: its name, and the stock, or why it cannot be bought.
fn for_sale(
    conn: &mut DbConn,
    key: LineKey,
) -> Result<Result<(String, i32), CartProblem>, AppError> {
    let Some(product) = product::find(conn, key.product_id)? else {
        return Ok(Err(CartProblem::UnknownProduct));
    };
    if product.status != ProductStatus::Active {
        return Ok(Err(CartProblem::NotForSale));
    }
    match key.variant_id {
        Some(variant_id) => match variant::find(conn, key.product_id, variant_id)? {
            None => Ok(Err(CartProblem::UnknownProduct)),
            Some(v) if v.archived => Ok(Err(CartProblem::NotForSale)),
            Some(v) => Ok(Ok((variant_label(&product.name, &v.name), v.stock))),
        },
        None if product.has_variants => Ok(Err(CartProblem::ChooseVariant)),
        None => Ok(Ok((product.name, product.stock))),
    }
}

/// Adds `quantity` of the product or variant `key` to the cart of `owner` (creating the
/// cart); a new line only while the cart holds fewer than `max_lines`. A product sold through
/// variants is added only as one of them.
pub fn add(
    conn: &mut DbConn,
    owner: &CartOwner,
    key: LineKey,
    quantity: Quantity,
    max_lines: usize,
    now: NaiveDateTime,
) -> Outcome<Added, CartProblem> {
    db::transaction(conn, |conn| {
        let (name, stock) = match for_sale(conn, key)? {
            Ok(found) => found,
            Err(problem) => return Ok(Err(problem)),
        };
        let cart_id = match cart::find(conn, owner)? {
            Some(cart_id) => {
                cart::lock(conn, cart_id, now)?;
                cart_id
            }
            None => {
                // Checked before creating anything, so a refused add leaves no empty cart.
                if let Err(message) = add_to_line(0, quantity, stock) {
                    return Ok(Err(CartProblem::Limit(message)));
                }
                // Locked, and possibly a twin request's cart: read the line below only now.
                cart::find_or_create(conn, owner, now)?
            }
        };
        let found = cart::find_line(conn, cart_id, key)?;
        let existing = found.map_or(0, |(_, quantity)| quantity);
        if existing == 0 && cart::line_count(conn, cart_id)? >= max_lines {
            return Ok(Err(CartProblem::TooManyLines(max_lines)));
        }
        let line = match add_to_line(existing, quantity, stock) {
            Ok(line) => line,
            Err(message) => return Ok(Err(CartProblem::Limit(message))),
        };
        cart::put_line(conn, cart_id, key, found.map(|(id, _)| id), line.get(), now)?;
        Ok(Ok(Added {
            name,
            quantity: line.get(),
        }))
    })
}

/// Sets the quantity of a line in the cart of `owner`, or removes it.
pub fn change(
    conn: &mut DbConn,
    owner: &CartOwner,
    key: LineKey,
    change: LineChange,
    now: NaiveDateTime,
) -> Outcome<(), CartProblem> {
    db::transaction(conn, |conn| {
        let Some(cart_id) = cart::find(conn, owner)? else {
            return Ok(Err(CartProblem::NotInCart));
        };
        cart::lock(conn, cart_id, now)?;
        if cart::quantity_of(conn, cart_id, key)? == 0 {
            return Ok(Err(CartProblem::NotInCart));
        }
        match change {
            LineChange::Remove => {
                cart::remove(conn, cart_id, key)?;
            }
            LineChange::Set(quantity) => {
                let stock = match for_sale(conn, key)? {
                    Ok((_, stock)) => stock,
                    Err(problem) => return Ok(Err(problem)),
                };
                if let Err(message) = check_line(i64::from(quantity.get()), stock) {
                    return Ok(Err(CartProblem::Limit(message)));
                }
                cart::set_quantity(conn, cart_id, key, quantity.get(), now)?;
            }
        }
        Ok(Ok(()))
    })
}

/// Moves a guest's cart into the user's at login: quantities are added, capped by the
/// per-line limit and the stock; products no longer sold, and new lines beyond `max_lines`,
/// stay behind. The guest cart is deleted.
pub fn merge_guest_cart(
    conn: &mut DbConn,
    guest_token: &str,
    user_id: i32,
    max_lines: usize,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        let guest = CartOwner::Guest(guest_token.to_string());
        let Some(guest_cart) = cart::find(conn, &guest)? else {
            return Ok(());
        };
        let lines = cart::lines(conn, guest_cart)?;
        if !lines.is_empty() {
            let user_cart = cart::find_or_create(conn, &CartOwner::User(user_id), now)?;
            // The guest's coupon comes along unless the account's cart holds one already.
            if let Some(code) = cart::coupon_code(conn, guest_cart)? {
                if cart::coupon_code(conn, user_cart)?.is_none() {
                    cart::set_coupon_code(conn, user_cart, Some(&code), now)?;
                }
            }
            let mut line_count = cart::line_count(conn, user_cart)?;
            for line in lines.iter().filter(|line| line.on_sale()) {
                let existing = cart::quantity_of(conn, user_cart, line.key())?;
                if existing == 0 {
                    if line_count >= max_lines {
                        continue;
                    }
                    line_count += 1;
                }
                if let Some(quantity) = merged_quantity(existing, line.quantity, line.stock) {
                    cart::set_quantity(conn, user_cart, line.key(), quantity.get(), now)?;
                }
            }
        }
        cart::delete(conn, guest_cart)?;
        Ok(())
    })
}
