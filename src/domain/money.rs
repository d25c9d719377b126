//! `Money`: an amount in whole cents. No floats anywhere near a price.

use std::fmt;

/// The largest price a person may type: 1,000,000.00.
pub const MAX_PRICE: Money = Money(100_000_000);

/// An amount of money in cents (may be negative, e.g. a discount line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

/// Why a typed price was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MoneyError {
    /// Nothing was typed.
    Empty,
    /// Not a plain decimal number like 19.99.
    NotANumber,
    /// Below zero.
    Negative,
    /// More than two decimal places.
    TooPrecise,
    /// Above the largest accepted amount.
    TooLarge,
}

impl fmt::Display for MoneyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MoneyError::Empty => "Enter a price, like 19.99.",
            MoneyError::NotANumber => "Enter the price as a number, like 19.99.",
            MoneyError::Negative => "The price cannot be negative.",
            MoneyError::TooPrecise => "Use at most two decimal places, like 19.99.",
            MoneyError::TooLarge => "The price can be at most 1,000,000.00.",
        })
    }
}

impl std::error::Error for MoneyError {}

impl Money {
    /// Zero.
    pub const ZERO: Money = Money(0);

    /// An amount of `cents`.
    pub const fn from_cents(cents: i64) -> Money {
        Money(cents)
    }

    /// The amount in cents.
    pub const fn cents(self) -> i64 {
        self.0
    }

    /// `self + other`, or `None` on overflow.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    /// `self - other`, or `None` on overflow.
    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// `self × n`, or `None` on overflow.
    pub fn checked_mul(self, n: i64) -> Option<Money> {
        self.0.checked_mul(n).map(Money)
    }

    /// `percent` % of the amount, rounded down to the cent (towards zero).
    pub fn percent_floor(self, percent: u32) -> Option<Money> {
        self.0
            .checked_mul(i64::from(percent))
            .map(|n| Money(n / 100))
    }

    /// Parses a price as a person types it: `19.99`, `19`, `19.9`, `1,234.50`, optionally with
    /// a leading currency symbol. Refuses signs, exponents, more than two decimals and amounts
    /// above [`MAX_PRICE`].
    pub fn parse_price(input: &str) -> Result<Money, MoneyError> {
        let text = input.trim();
        let text = text
            .strip_prefix('$')
            .or_else(|| text.strip_prefix('€'))
            .or_else(|| text.strip_prefix('£'))
            .unwrap_or(text)
            .trim();
        if text.is_empty() {
            return Err(MoneyError::Empty);
        }
        if text.starts_with('-') {
            return Err(MoneyError::Negative);
        }
        let (whole, fraction) = match text.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (text, None),
        };
        if whole.contains(',') && !well_grouped(whole) {
            return Err(MoneyError::NotANumber);
        }
        let whole = whole.replace(',', "");
        if whole.is_empty() && fraction.is_none_or(str::is_empty) {
            return Err(MoneyError::NotANumber);
        }
        if !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::NotANumber);
        }
        let fraction = fraction.unwrap_or("");
        if !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MoneyError::NotANumber);
        }
        if fraction.len() > 2 {
            return Err(MoneyError::TooPrecise);
        }
        let whole_value: i64 = if whole.is_empty() {
            0
        } else if whole.trim_start_matches('0').len() > 9 {
            return Err(MoneyError::TooLarge);
        } else {
            whole.parse().map_err(|_| MoneyError::NotANumber)?
        };
        let cents_part: i64 = match fraction.len() {
            0 => 0,
            1 => i64::from(fraction.as_bytes()[0] - b'0') * 10,
            _ => fraction.parse().map_err(|_| MoneyError::NotANumber)?,
        };
        let cents = whole_value * 100 + cents_part;
        if cents > MAX_PRICE.0 {
            return Err(MoneyError::TooLarge);
        }
        Ok(Money(cents))
    }

    /// The amount as a plain decimal with two places and no symbol or separators (`1234.50`),
    /// as a form field or a CSV file wants it.
    pub fn to_decimal_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    /// The amount for people: `$1,234.56`, `-$0.50`.
    pub fn display(self, symbol: &str) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!(
            "{sign}{symbol}{}.{:02}",
            group_thousands(abs / 100),
            abs % 100
        )
    }
}

/// `n` with a comma between each group of three digits: `1,234,567`.
pub fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

/// Whether thousands separators sit every three digits (`1,234,567`), so `1,23` is refused
/// rather than guessed at.
fn well_grouped(whole: &str) -> bool {
    let mut groups = whole.split(',');
    let first_ok = groups.next().is_some_and(|g| (1..=3).contains(&g.len()));
    first_ok && groups.all(|g| g.len() == 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn displays_with_symbol_and_thousands() {
        assert_eq!(Money::from_cents(0).display("$"), "$0.00");
        assert_eq!(Money::from_cents(5).display("$"), "$0.05");
        assert_eq!(Money::from_cents(1999).display("$"), "$19.99");
        assert_eq!(Money::from_cents(123_456).display("$"), "$1,234.56");
        assert_eq!(Money::from_cents(100_000_000).display("€"), "€1,000,000.00");
        assert_eq!(Money::from_cents(-50).display("$"), "-$0.50");
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(group_thousands(0), "0");
        assert_eq!(group_thousands(999), "999");
        assert_eq!(group_thousands(1000), "1,000");
        assert_eq!(group_thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn parses_what_people_type() {
        for (input, cents) in [
            ("19.99", 1999),
            ("19", 1900),
            ("19.9", 1990),
            ("0.5", 50),
            (".5", 50),
            ("19.", 1900),
            (" 7.00 ", 700),
            ("$1,234.50", 123_450),
            ("1000000", 100_000_000),
            ("1000000.00", 100_000_000),
            ("0", 0),
        ] {
            assert_eq!(
                Money::parse_price(input),
                Ok(Money::from_cents(cents)),
                "{input}"
            );
        }
    }

    #[test]
    fn refuses_what_is_not_a_price() {
        for (input, err) in [
            ("", MoneyError::Empty),
            ("  ", MoneyError::Empty),
            ("-1", MoneyError::Negative),
            ("1e3", MoneyError::NotANumber),
            ("19.999", MoneyError::TooPrecise),
            ("1000000.01", MoneyError::TooLarge),
            ("99999999999999999999", MoneyError::TooLarge),
            ("abc", MoneyError::NotANumber),
            ("+5", MoneyError::NotANumber),
            ("1.2.3", MoneyError::NotANumber),
            (".", MoneyError::NotANumber),
            ("NaN", MoneyError::NotANumber),
            ("١٢", MoneyError::NotANumber),
            ("1,23", MoneyError::NotANumber),
            (",123", MoneyError::NotANumber),
        ] {
            assert_eq!(Money::parse_price(input), Err(err), "{input}");
        }
    }

    #[test]
    fn percent_rounds_down_to_the_cent() {
        assert_eq!(
            Money::from_cents(10_001).percent_floor(10),
            Some(Money::from_cents(1000))
        );
        assert_eq!(
            Money::from_cents(999).percent_floor(10),
            Some(Money::from_cents(99))
        );
        assert_eq!(Money::from_cents(i64::MAX).percent_floor(10), None);
    }

    #[test]
    fn arithmetic_is_checked() {
        assert_eq!(
            Money::from_cents(i64::MAX).checked_add(Money::from_cents(1)),
            None
        );
        assert_eq!(Money::from_cents(i64::MAX).checked_mul(2), None);
        assert_eq!(
            Money::from_cents(250).checked_mul(3),
            Some(Money::from_cents(750))
        );
    }

    proptest! {
        #[test]
        fn decimal_string_round_trips(cents in 0i64..=MAX_PRICE.cents()) {
            let m = Money::from_cents(cents);
            prop_assert_eq!(Money::parse_price(&m.to_decimal_string()), Ok(m));
        }

        #[test]
        fn display_round_trips(cents in 0i64..=MAX_PRICE.cents()) {
            let m = Money::from_cents(cents);
            prop_assert_eq!(Money::parse_price(&m.display("$")), Ok(m));
        }

        #[test]
        fn display_keeps_the_digits(cents in any::<i64>()) {
            let shown = Money::from_cents(cents).display("$");
            let digits: String = shown.chars().filter(char::is_ascii_digit).collect();
            let expected = format!("{}{:02}", cents.unsigned_abs() / 100, cents.unsigned_abs() % 100);
            prop_assert_eq!(digits, expected);
        }

        #[test]
        fn parse_never_panics(input in ".{0,40}") {
            let _ = Money::parse_price(&input);
        }

        #[test]
        fn percent_never_exceeds_the_amount(cents in 0i64..1_000_000_000_000, pct in 0u32..=100) {
            let d = Money::from_cents(cents).percent_floor(pct).unwrap();
            prop_assert!(d.cents() <= cents);
            prop_assert!(d.cents() * 100 <= cents * i64::from(pct));
            prop_assert!((d.cents() + 1) * 100 > cents * i64::from(pct));
        }
    }
}
