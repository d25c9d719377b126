//! A product's photos on its admin edit page: `POST /admin/products/{id}/photos` adds one
//! (multipart: `photo`, `alt`), `…/photos/{photo_id}/cover` puts one first,
//! `…/photos/{photo_id}/delete` removes one.

use actix_multipart::form::{bytes::Bytes as UploadBytes, text::Text, MultipartForm};
use actix_web::http::StatusCode;
use actix_web::web;

use crate::db;
use crate::models::now;
use crate::models::photo::Photo;
use crate::services::photos::{self, AddRefused, MAX_PHOTOS};
use crate::web::admin::actor;
use crate::web::admin::products::{edit_page, Sections};
use crate::web::csrf::{read_multipart, CarriesToken};
use crate::web::error::AppError;
use crate::web::flash;
use crate::web::forms::FormErrors;
use crate::web::uploads::{self, ImageProblem};
use crate::web::visit::{path_id, AdminAction, AdminVisit, Reply};

/// The photos part of a product's edit page.
#[derive(Default)]
pub struct PhotoSection {
    /// The photos, cover first.
    pub photos: Vec<Photo>,
    /// The add form's alt text (the product's name until something is typed).
    pub alt: String,
    /// The add form's messages.
    pub errors: FormErrors,
}

impl PhotoSection {
    /// Whether another photo may be added.
    pub fn has_room(&self) -> bool {
        (self.photos.len() as i64) < MAX_PHOTOS
    }
}

/// The add-photo form as posted.
#[derive(Debug, MultipartForm)]
pub struct PhotoUpload {
    photo: Option<UploadBytes>,
    #[multipart(limit = "64 KiB")]
    alt: Option<Text<String>>,
    #[multipart(limit = "64 KiB")]
    csrf_token: Option<Text<String>>,
}

impl CarriesToken for PhotoUpload {
    fn csrf_token(&self) -> Option<&str> {
        self.csrf_token.as_ref().map(|t| t.0.as_str())
    }
}

/// `POST /admin/products/{id}/photos`: adds a photo after the others. Over `UPLOAD_MAX_BYTES`
/// or 40 megapixels: 413; no file, not an image, no alt text, a ninth photo: 400 with the
/// page and why.
pub async fn create(v: AdminVisit, id: web::Path<String>, payload: web::Payload) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let product_id = path_id(&id)?;
    let upload: PhotoUpload = read_multipart(&req, payload).await?;
    let typed_alt = upload.alt.as_ref().map(|t| t.0.clone()).unwrap_or_default();
    let mut errors = FormErrors::new();
    let alt = photos::parse_alt(&typed_alt)
        .map_err(|why| errors.add("alt", why))
        .ok();
    let data = upload.photo.as_ref().map(|f| f.data.clone());
    match uploads::check(data.as_deref(), state.config.upload_max_bytes) {
        Err(ImageProblem::TooLarge) => return Err(AppError::PayloadTooLarge),
        Err(ImageProblem::NotAnImage) => errors.add(
            "photo",
            "Upload a JPEG, PNG or WebP image (this file is none of them, whatever its name).",
        ),
        Ok(None) => errors.add("photo", "Choose a photo to upload."),
        Ok(Some(_)) => {}
    }
    if let (Some(alt), Some(data), true) = (alt, data, errors.is_empty()) {
        let processed = uploads::process(data).await?;
        let actor = actor(&admin);
        let added = db::run(&state.pool, move |conn| {
            photos::add(conn, &actor, product_id, &alt, &processed, now())
        })
        .await?;
        match added {
            Ok(_) => {
                return Ok(flash::success(
                    &req,
                    "The photo is added.",
                    &format!("/admin/products/{product_id}/edit#photos"),
                ))
            }
            Err(AddRefused::Full) => errors.add(
                "photo",
                format!("A product has at most {MAX_PHOTOS} photos: remove one first."),
            ),
        }
    }
    let show_typed = move |sections: &mut Sections| {
        sections.photos.alt = typed_alt;
        sections.photos.errors = errors;
    };
    edit_page(
        &state,
        page,
        product_id,
        show_typed,
        StatusCode::BAD_REQUEST,
    )
    .await
}

/// `POST /admin/products/{id}/photos/{photo_id}/cover`: makes a photo the first one, which
/// lists show.
pub async fn cover(v: AdminAction, path: web::Path<(String, String)>) -> Reply {
    let AdminAction { req, state, admin } = v;
    let ids = (path_id(&path.0)?, path_id(&path.1)?);
    let actor = actor(&admin);
    db::run(&state.pool, move |conn| {
        photos::make_cover(conn, &actor, ids, now())
    })
    .await?;
    Ok(flash::success(
        &req,
        "That photo is the cover now.",
        &format!("/admin/products/{}/edit#photos", ids.0),
    ))
}

/// `POST /admin/products/{id}/photos/{photo_id}/delete`: removes a photo.
pub async fn delete(v: AdminAction, path: web::Path<(String, String)>) -> Reply {
    let AdminAction { req, state, admin } = v;
    let ids = (path_id(&path.0)?, path_id(&path.1)?);
    let actor = actor(&admin);
    db::run(&state.pool, move |conn| {
        photos::remove(conn, &actor, ids, now())
    })
    .await?;
    Ok(flash::success(
        &req,
        "The photo is removed.",
        &format!("/admin/products/{}/edit#photos", ids.0),
    ))
}
