//! The catalogue's version: one number that every write to what catalogue pages show moves on,
//! in the writing transaction (triggers in the migration `catalog_version`).

use diesel::prelude::*;

use crate::db::{on_backend, DbConn};
use crate::schema::catalog_version;

/// The version now.
pub fn current(conn: &mut DbConn) -> QueryResult<i64> {
    on_backend!(conn, |c| catalog_version::table
        .find(1)
        .select(catalog_version::version)
        .first(c))
}
