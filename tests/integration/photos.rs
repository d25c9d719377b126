//! Product photos: an upload is stored re-encoded without its metadata (a phone's GPS
//! position included) in two sizes, at most eight a product, each with alt text; a
//! decompression bomb and an oversized file are refused with 413 before anything is stored.

use diesel::prelude::*;
use image::{ImageEncoder, RgbImage};
use shopfront::schema::{images, product_photos};

use crate::support::client::Page;
use crate::support::{Client, TestApp};

/// Where a phone would have been: what must not survive an upload.
const GPS_MARKER: &[u8] = b"GPS-48.8584N-2.2945E";

/// A JPEG of `width` × `height` with an EXIF block carrying a GPS position (latitude N
/// 48° 51' 29.58"), and a marker string inside the same block.
fn phone_jpeg(width: u32, height: u32) -> Vec<u8> {
    let pixels = RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut plain = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut plain, 90)
        .write_image(
            pixels.as_raw(),
            width,
            height,
            image::ExtendedColorType::Rgb8,
        )
        .expect("encode a JPEG");
    // TIFF, big-endian: IFD0 with one entry pointing at the GPS IFD, which holds the
    // latitude's reference and value.
    let mut tiff: Vec<u8> = b"MM\x00\x2a\x00\x00\x00\x08".to_vec();
    tiff.extend([0x00, 0x01, 0x88, 0x25, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01]);
    tiff.extend(26u32.to_be_bytes());
    tiff.extend([0, 0, 0, 0]);
    tiff.extend([0x00, 0x02]);
    tiff.extend([
        0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, b'N', 0, 0, 0,
    ]);
    tiff.extend([0x00, 0x02, 0x00, 0x05, 0x00, 0x00, 0x00, 0x03]);
    tiff.extend(56u32.to_be_bytes());
    tiff.extend([0, 0, 0, 0]);
    for (num, den) in [(48u32, 1u32), (51, 1), (2958, 100)] {
        tiff.extend(num.to_be_bytes());
        tiff.extend(den.to_be_bytes());
    }
    tiff.extend(GPS_MARKER);
    let mut segment = b"Exif\x00\x00".to_vec();
    segment.extend(tiff);
    let length = u16::try_from(segment.len() + 2).unwrap();
    let mut out = plain[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(length.to_be_bytes());
    out.extend(segment);
    out.extend(&plain[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len()).unwrap().to_be_bytes().to_vec();
    let mut body = kind.to_vec();
    body.extend(data);
    out.extend(&body);
    out.extend(crc32(&body).to_be_bytes());
    out
}

/// A few hundred bytes that claim to be a 10,000 × 5,000 PNG (50 megapixels, 150 MB decoded).
fn png_bomb() -> Vec<u8> {
    let mut header = 10_000u32.to_be_bytes().to_vec();
    header.extend(5_000u32.to_be_bytes());
    header.extend([8, 2, 0, 0, 0]);
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    out.extend(chunk(b"IHDR", &header));
    // A zlib stream of zeroes: it would inflate to the whole picture.
    out.extend(chunk(
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    ));
    out.extend(chunk(b"IEND", &[]));
    out
}

fn upload(admin: &Client, product: i32, alt: &str, file: &[u8]) -> Page {
    let page = admin.get(&format!("/admin/products/{product}/edit"));
    admin.submit_multipart_on(
        &page,
        &format!("/admin/products/{product}/photos"),
        &[("alt", alt)],
        &[("photo", "IMG_0001.jpg", "image/jpeg", file)],
    )
}

fn stored_images(app: &TestApp) -> Vec<(String, Vec<u8>)> {
    app.db(|conn| {
        images::table
            .select((images::name, images::data))
            .load(conn)
            .unwrap()
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_phone_photo_is_stored_in_two_sizes_without_its_gps_position() {
    let app = TestApp::spawn();
    let mug = app.product_on_sale("Stoneware Mug", 1_800, 5);
    let admin = app.admin("admin@example.com");
    let original = phone_jpeg(2400, 1800);
    assert!(contains(&original, b"Exif") && contains(&original, GPS_MARKER));

    let added = upload(&admin, mug, "A speckled cream mug", &original);
    assert_eq!(added.status, 303, "{}", added.body);
    let stored = stored_images(&app);
    assert_eq!(stored.len(), 2, "a thumbnail and a large size");
    for (name, data) in &stored {
        assert!(data.starts_with(&[0xFF, 0xD8, 0xFF]), "{name} is a JPEG");
        assert!(!contains(data, b"Exif"), "{name} has no EXIF block");
        assert!(!contains(data, GPS_MARKER), "{name} has no GPS position");
        let size = image::load_from_memory(data).unwrap();
        assert!(size.width().max(size.height()) <= 1600);
    }
    let (thumb, large, sizes): (String, String, (i32, i32, i32, i32)) = app.db(|conn| {
        product_photos::table
            .select((
                product_photos::thumb,
                product_photos::large,
                (
                    product_photos::thumb_width,
                    product_photos::thumb_height,
                    product_photos::large_width,
                    product_photos::large_height,
                ),
            ))
            .first(conn)
            .unwrap()
    });
    assert_eq!(sizes, (400, 300, 1600, 1200));

    // The product page shows the large size, the list the thumbnail, each with its size.
    let page = app.client().get(&format!("/products/{mug}"));
    assert_eq!(
        page.attrs(".product-image", "src"),
        [format!("/uploads/{large}")]
    );
    assert_eq!(page.attrs(".product-image", "width"), ["1600"]);
    assert_eq!(
        page.attrs(".product-image", "alt"),
        ["A speckled cream mug"]
    );
    let list = app.client().get("/products");
    assert_eq!(
        list.attrs(".card-image", "src"),
        [format!("/uploads/{thumb}")]
    );
    assert_eq!(
        (
            list.attrs(".card-image", "width"),
            list.attrs(".card-image", "height"),
            list.attrs(".card-image", "loading")
        ),
        (
            vec!["400".to_string()],
            vec!["300".to_string()],
            vec!["lazy".to_string()]
        )
    );

    // Served for a year, with its name as ETag, and 304 to a browser that has it.
    let served = app.client().get(&format!("/uploads/{thumb}"));
    assert_eq!(served.status, 200);
    assert_eq!(served.header("content-type"), Some("image/jpeg"));
    assert!(served
        .header("cache-control")
        .unwrap()
        .contains("max-age=31536000"));
    let etag = served.header("etag").unwrap().to_string();
    let again = app.client().request(
        "GET",
        &format!("/uploads/{thumb}"),
        &[("If-None-Match", etag.as_str())],
        Vec::new(),
    );
    assert_eq!(again.status, 304);
}

#[test]
fn a_decompression_bomb_and_an_oversized_file_are_refused_with_413() {
    let app = TestApp::spawn_with(&[("UPLOAD_MAX_BYTES", "200000")]);
    let mug = app.product_on_sale("Stoneware Mug", 1_800, 5);
    let admin = app.admin("admin@example.com");
    let bomb = png_bomb();
    assert!(bomb.len() < 200);
    assert_eq!(upload(&admin, mug, "A bomb", &bomb).status, 413);
    let too_big = phone_jpeg(1200, 1200);
    let mut padded = too_big.clone();
    padded.resize(200_001, 0);
    assert_eq!(upload(&admin, mug, "Too big", &padded).status, 413);
    assert!(stored_images(&app).is_empty(), "nothing stored");
    assert_eq!(app.stock_of(mug), 5);
}

#[test]
fn photos_need_alt_text_stop_at_eight_and_can_be_reordered_and_removed() {
    let app = TestApp::spawn();
    let mug = app.product_on_sale("Stoneware Mug", 1_800, 5);
    let admin = app.admin("admin@example.com");
    let edit = admin.get(&format!("/admin/products/{mug}/edit"));
    assert_eq!(
        edit.attrs("#alt", "value"),
        ["Stoneware Mug"],
        "the name offered"
    );

    let no_alt = upload(&admin, mug, "  ", &phone_jpeg(60, 40));
    assert_eq!(no_alt.status, 400);
    assert!(no_alt.visible_text().contains("Describe the photo"));
    let not_image = upload(&admin, mug, "A mug", b"<svg onload=alert(1)>");
    assert_eq!(not_image.status, 400);

    for n in 0..8 {
        let photo = phone_jpeg(60 + n, 40);
        assert_eq!(
            upload(&admin, mug, &format!("View {n}"), &photo).status,
            303
        );
    }
    // The form is gone from the page; a ninth posted anyway is refused.
    let full = admin.get(&format!("/admin/products/{mug}/edit"));
    assert!(full
        .form_values(&format!("/admin/products/{mug}/photos"))
        .is_none());
    let token = full.attrs("input[name=csrf_token]", "value").remove(0);
    let ninth = admin.post_multipart(
        &format!("/admin/products/{mug}/photos"),
        &[("alt", "One more"), ("csrf_token", &token)],
        &[("photo", "more.jpg", "image/jpeg", &phone_jpeg(90, 40))],
    );
    assert_eq!(ninth.status, 400);
    assert!(ninth.visible_text().contains("at most 8 photos"));

    let ids: Vec<i32> = app.db(|conn| {
        product_photos::table
            .filter(product_photos::product_id.eq(mug))
            .order(product_photos::position.asc())
            .select(product_photos::id)
            .load(conn)
            .unwrap()
    });
    let edit = format!("/admin/products/{mug}/edit");
    let cover = admin.submit(
        &edit,
        &format!("/admin/products/{mug}/photos/{}/cover", ids[3]),
        &[],
    );
    assert_eq!(cover.status, 303);
    let page = app.client().get(&format!("/products/{mug}"));
    assert_eq!(page.attrs(".product-image", "alt"), ["View 3"]);
    assert_eq!(page.attrs(".photo-row img", "alt").len(), 8);
    let removed = admin.submit(
        &edit,
        &format!("/admin/products/{mug}/photos/{}/delete", ids[3]),
        &[],
    );
    assert_eq!(removed.status, 303);
    let page = app.client().get(&format!("/products/{mug}"));
    assert_eq!(page.attrs(".product-image", "alt"), ["View 0"]);
    // Under 400 px both sizes are the same bytes, stored once: seven photos, seven files.
    assert_eq!(
        stored_images(&app).len(),
        7,
        "the removed photo's file is gone"
    );
    // Another product's photo is not this product's to remove.
    let other = app.product_on_sale("Teapot", 2_500, 1);
    let stray = admin.post_form(
        &format!("/admin/products/{other}/photos/{}/delete", ids[0]),
        &[("csrf_token", &token)],
    );
    assert_eq!(stray.status, 404);
}
