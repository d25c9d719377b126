//! Admins' shipping methods and tax rates, each change with its audit row in one transaction.

use chrono::NaiveDateTime;

use crate::db::{self, DbConn};
use crate::domain::tax::CountryRates;
use crate::error::AppError;
use crate::models::audit::Changes;
use crate::models::shipping::{self, MethodFields};
use crate::models::tax_rate;
use crate::services::Actor;

fn describe(fields: &MethodFields<'_>) -> String {
    let free = fields
        .free_above_cents
        .map_or(String::new(), |f| format!(", free above {f}"));
    format!(
        "{} to {} for {}{free}",
        fields.name, fields.countries, fields.price_cents
    )
}

/// Adds a shipping method; its id.
pub fn create_method(
    conn: &mut DbConn,
    actor: &Actor,
    fields: &MethodFields<'_>,
    now: NaiveDateTime,
) -> Result<i32, AppError> {
    db::transaction(conn, |conn| {
        let id = shipping::insert(conn, fields, now)?;
        let mut changes = Changes::new();
        changes.field("method", "", describe(fields));
        actor.record(
            conn,
            "shipping.create",
            ("shipping_method", id),
            changes,
            "",
            now,
        )?;
        Ok(id)
    })
}

/// Changes shipping method `id`; `NotFound` when there is none.
pub fn update_method(
    conn: &mut DbConn,
    actor: &Actor,
    id: i32,
    fields: &MethodFields<'_>,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        let old = shipping::find(conn, id)?.ok_or(AppError::NotFound)?;
        shipping::update(conn, id, fields)?;
        let before = MethodFields {
            name: &old.name,
            countries: &old.countries,
            price_cents: old.price_cents,
            free_above_cents: old.free_above_cents,
            updated_at: now,
        };
        let mut changes = Changes::new();
        changes.field("method", describe(&before), describe(fields));
        actor.record(
            conn,
            "shipping.update",
            ("shipping_method", id),
            changes,
            "",
            now,
        )
    })
}

/// Removes shipping method `id`; `NotFound` when there is none.
pub fn delete_method(
    conn: &mut DbConn,
    actor: &Actor,
    id: i32,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        let old = shipping::find(conn, id)?.ok_or(AppError::NotFound)?;
        shipping::delete(conn, id)?;
        let mut changes = Changes::new();
        changes.field("method", &old.name, "");
        actor.record(
            conn,
            "shipping.delete",
            ("shipping_method", id),
            changes,
            "",
            now,
        )
    })
}

/// Sets the tax rates of `country`.
pub fn set_rates(
    conn: &mut DbConn,
    actor: &Actor,
    country: &str,
    rates: CountryRates,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        let old = tax_rate::find(conn, country)?.map(|t| t.rates());
        tax_rate::set(conn, country, rates, now)?;
        let shown = |r: Option<CountryRates>| {
            r.map_or(String::new(), |r| {
                format!("{} / {}", r.standard.display(), r.reduced.display())
            })
        };
        let mut changes = Changes::new();
        changes.field(country, shown(old), shown(Some(rates)));
        actor.record(conn, "tax.set", ("tax_rate", 0), changes, country, now)
    })
}

/// Removes the tax rates of `country`; `NotFound` when it had none.
pub fn delete_rates(
    conn: &mut DbConn,
    actor: &Actor,
    country: &str,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        if !tax_rate::delete(conn, country)? {
            return Err(AppError::NotFound);
        }
        let mut changes = Changes::new();
        changes.field(country, "rates", "");
        actor.record(conn, "tax.delete", ("tax_rate", 0), changes, country, now)
    })
}
