//! Product images: uploads checked and made into photos off the request workers; stored in
//! the database (so every instance serves every image) under names that hash their content,
//! served with a year-long cache and the name as ETag (a name never changes its content).

use actix_web::http::header::{self, HeaderValue};
use actix_web::web::Bytes;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::db;
use crate::domain::product::ImageKind;
use crate::models::image;
use crate::services::photos::{self, PhotoProblem, Processed};
use crate::web::error::AppError;
use crate::web::state::AppState;

/// Why an upload was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageProblem {
    /// Over `UPLOAD_MAX_BYTES`.
    TooLarge,
    /// Not a JPEG, PNG or WebP, whatever its name says.
    NotAnImage,
}

/// Checks an uploaded file against `max_bytes` and by its bytes: `None` when no file was
/// chosen (browsers send an empty part).
pub fn check(data: Option<&[u8]>, max_bytes: usize) -> Result<Option<ImageKind>, ImageProblem> {
    let Some(data) = data.filter(|d| !d.is_empty()) else {
        return Ok(None);
    };
    if data.len() > max_bytes {
        return Err(ImageProblem::TooLarge);
    }
    ImageKind::sniff(data)
        .map(Some)
        .ok_or(ImageProblem::NotAnImage)
}

/// Makes an upload into a photo's two sizes on a blocking thread, not a request worker:
/// 413 over the pixel limit, 400 when it does not decode.
pub async fn process(data: Bytes) -> Result<Processed, AppError> {
    let processed = web::block(move || photos::process(&data))
        .await
        .map_err(|e| AppError::Internal(format!("photo processing stopped: {e}")))?;
    match processed {
        Ok(processed) => Ok(processed),
        Err(PhotoProblem::TooManyPixels) => Err(AppError::PayloadTooLarge),
        Err(problem) => Err(AppError::BadRequest(problem.message())),
    }
}

/// The format of a stored image's name, if the name is one we could have made.
fn valid_name(name: &str) -> Option<ImageKind> {
    let (stem, extension) = name.split_once('.')?;
    let ours = stem.len() == 32
        && stem
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
    ours.then(|| ImageKind::from_extension(extension)).flatten()
}

/// `GET /uploads/{name}`: from the database. The name is the version, so a browser holding it is told 304 without a read.
pub async fn serve(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let name = name.into_inner();
    let kind = valid_name(&name).ok_or(AppError::NotFound)?;
    let etag = format!("\"{name}\"");
    let cached = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    let mut response = if cached {
        HttpResponse::NotModified().finish()
    } else {
        let wanted = name.clone();
        let stored = db::run(&state.pool, move |conn| Ok(image::data(conn, &wanted)?)).await?;
        let data = stored.ok_or(AppError::NotFound)?;
        HttpResponse::Ok()
            .content_type(kind.content_type())
            .body(data)
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_we_make_are_served() {
        assert_eq!(
            valid_name("0123456789abcdef0123456789abcdef.png"),
            Some(ImageKind::Png)
        );
        for bad in [
            "../secret_key",
            "0123456789abcdef0123456789abcdef.exe",
            "short.png",
            "0123456789ABCDEF0123456789ABCDEF.png",
            "0123456789abcdef0123456789abcdef",
        ] {
            assert_eq!(valid_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn uploads_are_checked_by_bytes_and_size() {
        const MAX: usize = 1024;
        assert_eq!(check(None, MAX), Ok(None));
        assert_eq!(check(Some(b""), MAX), Ok(None));
        assert_eq!(
            check(Some(b"\x89PNG\r\n\x1a\n...."), MAX),
            Ok(Some(ImageKind::Png))
        );
        assert_eq!(
            check(Some(b"plain text pretending"), MAX),
            Err(ImageProblem::NotAnImage)
        );
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX + 1, 0);
        assert_eq!(check(Some(&big), MAX), Err(ImageProblem::TooLarge));
    }
}
