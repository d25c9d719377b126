//! The addresses a sitemap lists, in a fixed order: the home page, the product list, the
//! categories with products on sale, then every product on sale by id.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::ProductStatus;
use crate::schema::{catalog_counts, categories, products};

/// One address of the sitemap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SitemapEntry {
    /// The path, from `/`.
    pub path: String,
    /// When what it shows last changed, if known.
    pub updated_at: Option<NaiveDateTime>,
}

fn listed_categories(conn: &mut DbConn) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    categories::table
        .inner_join(catalog_counts::table.on(catalog_counts::category_id.eq(categories::id)))
        .filter(catalog_counts::active.gt(0))
        .order(categories::id.asc())
        .select((categories::slug, categories::updated_at))
        .load(conn)
}

/// How many addresses the sitemap lists.
pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    let categories = listed_categories(conn)?.len() as i64;
    let products = crate::models::catalog::count(conn, None)?;
    Ok(2 + categories + products)
}

/// Up to `limit` addresses from position `offset`.
pub fn entries(conn: &mut DbConn, offset: i64, limit: i64) -> QueryResult<Vec<SitemapEntry>> {
    let mut fixed = vec![
        SitemapEntry {
            path: "/".into(),
            updated_at: None,
        },
        SitemapEntry {
            path: "/products".into(),
            updated_at: None,
        },
    ];
    for (slug, updated_at) in listed_categories(conn)? {
        let query = serde_urlencoded::to_string([("category", slug.as_str())]).unwrap_or_default();
        fixed.push(SitemapEntry {
            path: format!("/products?{query}"),
            updated_at: Some(updated_at),
        });
    }
    let fixed_len = fixed.len() as i64;
    let mut out: Vec<SitemapEntry> = fixed
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .collect();
    let room = limit - out.len() as i64;
    if room > 0 {
        let rows: Vec<(i32, NaiveDateTime)> = products::table
            .filter(products::status.eq(ProductStatus::Active.as_str()))
            .order(products::id.asc())
            .limit(room)
            .offset((offset - fixed_len).max(0))
            .select((products::id, products::updated_at))
            .load(conn)?;
        out.extend(rows.into_iter().map(|(id, at)| SitemapEntry {
            path: format!("/products/{id}"),
            updated_at: Some(at),
        }));
    }
    Ok(out)
}
