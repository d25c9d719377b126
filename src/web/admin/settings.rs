//! The shop's settings: `GET /admin/settings` shows them in a form, `POST /admin/settings`
//! stores them (a 400 with the form and its messages when a value is wrong).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::domain::settings::SettingsInput;
use crate::models::now;
use crate::services::settings_admin;
use crate::web::admin::actor;
use crate::web::error::AppError;
use crate::web::flash;
use crate::web::forms::FormErrors;
use crate::web::page::{render, PageContext};
use crate::web::visit::{AdminVisit, Reply};

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    page: PageContext,
    form: SettingsInput,
    errors: FormErrors,
}

fn settings_page(
    page: PageContext,
    form: SettingsInput,
    errors: FormErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    render(status, &SettingsPage { page, form, errors })
}

/// `GET /admin/settings`.
pub async fn show(v: AdminVisit) -> Reply {
    let AdminVisit { state, page, .. } = v;
    let settings = state.settings().await?;
    settings_page(page, settings.to_input(), FormErrors::new(), StatusCode::OK)
}

/// The settings form as posted.
#[derive(Debug, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    shop_name: String,
    #[serde(default)]
    shop_address: String,
    #[serde(default)]
    vat_id: String,
    #[serde(default)]
    contact_email: String,
    #[serde(default)]
    prices_include_tax: Option<String>,
    #[serde(default)]
    discount_percent: String,
    #[serde(default)]
    discount_threshold: String,
    #[serde(default)]
    bank_transfer_details: String,
}

/// `POST /admin/settings`.
pub async fn save(v: AdminVisit, form: web::Form<SettingsForm>) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let form = form.into_inner();
    let typed = SettingsInput {
        shop_name: form.shop_name,
        shop_address: form.shop_address,
        vat_id: form.vat_id,
        contact_email: form.contact_email,
        prices_include_tax: form.prices_include_tax.is_some(),
        discount_percent: form.discount_percent,
        discount_threshold: form.discount_threshold,
        bank_transfer_details: form.bank_transfer_details,
    };
    let new = match typed.parse() {
        Ok(new) => new,
        Err(problems) => {
            let mut errors = FormErrors::new();
            for (field, message) in problems {
                errors.add(field, message);
            }
            return settings_page(page, typed, errors, StatusCode::BAD_REQUEST);
        }
    };
    let old = state.settings().await?;
    let actor = actor(&admin);
    let stored = new.clone();
    db::run(&state.pool, move |conn| {
        settings_admin::save(conn, &actor, (&old, &stored), now())
    })
    .await?;
    state.links.set_shop_name(&new.shop_name);
    state.settings.invalidate();
    log::info!("admin {} changed the shop settings", admin.0.id);
    Ok(flash::success(&req, "Settings saved.", "/admin/settings"))
}
