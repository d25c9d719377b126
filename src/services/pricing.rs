//! What an order costs where it goes: the discount, the shipping method's price for the
//! destination, and the tax of each rate, from the shop's settings and the destination
//! country's rates. Checkout shows it and places the order with it, computed again inside
//! the order's transaction.

use crate::db::DbConn;
use crate::domain::settings::ShopSettings;
use crate::domain::shipping::{all_countries, country_name, parse_country};
use crate::domain::tax::{breakdown, Breakdown, TaxRate};
use crate::domain::Money;
use crate::error::AppError;
use crate::models::address;
use crate::models::cart::CartLine;
use crate::models::shipping::{self, ShippingMethod};
use crate::models::tax_rate;

/// An order's price, ready to be shown or stored.
#[derive(Debug, Clone)]
pub struct Quote {
    /// Subtotal, discount, shipping, tax by rate, total.
    pub breakdown: Breakdown,
    /// Each line's rate, in the lines' order.
    pub line_rates: Vec<TaxRate>,
    /// The method chosen, none while the shop has no methods (shipping is free then).
    pub method: Option<ShippingMethod>,
    /// Whether the prices include the tax.
    pub prices_include_tax: bool,
}

/// Why no price can be given for this destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShippingProblem {
    /// No method ships to the country.
    NoMethod,
    /// A method must be chosen among those for the country.
    Choose,
}

impl ShippingProblem {
    /// What the customer reads.
    pub fn message(&self) -> &'static str {
        match self {
            ShippingProblem::NoMethod => {
                "We do not ship to this country yet: choose another one from the list."
            }
            ShippingProblem::Choose => "Choose one of the shipping methods for this country.",
        }
    }
}

/// The methods that ship to `country` (all methods are read: there are few).
pub fn methods_for(methods: &[ShippingMethod], country: &str) -> Vec<ShippingMethod> {
    methods
        .iter()
        .filter(|m| m.serves(country))
        .cloned()
        .collect()
}

/// Prices `lines` sent to `country` by method `method_id` under `settings`. With no
/// shipping methods at all, shipping is free to everywhere.
pub fn quote(
    conn: &mut DbConn,
    lines: &[CartLine],
    (country, method_id): (&str, Option<i32>),
    settings: &ShopSettings,
) -> Result<Result<Quote, ShippingProblem>, AppError> {
    let methods = shipping::all(conn)?;
    let method = if methods.is_empty() {
        None
    } else {
        let offered = methods_for(&methods, country);
        if offered.is_empty() {
            return Ok(Err(ShippingProblem::NoMethod));
        }
        match offered.into_iter().find(|m| Some(m.id) == method_id) {
            Some(method) => Some(method),
            None => return Ok(Err(ShippingProblem::Choose)),
        }
    };
    let (breakdown, line_rates) = price(conn, lines, country, method.as_ref(), settings)?;
    Ok(Ok(Quote {
        breakdown,
        line_rates,
        method,
        prices_include_tax: settings.prices_include_tax,
    }))
}

/// The breakdown of `lines` sent to `country` by `method` (none: free), with each line's rate.
fn price(
    conn: &mut DbConn,
    lines: &[CartLine],
    country: &str,
    method: Option<&ShippingMethod>,
    settings: &ShopSettings,
) -> Result<(Breakdown, Vec<TaxRate>), AppError> {
    let rates = tax_rate::for_country(conn, country)?;
    let priced: Vec<(Money, i32)> = lines.iter().map(|l| (l.unit_price(), l.quantity)).collect();
    let too_large = || AppError::BadRequest("This order is too large to price.".into());
    let totals = settings
        .discount_rule()
        .totals(&priced)
        .map_err(|_| too_large())?;
    let goods = Money::from_cents(totals.subtotal.cents() - totals.discount.cents());
    let shipping = method.map_or(Money::ZERO, |m| m.rate().cost(goods));
    let line_rates: Vec<TaxRate> = lines.iter().map(|l| rates.rate_for(l.tax_class)).collect();
    let amounts: Vec<(Money, TaxRate)> = lines
        .iter()
        .zip(&line_rates)
        .map(|(l, rate)| (Money::from_cents(l.line_total_cents()), *rate))
        .collect();
    let breakdown = breakdown(
        &amounts,
        totals.discount,
        (shipping, rates.standard),
        settings.prices_include_tax,
    )
    .map_err(|_| too_large())?;
    Ok((breakdown, line_rates))
}

/// The countries checkout offers, by name: those some method ships to, or every country
/// while the shop has no methods.
pub fn offered_countries(methods: &[ShippingMethod]) -> Vec<(&'static str, &'static str)> {
    if methods.is_empty() {
        return all_countries();
    }
    // all_countries is by name already.
    all_countries()
        .into_iter()
        .filter(|(code, _)| methods.iter().any(|m| m.serves(code)))
        .collect()
}

/// The tax in a cart's goods before the destination is chosen, as the cart page shows it.
#[derive(Debug, Clone)]
pub struct CartTax {
    /// The country the tax is worked out for, by name.
    pub country: &'static str,
    /// Subtotal, discount and tax of the goods; shipping is left out (zero).
    pub breakdown: Breakdown,
}

/// The cart's tax for the country checkout would start from: the customer's last used
/// address where the shop ships there, else the first country some method serves. `None`
/// while no country is known yet (a guest in a shop without shipping methods).
pub fn cart_tax(
    conn: &mut DbConn,
    lines: &[CartLine],
    user_id: Option<i32>,
    settings: &ShopSettings,
) -> Result<Option<CartTax>, AppError> {
    if lines.is_empty() {
        return Ok(None);
    }
    let methods = shipping::all(conn)?;
    let offered = offered_countries(&methods);
    let last_used = match user_id {
        Some(user_id) => address::for_user(conn, user_id)?.into_iter().next(),
        None => None,
    };
    let from_address = last_used
        .and_then(|a| parse_country(&a.country))
        .filter(|c| offered.iter().any(|(code, _)| code == c));
    let country = match from_address {
        Some(country) => Some(country),
        None if methods.is_empty() => None,
        None => offered.first().map(|(code, _)| *code),
    };
    let Some(country) = country else {
        return Ok(None);
    };
    let (breakdown, _) = price(conn, lines, country, None, settings)?;
    Ok(Some(CartTax {
        country: country_name(country).unwrap_or(country),
        breakdown,
    }))
}
