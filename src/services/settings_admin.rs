//! An admin changing the shop's settings: stored with one audit row naming each field that
//! changed, in one transaction.

use chrono::NaiveDateTime;

use crate::db::{self, DbConn};
use crate::domain::settings::ShopSettings;
use crate::error::AppError;
use crate::models::audit::Changes;
use crate::models::settings;
use crate::services::Actor;

/// Stores `new` in place of `old`, audited as `settings.update` with each changed field.
pub fn save(
    conn: &mut DbConn,
    actor: &Actor,
    (old, new): (&ShopSettings, &ShopSettings),
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        settings::save(conn, new, now)?;
        let (before, after) = (old.to_input(), new.to_input());
        let mut changes = Changes::new();
        let pairs = [
            ("shop_name", &before.shop_name, &after.shop_name),
            ("shop_address", &before.shop_address, &after.shop_address),
            ("vat_id", &before.vat_id, &after.vat_id),
            ("contact_email", &before.contact_email, &after.contact_email),
            (
                "discount_percent",
                &before.discount_percent,
                &after.discount_percent,
            ),
            (
                "discount_threshold",
                &before.discount_threshold,
                &after.discount_threshold,
            ),
            (
                "bank_transfer_details",
                &before.bank_transfer_details,
                &after.bank_transfer_details,
            ),
        ];
        for (field, was, is) in pairs {
            if was != is {
                changes.field(field, was, is);
            }
        }
        if old.prices_include_tax != new.prices_include_tax {
            let on_off = |b: bool| if b { "on" } else { "off" };
            changes.field(
                "prices_include_tax",
                on_off(old.prices_include_tax),
                on_off(new.prices_include_tax),
            );
        }
        actor.record(conn, "settings.update", ("settings", 1), changes, "", now)
    })
}
