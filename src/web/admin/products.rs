//! Products in the admin area: the list (search, filters, sort, 50 a page), the form to
//! create and edit (multipart, with an optional image), archive and unarchive.
//!
//! The edit form carries the row's version: a save made from an older version is refused
//! with 409 and the form shows what is stored now beside what was typed.

use actix_multipart::form::{bytes::Bytes as UploadBytes, text::Text, MultipartForm};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::domain::product::{parse_sku, parse_tax_class, ImageKind, ProductDraft};
use crate::domain::tax::TaxClass;
use crate::domain::{Money, PageNumber, Pagination, ProductStatus};
use crate::models::category::{self, CategoryLink};
use crate::models::photo;
use crate::models::product::{self, AdminFilter, AdminProductRow, AdminSort, Product};
use crate::models::{now, variant};
use crate::services::catalog_admin::{self, SaveProblem};
use crate::services::photos::Processed;
use crate::web::admin::photos::PhotoSection;
use crate::web::admin::variants::VariantSection;
use crate::web::admin::{actor, choice, list_url, read_page};
use crate::web::auth::AdminUser;
use crate::web::csrf::{read_multipart, CarriesToken};
use crate::web::error::AppError;
use crate::web::flash::{self};
use crate::web::forms::FormErrors;
use crate::web::page::{render, PageContext};
use crate::web::pagination::PageLinks;
use crate::web::state::AppState;
use crate::web::uploads::{self, ImageProblem};
use crate::web::visit::{path_id, AdminAction, AdminVisit, Reply};

// ---------------------------------------------------------------- the list

/// The list's query string.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    category: Option<String>,
    status: Option<String>,
    sort: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/products.html")]
struct ListPage {
    page: PageContext,
    rows: Vec<AdminProductRow>,
    pagination: Pagination,
    categories: Vec<CategoryLink>,
    q: String,
    category: Option<i32>,
    status: String,
    sort: AdminSort,
    sorts: [AdminSort; 4],
    links: PageLinks,
}

impl ListPage {
    fn category_selected(&self, id: &i32) -> bool {
        self.category == Some(*id)
    }

    fn sort_selected(&self, sort: &AdminSort) -> bool {
        self.sort == *sort
    }
}

/// `GET /admin/products`.
pub async fn list(v: AdminVisit, query: web::Query<ListQuery>) -> Reply {
    let AdminVisit { state, page, .. } = v;
    let query = query.into_inner();
    let q = query.q.unwrap_or_default().trim().to_string();
    let category = match query
        .category
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        None => None,
        Some(c) => Some(
            c.parse::<i32>()
                .map_err(|_| AppError::BadRequest("Unknown category.".into()))?,
        ),
    };
    let status_text = query.status.unwrap_or_default();
    let status = choice(
        &status_text,
        ProductStatus::parse,
        "Status is active, archived or all.",
    )?;
    let sort = match query.sort.as_deref().unwrap_or("") {
        "" => AdminSort::Updated,
        s => AdminSort::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| AppError::BadRequest("Sort by name, price, stock or updated.".into()))?,
    };
    let number = PageNumber::parse(query.page.as_deref())?;
    let filter = AdminFilter {
        name: (!q.is_empty()).then(|| q.clone()),
        category_id: category,
        status,
    };
    let ((rows, categories), pagination) = read_page(&state, number, move |conn, window| {
        let (rows, total) = product::admin_page(conn, &filter, sort, window)?;
        Ok(((rows, category::all_links(conn)?), total))
    })
    .await?;
    let category_text = category.map(|c| c.to_string()).unwrap_or_default();
    let params = [
        ("q", q.as_str()),
        ("category", category_text.as_str()),
        ("status", status_text.as_str()),
        (
            "sort",
            if query.sort.is_some() {
                sort.as_str()
            } else {
                ""
            },
        ),
    ];
    render(
        StatusCode::OK,
        &ListPage {
            page,
            links: PageLinks::new(&pagination, |n| list_url("/admin/products", &params, n)),
            rows,
            pagination,
            categories,
            q,
            category,
            status: status_text,
            sort,
            sorts: AdminSort::ALL,
        },
    )
}

// ---------------------------------------------------------------- the form

/// What the form says when a photo would be one too many.
const TOO_MANY_PHOTOS: &str =
    "This product has 8 photos already: remove one below before adding another.";

/// What the form says when another product has the SKU typed.
const SKU_TAKEN: &str = "Another product has this SKU: SKUs are unique in the shop.";

/// What the form's fields hold.
#[derive(Debug, Clone, Default)]
struct Values {
    name: String,
    description: String,
    price: String,
    stock: String,
    category_id: String,
    stock_note: String,
    tax_class: String,
    sku: String,
}

impl Values {
    fn of(product: &Product) -> Values {
        Values {
            name: product.name.clone(),
            description: product.description.clone(),
            price: Money::from_cents(product.price_cents).to_decimal_string(),
            stock: product.stock.to_string(),
            category_id: product.category_id.to_string(),
            tax_class: product.tax_class.as_str().to_string(),
            sku: product.sku.clone().unwrap_or_default(),
            stock_note: String::new(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/product_form.html")]
struct FormPage {
    page: PageContext,
    /// The product being edited, or `None` for a new one.
    product: Option<Product>,
    values: Values,
    errors: FormErrors,
    categories: Vec<CategoryLink>,
    /// After a conflict: what is stored now.
    stored: Option<Values>,
    /// The version the form saves from.
    version: i32,
    /// The product's variants and their forms.
    variants: VariantSection,
    /// The product's photos and the form to add one.
    photos: PhotoSection,
}

/// The parts of a product's edit page that have forms of their own.
pub struct Sections {
    /// Variants.
    pub variants: VariantSection,
    /// Photos.
    pub photos: PhotoSection,
}

impl FormPage {
    /// The tax classes the form offers.
    fn tax_classes(&self) -> [TaxClass; 3] {
        TaxClass::ALL
    }
}

impl FormPage {
    fn selected(&self, id: &i32) -> bool {
        self.values.category_id == id.to_string()
    }

    fn category_name(&self, id: &str) -> String {
        self.categories
            .iter()
            .find(|c| c.id.to_string() == id)
            .map_or_else(String::new, |c| c.name.clone())
    }
}

async fn categories(state: &AppState) -> Result<Vec<CategoryLink>, AppError> {
    db::run(&state.pool, |conn| Ok(category::all_links(conn)?)).await
}

/// `GET /admin/products/new`.
pub async fn new_form(v: AdminVisit) -> Reply {
    let AdminVisit { state, page, .. } = v;
    let form = FormPage {
        page,
        product: None,
        values: Values {
            stock: "0".into(),
            tax_class: "standard".into(),
            ..Values::default()
        },
        errors: FormErrors::new(),
        categories: categories(&state).await?,
        stored: None,
        version: 0,
        variants: VariantSection::default(),
        photos: PhotoSection::default(),
    };
    render(StatusCode::OK, &form)
}

/// `GET /admin/products/{id}/edit`.
pub async fn edit_form(v: AdminVisit, id: web::Path<String>) -> Reply {
    let AdminVisit { state, page, .. } = v;
    edit_page(&state, page, path_id(&id)?, |_| {}, StatusCode::OK).await
}

/// The edit page of product `id` as stored, its variant and photo forms as `adjust` leaves
/// them (a refused form shows what was typed and why).
pub async fn edit_page(
    state: &AppState,
    page: PageContext,
    id: i32,
    adjust: impl FnOnce(&mut Sections),
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let (found, categories, variants, photos) = db::run(&state.pool, move |conn| {
        let found = product::find(conn, id)?.ok_or(AppError::NotFound)?;
        let (variants, photos) = (variant::all_of(conn, id)?, photo::of_product(conn, id)?);
        Ok((found, category::all_links(conn)?, variants, photos))
    })
    .await?;
    let mut sections = Sections {
        variants: VariantSection::of(&variants),
        photos: PhotoSection {
            photos,
            alt: found.name.clone(),
            errors: FormErrors::new(),
        },
    };
    adjust(&mut sections);
    let Sections { variants, photos } = sections;
    let form = FormPage {
        page,
        values: Values::of(&found),
        version: found.version,
        product: Some(found),
        errors: FormErrors::new(),
        categories,
        stored: None,
        variants,
        photos,
    };
    render(status, &form)
}

/// The product form as posted (multipart, so that it can carry an image). Text fields are
/// bounded by `limits::MULTIPART_TEXT_BYTES`, the whole form by `limits::MULTIPART_BYTES`.
#[derive(Debug, MultipartForm)]
pub struct ProductUpload {
    #[multipart(limit = "64 KiB")]
    name: Option<Text<String>>,
    #[multipart(limit = "64 KiB")]
    description: Option<Text<String>>,
    #[multipart(limit = "64 KiB")]
    price: Option<Text<String>>,
    #[multipart(limit = "64 KiB")]
    stock: Option<Text<String>>,
    #[multipart(limit = "64 KiB")]
    category_id: Option<Text<String>>,
    #[multipart(limit = "64 KiB")]
    stock_note: Option<Text<String>>,
    #[multipart(limit = "64 KiB")]
    tax_class: Option<Text<String>>,
    #[multipart(limit = "64 KiB")]
    sku: Option<Text<String>>,
    #[multipart(limit = "64 KiB")]
    version: Option<Text<String>>,
    #[multipart(limit = "64 KiB")]
    csrf_token: Option<Text<String>>,
    image: Option<UploadBytes>,
}

impl CarriesToken for ProductUpload {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_ref().map(|t| t.0.as_str())
    }
}

fn text(field: &Option<Text<String>>) -> String {
    field.as_ref().map(|t| t.0.clone()).unwrap_or_default()
}

impl ProductUpload {
    fn values(&self) -> Values {
        Values {
            name: text(&self.name),
            description: text(&self.description),
            price: text(&self.price),
            stock: text(&self.stock),
            category_id: text(&self.category_id),
            stock_note: text(&self.stock_note),
            tax_class: text(&self.tax_class),
            sku: text(&self.sku),
        }
    }
}

/// The checked draft and image, or the form's messages.
fn check_form(
    upload: &ProductUpload,
    max_bytes: usize,
) -> Result<(ProductDraft, Option<ImageKind>), FormErrors> {
    let values = upload.values();
    let mut errors = FormErrors::new();
    let tax_class = parse_tax_class(&values.tax_class)
        .map_err(|why| errors.add("tax_class", why))
        .ok();
    let sku = parse_sku(&values.sku)
        .map_err(|why| errors.add("sku", why))
        .ok();
    let draft = match ProductDraft::parse(
        &values.name,
        &values.description,
        &values.price,
        &values.stock,
        &values.category_id,
    ) {
        Ok(draft) => match (tax_class, sku) {
            (Some(tax_class), Some(sku)) => Some(ProductDraft {
                tax_class,
                sku,
                ..draft
            }),
            _ => None,
        },
        Err(problems) => {
            for (field, message) in problems {
                errors.add(field, message);
            }
            None
        }
    };
    if values.stock_note.chars().count() > 200 {
        errors.add("stock_note", "Keep the note under 200 characters.");
    }
    let image = match uploads::check(upload.image.as_ref().map(|f| f.data.as_ref()), max_bytes) {
        Ok(kind) => kind,
        Err(ImageProblem::NotAnImage) => {
            errors.add(
                "image",
                "Upload a JPEG, PNG or WebP image (this file is none of them, whatever its name).",
            );
            None
        }
        // A separate answer: the 413 page.
        Err(ImageProblem::TooLarge) => None,
    };
    match draft {
        Some(draft) if errors.is_empty() => Ok((draft, image)),
        _ => Err(errors),
    }
}

fn too_large(upload: &ProductUpload, max_bytes: usize) -> bool {
    matches!(
        uploads::check(upload.image.as_ref().map(|f| f.data.as_ref()), max_bytes),
        Err(ImageProblem::TooLarge)
    )
}

/// The upload's image made into a photo, if it has an accepted one.
async fn photo_of(
    upload: &ProductUpload,
    kind: Option<ImageKind>,
) -> Result<Option<Processed>, AppError> {
    match (kind, &upload.image) {
        (Some(_), Some(file)) => Ok(Some(uploads::process(file.data.clone()).await?)),
        _ => Ok(None),
    }
}

/// `POST /products`: creates a product.
pub async fn create(v: AdminVisit, payload: web::Payload) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let upload: ProductUpload = read_multipart(&req, payload).await?;
    if too_large(&upload, state.config.upload_max_bytes) {
        return Err(AppError::PayloadTooLarge);
    }
    let form_again = |page, errors, categories| FormPage {
        page,
        product: None,
        values: upload.values(),
        errors,
        categories,
        stored: None,
        version: 0,
        variants: VariantSection::default(),
        photos: PhotoSection::default(),
    };
    let (draft, kind) = match check_form(&upload, state.config.upload_max_bytes) {
        Ok(checked) => checked,
        Err(errors) => {
            let categories = categories(&state).await?;
            return render(
                StatusCode::BAD_REQUEST,
                &form_again(page, errors, categories),
            );
        }
    };
    let photo = photo_of(&upload, kind).await?;
    let actor = actor(&admin);
    let created = db::run(&state.pool, move |conn| {
        catalog_admin::create_product(conn, &actor, &draft, photo.as_ref(), now())
    })
    .await?;
    match created {
        Ok(id) => Ok(flash::success(
            &req,
            "The product is created and on sale.",
            &format!("/admin/products/{id}/edit"),
        )),
        Err(problem) => {
            let mut errors = FormErrors::new();
            match problem {
                SaveProblem::SkuTaken => errors.add("sku", SKU_TAKEN),
                SaveProblem::TooManyPhotos => errors.add("image", TOO_MANY_PHOTOS),
                _ => errors.add("category_id", "Choose a category that exists."),
            }
            let categories = categories(&state).await?;
            render(
                StatusCode::BAD_REQUEST,
                &form_again(page, errors, categories),
            )
        }
    }
}

/// `POST /products/{id}`: saves a product, if nobody saved it since the form was shown.
pub async fn update(v: AdminVisit, id: web::Path<String>, payload: web::Payload) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let id = path_id(&id)?;
    let upload: ProductUpload = read_multipart(&req, payload).await?;
    if too_large(&upload, state.config.upload_max_bytes) {
        return Err(AppError::PayloadTooLarge);
    }
    let (current, variants) = db::run(&state.pool, move |conn| {
        let found = product::find(conn, id)?.ok_or(AppError::NotFound)?;
        Ok((found, variant::all_of(conn, id)?))
    })
    .await?;
    let version = text(&upload.version).trim().parse::<i32>().ok();
    let form_again = |page, product: Product, errors, categories, stored, version| FormPage {
        page,
        product: Some(product),
        values: upload.values(),
        errors,
        categories,
        stored,
        version,
        variants: VariantSection::of(&variants),
        photos: PhotoSection::default(),
    };
    let Some(version) = version else {
        return Err(AppError::BadRequest(
            "This form has no version. Open the edit page again and save from there.".into(),
        ));
    };
    let (draft, kind) = match check_form(&upload, state.config.upload_max_bytes) {
        Ok(checked) => checked,
        Err(errors) => {
            let categories = categories(&state).await?;
            return render(
                StatusCode::BAD_REQUEST,
                &form_again(page, current, errors, categories, None, version),
            );
        }
    };
    let photo = photo_of(&upload, kind).await?;
    let actor = actor(&admin);
    let note = text(&upload.stock_note);
    let saved = db::run(&state.pool, move |conn| {
        catalog_admin::update_product(
            conn,
            &actor,
            id,
            version,
            &draft,
            photo.as_ref(),
            &note,
            now(),
        )
    })
    .await?;
    let problem = match saved {
        Ok(_) => {
            return Ok(flash::success(
                &req,
                "Saved.",
                &format!("/admin/products/{id}/edit"),
            ));
        }
        Err(problem) => problem,
    };
    let categories = categories(&state).await?;
    match problem {
        SaveProblem::Stale(now_stored) => {
            let mut errors = FormErrors::new();
            errors.add(
                "form",
                "Someone else saved this product while you were editing it. Nothing was changed: compare what is stored now with what you typed, then save again.",
            );
            let stored = Values::of(&now_stored);
            let fresh_version = now_stored.version;
            render(
                StatusCode::CONFLICT,
                &form_again(
                    page,
                    *now_stored,
                    errors,
                    categories,
                    Some(stored),
                    fresh_version,
                ),
            )
        }
        SaveProblem::UnknownCategory | SaveProblem::SkuTaken | SaveProblem::TooManyPhotos => {
            let mut errors = FormErrors::new();
            match problem {
                SaveProblem::SkuTaken => errors.add("sku", SKU_TAKEN),
                SaveProblem::TooManyPhotos => errors.add("image", TOO_MANY_PHOTOS),
                _ => errors.add("category_id", "Choose a category that exists."),
            }
            render(
                StatusCode::BAD_REQUEST,
                &form_again(page, current, errors, categories, None, version),
            )
        }
    }
}

async fn set_status(
    req: &HttpRequest,
    state: &AppState,
    admin: &AdminUser,
    id: &str,
    status: ProductStatus,
) -> Result<HttpResponse, AppError> {
    let id = path_id(id)?;
    let actor = actor(admin);
    db::run(&state.pool, move |conn| {
        catalog_admin::set_product_status(conn, &actor, id, status, now())
    })
    .await?;
    let text = match status {
        ProductStatus::Archived => {
            "The product is archived: it is no longer sold, and orders keep their copy."
        }
        ProductStatus::Active => "The product is on sale again.",
    };
    Ok(flash::success(
        req,
        text,
        &format!("/admin/products/{id}/edit"),
    ))
}

/// `POST /products/{id}/archive`.
pub async fn archive(v: AdminAction, id: web::Path<String>) -> Reply {
    let AdminAction { req, state, admin } = v;
    set_status(&req, &state, &admin, &id, ProductStatus::Archived).await
}

/// `POST /products/{id}/unarchive`.
pub async fn unarchive(v: AdminAction, id: web::Path<String>) -> Reply {
    let AdminAction { req, state, admin } = v;
    set_status(&req, &state, &admin, &id, ProductStatus::Active).await
}
