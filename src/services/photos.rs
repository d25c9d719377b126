//! Product photos: an upload is decoded and re-encoded (which leaves every piece of metadata,
//! EXIF and GPS positions included, behind) into a 400 px thumbnail and a 1600 px large size,
//! named by the hash of their bytes; then added to the product, at most eight, in one
//! transaction with the cover the product row keeps and an audit entry.
//!
//! [`process`] is CPU work: call it off the request workers (`web::block`).

use std::io::Cursor;

use chrono::NaiveDateTime;
use image::codecs::jpeg::JpegEncoder;
use image::imageops::FilterType;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader, Limits};
use sha2::{Digest, Sha256};

use crate::db::{self, DbConn};
use crate::domain::product::ImageKind;
use crate::error::{AppError, Outcome};
use crate::models::audit::Changes;
use crate::models::photo::{self, Stored};
use crate::models::{image as images, product};
use crate::services::{is_unique_violation, Actor};

/// Photos one product may have.
pub const MAX_PHOTOS: i64 = 8;
/// The most pixels an upload may decode to (a larger one is refused before it is decoded).
pub const MAX_PIXELS: u64 = 40_000_000;
/// The long side of the thumbnail, in pixels.
pub const THUMB_SIDE: u32 = 400;
/// The long side of the large size, in pixels.
pub const LARGE_SIDE: u32 = 1600;
/// The longest alt text, in characters.
pub const MAX_ALT_CHARS: usize = 200;
/// JPEG quality of the stored sizes.
const QUALITY: u8 = 85;

/// Why an upload cannot be a photo.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhotoProblem {
    /// Not a JPEG, PNG or WebP, whatever its name says.
    NotAnImage,
    /// Over [`MAX_PIXELS`] (a decompression bomb, or just too big): 413.
    TooManyPixels,
    /// Its bytes say JPEG, PNG or WebP, but it does not decode.
    Unreadable,
}

impl PhotoProblem {
    /// What the admin is told.
    pub fn message(self) -> String {
        match self {
            PhotoProblem::NotAnImage => {
                "Upload a JPEG, PNG or WebP image (this file is none of them, whatever its name)."
                    .to_string()
            }
            PhotoProblem::TooManyPixels => format!(
                "This image has more than {} megapixels.",
                MAX_PIXELS / 1_000_000
            ),
            PhotoProblem::Unreadable => "This image is damaged: it cannot be read.".to_string(),
        }
    }
}

/// One stored size of a photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendition {
    /// Its name: the hash of its bytes, so it never changes content.
    pub name: String,
    /// JPEG bytes, without metadata.
    pub bytes: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

impl Rendition {
    /// Its name and size, as a photo row records them.
    pub fn stored(&self) -> Stored<'_> {
        Stored {
            name: &self.name,
            width: i32::try_from(self.width).unwrap_or(i32::MAX),
            height: i32::try_from(self.height).unwrap_or(i32::MAX),
        }
    }
}

/// An upload made into a photo's two sizes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Processed {
    /// At most [`THUMB_SIDE`] on the long side.
    pub thumb: Rendition,
    /// At most [`LARGE_SIDE`] on the long side.
    pub large: Rendition,
}

fn refusal(e: &ImageError) -> PhotoProblem {
    match e {
        ImageError::Limits(_) => PhotoProblem::TooManyPixels,
        _ => PhotoProblem::Unreadable,
    }
}

/// Decodes an upload (turned the way its EXIF orientation says) and re-encodes it in two
/// sizes. Its dimensions are read from its header first, so a decompression bomb is refused
/// before a pixel of it is decoded.
pub fn process(data: &[u8]) -> Result<Processed, PhotoProblem> {
    let format = match ImageKind::sniff(data).ok_or(PhotoProblem::NotAnImage)? {
        ImageKind::Jpeg => ImageFormat::Jpeg,
        ImageKind::Png => ImageFormat::Png,
        ImageKind::Webp => ImageFormat::WebP,
    };
    let mut reader = ImageReader::with_format(Cursor::new(data), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(20_000);
    limits.max_image_height = Some(20_000);
    // Four bytes a pixel, and room for the decoder's own buffers.
    limits.max_alloc = Some(MAX_PIXELS * 4 + 64 * 1024 * 1024);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(|e| refusal(&e))?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > MAX_PIXELS {
        return Err(PhotoProblem::TooManyPixels);
    }
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut decoded = DynamicImage::from_decoder(decoder).map_err(|e| refusal(&e))?;
    decoded.apply_orientation(orientation);
    // JPEG has no transparency: a transparent PNG's colours are kept, its alpha dropped.
    let decoded = DynamicImage::ImageRgb8(decoded.to_rgb8());
    Ok(Processed {
        thumb: rendition(&decoded, THUMB_SIDE)?,
        large: rendition(&decoded, LARGE_SIDE)?,
    })
}

fn rendition(source: &DynamicImage, side: u32) -> Result<Rendition, PhotoProblem> {
    let sized = if source.width() > side || source.height() > side {
        source.resize(side, side, FilterType::Triangle)
    } else {
        source.clone()
    };
    let mut bytes = Vec::new();
    JpegEncoder::new_with_quality(&mut bytes, QUALITY)
        .encode_image(&sized)
        .map_err(|_| PhotoProblem::Unreadable)?;
    let digest = Sha256::digest(&bytes);
    let name: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    Ok(Rendition {
        name: format!("{name}.jpg"),
        bytes,
        width: sized.width(),
        height: sized.height(),
    })
}

/// Checks alt text: required, at most [`MAX_ALT_CHARS`].
pub fn parse_alt(input: &str) -> Result<String, String> {
    let alt = input.trim();
    if alt.is_empty() {
        Err("Describe the photo for people who cannot see it.".to_string())
    } else if alt.chars().count() > MAX_ALT_CHARS {
        Err(format!(
            "Keep the description under {MAX_ALT_CHARS} characters."
        ))
    } else {
        Ok(alt.to_string())
    }
}

/// Why a photo was not added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddRefused {
    /// The product has [`MAX_PHOTOS`] already.
    Full,
}

/// Stores a rendition unless identical bytes are stored already.
fn store(conn: &mut DbConn, rendition: &Rendition, now: NaiveDateTime) -> Result<(), AppError> {
    if images::exists(conn, &rendition.name)? {
        return Ok(());
    }
    // In a savepoint: the same photo uploaded twice at once stores it once.
    let stored: Result<usize, AppError> = db::transaction(conn, |conn| {
        Ok(images::insert(
            conn,
            &rendition.name,
            &rendition.bytes,
            now,
        )?)
    });
    match stored {
        Err(e) if is_unique_violation(&e) => Ok(()),
        other => other.map(|_| ()),
    }
}

/// Adds a processed photo to product `product_id`, after its others.
pub fn add(
    conn: &mut DbConn,
    actor: &Actor,
    product_id: i32,
    alt: &str,
    processed: &Processed,
    now: NaiveDateTime,
) -> Outcome<i32, AddRefused> {
    db::transaction(conn, |conn| {
        product::lock(conn, product_id)?;
        product::find(conn, product_id)?.ok_or(AppError::NotFound)?;
        if photo::count(conn, product_id)? >= MAX_PHOTOS {
            return Ok(Err(AddRefused::Full));
        }
        store(conn, &processed.thumb, now)?;
        store(conn, &processed.large, now)?;
        let stored = (processed.thumb.stored(), processed.large.stored());
        let id = photo::insert(conn, product_id, alt, stored, now)?;
        photo::refresh_cover(conn, product_id, now)?;
        let mut changes = Changes::new();
        changes
            .field("product", "", product_id)
            .field("alt", "", alt);
        actor.record(conn, "photo.add", ("photo", id), changes, "", now)?;
        Ok(Ok(id))
    })
}

/// Removes photo `id` of product `product_id` (and its stored sizes, unless another photo
/// shows the same bytes).
pub fn remove(
    conn: &mut DbConn,
    actor: &Actor,
    (product_id, id): (i32, i32),
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        product::lock(conn, product_id)?;
        let photos = photo::of_product(conn, product_id)?;
        let gone = photos
            .into_iter()
            .find(|p| p.id == id)
            .ok_or(AppError::NotFound)?;
        photo::delete(conn, product_id, id)?;
        for name in [&gone.thumb, &gone.large] {
            if !photo::uses_image(conn, name)? {
                images::delete(conn, name)?;
            }
        }
        photo::refresh_cover(conn, product_id, now)?;
        let mut changes = Changes::new();
        changes.field("alt", &gone.alt, "");
        actor.record(conn, "photo.remove", ("photo", id), changes, "", now)
    })
}

/// Makes photo `id` the cover of product `product_id`.
pub fn make_cover(
    conn: &mut DbConn,
    actor: &Actor,
    (product_id, id): (i32, i32),
    now: NaiveDateTime,
) -> Result<(), AppError> {
    db::transaction(conn, |conn| {
        product::lock(conn, product_id)?;
        if !photo::make_cover(conn, product_id, id)? {
            return Err(AppError::NotFound);
        }
        photo::refresh_cover(conn, product_id, now)?;
        let mut changes = Changes::new();
        changes.field("position", "", 0);
        actor.record(conn, "photo.cover", ("photo", id), changes, "", now)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::{ImageEncoder, RgbImage};

    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut out = Vec::new();
        let pixels = RgbImage::from_pixel(width, height, image::Rgb([200, 120, 40]));
        image::codecs::png::PngEncoder::new(&mut out)
            .write_image(
                pixels.as_raw(),
                width,
                height,
                image::ExtendedColorType::Rgb8,
            )
            .expect("encode a PNG");
        out
    }

    #[test]
    fn an_upload_becomes_two_jpegs_no_larger_than_their_sides() {
        let processed = process(&png(2000, 1000)).expect("a photo");
        assert_eq!((processed.thumb.width, processed.thumb.height), (400, 200));
        assert_eq!((processed.large.width, processed.large.height), (1600, 800));
        assert!(processed.thumb.bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
        assert!(processed.thumb.name.ends_with(".jpg"));
        assert_ne!(processed.thumb.name, processed.large.name);
        // A small one is not enlarged, and the same bytes get the same name.
        let small = process(&png(300, 200)).expect("a photo");
        assert_eq!((small.large.width, small.large.height), (300, 200));
        assert_eq!(
            small.large.name,
            process(&png(300, 200)).unwrap().large.name
        );
    }

    #[test]
    fn what_is_not_a_photo_is_refused() {
        assert_eq!(process(b"GIF89a...."), Err(PhotoProblem::NotAnImage));
        let mut broken = png(10, 10);
        broken.truncate(30);
        assert_eq!(process(&broken), Err(PhotoProblem::Unreadable));
        assert!(parse_alt("  ").is_err());
        assert_eq!(parse_alt(" A mug "), Ok("A mug".to_string()));
        assert!(parse_alt(&"x".repeat(201)).is_err());
    }
}
