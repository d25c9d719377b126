//! Pricing: line totals, the subtotal, and the discount rule (a percentage off the subtotal
//! when it is strictly more than a threshold, rounded down to the cent).

use crate::domain::Money;

/// The shop's discount rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiscountRule {
    /// Percent off, 0 to 100.
    pub percent: u32,
    /// The subtotal must be strictly more than this.
    pub threshold: Money,
}

/// What an order or cart comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    /// The sum of the lines.
    pub subtotal: Money,
    /// Taken off the subtotal.
    pub discount: Money,
    /// What is paid.
    pub total: Money,
    /// How much more would earn the discount, when it does not apply yet.
    pub to_earn_discount: Option<Money>,
}

/// Why a price could not be computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow;

impl DiscountRule {
    /// The totals of lines given as (unit price, quantity).
    pub fn totals(&self, lines: &[(Money, i32)]) -> Result<Totals, Overflow> {
        let mut subtotal = Money::ZERO;
        for (unit, quantity) in lines {
            let line = unit.checked_mul(i64::from(*quantity)).ok_or(Overflow)?;
            subtotal = subtotal.checked_add(line).ok_or(Overflow)?;
        }
        let earns = subtotal > self.threshold && self.percent > 0;
        let discount = if earns {
            subtotal.percent_floor(self.percent).ok_or(Overflow)?
        } else {
            Money::ZERO
        };
        let to_earn_discount = (!earns && self.percent > 0 && !lines.is_empty())
            .then(|| {
                self.threshold
                    .checked_sub(subtotal)
                    .and_then(|gap| gap.checked_add(Money::from_cents(1)))
            })
            .flatten();
        Ok(Totals {
            subtotal,
            discount,
            total: subtotal.checked_sub(discount).ok_or(Overflow)?,
            to_earn_discount,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const RULE: DiscountRule = DiscountRule {
        percent: 10,
        threshold: Money::from_cents(10_000),
    };

    fn cents(n: i64) -> Money {
        Money::from_cents(n)
    }

    #[test]
    fn exactly_the_threshold_earns_nothing() {
        let t = RULE.totals(&[(cents(5_000), 2)]).unwrap();
        assert_eq!(
            (t.subtotal, t.discount, t.total),
            (cents(10_000), cents(0), cents(10_000))
        );
        assert_eq!(t.to_earn_discount, Some(cents(1)));
    }

    #[test]
    fn one_cent_above_earns_the_discount_rounded_down() {
        let t = RULE.totals(&[(cents(10_001), 1)]).unwrap();
        assert_eq!((t.discount, t.total), (cents(1_000), cents(9_001)));
        assert_eq!(t.to_earn_discount, None);
        let t = RULE.totals(&[(cents(3_333), 4)]).unwrap();
        assert_eq!(
            (t.subtotal, t.discount, t.total),
            (cents(13_332), cents(1_333), cents(11_999))
        );
    }

    #[test]
    fn the_gap_to_the_discount() {
        let t = RULE.totals(&[(cents(2_500), 1)]).unwrap();
        assert_eq!(t.to_earn_discount, Some(cents(7_501)));
        assert_eq!(RULE.totals(&[]).unwrap().to_earn_discount, None);
        let off = DiscountRule {
            percent: 0,
            threshold: cents(0),
        };
        assert_eq!(off.totals(&[(cents(100), 1)]).unwrap().discount, cents(0));
    }

    #[test]
    fn overflow_is_an_error_not_a_wrong_price() {
        assert_eq!(RULE.totals(&[(cents(i64::MAX / 2), 3)]), Err(Overflow));
    }

    proptest! {
        #[test]
        fn totals_add_up(lines in proptest::collection::vec((0i64..10_000_000, 1i32..=99), 0..10),
                         percent in 0u32..=100, threshold in 0i64..100_000_000) {
            let rule = DiscountRule { percent, threshold: cents(threshold) };
            let lines: Vec<(Money, i32)> = lines.into_iter().map(|(p, q)| (cents(p), q)).collect();
            let t = rule.totals(&lines).unwrap();
            let sum: i64 = lines.iter().map(|(p, q)| p.cents() * i64::from(*q)).sum();
            prop_assert_eq!(t.subtotal.cents(), sum);
            prop_assert_eq!(t.total.cents(), t.subtotal.cents() - t.discount.cents());
            prop_assert!(t.discount.cents() >= 0 && t.discount <= t.subtotal);
            if sum > threshold && percent > 0 {
                prop_assert_eq!(t.discount.cents(), sum * i64::from(percent) / 100);
            } else {
                prop_assert_eq!(t.discount.cents(), 0);
            }
        }
    }
}
