//! Coupons: the code's shape, the terms an admin sets, whether a coupon applies to a cart
//! today (and why not, in words the customer can act on), and what it takes off. A coupon
//! and the threshold discount never stack: the larger one applies.

use chrono::NaiveDate;

use crate::domain::pricing::Totals;
use crate::domain::Money;

/// The shortest and longest codes.
const CODE_LENGTH: std::ops::RangeInclusive<usize> = 3..=32;

/// A coupon code: 3–32 of A–Z, 0–9 and `-`, kept upper-case so it matches whatever case
/// the customer types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponCode(String);

impl CouponCode {
    /// Reads a code as typed (spaces around it and lower case are fine).
    pub fn parse(text: &str) -> Option<CouponCode> {
        let code = text.trim().to_ascii_uppercase();
        let shaped = CODE_LENGTH.contains(&code.len())
            && code
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        shaped.then_some(CouponCode(code))
    }

    /// The code, upper-case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a coupon takes off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CouponKind {
    /// A percentage of the goods, 1–100, rounded down to the cent like the threshold discount.
    Percent(u32),
    /// A fixed amount off the goods, never more than they cost.
    Fixed(Money),
}

impl CouponKind {
    /// The stored kind: `percent` or `fixed`.
    pub fn name(self) -> &'static str {
        match self {
            CouponKind::Percent(_) => "percent",
            CouponKind::Fixed(_) => "fixed",
        }
    }

    /// The stored value: the percent, or the amount in cents.
    pub fn amount(self) -> i64 {
        match self {
            CouponKind::Percent(p) => i64::from(p),
            CouponKind::Fixed(m) => m.cents(),
        }
    }

    /// Reads the stored pair back; `None` for a pair the table's CHECKs keep out.
    pub fn from_stored(kind: &str, amount: i64) -> Option<CouponKind> {
        match kind {
            "percent" => u32::try_from(amount)
                .ok()
                .filter(|p| (1..=100).contains(p))
                .map(CouponKind::Percent),
            "fixed" => (amount > 0).then(|| CouponKind::Fixed(Money::from_cents(amount))),
            _ => None,
        }
    }

    /// "10 % off" or "$15.00 off".
    pub fn describe(self, currency: &str) -> String {
        match self {
            CouponKind::Percent(p) => format!("{p} % off"),
            CouponKind::Fixed(m) => format!("{} off", m.display(currency)),
        }
    }
}

/// The rules of one coupon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponTerms {
    /// What it takes off.
    pub kind: CouponKind,
    /// The goods must come to at least this.
    pub min_subtotal: Option<Money>,
    /// The first day it applies (UTC).
    pub starts_on: Option<NaiveDate>,
    /// The last day it applies (UTC).
    pub ends_on: Option<NaiveDate>,
    /// How often it may be used in all.
    pub max_uses: Option<i32>,
    /// How often one customer may use it.
    pub max_uses_per_customer: i32,
    /// Switched on by the admin.
    pub active: bool,
}

/// Why a coupon does not apply, said so the customer knows what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CouponProblem {
    /// No coupon has this code.
    Unknown,
    /// Switched off by the shop.
    Inactive,
    /// Its first day is still to come.
    NotYetActive(NaiveDate),
    /// Its last day has passed.
    Expired(NaiveDate),
    /// The goods come to less than its minimum.
    BelowMinimum {
        /// The minimum.
        minimum: Money,
        /// How much more the goods must come to.
        missing: Money,
    },
    /// Every use has been taken.
    UsedUp,
    /// This customer has used it as often as allowed.
    AlreadyUsed,
    /// There is nothing in the cart to take it off.
    EmptyCart,
}

impl CouponProblem {
    /// The sentence shown beside the coupon.
    pub fn message(&self, currency: &str) -> String {
        match self {
            CouponProblem::Unknown => {
                "We do not know this code: check its spelling and try again.".into()
            }
            CouponProblem::Inactive => {
                "This coupon is not active at the moment: remove it to check out.".into()
            }
            CouponProblem::NotYetActive(day) => format!(
                "This coupon applies from {}: come back then, or remove it to check out now.",
                day.format("%Y-%m-%d")
            ),
            CouponProblem::Expired(day) => format!(
                "This coupon expired on {}: remove it to check out.",
                day.format("%Y-%m-%d")
            ),
            CouponProblem::BelowMinimum { minimum, missing } => format!(
                "This coupon needs a subtotal of at least {}: add {} more to use it.",
                minimum.display(currency),
                missing.display(currency)
            ),
            CouponProblem::UsedUp => "This coupon has been used up: remove it to check out.".into(),
            CouponProblem::AlreadyUsed => {
                "You have already used this coupon: remove it to check out.".into()
            }
            CouponProblem::EmptyCart => {
                "Add something to your cart before entering a coupon.".into()
            }
        }
    }
}

/// How often a coupon has been used: in all, and by this customer when known (a guest is
/// known only at checkout, by e-mail).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Uses {
    /// Uses in all.
    pub total: i32,
    /// Uses by this customer, when known.
    pub by_customer: Option<i64>,
}

impl CouponTerms {
    /// Whether the coupon applies to goods of `subtotal` on `today`; the first reason
    /// it does not, in the order a customer can act on least to most.
    pub fn check(
        &self,
        today: NaiveDate,
        subtotal: Money,
        uses: Uses,
    ) -> Result<(), CouponProblem> {
        if !self.active {
            return Err(CouponProblem::Inactive);
        }
        if let Some(day) = self.starts_on.filter(|day| today < *day) {
            return Err(CouponProblem::NotYetActive(day));
        }
        if let Some(day) = self.ends_on.filter(|day| today > *day) {
            return Err(CouponProblem::Expired(day));
        }
        if self.max_uses.is_some_and(|max| uses.total >= max) {
            return Err(CouponProblem::UsedUp);
        }
        if uses
            .by_customer
            .is_some_and(|n| n >= i64::from(self.max_uses_per_customer))
        {
            return Err(CouponProblem::AlreadyUsed);
        }
        if let Some(minimum) = self.min_subtotal.filter(|min| subtotal < *min) {
            let missing = Money::from_cents(minimum.cents() - subtotal.cents());
            return Err(CouponProblem::BelowMinimum { minimum, missing });
        }
        Ok(())
    }

    /// What the coupon takes off goods of `subtotal`: never more than the goods.
    pub fn discount(&self, subtotal: Money) -> Money {
        let off = match self.kind {
            CouponKind::Percent(p) => subtotal.percent_floor(p).unwrap_or(subtotal),
            CouponKind::Fixed(amount) => amount,
        };
        off.min(subtotal).max(Money::ZERO)
    }
}

/// Which discount an order gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscountSource {
    /// None at all.
    Nothing,
    /// The shop's threshold discount.
    Threshold,
    /// The coupon.
    Coupon,
}

/// The totals with the larger of the threshold discount (already in `totals`) and
/// `coupon` (what an applicable coupon takes off); a tie keeps the threshold discount, so
/// the coupon is not spent for nothing.
pub fn best_discount(totals: Totals, coupon: Option<Money>) -> (Totals, DiscountSource) {
    match coupon {
        Some(off) if off > totals.discount => (
            Totals {
                subtotal: totals.subtotal,
                discount: off,
                total: Money::from_cents(totals.subtotal.cents() - off.cents()),
                to_earn_discount: None,
            },
            DiscountSource::Coupon,
        ),
        _ if totals.discount.cents() > 0 => (totals, DiscountSource::Threshold),
        _ => (totals, DiscountSource::Nothing),
    }
}

/// The coupon form as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CouponInput {
    /// `code`.
    pub code: String,
    /// `kind`: `percent` or `fixed`.
    pub kind: String,
    /// `value`: a whole percent or an amount like `15.00`.
    pub value: String,
    /// `min_subtotal`, an amount or empty.
    pub min_subtotal: String,
    /// `starts_on`, `YYYY-MM-DD` or empty.
    pub starts_on: String,
    /// `ends_on`, `YYYY-MM-DD` or empty.
    pub ends_on: String,
    /// `max_uses`, a count or empty.
    pub max_uses: String,
    /// `max_uses_per_customer`, a count (1 when empty).
    pub max_uses_per_customer: String,
    /// `active` (a checkbox).
    pub active: bool,
}

impl Default for CouponInput {
    fn default() -> CouponInput {
        CouponInput {
            code: String::new(),
            kind: "percent".into(),
            value: String::new(),
            min_subtotal: String::new(),
            starts_on: String::new(),
            ends_on: String::new(),
            max_uses: String::new(),
            max_uses_per_customer: "1".into(),
            active: true,
        }
    }
}

/// The most uses a coupon may be given, in all or per customer.
const MAX_USES: i32 = 1_000_000;

fn optional<T>(text: &str, parse: impl FnOnce(&str) -> Option<T>) -> Result<Option<T>, ()> {
    match text.trim() {
        "" => Ok(None),
        text => parse(text).map(Some).ok_or(()),
    }
}

fn count(text: &str) -> Option<i32> {
    text.parse::<i32>()
        .ok()
        .filter(|n| (1..=MAX_USES).contains(n))
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

impl CouponInput {
    /// The code and terms, or each field's problem.
    pub fn parse(&self) -> Result<(CouponCode, CouponTerms), Vec<(&'static str, String)>> {
        let mut errors: Vec<(&'static str, String)> = Vec::new();
        let code = CouponCode::parse(&self.code);
        if code.is_none() {
            errors.push((
                "code",
                "Use 3 to 32 letters, digits and dashes, like SPRING-10.".into(),
            ));
        }
        let value = self.value.trim();
        let kind = match self.kind.as_str() {
            "percent" => match value.parse::<u32>() {
                Ok(p) if (1..=100).contains(&p) => Some(CouponKind::Percent(p)),
                _ => {
                    errors.push(("value", "Enter a whole percent from 1 to 100.".into()));
                    None
                }
            },
            "fixed" => match Money::parse_price(value) {
                Ok(m) if m.cents() > 0 => Some(CouponKind::Fixed(m)),
                _ => {
                    errors.push(("value", "Enter the amount off, like 15.00.".into()));
                    None
                }
            },
            _ => {
                errors.push(("kind", "Choose percent or fixed amount.".into()));
                None
            }
        };
        let min_subtotal = optional(&self.min_subtotal, |t| Money::parse_price(t).ok())
            .unwrap_or_else(|()| {
                errors.push((
                    "min_subtotal",
                    "Enter the smallest subtotal, like 50.00, or leave it empty.".into(),
                ));
                None
            });
        let mut day = |field: &'static str, text: &str| {
            optional(text, date).unwrap_or_else(|()| {
                errors.push((
                    field,
                    "Enter a date like 2026-12-31, or leave it empty.".into(),
                ));
                None
            })
        };
        let starts_on = day("starts_on", &self.starts_on);
        let ends_on = day("ends_on", &self.ends_on);
        if let (Some(start), Some(end)) = (starts_on, ends_on) {
            if end < start {
                errors.push((
                    "ends_on",
                    "The last day cannot come before the first.".into(),
                ));
            }
        }
        let max_uses = optional(&self.max_uses, count).unwrap_or_else(|()| {
            errors.push((
                "max_uses",
                "Enter how often it may be used in all (1 or more), or leave it empty for no limit."
                    .into(),
            ));
            None
        });
        let per_customer = optional(&self.max_uses_per_customer, count)
            .map(|n| n.unwrap_or(1))
            .unwrap_or_else(|()| {
                errors.push((
                    "max_uses_per_customer",
                    "Enter how often one customer may use it, 1 or more.".into(),
                ));
                1
            });
        match (code, kind) {
            (Some(code), Some(kind)) if errors.is_empty() => Ok((
                code,
                CouponTerms {
                    kind,
                    min_subtotal,
                    starts_on,
                    ends_on,
                    max_uses,
                    max_uses_per_customer: per_customer,
                    active: self.active,
                },
            )),
            _ => Err(errors),
        }
    }

    /// The form showing a stored coupon.
    pub fn of(code: &str, terms: &CouponTerms) -> CouponInput {
        let amount = |m: Option<Money>| m.map_or(String::new(), Money::to_decimal_string);
        let day =
            |d: Option<NaiveDate>| d.map_or(String::new(), |d| d.format("%Y-%m-%d").to_string());
        CouponInput {
            code: code.to_string(),
            kind: terms.kind.name().into(),
            value: match terms.kind {
                CouponKind::Percent(p) => p.to_string(),
                CouponKind::Fixed(m) => m.to_decimal_string(),
            },
            min_subtotal: amount(terms.min_subtotal),
            starts_on: day(terms.starts_on),
            ends_on: day(terms.ends_on),
            max_uses: terms.max_uses.map_or(String::new(), |n| n.to_string()),
            max_uses_per_customer: terms.max_uses_per_customer.to_string(),
            active: terms.active,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cents(n: i64) -> Money {
        Money::from_cents(n)
    }

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn terms(kind: CouponKind) -> CouponTerms {
        CouponTerms {
            kind,
            min_subtotal: None,
            starts_on: None,
            ends_on: None,
            max_uses: None,
            max_uses_per_customer: 1,
            active: true,
        }
    }

    const FRESH: Uses = Uses {
        total: 0,
        by_customer: Some(0),
    };

    #[test]
    fn codes_are_upper_case_and_shaped() {
        assert_eq!(
            CouponCode::parse(" spring-10 ").unwrap().as_str(),
            "SPRING-10"
        );
        for bad in ["AB", "", "SPRING 10", "SPRÜNG", &"A".repeat(33), "10%"] {
            assert_eq!(CouponCode::parse(bad), None, "{bad}");
        }
        assert!(CouponCode::parse(&"A".repeat(32)).is_some());
    }

    #[test]
    fn each_reason_in_turn() {
        let today = day("2026-06-15");
        let mut t = terms(CouponKind::Percent(10));
        t.active = false;
        assert_eq!(
            t.check(today, cents(100), FRESH),
            Err(CouponProblem::Inactive)
        );
        t.active = true;
        t.starts_on = Some(day("2026-06-16"));
        assert_eq!(
            t.check(today, cents(100), FRESH),
            Err(CouponProblem::NotYetActive(day("2026-06-16")))
        );
        t.starts_on = Some(today);
        t.ends_on = Some(day("2026-06-14"));
        assert_eq!(
            t.check(today, cents(100), FRESH),
            Err(CouponProblem::Expired(day("2026-06-14")))
        );
        t.ends_on = Some(today);
        assert_eq!(
            t.check(today, cents(100), FRESH),
            Ok(()),
            "both ends inclusive"
        );
        t.max_uses = Some(3);
        let used_up = Uses {
            total: 3,
            by_customer: Some(0),
        };
        assert_eq!(
            t.check(today, cents(100), used_up),
            Err(CouponProblem::UsedUp)
        );
        let mine = Uses {
            total: 1,
            by_customer: Some(1),
        };
        assert_eq!(
            t.check(today, cents(100), mine),
            Err(CouponProblem::AlreadyUsed)
        );
        let guest = Uses {
            total: 1,
            by_customer: None,
        };
        assert_eq!(t.check(today, cents(100), guest), Ok(()));
        t.min_subtotal = Some(cents(5_000));
        assert_eq!(
            t.check(today, cents(4_250), FRESH),
            Err(CouponProblem::BelowMinimum {
                minimum: cents(5_000),
                missing: cents(750)
            })
        );
        assert_eq!(t.check(today, cents(5_000), FRESH), Ok(()));
    }

    #[test]
    fn messages_say_what_to_do() {
        let below = CouponProblem::BelowMinimum {
            minimum: cents(5_000),
            missing: cents(750),
        };
        assert_eq!(
            below.message("$"),
            "This coupon needs a subtotal of at least $50.00: add $7.50 more to use it."
        );
        assert!(CouponProblem::NotYetActive(day("2027-01-01"))
            .message("$")
            .contains("from 2027-01-01"));
    }

    #[test]
    fn the_larger_discount_wins_and_a_tie_keeps_the_threshold() {
        let totals = Totals {
            subtotal: cents(14_000),
            discount: cents(1_400),
            total: cents(12_600),
            to_earn_discount: None,
        };
        let (t, source) = best_discount(totals, Some(cents(1_500)));
        assert_eq!(
            (t.discount, t.total, source),
            (cents(1_500), cents(12_500), DiscountSource::Coupon)
        );
        let (t, source) = best_discount(totals, Some(cents(1_400)));
        assert_eq!(
            (t.discount, source),
            (cents(1_400), DiscountSource::Threshold)
        );
        let none = Totals {
            discount: Money::ZERO,
            total: cents(14_000),
            ..totals
        };
        assert_eq!(best_discount(none, None).1, DiscountSource::Nothing);
    }

    #[test]
    fn the_form_parses_round_trips_and_names_each_bad_field() {
        let input = CouponInput {
            code: "spring-10".into(),
            kind: "fixed".into(),
            value: "15.00".into(),
            min_subtotal: "50".into(),
            starts_on: "2026-03-01".into(),
            ends_on: "2026-03-31".into(),
            max_uses: "3".into(),
            max_uses_per_customer: "".into(),
            active: true,
        };
        let (code, terms) = input.parse().unwrap();
        assert_eq!(code.as_str(), "SPRING-10");
        assert_eq!(terms.kind, CouponKind::Fixed(cents(1_500)));
        assert_eq!(terms.max_uses_per_customer, 1);
        assert_eq!(
            CouponInput::of(code.as_str(), &terms).parse().unwrap().1,
            terms
        );
        let bad = CouponInput {
            code: "x".into(),
            kind: "percent".into(),
            value: "150".into(),
            min_subtotal: "lots".into(),
            starts_on: "2026-03-31".into(),
            ends_on: "2026-03-01".into(),
            max_uses: "0".into(),
            max_uses_per_customer: "-1".into(),
            active: false,
        };
        let fields: Vec<&str> = bad
            .parse()
            .unwrap_err()
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        assert_eq!(
            fields,
            [
                "code",
                "value",
                "min_subtotal",
                "ends_on",
                "max_uses",
                "max_uses_per_customer"
            ]
        );
    }

    proptest! {
        #[test]
        fn a_coupon_never_takes_more_than_the_goods(subtotal in 0i64..100_000_000,
                                                    percent in 1u32..=100,
                                                    fixed in 1i64..100_000_000) {
            for kind in [CouponKind::Percent(percent), CouponKind::Fixed(cents(fixed))] {
                let off = terms(kind).discount(cents(subtotal));
                prop_assert!(off.cents() >= 0 && off.cents() <= subtotal);
                prop_assert_eq!(CouponKind::from_stored(kind.name(), kind.amount()), Some(kind));
            }
            prop_assert_eq!(terms(CouponKind::Percent(percent)).discount(cents(subtotal)).cents(),
                            subtotal * i64::from(percent) / 100);
            prop_assert_eq!(terms(CouponKind::Fixed(cents(fixed))).discount(cents(subtotal)).cents(),
                            fixed.min(subtotal));
        }

        #[test]
        fn the_best_discount_is_the_larger_and_totals_add_up(subtotal in 0i64..100_000_000,
                                                             threshold_off in 0i64..100_000_000,
                                                             coupon_off in proptest::option::of(0i64..100_000_000)) {
            let threshold_off = threshold_off.min(subtotal);
            let coupon_off = coupon_off.map(|c| c.min(subtotal));
            let totals = Totals {
                subtotal: cents(subtotal),
                discount: cents(threshold_off),
                total: cents(subtotal - threshold_off),
                to_earn_discount: None,
            };
            let (t, _) = best_discount(totals, coupon_off.map(cents));
            prop_assert_eq!(t.discount.cents(), threshold_off.max(coupon_off.unwrap_or(0)));
            prop_assert_eq!(t.total.cents(), subtotal - t.discount.cents());
            prop_assert!(t.total.cents() >= 0);
        }
    }
}
