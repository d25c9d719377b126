//! Saved addresses: `GET /account/addresses` lists them with a form to add one,
//! `POST /account/addresses` adds, `POST /account/addresses/{id}/delete` removes (someone
//! else's is a 404). Checkout offers them too.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::domain::shipping::all_countries;
use crate::domain::{AddressInput, ShippingAddress};
use crate::models::address::{self, Address, MAX_PER_ACCOUNT};
use crate::models::now;
use crate::web::auth::CurrentUser;
use crate::web::error::AppError;
use crate::web::flash;
use crate::web::forms::FormErrors;
use crate::web::page::{render, PageContext};
use crate::web::state::AppState;
use crate::web::visit::{path_id, Reply, Visit};

#[derive(Template)]
#[template(path = "account/addresses.html")]
struct AddressesPage {
    page: PageContext,
    addresses: Vec<Address>,
    address: AddressInput,
    errors: FormErrors,
    countries: Vec<(&'static str, &'static str)>,
}

async fn addresses_page(
    state: &AppState,
    page: PageContext,
    user_id: i32,
    (address, errors): (AddressInput, FormErrors),
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let addresses = db::run(&state.pool, move |conn| {
        Ok(address::for_user(conn, user_id)?)
    })
    .await?;
    render(
        status,
        &AddressesPage {
            page,
            addresses,
            address,
            errors,
            countries: all_countries(),
        },
    )
}

/// `GET /account/addresses`.
pub async fn list(v: Visit, CurrentUser(user): CurrentUser) -> Reply {
    let Visit { state, page, .. } = v;
    let blank = (AddressInput::default(), FormErrors::new());
    addresses_page(&state, page, user.id, blank, StatusCode::OK).await
}

/// An address form as posted (the checkout's address fields).
#[derive(Debug, Deserialize)]
pub struct AddressForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    address_line1: String,
    #[serde(default)]
    address_line2: String,
    #[serde(default)]
    postcode: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    country: String,
}

impl AddressForm {
    /// The fields as typed, trimmed.
    pub fn typed(&self) -> AddressInput {
        AddressInput {
            name: self.name.trim().to_string(),
            address_line1: self.address_line1.trim().to_string(),
            address_line2: self.address_line2.trim().to_string(),
            postcode: self.postcode.trim().to_string(),
            city: self.city.trim().to_string(),
            country: self.country.trim().to_string(),
        }
    }
}

/// `POST /account/addresses`.
pub async fn add(v: Visit, CurrentUser(user): CurrentUser, form: web::Form<AddressForm>) -> Reply {
    let (req, state, page) = v.into_parts();
    let typed = form.typed();
    let parsed = match ShippingAddress::parse(&typed) {
        Ok(parsed) => parsed,
        Err(problems) => {
            let mut errors = FormErrors::new();
            for (field, message) in problems {
                errors.add(field, message);
            }
            let shown = (typed, errors);
            return addresses_page(&state, page, user.id, shown, StatusCode::BAD_REQUEST).await;
        }
    };
    let user_id = user.id;
    let saved = db::run(&state.pool, move |conn| {
        if address::count_for_user(conn, user_id)? >= MAX_PER_ACCOUNT {
            return Ok(false);
        }
        address::insert(conn, user_id, &parsed, now())?;
        Ok(true)
    })
    .await?;
    if !saved {
        let mut errors = FormErrors::new();
        errors.add(
            "form",
            format!(
                "You can keep {MAX_PER_ACCOUNT} addresses: delete one you no longer use first."
            ),
        );
        return addresses_page(
            &state,
            page,
            user.id,
            (typed, errors),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    Ok(flash::success(&req, "Address saved.", "/account/addresses"))
}

/// `POST /account/addresses/{id}/delete`.
pub async fn delete(v: Visit, CurrentUser(user): CurrentUser, id: web::Path<String>) -> Reply {
    let (req, state, _) = v.into_parts();
    let id = path_id(&id)?;
    let user_id = user.id;
    let deleted = db::run(&state.pool, move |conn| {
        Ok(address::delete_for_user(conn, id, user_id)?)
    })
    .await?;
    if !deleted {
        return Err(AppError::NotFound);
    }
    Ok(flash::success(
        &req,
        "Address deleted.",
        "/account/addresses",
    ))
}
