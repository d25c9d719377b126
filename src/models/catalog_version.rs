//! The catalogue's versions: numbers that writes move on in the writing transaction
//! (triggers in the migrations `catalog_version` and `listing_version`).

use diesel::prelude::*;

use crate::db::{on_backend, DbConn};
use crate::schema::catalog_version;

/// The catalogue's versions at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Queryable)]
pub struct Versions {
    /// Moved on by every write to what catalogue pages show.
    pub catalog: i64,
    /// Moved on only by writes that can change which products a list or a search holds, or
    /// their order (not by stock): every such write moves `catalog` on too.
    pub listing: i64,
}

/// The versions now.
pub fn current(conn: &mut DbConn) -> QueryResult<Versions> {
    on_backend!(conn, |c| catalog_version::table
        .find(1)
        .select((catalog_version::version, catalog_version::listing))
        .first(c))
}
