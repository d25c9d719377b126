//! Product photos: their rows (two stored sizes each, by content-hash name) and the cover the
//! product row keeps for list pages.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::schema::{product_photos, products};

/// A photo row.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = product_photos)]
pub struct Photo {
    /// Primary key.
    pub id: i32,
    /// Its product.
    pub product_id: i32,
    /// Its place among the product's photos; the first is the cover.
    pub position: i32,
    /// What it shows, for people who cannot see it.
    pub alt: String,
    /// The 400 px rendition's stored name.
    pub thumb: String,
    /// Its width.
    pub thumb_width: i32,
    /// Its height.
    pub thumb_height: i32,
    /// The 1600 px rendition's stored name.
    pub large: String,
    /// Its width.
    pub large_width: i32,
    /// Its height.
    pub large_height: i32,
    /// When it was added.
    pub created_at: NaiveDateTime,
}

/// A stored rendition: its image name and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored<'a> {
    /// The `images` row's name.
    pub name: &'a str,
    /// Width in pixels.
    pub width: i32,
    /// Height in pixels.
    pub height: i32,
}

/// The photos of a product, cover first.
pub fn of_product(conn: &mut DbConn, product_id: i32) -> QueryResult<Vec<Photo>> {
    product_photos::table
        .filter(product_photos::product_id.eq(product_id))
        .order((product_photos::position.asc(), product_photos::id.asc()))
        .select(Photo::as_select())
        .load(conn)
}

/// How many photos a product has.
pub fn count(conn: &mut DbConn, product_id: i32) -> QueryResult<i64> {
    product_photos::table
        .filter(product_photos::product_id.eq(product_id))
        .count()
        .get_result(conn)
}

/// Adds a photo after the product's others.
pub fn insert(
    conn: &mut DbConn,
    product_id: i32,
    alt: &str,
    (thumb, large): (Stored<'_>, Stored<'_>),
    now: NaiveDateTime,
) -> QueryResult<i32> {
    let last: Option<i32> = product_photos::table
        .filter(product_photos::product_id.eq(product_id))
        .select(diesel::dsl::max(product_photos::position))
        .first(conn)?;
    diesel::insert_into(product_photos::table)
        .values((
            product_photos::product_id.eq(product_id),
            product_photos::position.eq(last.map_or(0, |p| p + 1)),
            product_photos::alt.eq(alt),
            product_photos::thumb.eq(thumb.name),
            product_photos::thumb_width.eq(thumb.width),
            product_photos::thumb_height.eq(thumb.height),
            product_photos::large.eq(large.name),
            product_photos::large_width.eq(large.width),
            product_photos::large_height.eq(large.height),
            product_photos::created_at.eq(now),
        ))
        .returning(product_photos::id)
        .get_result(conn)
}

/// Removes a photo of a product; false if it has no such photo.
pub fn delete(conn: &mut DbConn, product_id: i32, id: i32) -> QueryResult<bool> {
    let deleted = diesel::delete(
        product_photos::table
            .find(id)
            .filter(product_photos::product_id.eq(product_id)),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}

/// Makes photo `id` the product's cover, the others keeping their order after it; false if
/// the product has no such photo.
pub fn make_cover(conn: &mut DbConn, product_id: i32, id: i32) -> QueryResult<bool> {
    let photos = of_product(conn, product_id)?;
    if !photos.iter().any(|p| p.id == id) {
        return Ok(false);
    }
    let order = photos
        .iter()
        .filter(|p| p.id == id)
        .chain(photos.iter().filter(|p| p.id != id));
    for (position, photo) in (0..).zip(order) {
        diesel::update(product_photos::table.find(photo.id))
            .set(product_photos::position.eq(position))
            .execute(conn)?;
    }
    Ok(true)
}

/// Copies the cover's thumbnail (or none) onto the product row, which list pages read.
pub fn refresh_cover(conn: &mut DbConn, product_id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    let cover = of_product(conn, product_id)?.into_iter().next();
    diesel::update(products::table.find(product_id))
        .set((
            products::image.eq(cover.as_ref().map(|c| c.thumb.clone())),
            products::image_width.eq(cover.as_ref().map(|c| c.thumb_width)),
            products::image_height.eq(cover.as_ref().map(|c| c.thumb_height)),
            products::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Whether any photo still uses the stored image `name` (content-hash names are shared by
/// identical uploads).
pub fn uses_image(conn: &mut DbConn, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        product_photos::table.filter(
            product_photos::thumb
                .eq(name)
                .or(product_photos::large.eq(name)),
        ),
    ))
    .get_result(conn)
}
