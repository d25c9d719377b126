//! A product's variants on its admin edit page: `POST /admin/products/{id}/variants` adds one,
//! `…/variants/{variant_id}` saves one (409 with what is stored now when someone saved in
//! between), `…/variants/{variant_id}/archive` takes one off sale.

use actix_web::http::StatusCode;
use actix_web::web;
use serde::Deserialize;

use crate::db;
use crate::domain::product::VariantDraft;
use crate::domain::Money;
use crate::models::now;
use crate::models::variant::Variant;
use crate::services::variant_admin::{self, VariantProblem};
use crate::web::admin::actor;
use crate::web::admin::products::{edit_page, Sections};
use crate::web::flash;
use crate::web::forms::FormErrors;
use crate::web::visit::{path_id, AdminAction, AdminVisit, Reply};

/// What a variant form's fields hold.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VariantValues {
    /// "Size M / Blue".
    #[serde(default)]
    pub name: String,
    /// Its SKU.
    #[serde(default)]
    pub sku: String,
    /// Its own price, blank for the product's.
    #[serde(default)]
    pub price: String,
    /// Items on hand.
    #[serde(default)]
    pub stock: String,
}

impl VariantValues {
    fn of(v: &Variant) -> VariantValues {
        VariantValues {
            name: v.name.clone(),
            sku: v.sku.clone(),
            price: v
                .price_cents
                .map(|c| Money::from_cents(c).to_decimal_string())
                .unwrap_or_default(),
            stock: v.stock.to_string(),
        }
    }

    fn draft(&self) -> Result<VariantDraft, FormErrors> {
        VariantDraft::parse(&self.name, &self.sku, &self.price, &self.stock).map_err(|problems| {
            let mut errors = FormErrors::new();
            for (field, message) in problems {
                errors.add(field, message);
            }
            errors
        })
    }
}

/// One variant on the edit page, with its form.
pub struct VariantRow {
    /// The variant's id.
    pub id: i32,
    /// Off sale (listed, not editable).
    pub archived: bool,
    /// The version its form saves from.
    pub version: i32,
    /// What its form holds.
    pub values: VariantValues,
    /// Its form's messages.
    pub errors: FormErrors,
    /// After a conflict: what is stored now.
    pub stored: Option<VariantValues>,
}

/// The variants part of a product's edit page.
#[derive(Default)]
pub struct VariantSection {
    /// Every variant, oldest first.
    pub rows: Vec<VariantRow>,
    /// The add form's fields.
    pub new: VariantValues,
    /// The add form's messages.
    pub new_errors: FormErrors,
}

impl VariantSection {
    /// The section as stored.
    pub fn of(variants: &[Variant]) -> VariantSection {
        VariantSection {
            rows: variants
                .iter()
                .map(|v| VariantRow {
                    id: v.id,
                    archived: v.archived,
                    version: v.version,
                    values: VariantValues::of(v),
                    errors: FormErrors::new(),
                    stored: None,
                })
                .collect(),
            ..VariantSection::default()
        }
    }

    /// Whether the product is sold through variants.
    pub fn any_on_sale(&self) -> bool {
        self.rows.iter().any(|r| !r.archived)
    }

    fn row(&mut self, id: i32) -> Option<&mut VariantRow> {
        self.rows.iter_mut().find(|r| r.id == id)
    }
}

const SKU_TAKEN: &str = "Another product or variant has this SKU: SKUs are unique in the shop.";

/// Why a variant form was refused: the messages, the variant as stored now (after a
/// conflict), and the status to answer with.
struct Refusal {
    errors: FormErrors,
    stored: Option<Variant>,
    status: StatusCode,
}

impl Refusal {
    fn bad(errors: FormErrors) -> Refusal {
        Refusal {
            errors,
            stored: None,
            status: StatusCode::BAD_REQUEST,
        }
    }

    fn one(field: &'static str, message: &str) -> Refusal {
        let mut errors = FormErrors::new();
        errors.add(field, message);
        Refusal::bad(errors)
    }
}

/// `POST /admin/products/{id}/variants`: adds a variant (`name`, `sku`, `price` blank for the
/// product's, `stock`).
pub async fn create(v: AdminVisit, id: web::Path<String>, form: web::Form<VariantValues>) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let product_id = path_id(&id)?;
    let typed = form.into_inner();
    let refusal = match typed.draft() {
        Err(errors) => Refusal::bad(errors),
        Ok(draft) => {
            let actor = actor(&admin);
            let added = db::run(&state.pool, move |conn| {
                variant_admin::add_variant(conn, &actor, product_id, &draft, now())
            })
            .await?;
            match added {
                Ok(_) => {
                    return Ok(flash::success(
                        &req,
                        "The variant is added; the product is now sold through its variants.",
                        &format!("/admin/products/{product_id}/edit#variants"),
                    ))
                }
                Err(_) => Refusal::one("sku", SKU_TAKEN),
            }
        }
    };
    let show_typed = move |sections: &mut Sections| {
        sections.variants.new = typed;
        sections.variants.new_errors = refusal.errors;
    };
    edit_page(&state, page, product_id, show_typed, refusal.status).await
}

/// A variant form as posted: its fields and the version it was shown at.
#[derive(Debug, Deserialize)]
pub struct VariantUpdate {
    #[serde(flatten)]
    values: VariantValues,
    #[serde(default)]
    version: String,
}

/// `POST /admin/products/{id}/variants/{variant_id}`: saves a variant, if nobody saved it
/// since the form was shown.
pub async fn update(
    v: AdminVisit,
    path: web::Path<(String, String)>,
    form: web::Form<VariantUpdate>,
) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let (product_id, variant_id) = (path_id(&path.0)?, path_id(&path.1)?);
    let VariantUpdate { values, version } = form.into_inner();
    let refusal = match (version.trim().parse::<i32>(), values.draft()) {
        (Err(_), _) => Refusal::one("form", "This form has no version: save from the edit page."),
        (_, Err(errors)) => Refusal::bad(errors),
        (Ok(version), Ok(draft)) => {
            let actor = actor(&admin);
            let saved = db::run(&state.pool, move |conn| {
                let ids = (product_id, variant_id);
                variant_admin::update_variant(conn, &actor, ids, version, &draft, now())
            })
            .await?;
            match saved {
                Ok(_) => {
                    return Ok(flash::success(
                        &req,
                        "The variant is saved.",
                        &format!("/admin/products/{product_id}/edit#variants"),
                    ))
                }
                Err(VariantProblem::SkuTaken) => Refusal::one("sku", SKU_TAKEN),
                Err(VariantProblem::Stale(now_stored)) => Refusal {
                    stored: Some(*now_stored),
                    status: StatusCode::CONFLICT,
                    ..Refusal::one(
                        "form",
                        "Someone else saved this variant while you were editing it. Nothing was changed: compare what is stored now with what you typed, then save again.",
                    )
                },
            }
        }
    };
    let show_typed = move |sections: &mut Sections| {
        if let Some(row) = sections.variants.row(variant_id) {
            row.values = values;
            row.errors = refusal.errors;
            if let Some(stored) = refusal.stored {
                row.version = stored.version;
                row.stored = Some(VariantValues::of(&stored));
            }
        }
    };
    edit_page(&state, page, product_id, show_typed, refusal.status).await
}

/// `POST /admin/products/{id}/variants/{variant_id}/archive`: takes a variant off sale.
pub async fn archive(v: AdminAction, path: web::Path<(String, String)>) -> Reply {
    let AdminAction { req, state, admin } = v;
    let (product_id, variant_id) = (path_id(&path.0)?, path_id(&path.1)?);
    let actor = actor(&admin);
    db::run(&state.pool, move |conn| {
        variant_admin::archive_variant(conn, &actor, (product_id, variant_id), now())
    })
    .await?;
    Ok(flash::success(
        &req,
        "The variant is archived: it is no longer sold, and orders keep their copy.",
        &format!("/admin/products/{product_id}/edit#variants"),
    ))
}
