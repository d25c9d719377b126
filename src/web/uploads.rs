//! Product images: stored under `DATA_DIR/uploads` with random names, served with the type
//! their bytes showed and a year-long cache (a name never changes its content).

use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::config::random_hex;
use crate::domain::product::{ImageKind, MAX_IMAGE_BYTES};
use crate::web::error::AppError;
use crate::web::state::AppState;

/// The directory images are kept in.
pub fn dir(state: &AppState) -> PathBuf {
    state.config.data_dir.join("uploads")
}

/// Why an upload was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageProblem {
    /// Over [`MAX_IMAGE_BYTES`].
    TooLarge,
    /// Not a JPEG, PNG or WebP, whatever its name says.
    NotAnImage,
}

/// Checks an uploaded file: `None` when no file was chosen (browsers send an empty part).
pub fn check(data: Option<&[u8]>) -> Result<Option<ImageKind>, ImageProblem> {
    let Some(data) = data.filter(|d| !d.is_empty()) else {
        return Ok(None);
    };
    if data.len() > MAX_IMAGE_BYTES {
        return Err(ImageProblem::TooLarge);
    }
    ImageKind::sniff(data)
        .map(Some)
        .ok_or(ImageProblem::NotAnImage)
}

/// Stores an accepted image under a new random name and returns the name. Written under a
/// temporary name and renamed, so a half-written file is never served.
pub fn store(dir: &Path, kind: ImageKind, data: &[u8]) -> Result<String, AppError> {
    std::fs::create_dir_all(dir)
        .map_err(|e| AppError::internal("create the uploads directory", e))?;
    let name = format!("{}.{}", random_hex(16), kind.extension());
    let partial = dir.join(format!(".{name}.partial"));
    std::fs::write(&partial, data).map_err(|e| AppError::internal("write an upload", e))?;
    std::fs::rename(&partial, dir.join(&name))
        .map_err(|e| AppError::internal("store an upload", e))?;
    Ok(name)
}

/// Removes a stored image (after its product moved on to another, or a save failed).
pub fn remove(dir: &Path, name: &str) {
    if valid_name(name).is_some() {
        if let Err(e) = std::fs::remove_file(dir.join(name)) {
            log::warn!("cannot remove the upload {name}: {e}");
        }
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

/// `GET /uploads/{name}`.
pub async fn serve(
    req: HttpRequest,
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let kind = valid_name(&name).ok_or(AppError::NotFound)?;
    let file = NamedFile::open_async(dir(&state).join(name.as_str()))
        .await
        .map_err(|_| AppError::NotFound)?
        .set_content_type(
            kind.content_type()
                .parse()
                .map_err(|_| AppError::NotFound)?,
        )
        .use_etag(true)
        .use_last_modified(true);
    let mut response = file.into_response(&req);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
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
        assert_eq!(check(None), Ok(None));
        assert_eq!(check(Some(b"")), Ok(None));
        assert_eq!(
            check(Some(b"\x89PNG\r\n\x1a\n....")),
            Ok(Some(ImageKind::Png))
        );
        assert_eq!(
            check(Some(b"plain text pretending")),
            Err(ImageProblem::NotAnImage)
        );
        let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
        big.resize(MAX_IMAGE_BYTES + 1, 0);
        assert_eq!(check(Some(&big)), Err(ImageProblem::TooLarge));
    }
}
