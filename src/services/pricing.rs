//! What an order costs where it goes: the discount, the shipping method's price for the
//! destination, and the tax of each rate, from the shop's settings and the destination
//! country's rates. Checkout shows it and places the order with it, computed again inside
//! the order's transaction.

use chrono::NaiveDate;

use crate::db::DbConn;
use crate::domain::coupon::{best_discount, CouponTerms, DiscountSource};
use crate::domain::settings::ShopSettings;
use crate::domain::shipping::{all_countries, country_name, parse_country};
use crate::domain::tax::{breakdown, Breakdown, TaxRate};
use crate::domain::{Money, Totals};
use crate::error::AppError;
use crate::models::address;
use crate::models::cart::{self, CartLine, CartOwner};
use crate::models::shipping::{self, ShippingMethod};
use crate::models::tax_rate;
use crate::services::coupons::{self, CartCoupon, Customer};

/// An order's price, ready to be shown or stored.
#[derive(Debug, Clone)]
pub struct Quote {
    /// Subtotal, discount, shipping, tax by rate, total.
    pub breakdown: Breakdown,
    /// Each line's rate, in the lines' order.
    pub line_rates: Vec<TaxRate>,
    /// Which discount applies: the threshold's or the coupon's (never both).
    pub discount_source: DiscountSource,
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
    (settings, coupon): (&ShopSettings, Option<&CouponTerms>),
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
    let priced = price(conn, lines, (country, method.as_ref()), (settings, coupon))?;
    Ok(Ok(Quote {
        breakdown: priced.breakdown,
        line_rates: priced.line_rates,
        discount_source: priced.source,
        method,
        prices_include_tax: settings.prices_include_tax,
    }))
}

fn too_large() -> AppError {
    AppError::BadRequest("This order is too large to price.".into())
}

/// The goods' subtotal, the discount that applies (the threshold's or the coupon's,
/// whichever is larger) and what is left.
pub fn goods_totals(
    lines: &[CartLine],
    settings: &ShopSettings,
    coupon: Option<&CouponTerms>,
) -> Result<(Totals, DiscountSource), AppError> {
    let priced: Vec<(Money, i32)> = lines.iter().map(|l| (l.unit_price(), l.quantity)).collect();
    let totals = settings
        .discount_rule()
        .totals(&priced)
        .map_err(|_| too_large())?;
    Ok(best_discount(
        totals,
        coupon.map(|c| c.discount(totals.subtotal)),
    ))
}

/// The sum of the lines, before any discount.
pub fn subtotal(lines: &[CartLine]) -> Money {
    Money::from_cents(lines.iter().map(CartLine::line_total_cents).sum())
}

/// A price worked out: the breakdown, each line's rate, and which discount applied.
struct Priced {
    breakdown: Breakdown,
    line_rates: Vec<TaxRate>,
    source: DiscountSource,
}

/// The breakdown of `lines` sent to `country` by `method` (none: free), with each line's rate.
fn price(
    conn: &mut DbConn,
    lines: &[CartLine],
    (country, method): (&str, Option<&ShippingMethod>),
    (settings, coupon): (&ShopSettings, Option<&CouponTerms>),
) -> Result<Priced, AppError> {
    let rates = tax_rate::for_country(conn, country)?;
    let (totals, source) = goods_totals(lines, settings, coupon)?;
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
    Ok(Priced {
        breakdown,
        line_rates,
        source,
    })
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
    (settings, coupon): (&ShopSettings, Option<&CouponTerms>),
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
    let priced = price(conn, lines, (country, None), (settings, coupon))?;
    Ok(Some(CartTax {
        country: country_name(country).unwrap_or(country),
        breakdown: priced.breakdown,
    }))
}

/// A cart priced as its page shows it: the lines, the totals with the discount that
/// applies, the coupon it holds (and whether it applies), and the tax in the goods.
#[derive(Debug, Clone)]
pub struct CartSummary {
    /// The lines, oldest first.
    pub lines: Vec<CartLine>,
    /// Subtotal, discount, total of the goods.
    pub totals: Totals,
    /// Which discount applies.
    pub source: DiscountSource,
    /// The coupon the cart holds.
    pub coupon: Option<CartCoupon>,
    /// The goods' tax, when a country is known.
    pub tax: Option<CartTax>,
}

/// Prices the cart of `owner` (an empty summary when it has none). `email` is the
/// customer's address when known, for their own uses of the coupon.
pub fn cart_summary(
    conn: &mut DbConn,
    owner: &CartOwner,
    email: Option<&str>,
    settings: &ShopSettings,
    today: NaiveDate,
) -> Result<CartSummary, AppError> {
    let user_id = owner.user_id();
    let (lines, coupon) = match cart::find_with_coupon(conn, owner)? {
        Some((cart_id, code)) => {
            let lines = cart::lines(conn, cart_id)?;
            let customer = Customer { user_id, email };
            let coupon = coupons::held(conn, code.as_deref(), customer, subtotal(&lines), today)?;
            (lines, coupon)
        }
        None => (Vec::new(), None),
    };
    let terms = coupon.as_ref().and_then(CartCoupon::applicable_terms);
    let (totals, source) = goods_totals(&lines, settings, terms.as_ref())?;
    let tax = cart_tax(conn, &lines, user_id, (settings, terms.as_ref()))?;
    Ok(CartSummary {
        lines,
        totals,
        source,
        coupon,
        tax,
    })
}
