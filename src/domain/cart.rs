//! Cart rules: how many of a product one line may hold, and what a typed quantity means.

use std::fmt;

/// The most of one product a cart line holds.
pub const MAX_PER_LINE: i32 = 99;

/// A quantity of 1 to [`MAX_PER_LINE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantity(i32);

/// Why a typed quantity was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantityError {
    /// Not a whole number (empty, letters, `1.5`, `1e2`).
    NotAWholeNumber,
    /// Below zero.
    Negative,
    /// Zero where something must be added.
    Zero,
    /// More than one line may hold.
    TooMany,
}

impl fmt::Display for QuantityError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            QuantityError::NotAWholeNumber => {
                f.write_str("Enter the quantity as a whole number, like 2.")
            }
            QuantityError::Negative => f.write_str("The quantity cannot be negative."),
            QuantityError::Zero => f.write_str("Add at least 1."),
            QuantityError::TooMany => {
                write!(f, "You can have at most {MAX_PER_LINE} of one product.")
            }
        }
    }
}

impl std::error::Error for QuantityError {}

/// What a "set quantity" form asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineChange {
    /// Keep this many.
    Set(Quantity),
    /// Take the line out (quantity 0).
    Remove,
}

fn whole_number(input: &str) -> Result<i64, QuantityError> {
    let text = input.trim();
    let digits = text.strip_prefix('-').unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(QuantityError::NotAWholeNumber);
    }
    if text.starts_with('-') {
        return Err(if digits.bytes().all(|b| b == b'0') {
            QuantityError::Zero
        } else {
            QuantityError::Negative
        });
    }
    // Anything with more than four digits (after leading zeros) is far over the limit.
    if digits.trim_start_matches('0').len() > 4 {
        return Err(QuantityError::TooMany);
    }
    digits.parse().map_err(|_| QuantityError::NotAWholeNumber)
}

impl Quantity {
    /// One.
    pub const ONE: Quantity = Quantity(1);

    /// A quantity from a number.
    pub fn new(n: i64) -> Result<Quantity, QuantityError> {
        match n {
            n if n < 0 => Err(QuantityError::Negative),
            0 => Err(QuantityError::Zero),
            n if n > i64::from(MAX_PER_LINE) => Err(QuantityError::TooMany),
            n => Ok(Quantity(n as i32)),
        }
    }

    /// Reads a quantity to add: a whole number from 1 to 99.
    pub fn parse(input: &str) -> Result<Quantity, QuantityError> {
        Quantity::new(whole_number(input)?)
    }

    /// The number.
    pub fn get(self) -> i32 {
        self.0
    }
}

impl LineChange {
    /// Reads a quantity to set: 0 removes the line, 1 to 99 keeps that many.
    pub fn parse(input: &str) -> Result<LineChange, QuantityError> {
        match whole_number(input)? {
            0 => Ok(LineChange::Remove),
            n => Quantity::new(n).map(LineChange::Set),
        }
    }
}

/// The quantity of a line after adding `added` to `existing`, or why it cannot be: over the
/// per-line limit, or over what is in stock (the message says how many are left).
pub fn add_to_line(existing: i32, added: Quantity, stock: i32) -> Result<Quantity, String> {
    let wanted = i64::from(existing) + i64::from(added.get());
    check_line(wanted, stock)
}

/// Whether a line of `wanted` items can be held with `stock` on hand.
pub fn check_line(wanted: i64, stock: i32) -> Result<Quantity, String> {
    if wanted > i64::from(MAX_PER_LINE) {
        return Err(format!(
            "You can have at most {MAX_PER_LINE} of one product in your cart."
        ));
    }
    if stock <= 0 {
        return Err("Sorry, this is sold out.".to_string());
    }
    if wanted > i64::from(stock) {
        return Err(format!("Sorry, only {stock} left."));
    }
    Quantity::new(wanted).map_err(|e| e.to_string())
}

/// The quantity a guest line brings into a user's cart at login: the two added, capped by the
/// per-line limit and the stock. `None` when nothing can be kept (sold out).
pub fn merged_quantity(user: i32, guest: i32, stock: i32) -> Option<Quantity> {
    let capped = (i64::from(user) + i64::from(guest))
        .min(i64::from(MAX_PER_LINE))
        .min(i64::from(stock.max(0)));
    Quantity::new(capped).ok()
}

/// The total of a line: `quantity` items at `unit_price_cents`, saturating (a line is at most
/// 99 of a price of at most 1,000,000.00, far below the limit).
pub fn line_total(unit_price_cents: i64, quantity: i32) -> i64 {
    unit_price_cents.saturating_mul(i64::from(quantity))
}

/// What stops a cart line from being ordered as it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineProblem {
    /// The product is no longer sold.
    NotSold,
    /// None are left.
    SoldOut,
    /// Fewer are left than the line holds.
    OnlyLeft(i32),
    /// The product is now sold only through its variants.
    ChooseVariant,
}

impl LineProblem {
    /// The problem of a line of `quantity` items of a product with `stock` on hand, if any.
    pub fn of(on_sale: bool, quantity: i32, stock: i32) -> Option<LineProblem> {
        if !on_sale {
            Some(LineProblem::NotSold)
        } else if stock <= 0 {
            Some(LineProblem::SoldOut)
        } else if quantity > stock {
            Some(LineProblem::OnlyLeft(stock))
        } else {
            None
        }
    }
}

impl fmt::Display for LineProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LineProblem::NotSold => f.write_str("No longer sold: please remove it."),
            LineProblem::SoldOut => f.write_str("Sold out: please remove it."),
            LineProblem::ChooseVariant => f.write_str(
                "Now sold in variants: please remove it and choose one on the product page.",
            ),
            LineProblem::OnlyLeft(stock) => {
                write!(f, "Only {stock} left: please lower the quantity.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quantities_to_add() {
        assert_eq!(Quantity::parse("3"), Ok(Quantity(3)));
        assert_eq!(Quantity::parse(" 99 "), Ok(Quantity(99)));
        assert_eq!(Quantity::parse("007"), Ok(Quantity(7)));
        assert_eq!(Quantity::parse("0"), Err(QuantityError::Zero));
        assert_eq!(Quantity::parse("-0"), Err(QuantityError::Zero));
        assert_eq!(Quantity::parse("-1"), Err(QuantityError::Negative));
        assert_eq!(Quantity::parse("100"), Err(QuantityError::TooMany));
        assert_eq!(
            Quantity::parse("99999999999999999999"),
            Err(QuantityError::TooMany)
        );
        for bad in ["", "1.5", "1e2", "abc", "+3", "3 4", "٣", "0x10"] {
            assert_eq!(
                Quantity::parse(bad),
                Err(QuantityError::NotAWholeNumber),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn quantities_to_set() {
        assert_eq!(LineChange::parse("0"), Ok(LineChange::Remove));
        assert_eq!(LineChange::parse("2"), Ok(LineChange::Set(Quantity(2))));
        assert_eq!(LineChange::parse("-2"), Err(QuantityError::Negative));
        assert_eq!(LineChange::parse("100"), Err(QuantityError::TooMany));
    }

    #[test]
    fn adding_respects_the_limit_and_the_stock() {
        assert_eq!(add_to_line(2, Quantity(3), 10), Ok(Quantity(5)));
        assert_eq!(
            add_to_line(2, Quantity(3), 4),
            Err("Sorry, only 4 left.".to_string())
        );
        assert!(add_to_line(98, Quantity(2), 1000)
            .unwrap_err()
            .contains("at most 99"));
        assert_eq!(
            add_to_line(0, Quantity(1), 0),
            Err("Sorry, this is sold out.".to_string())
        );
    }

    #[test]
    fn merging_adds_and_caps() {
        assert_eq!(merged_quantity(2, 3, 10), Some(Quantity(5)));
        assert_eq!(merged_quantity(60, 60, 1000), Some(Quantity(99)));
        assert_eq!(merged_quantity(2, 3, 4), Some(Quantity(4)));
        assert_eq!(merged_quantity(0, 3, 0), None);
    }

    proptest! {
        #[test]
        fn a_parsed_quantity_is_always_in_range(text in "-?[0-9]{0,6}(\\.[0-9])?") {
            if let Ok(q) = Quantity::parse(&text) {
                prop_assert!((1..=MAX_PER_LINE).contains(&q.get()));
            }
        }

        #[test]
        fn merged_never_exceeds_the_limits(user in 0i32..200, guest in 0i32..200, stock in -5i32..300) {
            if let Some(q) = merged_quantity(user, guest, stock) {
                prop_assert!(q.get() <= MAX_PER_LINE && q.get() <= stock && q.get() >= 1);
            }
        }
    }

    #[test]
    fn a_line_names_what_stops_it_first() {
        assert_eq!(LineProblem::of(false, 1, 0), Some(LineProblem::NotSold));
        assert_eq!(LineProblem::of(true, 1, 0), Some(LineProblem::SoldOut));
        assert_eq!(LineProblem::of(true, 3, 2), Some(LineProblem::OnlyLeft(2)));
        assert_eq!(LineProblem::of(true, 2, 2), None);
        assert_eq!(
            LineProblem::OnlyLeft(2).to_string(),
            "Only 2 left: please lower the quantity."
        );
        assert_eq!(line_total(4990, 3), 14970);
        assert_eq!(line_total(i64::MAX, 2), i64::MAX);
    }
}
