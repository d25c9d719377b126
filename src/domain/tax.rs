//! Tax: product tax classes, rates in hundredths of a percent, the discount spread over the
//! lines (largest remainder first, so the shares add up exactly), and the tax of each rate
//! group, with prices that include tax or have it added on top. All in cents, rounded half
//! up, never through floats.

use std::collections::BTreeMap;
use std::fmt;

use crate::domain::pricing::Overflow;
use crate::domain::Money;

/// How a product is taxed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TaxClass {
    /// The country's standard rate.
    Standard,
    /// The country's reduced rate (books, food, …).
    Reduced,
    /// No tax.
    Zero,
}

impl TaxClass {
    /// Every class, as the product form offers them.
    pub const ALL: [TaxClass; 3] = [TaxClass::Standard, TaxClass::Reduced, TaxClass::Zero];

    /// The value stored and submitted.
    pub fn as_str(self) -> &'static str {
        match self {
            TaxClass::Standard => "standard",
            TaxClass::Reduced => "reduced",
            TaxClass::Zero => "zero",
        }
    }

    /// Reads a stored or submitted class.
    pub fn parse(value: &str) -> Option<TaxClass> {
        TaxClass::ALL.into_iter().find(|c| c.as_str() == value)
    }

    /// How people read it.
    pub fn label(self) -> &'static str {
        match self {
            TaxClass::Standard => "Standard rate",
            TaxClass::Reduced => "Reduced rate",
            TaxClass::Zero => "No tax",
        }
    }
}

impl fmt::Display for TaxClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tax rate in hundredths of a percent: 19 % is 1900, 5.5 % is 550.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct TaxRate(u32);

/// The highest rate accepted: 100 %.
const MAX_BASIS_POINTS: u32 = 10_000;

impl TaxRate {
    /// No tax.
    pub const ZERO: TaxRate = TaxRate(0);

    /// A rate of `basis_points` hundredths of a percent, if at most 100 %.
    pub fn from_basis_points(basis_points: u32) -> Option<TaxRate> {
        (basis_points <= MAX_BASIS_POINTS).then_some(TaxRate(basis_points))
    }

    /// The rate in hundredths of a percent.
    pub fn basis_points(self) -> u32 {
        self.0
    }

    /// Parses a percent as people type it: `19`, `7`, `5.5`, `7.25` (0 to 100, at most two
    /// decimals, an optional `%`).
    pub fn parse(input: &str) -> Option<TaxRate> {
        let text = input.trim().trim_end_matches('%').trim();
        let (whole, fraction) = match text.split_once('.') {
            Some((whole, fraction)) if !fraction.is_empty() => (whole, fraction),
            Some(_) => return None,
            None => (text, ""),
        };
        let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || (!fraction.is_empty() && !digits(fraction)) || fraction.len() > 2 {
            return None;
        }
        if whole.len() > 3 {
            return None;
        }
        let whole: u32 = whole.parse().ok()?;
        let hundredths: u32 = format!("{fraction:0<2}").parse().ok()?;
        TaxRate::from_basis_points(whole * 100 + hundredths)
    }

    /// The rate for people: `19 %`, `5.5 %`, `7.25 %`.
    pub fn display(self) -> String {
        let (whole, hundredths) = (self.0 / 100, self.0 % 100);
        match hundredths {
            0 => format!("{whole} %"),
            h if h % 10 == 0 => format!("{whole}.{} %", h / 10),
            h => format!("{whole}.{h:02} %"),
        }
    }

    /// The rate as typed into the admin form: `19`, `5.5`.
    pub fn to_input(self) -> String {
        self.display().trim_end_matches(" %").to_string()
    }
}

/// A country's two rates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CountryRates {
    /// The standard rate.
    pub standard: TaxRate,
    /// The reduced rate.
    pub reduced: TaxRate,
}

impl CountryRates {
    /// The rate a product of `class` pays.
    pub fn rate_for(self, class: TaxClass) -> TaxRate {
        match class {
            TaxClass::Standard => self.standard,
            TaxClass::Reduced => self.reduced,
            TaxClass::Zero => TaxRate::ZERO,
        }
    }
}

/// `numerator / denominator`, rounded half up (both non-negative, denominator positive).
fn div_half_up(numerator: i128, denominator: i128) -> i128 {
    (2 * numerator + denominator) / (2 * denominator)
}

/// Splits `total` cents over `weights` in proportion to them: each share is rounded down,
/// and the cents left go one each to the largest remainders (the earlier line on a tie),
/// so the shares add up to exactly `total`. All zero when the weights are.
pub fn allocate(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if sum == 0 || total == 0 {
        return vec![0; weights.len()];
    }
    let total_wide = i128::from(total);
    let mut shares: Vec<i64> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (index, weight) in weights.iter().enumerate() {
        let product = total_wide * i128::from((*weight).max(0));
        shares.push(i64::try_from(product / sum).unwrap_or(0));
        remainders.push((product % sum, index));
    }
    let given: i64 = shares.iter().sum();
    let mut left = total - given;
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, index) in remainders {
        if left == 0 {
            break;
        }
        shares[index] += 1;
        left -= 1;
    }
    shares
}

/// The tax of one rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaxLine {
    /// The rate.
    pub rate: TaxRate,
    /// What the goods (and shipping) of this rate cost without tax.
    pub net: Money,
    /// The tax.
    pub tax: Money,
    /// With tax.
    pub gross: Money,
}

/// The tax of amounts (after the discount) grouped by rate, highest rate first. With
/// `prices_include_tax` each group's amounts are gross and its net is taken out of them;
/// otherwise they are net and the tax comes on top.
pub fn tax_lines(
    amounts: &[(Money, TaxRate)],
    prices_include_tax: bool,
) -> Result<Vec<TaxLine>, Overflow> {
    let mut groups: BTreeMap<TaxRate, i64> = BTreeMap::new();
    for (amount, rate) in amounts {
        let sum = groups.entry(*rate).or_insert(0);
        *sum = sum.checked_add(amount.cents()).ok_or(Overflow)?;
    }
    let lines = groups.into_iter().rev().map(|(rate, amount)| {
        let bp = i128::from(rate.basis_points());
        let wide = i128::from(amount);
        let (net, tax) = if prices_include_tax {
            let net = div_half_up(wide * 10_000, 10_000 + bp);
            (net, wide - net)
        } else {
            (wide, div_half_up(wide * bp, 10_000))
        };
        let net = i64::try_from(net).map_err(|_| Overflow)?;
        let tax = i64::try_from(tax).map_err(|_| Overflow)?;
        Ok(TaxLine {
            rate,
            net: Money::from_cents(net),
            tax: Money::from_cents(tax),
            gross: Money::from_cents(net.checked_add(tax).ok_or(Overflow)?),
        })
    });
    lines.collect()
}

/// What an order comes to, tax and shipping included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breakdown {
    /// The sum of the lines.
    pub subtotal: Money,
    /// Taken off the goods.
    pub discount: Money,
    /// The share of the discount each line carries, in the lines' order.
    pub discount_shares: Vec<Money>,
    /// What shipping costs (before tax when tax is added on top).
    pub shipping: Money,
    /// The tax by rate.
    pub tax_lines: Vec<TaxLine>,
    /// All the tax.
    pub tax: Money,
    /// What is paid.
    pub total: Money,
    /// Whether the amounts include the tax (else it is added to the total).
    pub prices_include_tax: bool,
}

/// The breakdown of lines given as (line total, rate), a `discount` on the goods, and
/// `shipping` taxed at `shipping_rate` (the standard rate).
pub fn breakdown(
    lines: &[(Money, TaxRate)],
    discount: Money,
    (shipping, shipping_rate): (Money, TaxRate),
    prices_include_tax: bool,
) -> Result<Breakdown, Overflow> {
    let mut subtotal = Money::ZERO;
    for (amount, _) in lines {
        subtotal = subtotal.checked_add(*amount).ok_or(Overflow)?;
    }
    let weights: Vec<i64> = lines.iter().map(|(amount, _)| amount.cents()).collect();
    let shares = allocate(discount.cents(), &weights);
    let mut taxed: Vec<(Money, TaxRate)> = lines
        .iter()
        .zip(&shares)
        .map(|((amount, rate), share)| (Money::from_cents(amount.cents() - share), *rate))
        .collect();
    if shipping.cents() > 0 {
        taxed.push((shipping, shipping_rate));
    }
    let tax_lines = tax_lines(&taxed, prices_include_tax)?;
    let mut tax = Money::ZERO;
    for line in &tax_lines {
        tax = tax.checked_add(line.tax).ok_or(Overflow)?;
    }
    let goods = subtotal.checked_sub(discount).ok_or(Overflow)?;
    let mut total = goods.checked_add(shipping).ok_or(Overflow)?;
    if !prices_include_tax {
        total = total.checked_add(tax).ok_or(Overflow)?;
    }
    Ok(Breakdown {
        subtotal,
        discount,
        discount_shares: shares.into_iter().map(Money::from_cents).collect(),
        shipping,
        tax_lines,
        tax,
        total,
        prices_include_tax,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cents(n: i64) -> Money {
        Money::from_cents(n)
    }

    fn rate(text: &str) -> TaxRate {
        TaxRate::parse(text).unwrap()
    }

    #[test]
    fn rates_are_read_and_shown_as_people_write_them() {
        assert_eq!(rate("19").basis_points(), 1900);
        assert_eq!(rate("5.5").basis_points(), 550);
        assert_eq!(rate(" 7.25 % ").basis_points(), 725);
        assert_eq!(rate("0").basis_points(), 0);
        assert_eq!(rate("100").basis_points(), 10_000);
        for bad in ["", "-1", "100.01", "5.555", "1e2", "x", ".5", "5.", "1000"] {
            assert_eq!(TaxRate::parse(bad), None, "{bad:?}");
        }
        assert_eq!(rate("19").display(), "19 %");
        assert_eq!(rate("5.5").display(), "5.5 %");
        assert_eq!(rate("7.25").display(), "7.25 %");
        assert_eq!(rate("5.5").to_input(), "5.5");
        for class in TaxClass::ALL {
            assert_eq!(TaxClass::parse(class.as_str()), Some(class));
        }
    }

    #[test]
    fn the_worked_example_comes_out_to_the_cent() {
        // DE: standard 19 %, reduced 7 %; 10 % off above 100.00; shipping free above 50.00.
        let de = CountryRates {
            standard: rate("19"),
            reduced: rate("7"),
        };
        let lines = [
            (cents(2_000), de.rate_for(TaxClass::Reduced)),
            (cents(12_000), de.rate_for(TaxClass::Standard)),
        ];
        let b = breakdown(&lines, cents(1_400), (cents(0), de.standard), true).unwrap();
        assert_eq!(b.subtotal, cents(14_000));
        assert_eq!(b.discount_shares, [cents(200), cents(1_200)]);
        assert_eq!(b.total, cents(12_600));
        assert_eq!(
            b.tax_lines,
            [
                TaxLine {
                    rate: rate("19"),
                    net: cents(9_076),
                    tax: cents(1_724),
                    gross: cents(10_800)
                },
                TaxLine {
                    rate: rate("7"),
                    net: cents(1_682),
                    tax: cents(118),
                    gross: cents(1_800)
                },
            ]
        );
        assert_eq!(b.tax, cents(1_842));
    }

    #[test]
    fn tax_on_top_is_added_to_the_total_and_shipping_pays_the_standard_rate() {
        let b = breakdown(
            &[(cents(10_000), rate("19")), (cents(1_000), TaxRate::ZERO)],
            cents(0),
            (cents(490), rate("19")),
            false,
        )
        .unwrap();
        assert_eq!(b.tax_lines[0].net, cents(10_490));
        assert_eq!(b.tax_lines[0].tax, cents(1_993)); // 1993.1 → 1993
        assert_eq!(b.tax_lines[1].tax, cents(0));
        assert_eq!(b.total, cents(11_000 + 490 + 1_993));
    }

    #[test]
    fn halves_round_up() {
        // 0.50 × 1 % = 0.005 → 0.01; 1.05 incl. 5 % → net 1.00 exactly.
        let on_top = tax_lines(&[(cents(50), rate("1"))], false).unwrap();
        assert_eq!(on_top[0].tax, cents(1));
        let inside = tax_lines(&[(cents(105), rate("5"))], true).unwrap();
        assert_eq!((inside[0].net, inside[0].tax), (cents(100), cents(5)));
    }

    #[test]
    fn the_largest_remainders_get_the_odd_cents() {
        assert_eq!(allocate(100, &[1, 1, 1]), [34, 33, 33]);
        assert_eq!(allocate(10, &[0, 5, 0]), [0, 10, 0]);
        assert_eq!(allocate(5, &[]), Vec::<i64>::new());
        assert_eq!(allocate(0, &[3, 4]), [0, 0]);
        assert_eq!(allocate(2, &[1, 2, 3]), [0, 1, 1]);
    }

    proptest! {
        #[test]
        fn shares_add_up_exactly_and_none_is_negative_or_too_big(
            weights in proptest::collection::vec(0i64..10_000_000, 0..12),
            percent in 0i64..=100,
        ) {
            let sum: i64 = weights.iter().sum();
            let total = sum * percent / 100;
            let shares = allocate(total, &weights);
            prop_assert_eq!(shares.len(), weights.len());
            if sum > 0 {
                prop_assert_eq!(shares.iter().sum::<i64>(), total);
            }
            for (share, weight) in shares.iter().zip(&weights) {
                prop_assert!(*share >= 0 && share <= weight);
                // Each share is within a cent of its exact proportion.
                let exact = total as f64 * *weight as f64 / sum.max(1) as f64;
                prop_assert!((*share as f64 - exact).abs() < 1.0);
            }
        }

        #[test]
        fn included_tax_splits_each_gross_into_net_and_tax(
            amounts in proptest::collection::vec((0i64..10_000_000, 0u32..=3000), 1..8),
        ) {
            let items: Vec<(Money, TaxRate)> = amounts.iter()
                .map(|(a, bp)| (cents(*a), TaxRate::from_basis_points(*bp).unwrap()))
                .collect();
            let lines = tax_lines(&items, true).unwrap();
            let gross: i64 = lines.iter().map(|l| l.gross.cents()).sum();
            prop_assert_eq!(gross, amounts.iter().map(|(a, _)| a).sum::<i64>());
            for line in &lines {
                prop_assert_eq!(line.net.cents() + line.tax.cents(), line.gross.cents());
                prop_assert!(line.tax.cents() >= 0);
                // net × (1 + rate) is the gross to within half a cent of rounding.
                let back = line.net.cents() as f64 * (1.0 + line.rate.basis_points() as f64 / 10_000.0);
                prop_assert!((back - line.gross.cents() as f64).abs() <= 0.5 + line.rate.basis_points() as f64 / 10_000.0);
            }
        }

        #[test]
        fn tax_on_top_is_the_rate_of_the_net_rounded_half_up(
            amounts in proptest::collection::vec((0i64..10_000_000, 0u32..=3000), 1..8),
            discount_percent in 0i64..=100,
            shipping in 0i64..10_000,
        ) {
            let items: Vec<(Money, TaxRate)> = amounts.iter()
                .map(|(a, bp)| (cents(*a), TaxRate::from_basis_points(*bp).unwrap()))
                .collect();
            let subtotal: i64 = amounts.iter().map(|(a, _)| a).sum();
            let discount = cents(subtotal * discount_percent / 100);
            let b = breakdown(&items, discount, (cents(shipping), rate("19")), false).unwrap();
            for line in &b.tax_lines {
                let exact = line.net.cents() as i128 * line.rate.basis_points() as i128;
                prop_assert_eq!(line.tax.cents() as i128, (2 * exact + 10_000) / 20_000);
                prop_assert_eq!(line.gross.cents(), line.net.cents() + line.tax.cents());
            }
            let net: i64 = b.tax_lines.iter().map(|l| l.net.cents()).sum();
            prop_assert_eq!(net, subtotal - discount.cents() + shipping);
            prop_assert_eq!(b.total.cents(), net + b.tax.cents());
        }
    }
}
