//! Full-text search over product names and descriptions: FTS5 on SQLite, a weighted
//! `tsvector` on PostgreSQL (the `shopfront` configuration: English stems, no stop words).
//! The engines rank differently but keep the same rules: every word must match (as a
//! prefix, stemmed), a product whose name matches ranks above one that matches only in its
//! description, and equal relevance falls back to newest first.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Nullable, Text};

use crate::db::{DbConn, MultiBackend};
use crate::domain::{Pagination, ProductSort, SearchTerms};

/// One page of search results (product ids, best first) and the number of matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPage {
    /// Ids of the products on this page, in result order.
    pub ids: Vec<i32>,
    /// Products on sale that match, over all pages.
    pub total: i64,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = Integer)]
    id: i32,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The SQL that differs between the engines; the rest of a search is the same on both.
struct EngineSql {
    /// FROM and WHERE: products on sale matching query 1, in category 2 when it is not null.
    matches: &'static str,
    /// Whether query 3 (the words restricted to the name) matches.
    name_match: &'static str,
    /// The ORDER BY term that puts the best match first.
    rank: &'static str,
}

const SQLITE: EngineSql = EngineSql {
    matches: "FROM products_fts f JOIN products p ON p.id = f.rowid \
         WHERE products_fts MATCH ?1 AND p.status = 'active' \
         AND (?2 IS NULL OR p.category_id = ?2)",
    name_match: "(f.rowid IN (SELECT rowid FROM products_fts WHERE products_fts MATCH ?3))",
    // bm25() is lower for better matches; the name column weighs ten times the description.
    rank: "bm25(products_fts, 10.0, 1.0) ASC",
};

const POSTGRES: EngineSql = EngineSql {
    matches: "FROM product_search s JOIN products p ON p.id = s.product_id \
         WHERE s.document @@ to_tsquery('shopfront', $1) AND p.status = 'active' \
         AND ($2::integer IS NULL OR p.category_id = $2)",
    name_match: "(s.document @@ to_tsquery('shopfront', $3))",
    rank: "ts_rank(s.document, to_tsquery('shopfront', $1)) DESC",
};

/// The ORDER BY of a search.
fn order_by(sort: ProductSort, sql: &EngineSql) -> String {
    match sort {
        ProductSort::Relevance => format!(
            "{} DESC, {}, p.created_at DESC, p.id DESC",
            sql.name_match, sql.rank
        ),
        ProductSort::Newest => "p.created_at DESC, p.id DESC".to_string(),
        ProductSort::PriceAsc => "p.price_cents ASC, p.id ASC".to_string(),
        ProductSort::PriceDesc => "p.price_cents DESC, p.id DESC".to_string(),
        ProductSort::Name => "lower(p.name) ASC, p.id ASC".to_string(),
        ProductSort::Rating => format!(
            "{} DESC, p.rating_count DESC, p.id DESC",
            super::product::rating_order_sql("p.")
        ),
    }
}

/// The products on sale matching `terms` (optionally in one category), one page of them.
pub fn search(
    conn: &mut DbConn,
    terms: &SearchTerms,
    category_id: Option<i32>,
    sort: ProductSort,
    page: &Pagination,
) -> QueryResult<SearchPage> {
    if terms.is_empty() {
        return Ok(SearchPage {
            ids: Vec::new(),
            total: 0,
        });
    }
    let (sql, query, name_query) = match conn {
        DbConn::Sqlite(_) => (&SQLITE, terms.fts5_query(), terms.fts5_name_query()),
        DbConn::Pg(_) => (&POSTGRES, terms.tsquery(), terms.tsquery_name()),
    };
    let total = diesel::sql_query(format!("SELECT count(*) AS n {}", sql.matches))
        .bind::<Text, _>(&query)
        .bind::<Nullable<Integer>, _>(category_id)
        .get_result::<CountRow>(conn)?
        .n;
    if total == 0 {
        return Ok(SearchPage {
            ids: Vec::new(),
            total,
        });
    }
    // LIMIT and OFFSET are our own integers; only the user's words are bound.
    let mut ids_query = diesel::sql_query(format!(
        "SELECT p.id AS id {} ORDER BY {} LIMIT {} OFFSET {}",
        sql.matches,
        order_by(sort, sql),
        page.per_page,
        page.offset()
    ))
    .into_boxed::<MultiBackend>()
    .bind::<Text, _>(query)
    .bind::<Nullable<Integer>, _>(category_id);
    // SQLite refuses a bound parameter that the SQL does not use.
    if sort == ProductSort::Relevance {
        ids_query = ids_query.bind::<Text, _>(name_query);
    }
    let ids = ids_query.load::<IdRow>(conn)?;
    Ok(SearchPage {
        ids: ids.into_iter().map(|row| row.id).collect(),
        total,
    })
}
