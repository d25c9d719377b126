//! Hand-written SQL that diesel may keep prepared.
//!
//! `diesel::sql_query` marks every query as unsafe to cache, so SQLite parses and plans it
//! on each call; for the search, whose SQL is long and whose plan involves the full-text
//! tables, that was a large part of the work. A [`FixedSql`] is built only from text in
//! our code and bound values, so the same text can safely reuse one prepared statement.

use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Integer, Nullable, Text, Untyped};
use diesel::{QueryResult, RunQueryDsl};

use crate::db::{DbConn, MultiBackend};

enum Part {
    Sql(&'static str),
    Text(String),
    NullableInt(Option<i32>),
    BigInt(i64),
}

/// SQL text from the code, with values bound where the pieces meet.
pub struct FixedSql {
    parts: Vec<Part>,
    cache: bool,
}

impl FixedSql {
    /// An empty query; `cache` says whether the prepared statement may be kept.
    pub fn new(cache: bool) -> FixedSql {
        FixedSql {
            parts: Vec::new(),
            cache,
        }
    }

    /// Appends SQL text.
    pub fn sql(mut self, sql: &'static str) -> FixedSql {
        self.parts.push(Part::Sql(sql));
        self
    }

    /// Appends a bound text value.
    pub fn text(mut self, value: impl Into<String>) -> FixedSql {
        self.parts.push(Part::Text(value.into()));
        self
    }

    /// Appends a bound integer that may be NULL.
    pub fn nullable_int(mut self, value: Option<i32>) -> FixedSql {
        self.parts.push(Part::NullableInt(value));
        self
    }

    /// Appends a bound 64-bit integer.
    pub fn big_int(mut self, value: i64) -> FixedSql {
        self.parts.push(Part::BigInt(value));
        self
    }
}

impl QueryFragment<MultiBackend> for FixedSql {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        if !self.cache {
            out.unsafe_to_cache_prepared();
        }
        for part in &self.parts {
            match part {
                Part::Sql(sql) => out.push_sql(sql),
                Part::Text(value) => out.push_bind_param::<Text, _>(value)?,
                Part::NullableInt(value) => out.push_bind_param::<Nullable<Integer>, _>(value)?,
                Part::BigInt(value) => out.push_bind_param::<BigInt, _>(value)?,
            }
        }
        Ok(())
    }
}

impl QueryId for FixedSql {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for FixedSql {
    type SqlType = Untyped;
}

impl RunQueryDsl<DbConn> for FixedSql {}
