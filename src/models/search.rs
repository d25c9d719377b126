//! Full-text search over product names and descriptions: FTS5 on SQLite, `tsvector`s on
//! PostgreSQL (the `shopfront` configuration: English stems, no stop words).
//!
//! Every match is ranked and every match can be paged to. Relevance is BM25 on SQLite
//! (`bm25()`, a word in the name counting [`NAME_WEIGHT`] times one in the description) and
//! cover density on PostgreSQL (`ts_rank_cd`, the name weighted the same way and long
//! documents normalised down); equal relevance falls back to newest first (the highest id).
//! Every word must match: short ones as the start of a word ("lam" finds "lamp"), longer ones
//! whole (stemmed: "lamps" finds "lamp"), and as the start of a word only when that finds
//! nothing ("kett" finds "kettle"); see [`crate::domain::catalog::PREFIX_INDEXED`].
//!
//! Ranking a word found in a third of a million products reads all of them (a third of a
//! second on SQLite), so a search's ranked ids are kept per listing version
//! ([`RankedSearches`], see [`crate::models::catalog_version::Versions`]): its later pages,
//! and the same search by other visitors, read only the 24 products they show.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use diesel::sql_types::Integer;

use crate::db::DbConn;
use crate::domain::{ListFilter, Pagination, ProductSort, SearchTerms};
use crate::models::catalog::{cards_in_order, RATING_KEY_SQL};
use crate::models::fixed_sql::FixedSql;
use crate::models::product::ProductCard;

/// How many times a word in a product's name counts against one in its description.
pub const NAME_WEIGHT: u32 = 10;

/// One page of search results, best first, and how many there are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPage {
    /// The products on this page, in result order.
    pub cards: Vec<ProductCard>,
    /// Every match, over all pages.
    pub total: i64,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = Integer)]
    id: i32,
}

/// The SQL that differs between the engines: the matches (`match_head` up to the bound
/// words, then `match_tail`; `join_head` the same joined with `products p`) and their
/// relevance.
struct EngineSql {
    match_head: &'static str,
    join_head: &'static str,
    match_tail: &'static str,
    /// Best first, then newest.
    relevance: &'static str,
    /// Whether the statement may stay prepared. PostgreSQL plans a search best knowing the
    /// words (the word's index for a rare one, the table for a common one), which a kept
    /// generic plan would not.
    cache: bool,
}

const SQLITE: EngineSql = EngineSql {
    match_head: "SELECT products_fts.rowid AS id FROM products_fts WHERE products_fts MATCH ",
    join_head: "SELECT p.id AS id FROM products_fts JOIN products p ON p.id = products_fts.rowid \
         WHERE products_fts MATCH ",
    match_tail: "",
    // bm25() is lower for better matches; the weights follow the columns (name, description).
    relevance: "bm25(products_fts, 10.0, 1.0), products_fts.rowid DESC",
    cache: true,
};

const POSTGRES: EngineSql = EngineSql {
    match_head: "SELECT s.product_id AS id FROM product_search s, to_tsquery('shopfront', ",
    join_head: "SELECT p.id AS id FROM product_search s JOIN products p ON p.id = s.product_id, \
         to_tsquery('shopfront', ",
    match_tail: ") q WHERE s.document @@ q",
    // The weights are for labels D, C, B, A: the name is A, the description B. Normalisation
    // 1 divides by 1 + log(document length), as BM25 discounts long documents.
    relevance: "ts_rank_cd('{0.1, 0.1, 0.1, 1.0}', s.document, q, 1) DESC, s.product_id DESC",
    cache: false,
};

/// The ORDER BY of `sort` over the matches joined with `products p`.
fn order_by(engine: &EngineSql, sort: ProductSort) -> [&'static str; 2] {
    match sort {
        ProductSort::Relevance => [engine.relevance, ""],
        ProductSort::Newest => ["p.created_at DESC, p.id DESC", ""],
        ProductSort::PriceAsc => ["p.price_cents ASC, p.id ASC", ""],
        ProductSort::PriceDesc => ["p.price_cents DESC, p.id DESC", ""],
        ProductSort::Name => ["lower(p.name) ASC, p.id ASC", ""],
        ProductSort::Rating => [RATING_KEY_SQL, " DESC, p.rating_count DESC, p.id DESC"],
    }
}

/// What a search is narrowed to: some categories, a price range, stock.
#[derive(Debug, Clone, Copy, Default)]
pub struct Narrowing<'a> {
    /// Only products of these categories.
    pub categories: Option<&'a [i32]>,
    /// The price range and "in stock only".
    pub filter: ListFilter,
}

impl Narrowing<'_> {
    fn narrows(&self) -> bool {
        self.categories.is_some() || !self.filter.is_empty()
    }
}

/// Every product on sale (narrowed by `narrowing`) that `words` (engine syntax) match, in
/// `sort` order. The search indexes hold only products on sale, so a relevance search
/// without narrowing reads the index alone.
fn ranked(
    conn: &mut DbConn,
    engine: &EngineSql,
    words: &str,
    narrowing: &Narrowing<'_>,
    sort: ProductSort,
) -> QueryResult<Vec<i32>> {
    let alone = !narrowing.narrows() && sort == ProductSort::Relevance;
    let head = if alone {
        engine.match_head
    } else {
        engine.join_head
    };
    let mut query = FixedSql::new(engine.cache)
        .sql(head)
        .text(words)
        .sql(engine.match_tail);
    if let Some(ids) = narrowing.categories {
        query = query.sql(" AND p.category_id IN (");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                query = query.sql(", ");
            }
            query = query.nullable_int(Some(*id));
        }
        if ids.is_empty() {
            query = query.sql("NULL");
        }
        query = query.sql(")");
    }
    if let Some(min) = narrowing.filter.min_price {
        query = query.sql(" AND p.price_cents >= ").big_int(min.cents());
    }
    if let Some(max) = narrowing.filter.max_price {
        query = query.sql(" AND p.price_cents <= ").big_int(max.cents());
    }
    if narrowing.filter.in_stock {
        query = query.sql(" AND p.stock > 0");
    }
    query = query.sql(" ORDER BY ");
    for piece in order_by(engine, sort) {
        query = query.sql(piece);
    }
    let rows = query.load::<IdRow>(conn)?;
    Ok(rows.into_iter().map(|row| row.id).collect())
}

/// Ids kept over all searches at most: 8 MB.
const MAX_KEPT_IDS: usize = 2_000_000;

/// The ranked ids of recent searches at one listing version (searches of products in stock
/// also by catalogue version), oldest dropped first past [`MAX_KEPT_IDS`].
#[derive(Debug, Default)]
pub struct RankedSearches {
    kept: Mutex<Kept>,
    /// Held while a search missing from `kept` is ranked, so visitors asking for the same
    /// words at once rank them once.
    ranking: Mutex<()>,
}

#[derive(Debug, Default)]
struct Kept {
    version: i64,
    searches: HashMap<String, Arc<[i32]>>,
    arrived: VecDeque<String>,
    ids: usize,
}

impl RankedSearches {
    fn get(&self, version: i64, key: &str) -> Option<Arc<[i32]>> {
        let kept = self.kept.lock().ok()?;
        (kept.version == version)
            .then(|| kept.searches.get(key).cloned())
            .flatten()
    }

    fn keep(&self, version: i64, key: String, ids: Arc<[i32]>) {
        let Ok(mut kept) = self.kept.lock() else {
            return;
        };
        if kept.version != version {
            if kept.version > version {
                return;
            }
            *kept = Kept {
                version,
                ..Kept::default()
            };
        }
        if ids.len() > MAX_KEPT_IDS || kept.searches.contains_key(&key) {
            return;
        }
        while kept.ids + ids.len() > MAX_KEPT_IDS {
            let Some(oldest) = kept.arrived.pop_front() else {
                break;
            };
            if let Some(gone) = kept.searches.remove(&oldest) {
                kept.ids -= gone.len();
            }
        }
        kept.ids += ids.len();
        kept.arrived.push_back(key.clone());
        kept.searches.insert(key, ids);
    }

    /// Every match of `words` in order, ranked now or kept from earlier at `versions`.
    fn ranked(
        &self,
        conn: &mut DbConn,
        (version, stock_version): (i64, Option<i64>),
        (engine, words): (&EngineSql, &str),
        narrowing: &Narrowing<'_>,
        sort: ProductSort,
    ) -> QueryResult<Arc<[i32]>> {
        let key = format!(
            "{words}\u{0}{:?}\u{0}{:?}\u{0}{}\u{0}{stock_version:?}",
            narrowing.categories,
            narrowing.filter,
            sort.as_str()
        );
        if let Some(ids) = self.get(version, &key) {
            return Ok(ids);
        }
        let _ranking = self.ranking.lock();
        if let Some(ids) = self.get(version, &key) {
            return Ok(ids);
        }
        let ids: Arc<[i32]> = ranked(conn, engine, words, narrowing, sort)?.into();
        self.keep(version, key, ids.clone());
        Ok(ids)
    }

    /// The products on sale matching `terms` (narrowed by `narrowing`), one page of them.
    /// `versions` are the listing version and, when the search is narrowed to products in
    /// stock, the catalogue version: the kept rankings it may use.
    pub fn search(
        &self,
        conn: &mut DbConn,
        versions: (i64, Option<i64>),
        terms: &SearchTerms,
        narrowing: &Narrowing<'_>,
        sort: ProductSort,
        page: &Pagination,
    ) -> QueryResult<SearchPage> {
        if terms.is_empty() {
            return Ok(SearchPage {
                cards: Vec::new(),
                total: 0,
            });
        }
        let (engine, whole, prefixes) = match conn {
            DbConn::Sqlite(_) => (&SQLITE, terms.fts5_query(false), terms.fts5_query(true)),
            DbConn::Pg(_) => (&POSTGRES, terms.tsquery(false), terms.tsquery(true)),
        };
        let mut ids = self.ranked(conn, versions, (engine, &whole), narrowing, sort)?;
        if ids.is_empty() && terms.has_long_words() {
            ids = self.ranked(conn, versions, (engine, &prefixes), narrowing, sort)?;
        }
        let start = usize::try_from(page.offset()).unwrap_or(usize::MAX);
        let shown = ids
            .iter()
            .skip(start)
            .take(usize::try_from(page.per_page).unwrap_or(0))
            .copied()
            .collect();
        Ok(SearchPage {
            cards: cards_in_order(conn, shown)?,
            total: ids.len() as i64,
        })
    }
}
