//! The one row of shop settings.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::settings::ShopSettings;
use crate::domain::Money;
use crate::schema::shop_settings;

/// The settings row.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = shop_settings)]
struct Row {
    id: i32,
    shop_name: String,
    shop_address: String,
    vat_id: String,
    contact_email: String,
    prices_include_tax: bool,
    discount_percent: i32,
    discount_threshold_cents: i64,
    bank_transfer_details: String,
    updated_at: NaiveDateTime,
}

impl Row {
    fn of(settings: &ShopSettings, now: NaiveDateTime) -> Row {
        Row {
            id: 1,
            shop_name: settings.shop_name.clone(),
            shop_address: settings.shop_address.clone(),
            vat_id: settings.vat_id.clone(),
            contact_email: settings.contact_email.clone(),
            prices_include_tax: settings.prices_include_tax,
            discount_percent: i32::try_from(settings.discount_percent).unwrap_or(0),
            discount_threshold_cents: settings.discount_threshold.cents(),
            bank_transfer_details: settings.bank_transfer_details.clone(),
            updated_at: now,
        }
    }

    fn settings(self) -> ShopSettings {
        ShopSettings {
            shop_name: self.shop_name,
            shop_address: self.shop_address,
            vat_id: self.vat_id,
            contact_email: self.contact_email,
            prices_include_tax: self.prices_include_tax,
            discount_percent: u32::try_from(self.discount_percent).unwrap_or(0),
            discount_threshold: Money::from_cents(self.discount_threshold_cents),
            bank_transfer_details: self.bank_transfer_details,
        }
    }
}

fn read(conn: &mut DbConn) -> QueryResult<Option<ShopSettings>> {
    Ok(shop_settings::table
        .find(1)
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(Row::settings))
}

/// The settings in force; the first read of a new shop stores `seed` (from the environment)
/// as their first value.
pub fn load_or_seed(
    conn: &mut DbConn,
    seed: &ShopSettings,
    now: NaiveDateTime,
) -> QueryResult<ShopSettings> {
    if let Some(settings) = read(conn)? {
        return Ok(settings);
    }
    let insert = diesel::insert_into(shop_settings::table).values(Row::of(seed, now));
    // Two instances reading a new shop at once: one insert wins, the other changes nothing.
    match conn {
        DbConn::Sqlite(conn) => insert.on_conflict_do_nothing().execute(conn)?,
        DbConn::Pg(conn) => insert.on_conflict_do_nothing().execute(conn)?,
    };
    Ok(read(conn)?.unwrap_or_else(|| seed.clone()))
}

/// Stores `settings`.
pub fn save(conn: &mut DbConn, settings: &ShopSettings, now: NaiveDateTime) -> QueryResult<usize> {
    let row = Row::of(settings, now);
    let updated = diesel::update(shop_settings::table.find(1))
        .set(&row)
        .execute(conn)?;
    if updated == 1 {
        return Ok(updated);
    }
    diesel::insert_into(shop_settings::table)
        .values(&row)
        .execute(conn)
}
