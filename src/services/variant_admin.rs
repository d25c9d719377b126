//! Admin changes to a product's variants: add, edit (refused when someone saved in between),
//! archive. Each is one transaction with the product locked, so the product's stock (the sum
//! of its variants') stays right beside racing checkouts, and each appends its audit entry.

use chrono::NaiveDateTime;

use crate::db::{self, DbConn};
use crate::domain::product::VariantDraft;
use crate::domain::Money;
use crate::error::{AppError, Outcome};
use crate::models::audit::Changes;
use crate::models::product::{self, Product};
use crate::models::variant::{self, Variant, VariantFields};
use crate::services::{is_unique_violation, Actor};

/// Why a variant save was refused.
#[derive(Debug, Clone)]
pub enum VariantProblem {
    /// Another product or variant has this SKU.
    SkuTaken,
    /// Another admin saved in between; this is the variant as it is now.
    Stale(Box<Variant>),
}

fn fields(draft: &VariantDraft) -> VariantFields<'_> {
    VariantFields {
        name: &draft.name,
        sku: &draft.sku,
        price_cents: draft.price.map(Money::cents),
        stock: draft.stock,
    }
}

fn price_text(cents: Option<i64>) -> String {
    cents.map_or_else(
        || "product's".to_string(),
        |c| Money::from_cents(c).to_decimal_string(),
    )
}

/// The product, locked for the rest of the transaction.
fn locked_product(conn: &mut DbConn, product_id: i32) -> Result<Product, AppError> {
    product::lock(conn, product_id)?;
    product::find(conn, product_id)?.ok_or(AppError::NotFound)
}

fn sku_taken(conn: &mut DbConn, sku: &str, own: Option<i32>) -> Result<bool, AppError> {
    Ok(product::id_by_sku(conn, sku)?.is_some()
        || variant::find_by_sku(conn, sku)?.is_some_and(|v| Some(v.id) != own))
}

/// Catches the unique index's answer to a SKU taken by a racing save.
fn sku_race<T>(saved: Outcome<T, VariantProblem>) -> Outcome<T, VariantProblem> {
    match saved {
        Err(e) if is_unique_violation(&e) => Ok(Err(VariantProblem::SkuTaken)),
        other => other,
    }
}

/// Adds a variant to product `product_id`; from now on the product is sold through its
/// variants. Returns the new variant's id.
pub fn add_variant(
    conn: &mut DbConn,
    actor: &Actor,
    product_id: i32,
    draft: &VariantDraft,
    now: NaiveDateTime,
) -> Outcome<i32, VariantProblem> {
    sku_race(db::transaction(conn, |conn| {
        locked_product(conn, product_id)?;
        if sku_taken(conn, &draft.sku, None)? {
            return Ok(Err(VariantProblem::SkuTaken));
        }
        let id = variant::insert(conn, product_id, &fields(draft), now)?;
        variant::refresh_product_stock(conn, product_id, now)?;
        let mut changes = Changes::new();
        changes
            .field("product", "", product_id)
            .field("name", "", &draft.name)
            .field("sku", "", &draft.sku)
            .field("price", "", price_text(draft.price.map(Money::cents)))
            .field("stock", "", draft.stock);
        actor.record(conn, "variant.create", ("variant", id), changes, "", now)?;
        Ok(Ok(id))
    }))
}

/// Saves a variant if it is still at `version`; returns it as it was before.
pub fn update_variant(
    conn: &mut DbConn,
    actor: &Actor,
    (product_id, variant_id): (i32, i32),
    version: i32,
    draft: &VariantDraft,
    now: NaiveDateTime,
) -> Outcome<Variant, VariantProblem> {
    sku_race(db::transaction(conn, |conn| {
        locked_product(conn, product_id)?;
        let before = variant::find(conn, product_id, variant_id)?.ok_or(AppError::NotFound)?;
        if sku_taken(conn, &draft.sku, Some(variant_id))? {
            return Ok(Err(VariantProblem::SkuTaken));
        }
        if !variant::update(conn, variant_id, version, &fields(draft), now)? {
            return Ok(Err(VariantProblem::Stale(Box::new(before))));
        }
        variant::refresh_product_stock(conn, product_id, now)?;
        let mut changes = Changes::new();
        changes
            .field("name", &before.name, &draft.name)
            .field("sku", &before.sku, &draft.sku)
            .field(
                "price",
                price_text(before.price_cents),
                price_text(draft.price.map(Money::cents)),
            )
            .field("stock", before.stock, draft.stock);
        actor.record(
            conn,
            "variant.update",
            ("variant", variant_id),
            changes,
            "",
            now,
        )?;
        Ok(Ok(before))
    }))
}

/// Takes a variant off sale; orders that name it keep it. When it was the last one on sale,
/// the product is sold as itself again, with no stock until an admin sets some.
pub fn archive_variant(
    conn: &mut DbConn,
    actor: &Actor,
    (product_id, variant_id): (i32, i32),
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        locked_product(conn, product_id)?;
        let before = variant::find(conn, product_id, variant_id)?.ok_or(AppError::NotFound)?;
        if before.archived {
            return Ok(());
        }
        variant::archive(conn, variant_id, now)?;
        if !variant::has_active(conn, product_id)? {
            product::set_stock(conn, product_id, 0, now)?;
        }
        variant::refresh_product_stock(conn, product_id, now)?;
        let mut changes = Changes::new();
        changes.field("archived", "no", "yes");
        actor.record(
            conn,
            "variant.archive",
            ("variant", variant_id),
            changes,
            "",
            now,
        )
    })
}
