//! Shipping: countries by their ISO 3166-1 alpha-2 codes (from the `isocountry` table), and
//! what a method costs for an order.

use isocountry::CountryCode;

use crate::domain::Money;

/// The English name of the country with alpha-2 `code` (`DE` → `Germany`).
pub fn country_name(code: &str) -> Option<&'static str> {
    CountryCode::for_alpha2(code).ok().map(|c| c.name())
}

/// Every country as (alpha-2 code, name), by name.
pub fn all_countries() -> Vec<(&'static str, &'static str)> {
    let mut countries: Vec<_> = CountryCode::iter()
        .map(|c| (c.alpha2(), c.name()))
        .collect();
    countries.sort_by_key(|(_, name)| *name);
    countries
}

/// Reads one alpha-2 code as typed (`de`, ` AT `): the code in capitals, if it is one.
pub fn parse_country(text: &str) -> Option<&'static str> {
    CountryCode::for_alpha2_caseless(text.trim())
        .ok()
        .map(|c| c.alpha2())
}

/// Reads a comma-separated list of alpha-2 codes (`DE, at`): each once, in the order given;
/// `Err` names the first entry that is not a code, or says the list is empty.
pub fn parse_countries(text: &str) -> Result<Vec<&'static str>, String> {
    let mut codes: Vec<&'static str> = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let code = parse_country(part).ok_or_else(|| {
            format!("{part:?} is not an ISO 3166 country code: use two letters like DE or FR.")
        })?;
        if !codes.contains(&code) {
            codes.push(code);
        }
    }
    if codes.is_empty() {
        return Err("Name at least one country, like DE or DE,AT.".to_string());
    }
    Ok(codes)
}

/// What a shipping method charges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShippingRate {
    /// The price of sending an order.
    pub price: Money,
    /// Above this order value (after the discount) it costs nothing.
    pub free_above: Option<Money>,
}

impl ShippingRate {
    /// What sending goods worth `goods` (after the discount) costs.
    pub fn cost(self, goods: Money) -> Money {
        match self.free_above {
            Some(threshold) if goods > threshold => Money::ZERO,
            _ => self.price,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_are_iso_codes_with_their_names() {
        assert_eq!(country_name("DE"), Some("Germany"));
        assert_eq!(country_name("XX"), None);
        assert_eq!(parse_country(" at "), Some("AT"));
        assert_eq!(parse_countries("DE, at,de"), Ok(vec!["DE", "AT"]));
        assert!(parse_countries("DE,Germany")
            .unwrap_err()
            .contains("\"Germany\""));
        assert!(parse_countries(" , ").is_err());
        let all = all_countries();
        assert!(all.len() > 240);
        assert!(all.windows(2).all(|w| w[0].1 <= w[1].1), "sorted by name");
    }

    #[test]
    fn shipping_is_free_only_strictly_above_the_threshold() {
        let parcel = ShippingRate {
            price: Money::from_cents(490),
            free_above: Some(Money::from_cents(5_000)),
        };
        assert_eq!(
            parcel.cost(Money::from_cents(5_000)),
            Money::from_cents(490)
        );
        assert_eq!(parcel.cost(Money::from_cents(5_001)), Money::ZERO);
        let always = ShippingRate {
            free_above: None,
            ..parcel
        };
        assert_eq!(
            always.cost(Money::from_cents(1_000_000)),
            Money::from_cents(490)
        );
    }
}
