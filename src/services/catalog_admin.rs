//! Admin changes to the catalogue: products, categories and CSV imports. Each write is one
//! transaction that also appends its audit entry: who, what, and the fields before and after.

use chrono::NaiveDateTime;
use diesel::result::Error as DieselError;

use crate::db::{self, DbConn};
use crate::domain::category_tree::TreeProblem;
use crate::domain::product::{ProductDraft, VariantDraft};
use crate::domain::slug::Slug;
use crate::domain::{Money, ProductStatus};
use crate::error::{AppError, Outcome};
use crate::models::audit::Changes;
use crate::models::category::{self, NewCategory};
use crate::models::photo;
use crate::models::product::{self, NewProduct, Product, ProductValues};
use crate::models::variant::{self, VariantFields};
use crate::services::photos::{self, Processed};
use crate::services::{is_unique_violation, Actor};

/// Why a product save was refused.
#[derive(Debug, Clone)]
pub enum SaveProblem {
    /// The chosen category does not exist.
    UnknownCategory,
    /// Another admin saved in between; this is the product as it is now.
    Stale(Box<Product>),
    /// Another product has this SKU.
    SkuTaken,
    /// A photo was sent for a product that has [`photos::MAX_PHOTOS`] already.
    TooManyPhotos,
}

/// A description as the audit shows it: short enough to read, marked when cut.
fn gist(text: &str) -> String {
    const SHOWN: usize = 80;
    if text.chars().count() <= SHOWN {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(SHOWN).collect::<String>())
    }
}

fn category_slug(conn: &mut DbConn, id: i32) -> Result<Option<String>, AppError> {
    Ok(category::find(conn, id)?.map(|c| c.slug))
}

/// Whether another product than `own` has the draft's SKU.
fn sku_taken(conn: &mut DbConn, draft: &ProductDraft, own: Option<i32>) -> Result<bool, AppError> {
    Ok(match draft.sku.as_deref() {
        Some(sku) => {
            product::id_by_sku(conn, sku)?.is_some_and(|other| Some(other) != own)
                || variant::find_by_sku(conn, sku)?.is_some()
        }
        None => false,
    })
}

/// Creates a product (on sale) from a checked draft.
pub fn create_product(
    conn: &mut DbConn,
    actor: &Actor,
    draft: &ProductDraft,
    photo: Option<&Processed>,
    now: NaiveDateTime,
) -> Outcome<i32, SaveProblem> {
    let made = db::transaction(conn, |conn| {
        if sku_taken(conn, draft, None)? {
            return Ok(Err(SaveProblem::SkuTaken));
        }
        let Some(slug) = category_slug(conn, draft.category_id)? else {
            return Ok(Err(SaveProblem::UnknownCategory));
        };
        let id = product::insert(
            conn,
            &NewProduct {
                category_id: draft.category_id,
                name: &draft.name,
                description: &draft.description,
                price_cents: draft.price.cents(),
                stock: draft.stock,
                status: ProductStatus::Active.as_str(),
                image: None,
                tax_class: draft.tax_class.as_str(),
                sku: draft.sku.as_deref(),
                created_at: now,
                updated_at: now,
            },
        )?;
        let mut changes = Changes::new();
        changes
            .field("name", "", &draft.name)
            .field("category", "", slug)
            .field("price", "", draft.price.to_decimal_string())
            .field("stock", "", draft.stock)
            .field("tax_class", "", draft.tax_class)
            .field("description", "", gist(&draft.description));
        actor.record(conn, "product.create", ("product", id), changes, "", now)?;
        if let Some(processed) = photo {
            if photos::add(conn, actor, id, &draft.name, processed, now)?.is_err() {
                return Ok(Err(SaveProblem::TooManyPhotos));
            }
        }
        Ok(Ok(id))
    });
    match made {
        Err(e) if is_unique_violation(&e) => Ok(Err(SaveProblem::SkuTaken)),
        other => other,
    }
}

/// Saves a product if it is still at `version`, adding `photo` (its alt text the product's
/// name) after its others. Returns the product as it was before.
#[allow(clippy::too_many_arguments)]
pub fn update_product(
    conn: &mut DbConn,
    actor: &Actor,
    id: i32,
    version: i32,
    draft: &ProductDraft,
    photo: Option<&Processed>,
    stock_note: &str,
    now: NaiveDateTime,
) -> Outcome<Product, SaveProblem> {
    let saved = db::transaction(conn, |conn| {
        let before = product::find(conn, id)?.ok_or(AppError::NotFound)?;
        if sku_taken(conn, draft, Some(id))? {
            return Ok(Err(SaveProblem::SkuTaken));
        }
        let Some(new_slug) = category_slug(conn, draft.category_id)? else {
            return Ok(Err(SaveProblem::UnknownCategory));
        };
        let values = ProductValues {
            category_id: draft.category_id,
            name: &draft.name,
            description: &draft.description,
            price_cents: draft.price.cents(),
            stock: draft.stock,
            tax_class: draft.tax_class.as_str(),
            sku: draft.sku.as_deref(),
        };
        if photo.is_some() && photo::count(conn, id)? >= photos::MAX_PHOTOS {
            return Ok(Err(SaveProblem::TooManyPhotos));
        }
        if !product::update_versioned(conn, id, version, values, None, now)? {
            return Ok(Err(SaveProblem::Stale(Box::new(before))));
        }
        // Sold through variants: the stock is theirs, whatever the form said.
        variant::refresh_product_stock(conn, id, now)?;
        let old_slug = category_slug(conn, before.category_id)?.unwrap_or_default();
        let mut changes = Changes::new();
        changes
            .field("name", &before.name, &draft.name)
            .field("category", old_slug, new_slug)
            .field(
                "price",
                Money::from_cents(before.price_cents).to_decimal_string(),
                draft.price.to_decimal_string(),
            )
            .field("stock", before.stock, draft.stock)
            .field("tax_class", before.tax_class, draft.tax_class)
            .field(
                "description",
                gist(&before.description),
                gist(&draft.description),
            );
        let note = if changes.touches("stock") {
            stock_note.trim()
        } else {
            ""
        };
        actor.record(conn, "product.update", ("product", id), changes, note, now)?;
        if let Some(processed) = photo {
            // Counted above; a photo added meanwhile by another admin leaves this one out.
            if photos::add(conn, actor, id, &draft.name, processed, now)?.is_err() {
                return Ok(Err(SaveProblem::TooManyPhotos));
            }
        }
        Ok(Ok(before))
    });
    match saved {
        Err(e) if is_unique_violation(&e) => Ok(Err(SaveProblem::SkuTaken)),
        other => other,
    }
}

/// Takes a product off sale or puts it back.
pub fn set_product_status(
    conn: &mut DbConn,
    actor: &Actor,
    id: i32,
    status: ProductStatus,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        let before = product::find(conn, id)?.ok_or(AppError::NotFound)?;
        if before.status == status {
            return Ok(());
        }
        product::set_status(conn, id, status, now)?;
        let mut changes = Changes::new();
        changes.field("status", before.status.as_str(), status.as_str());
        let action = match status {
            ProductStatus::Archived => "product.archive",
            ProductStatus::Active => "product.unarchive",
        };
        actor.record(conn, action, ("product", id), changes, "", now)
    })
}

/// Why a category change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CategoryProblem {
    /// Another category has this slug.
    SlugTaken,
    /// It still holds this many products.
    HasProducts(i64),
    /// It still holds this many categories.
    HasChildren(i64),
    /// The parent chosen would make a cycle or too deep a tree.
    Parent(TreeProblem),
}

/// Checks `parent` for category `id` (`None`: a new one) against the tree as it is, with
/// every category row locked until the transaction ends.
fn check_parent(
    conn: &mut DbConn,
    id: Option<i32>,
    parent: Option<i32>,
) -> Result<Result<(), TreeProblem>, AppError> {
    category::lock_all(conn)?;
    let rows = category::tree_rows(conn)?;
    Ok(category::tree_of(&rows).check_parent(id, parent))
}

fn parent_slug(conn: &mut DbConn, parent: Option<i32>) -> Result<String, AppError> {
    Ok(match parent {
        Some(id) => category_slug(conn, id)?.unwrap_or_default(),
        None => String::new(),
    })
}

/// Creates a category.
pub fn create_category(
    conn: &mut DbConn,
    actor: &Actor,
    (slug, name, description): (&Slug, &str, &str),
    parent: Option<i32>,
    now: NaiveDateTime,
) -> Outcome<i32, CategoryProblem> {
    let created = db::transaction(conn, |conn| {
        if let Err(problem) = check_parent(conn, None, parent)? {
            return Ok(Err(CategoryProblem::Parent(problem)));
        }
        let id = category::insert(
            conn,
            &NewCategory {
                slug: slug.as_str(),
                name,
                description,
                created_at: now,
                updated_at: now,
                parent_id: parent,
            },
        )?;
        let mut changes = Changes::new();
        changes
            .field("name", "", name)
            .field("slug", "", slug.as_str())
            .field("description", "", gist(description))
            .field("parent", "", parent_slug(conn, parent)?);
        actor.record(conn, "category.create", ("category", id), changes, "", now)?;
        Ok(Ok(id))
    });
    match created {
        Err(e) if is_unique_violation(&e) => Ok(Err(CategoryProblem::SlugTaken)),
        other => other,
    }
}

/// Changes a category.
pub fn update_category(
    conn: &mut DbConn,
    actor: &Actor,
    id: i32,
    (slug, name, description): (&Slug, &str, &str),
    parent: Option<i32>,
    now: NaiveDateTime,
) -> Outcome<(), CategoryProblem> {
    let updated = db::transaction(conn, |conn| {
        let before = category::find(conn, id)?.ok_or(AppError::NotFound)?;
        if let Err(problem) = check_parent(conn, Some(id), parent)? {
            return Ok(Err(CategoryProblem::Parent(problem)));
        }
        category::update(conn, id, (slug.as_str(), name, description), parent, now)?;
        let mut changes = Changes::new();
        changes
            .field("name", &before.name, name)
            .field("slug", &before.slug, slug.as_str())
            .field("description", gist(&before.description), gist(description))
            .field(
                "parent",
                parent_slug(conn, before.parent_id)?,
                parent_slug(conn, parent)?,
            );
        actor.record(conn, "category.update", ("category", id), changes, "", now)?;
        Ok(Ok(()))
    });
    match updated {
        Err(e) if is_unique_violation(&e) => Ok(Err(CategoryProblem::SlugTaken)),
        other => other,
    }
}

/// Deletes a category that holds no products.
pub fn delete_category(
    conn: &mut DbConn,
    actor: &Actor,
    id: i32,
    now: NaiveDateTime,
) -> Outcome<(), CategoryProblem> {
    db::transaction(conn, |conn| {
        let before = category::find(conn, id)?.ok_or(AppError::NotFound)?;
        category::lock_all(conn)?;
        let children = category::child_count(conn, id)?;
        if children > 0 {
            return Ok(Err(CategoryProblem::HasChildren(children)));
        }
        let products = category::product_count(conn, id)?;
        if products > 0 {
            return Ok(Err(CategoryProblem::HasProducts(products)));
        }
        category::delete(conn, id)?;
        let mut changes = Changes::new();
        changes
            .field("name", &before.name, "")
            .field("slug", &before.slug, "");
        actor.record(conn, "category.delete", ("category", id), changes, "", now)?;
        Ok(Ok(()))
    })
}

/// One checked row of a CSV import.
#[derive(Debug, Clone)]
pub struct ImportRow {
    /// The line it came from, for messages.
    pub line: u64,
    /// The product to update, or `None` to create one.
    pub id: Option<i32>,
    /// Its values.
    pub draft: ProductDraft,
    /// On sale or not.
    pub status: ProductStatus,
}

/// A checked CSV row of one variant: matched by its SKU, or added to product `product_id`.
#[derive(Debug, Clone)]
pub struct VariantImportRow {
    /// The line it came from, for messages.
    pub line: u64,
    /// The product it belongs to (needed for a new variant).
    pub product_id: Option<i32>,
    /// Its values.
    pub draft: VariantDraft,
}

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportSummary {
    /// New products.
    pub created: usize,
    /// Products changed.
    pub updated: usize,
    /// Variants added or changed.
    pub variants: usize,
}

/// Why an import wrote nothing.
enum ImportFailure {
    /// These rows (line, why) cannot be written; the transaction is rolled back.
    Rows(Vec<(u64, String)>),
    /// Something else went wrong.
    Error(AppError),
}

impl From<AppError> for ImportFailure {
    fn from(e: AppError) -> ImportFailure {
        ImportFailure::Error(e)
    }
}

impl From<DieselError> for ImportFailure {
    fn from(e: DieselError) -> ImportFailure {
        ImportFailure::Error(e.into())
    }
}

/// Applies every row in one transaction, or none: `Err` lists the rows that cannot be
/// written, by line — a product that does not exist (checked before anything is written), or
/// one saved by someone else while the import ran (the whole import is rolled back).
pub fn import_products(
    conn: &mut DbConn,
    actor: &Actor,
    (rows, variant_rows): (&[ImportRow], &[VariantImportRow]),
    now: NaiveDateTime,
) -> Outcome<ImportSummary, Vec<(u64, String)>> {
    let applied = db::transaction(conn, |conn| {
        let mut summary = apply_import(conn, actor, rows, now)?;
        summary.variants = apply_variant_import(conn, actor, variant_rows, now)?;
        Ok(summary)
    });
    match applied {
        Ok(summary) => Ok(Ok(summary)),
        Err(ImportFailure::Rows(rows)) => Ok(Err(rows)),
        Err(ImportFailure::Error(e)) => Err(e),
    }
}

fn apply_import(
    conn: &mut DbConn,
    actor: &Actor,
    rows: &[ImportRow],
    now: NaiveDateTime,
) -> Result<ImportSummary, ImportFailure> {
    let mut missing = Vec::new();
    let mut resolved: Vec<Option<i32>> = Vec::with_capacity(rows.len());
    let mut seen_skus: Vec<&str> = Vec::new();
    for row in rows {
        if let Some(id) = row.id {
            if product::find(conn, id)?.is_none() {
                missing.push((row.line, format!("There is no product with id {id}.")));
            }
        }
        // A row without an id updates the product with its SKU, if there is one.
        let owner = match row.draft.sku.as_deref() {
            Some(sku) => {
                if seen_skus.contains(&sku) {
                    missing.push((row.line, format!("sku: {sku:?} is on an earlier row too.")));
                }
                seen_skus.push(sku);
                product::id_by_sku(conn, sku)?
            }
            None => None,
        };
        match (row.id, owner) {
            (Some(id), Some(other)) if id != other => missing.push((
                row.line,
                format!("sku: product {other} already has this SKU."),
            )),
            _ => {}
        }
        resolved.push(row.id.or(owner));
    }
    if !missing.is_empty() {
        return Err(ImportFailure::Rows(missing));
    }
    let mut summary = ImportSummary::default();
    for (row, target) in rows.iter().zip(resolved) {
        let slug = category_slug(conn, row.draft.category_id)?.ok_or(AppError::NotFound)?;
        let (id, changes) = match target {
            None => {
                let id = product::insert(
                    conn,
                    &NewProduct {
                        category_id: row.draft.category_id,
                        name: &row.draft.name,
                        description: &row.draft.description,
                        price_cents: row.draft.price.cents(),
                        stock: row.draft.stock,
                        status: row.status.as_str(),
                        image: None,
                        tax_class: row.draft.tax_class.as_str(),
                        sku: row.draft.sku.as_deref(),
                        created_at: now,
                        updated_at: now,
                    },
                )?;
                let mut changes = Changes::new();
                changes
                    .field("name", "", &row.draft.name)
                    .field("category", "", &slug)
                    .field("price", "", row.draft.price.to_decimal_string())
                    .field("stock", "", row.draft.stock)
                    .field("status", "", row.status.as_str());
                summary.created += 1;
                (id, changes)
            }
            Some(id) => {
                let before = product::find(conn, id)?.ok_or(AppError::NotFound)?;
                let old_slug = category_slug(conn, before.category_id)?.unwrap_or_default();
                let values = ProductValues {
                    category_id: row.draft.category_id,
                    name: &row.draft.name,
                    description: &row.draft.description,
                    price_cents: row.draft.price.cents(),
                    stock: row.draft.stock,
                    tax_class: row.draft.tax_class.as_str(),
                    sku: row.draft.sku.as_deref(),
                };
                // An import overwrites whatever is stored: it saves from the version it
                // just read. A save in between means the row cannot be written as read.
                if !product::update_versioned(conn, id, before.version, values, None, now)? {
                    return Err(ImportFailure::Rows(vec![(
                            row.line,
                            format!(
                                "Product {id} was saved by someone else while this file was being imported, so nothing was imported. Import the file again."
                            ),
                        )]));
                }
                if before.status != row.status {
                    product::set_status(conn, id, row.status, now)?;
                }
                // Sold through variants: the stock is theirs, whatever the row said.
                variant::refresh_product_stock(conn, id, now)?;
                let mut changes = Changes::new();
                changes
                    .field("name", &before.name, &row.draft.name)
                    .field("category", old_slug, &slug)
                    .field(
                        "price",
                        Money::from_cents(before.price_cents).to_decimal_string(),
                        row.draft.price.to_decimal_string(),
                    )
                    .field("stock", before.stock, row.draft.stock)
                    .field("status", before.status.as_str(), row.status.as_str())
                    .field(
                        "description",
                        gist(&before.description),
                        gist(&row.draft.description),
                    );
                summary.updated += 1;
                (id, changes)
            }
        };
        if !changes.is_empty() {
            actor.record(
                conn,
                "product.import",
                ("product", id),
                changes,
                "CSV import",
                now,
            )?;
        }
    }
    Ok(summary)
}

/// Applies the variant rows of an import (after its product rows): a known SKU updates its
/// variant, a new one is added to the row's product. Any bad row fails the whole import.
fn apply_variant_import(
    conn: &mut DbConn,
    actor: &Actor,
    rows: &[VariantImportRow],
    now: NaiveDateTime,
) -> Result<usize, ImportFailure> {
    let mut problems = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for row in rows {
        let sku = row.draft.sku.as_str();
        if seen.contains(&sku) {
            problems.push((row.line, format!("sku: {sku:?} is on an earlier row too.")));
            continue;
        }
        seen.push(sku);
        let fields = VariantFields {
            name: &row.draft.name,
            sku,
            price_cents: row.draft.price.map(Money::cents),
            stock: row.draft.stock,
        };
        let (product_id, action, id, changes) = match variant::find_by_sku(conn, sku)? {
            Some(found) if row.product_id.is_some_and(|p| p != found.product_id) => {
                problems.push((
                    row.line,
                    format!("sku: {sku:?} is a variant of product {}.", found.product_id),
                ));
                continue;
            }
            Some(found) => {
                product::lock(conn, found.product_id)?;
                if !variant::update(conn, found.id, found.version, &fields, now)? {
                    problems.push((row.line, format!("Variant {sku} was saved by someone else while this file was being imported, so nothing was imported. Import the file again.")));
                    continue;
                }
                let mut changes = Changes::new();
                changes.field("name", &found.name, &row.draft.name).field(
                    "stock",
                    found.stock,
                    row.draft.stock,
                );
                (found.product_id, "variant.import", found.id, changes)
            }
            None => {
                let Some(product_id) = row.product_id else {
                    problems.push((
                        row.line,
                        "id: a new variant needs the id of its product.".to_string(),
                    ));
                    continue;
                };
                if product::find(conn, product_id)?.is_none() {
                    problems.push((
                        row.line,
                        format!("There is no product with id {product_id}."),
                    ));
                    continue;
                }
                if product::id_by_sku(conn, sku)?.is_some() {
                    problems.push((row.line, format!("sku: a product has the SKU {sku:?}.")));
                    continue;
                }
                product::lock(conn, product_id)?;
                let id = variant::insert(conn, product_id, &fields, now)?;
                let mut changes = Changes::new();
                changes
                    .field("product", "", product_id)
                    .field("name", "", &row.draft.name)
                    .field("sku", "", sku)
                    .field("stock", "", row.draft.stock);
                (product_id, "variant.import", id, changes)
            }
        };
        variant::refresh_product_stock(conn, product_id, now)?;
        if !changes.is_empty() {
            actor.record(conn, action, ("variant", id), changes, "CSV import", now)?;
        }
    }
    if problems.is_empty() {
        Ok(rows.len())
    } else {
        Err(ImportFailure::Rows(problems))
    }
}
