//! Shipping methods and tax rates in the admin area: `/admin/shipping` lists the methods
//! with a form to change each and one to add another; `/admin/taxes` the rates by country.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::domain::shipping::{country_name, parse_countries, parse_country};
use crate::domain::tax::{CountryRates, TaxRate};
use crate::domain::Money;
use crate::models::now;
use crate::models::shipping::{self, MethodFields, ShippingMethod};
use crate::models::tax_rate::{self, CountryTax};
use crate::services::shipping_admin;
use crate::web::admin::actor;
use crate::web::error::AppError;
use crate::web::flash;
use crate::web::page::{render, PageContext};
use crate::web::state::AppState;
use crate::web::visit::{path_id, AdminVisit, Reply};

/// The method form as posted (and shown again as typed).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct MethodForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    countries: String,
    #[serde(default)]
    price: String,
    #[serde(default)]
    free_above: String,
}

#[derive(Template)]
#[template(path = "admin/shipping.html")]
struct ShippingPage {
    page: PageContext,
    methods: Vec<ShippingMethod>,
    new: MethodForm,
    error: Option<String>,
}

async fn shipping_page(
    state: &AppState,
    page: PageContext,
    (new, error): (MethodForm, Option<String>),
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let methods = db::run(&state.pool, |conn| Ok(shipping::all(conn)?)).await?;
    render(
        status,
        &ShippingPage {
            page,
            methods,
            new,
            error,
        },
    )
}

/// `GET /admin/shipping`.
pub async fn list(v: AdminVisit) -> Reply {
    let AdminVisit { state, page, .. } = v;
    shipping_page(&state, page, (MethodForm::default(), None), StatusCode::OK).await
}

/// A method's fields, checked: `Err` says what is wrong.
struct Checked {
    name: String,
    countries: String,
    price: Money,
    free_above: Option<Money>,
}

fn check(form: &MethodForm) -> Result<Checked, String> {
    let name = form.name.trim();
    if name.is_empty() || name.chars().count() > 60 || name.chars().any(char::is_control) {
        return Err("Name the method in 1 to 60 characters, like Standard parcel.".into());
    }
    let countries = parse_countries(&form.countries)?.join(",");
    let price = Money::parse_price(form.price.trim())
        .map_err(|_| "Enter the price, like 4.90 (0 for free shipping).".to_string())?;
    let free_above = match form.free_above.trim() {
        "" => None,
        text => Some(Money::parse_price(text).map_err(|_| {
            "Enter the order value above which it is free, like 50.00, or leave it empty."
                .to_string()
        })?),
    };
    Ok(Checked {
        name: name.to_string(),
        countries,
        price,
        free_above,
    })
}

impl Checked {
    fn fields(&self) -> MethodFields<'_> {
        MethodFields {
            name: &self.name,
            countries: &self.countries,
            price_cents: self.price.cents(),
            free_above_cents: self.free_above.map(Money::cents),
            updated_at: now(),
        }
    }
}

/// `POST /admin/shipping`: adds a method.
pub async fn create(v: AdminVisit, form: web::Form<MethodForm>) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let form = form.into_inner();
    let checked = match check(&form) {
        Ok(checked) => checked,
        Err(why) => {
            return shipping_page(&state, page, (form, Some(why)), StatusCode::BAD_REQUEST).await
        }
    };
    let actor = actor(&admin);
    db::run(&state.pool, move |conn| {
        shipping_admin::create_method(conn, &actor, &checked.fields(), now())
    })
    .await?;
    Ok(flash::success(
        &req,
        "Shipping method added.",
        "/admin/shipping",
    ))
}

/// `POST /admin/shipping/{id}`: changes a method.
pub async fn update(v: AdminVisit, id: web::Path<String>, form: web::Form<MethodForm>) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let id = path_id(&id)?;
    let checked = match check(&form) {
        Ok(checked) => checked,
        Err(why) => {
            let blank = (MethodForm::default(), Some(why));
            return shipping_page(&state, page, blank, StatusCode::BAD_REQUEST).await;
        }
    };
    let actor = actor(&admin);
    db::run(&state.pool, move |conn| {
        shipping_admin::update_method(conn, &actor, id, &checked.fields(), now())
    })
    .await?;
    Ok(flash::success(
        &req,
        "Shipping method saved.",
        "/admin/shipping",
    ))
}

/// `POST /admin/shipping/{id}/delete`.
pub async fn delete(v: AdminVisit, id: web::Path<String>) -> Reply {
    let (req, state, _, admin) = v.into_parts();
    let id = path_id(&id)?;
    let actor = actor(&admin);
    db::run(&state.pool, move |conn| {
        shipping_admin::delete_method(conn, &actor, id, now())
    })
    .await?;
    Ok(flash::success(
        &req,
        "Shipping method removed.",
        "/admin/shipping",
    ))
}

/// The rates form as posted.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct RatesForm {
    #[serde(default)]
    country: String,
    #[serde(default)]
    standard: String,
    #[serde(default)]
    reduced: String,
}

/// A row of the rates list.
pub struct RatesRow {
    /// The code.
    pub country: String,
    /// Its name.
    pub name: &'static str,
    /// The standard rate, for people.
    pub standard: String,
    /// The reduced rate, for people.
    pub reduced: String,
}

#[derive(Template)]
#[template(path = "admin/taxes.html")]
struct TaxesPage {
    page: PageContext,
    rows: Vec<RatesRow>,
    form: RatesForm,
    error: Option<String>,
}

async fn taxes_page(
    state: &AppState,
    page: PageContext,
    (form, error): (RatesForm, Option<String>),
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let rates: Vec<CountryTax> = db::run(&state.pool, |conn| Ok(tax_rate::all(conn)?)).await?;
    let rows = rates
        .into_iter()
        .map(|t| {
            let rates = t.rates();
            RatesRow {
                name: country_name(&t.country).unwrap_or(""),
                country: t.country,
                standard: rates.standard.display(),
                reduced: rates.reduced.display(),
            }
        })
        .collect();
    render(
        status,
        &TaxesPage {
            page,
            rows,
            form,
            error,
        },
    )
}

/// `GET /admin/taxes`.
pub async fn taxes(v: AdminVisit) -> Reply {
    let AdminVisit { state, page, .. } = v;
    taxes_page(&state, page, (RatesForm::default(), None), StatusCode::OK).await
}

/// `POST /admin/taxes`: sets a country's rates.
pub async fn set_rates(v: AdminVisit, form: web::Form<RatesForm>) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let form = form.into_inner();
    let country = parse_country(&form.country);
    let (standard, reduced) = (
        TaxRate::parse(&form.standard),
        TaxRate::parse(&form.reduced),
    );
    let (Some(country), Some(standard), Some(reduced)) = (country, standard, reduced) else {
        let why = if country.is_none() {
            "Name the country by its ISO code, like DE."
        } else {
            "Enter each rate as a percent from 0 to 100 with at most two decimals, like 19 or 5.5."
        };
        let shown = (form, Some(why.to_string()));
        return taxes_page(&state, page, shown, StatusCode::BAD_REQUEST).await;
    };
    let actor = actor(&admin);
    let rates = CountryRates { standard, reduced };
    db::run(&state.pool, move |conn| {
        shipping_admin::set_rates(conn, &actor, country, rates, now())
    })
    .await?;
    Ok(flash::success(
        &req,
        format!("Tax rates of {country} saved."),
        "/admin/taxes",
    ))
}

/// `POST /admin/taxes/{country}/delete`.
pub async fn delete_rates(v: AdminVisit, country: web::Path<String>) -> Reply {
    let (req, state, _, admin) = v.into_parts();
    let country = parse_country(&country).ok_or(AppError::NotFound)?;
    let actor = actor(&admin);
    db::run(&state.pool, move |conn| {
        shipping_admin::delete_rates(conn, &actor, country, now())
    })
    .await?;
    Ok(flash::success(
        &req,
        format!("{country} charges no tax now."),
        "/admin/taxes",
    ))
}
