//! Stored product images, by their random names.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::schema::images;

/// Stores the bytes of a new image under `name`.
pub fn insert(conn: &mut DbConn, name: &str, data: &[u8], at: NaiveDateTime) -> QueryResult<usize> {
    diesel::insert_into(images::table)
        .values((
            images::name.eq(name),
            images::data.eq(data),
            images::created_at.eq(at),
        ))
        .execute(conn)
}

/// The bytes of the image `name`, if it is stored.
pub fn data(conn: &mut DbConn, name: &str) -> QueryResult<Option<Vec<u8>>> {
    images::table
        .find(name)
        .select(images::data)
        .first(conn)
        .optional()
}

/// Whether an image is stored under `name`.
pub fn exists(conn: &mut DbConn, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(images::table.find(name))).get_result(conn)
}

/// Forgets the image `name`.
pub fn delete(conn: &mut DbConn, name: &str) -> QueryResult<usize> {
    diesel::delete(images::table.find(name)).execute(conn)
}
