//! Full-text search over product names and descriptions: FTS5 on SQLite, `tsvector`s on
//! PostgreSQL (the `shopfront` configuration: English stems, no stop words).
//!
//! Relevance is where the words are: a product whose name holds every word ranks above one
//! that needs its description too, and equal relevance falls back to newest first. Every
//! word must match: short ones as the start of a word ("lam" finds "lamp"), longer ones
//! whole (stemmed: "lamps" finds "lamp"), and as the start of a word only when that finds
//! nothing ("kett" finds "kettle"); see [`crate::domain::catalog::PREFIX_INDEXED`].
//!
//! The work is bounded however large the catalogue: each tier reads at most
//! [`SEARCH_CANDIDATES`] of its matches, newest first, in the full-text index's own order,
//! so a word in a third of a million products costs what a rare one does. Every sort order
//! is applied to those candidates. When more products match, [`SearchPage::more`] says so
//! and the page asks for another word. Full-text scores (bm25, ts_rank) are not used: they
//! read every row holding each word, the cost this bound exists to avoid.

use diesel::prelude::*;
use diesel::sql_types::BigInt;

use crate::db::DbConn;
use crate::domain::catalog::SEARCH_CANDIDATES;
use crate::domain::{ListFilter, Pagination, ProductSort, SearchTerms};
use crate::models::catalog::RATING_KEY_SQL;
use crate::models::fixed_sql::FixedSql;
use crate::models::product::ProductCard;

/// One page of search results, best first, and how many there are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPage {
    /// The products on this page, in result order.
    pub cards: Vec<ProductCard>,
    /// Results over all pages (at most the candidates of both tiers).
    pub total: i64,
    /// Whether more products match than the results hold.
    pub more: bool,
}

#[derive(QueryableByName)]
struct PageRow {
    #[diesel(embed)]
    card: ProductCard,
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = BigInt)]
    found: i64,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    total: i64,
    #[diesel(sql_type = BigInt)]
    found: i64,
}

/// One tier's full-text match on one engine. The search indexes hold only products on sale,
/// so without a category the index alone yields the candidates.
struct Matcher {
    /// `SELECT … WHERE <match> ` up to the bound words, then `tail`.
    head: &'static str,
    /// The same, joined with the products to filter by category.
    head_in_category: &'static str,
    tail: &'static str,
    /// The index's order (the product id), newest last.
    key: &'static str,
}

/// The SQL that differs between the engines.
struct EngineSql {
    named: Matcher,
    anywhere: Matcher,
    /// Whether the statement may stay prepared. PostgreSQL plans a search best knowing the
    /// words (the word's index for a rare one, the newest rows for a common one), which a
    /// kept generic plan would not.
    cache: bool,
}

const SQLITE: EngineSql = EngineSql {
    named: Matcher {
        head: "SELECT n.rowid AS id FROM products_name_fts n WHERE products_name_fts MATCH ",
        head_in_category: "SELECT n.rowid AS id FROM products_name_fts n \
             JOIN products p ON p.id = n.rowid WHERE products_name_fts MATCH ",
        tail: "",
        key: "n.rowid",
    },
    anywhere: Matcher {
        head: "SELECT f.rowid AS id FROM products_fts f WHERE products_fts MATCH ",
        head_in_category: "SELECT f.rowid AS id FROM products_fts f \
             JOIN products p ON p.id = f.rowid WHERE products_fts MATCH ",
        tail: "",
        key: "f.rowid",
    },
    cache: true,
};

const POSTGRES: EngineSql = EngineSql {
    named: Matcher {
        head: "SELECT s.product_id AS id FROM product_search s \
             WHERE s.name_document @@ to_tsquery('shopfront', ",
        head_in_category: "SELECT s.product_id AS id FROM product_search s \
             JOIN products p ON p.id = s.product_id \
             WHERE s.name_document @@ to_tsquery('shopfront', ",
        tail: ")",
        key: "s.product_id",
    },
    anywhere: Matcher {
        head: "SELECT s.product_id AS id FROM product_search s \
             WHERE s.document @@ to_tsquery('shopfront', ",
        head_in_category: "SELECT s.product_id AS id FROM product_search s \
             JOIN products p ON p.id = s.product_id \
             WHERE s.document @@ to_tsquery('shopfront', ",
        tail: ")",
        key: "s.product_id",
    },
    cache: false,
};

/// What one sort order reads of each candidate (`columns`, from `products p`, when the
/// order needs more than the id) and how it orders the results, in pieces. Within a tier,
/// relevance takes the newest first: the highest id, the order the index yields.
struct SortSql {
    columns: &'static str,
    order: &'static [&'static str],
}

fn sort_sql(sort: ProductSort) -> SortSql {
    match sort {
        ProductSort::Relevance => SortSql {
            columns: "",
            order: &["tier DESC, id DESC"],
        },
        ProductSort::Newest => SortSql {
            columns: ", p.created_at AS created_at",
            order: &["created_at DESC, id DESC"],
        },
        ProductSort::PriceAsc => SortSql {
            columns: ", p.price_cents AS price_cents",
            order: &["price_cents ASC, id ASC"],
        },
        ProductSort::PriceDesc => SortSql {
            columns: ", p.price_cents AS price_cents",
            order: &["price_cents DESC, id DESC"],
        },
        ProductSort::Name => SortSql {
            columns: ", lower(p.name) AS name_key",
            order: &["name_key ASC, id ASC"],
        },
        ProductSort::Rating => SortSql {
            columns: ", p.rating_sum AS rating_sum, p.rating_count AS rating_count",
            order: &[RATING_KEY_SQL, " DESC, rating_count DESC, id DESC"],
        },
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

/// Appends the newest `limit` products on sale (narrowed by `narrowing`) that `matcher`
/// finds for `words`.
fn candidates(
    query: FixedSql,
    matcher: &Matcher,
    words: &str,
    narrowing: &Narrowing<'_>,
    limit: i64,
) -> FixedSql {
    if !narrowing.narrows() {
        return query
            .sql(matcher.head)
            .text(words)
            .sql(matcher.tail)
            .sql(" ORDER BY ")
            .sql(matcher.key)
            .sql(" DESC LIMIT ")
            .big_int(limit);
    }
    let mut query = query
        .sql(matcher.head_in_category)
        .text(words)
        .sql(matcher.tail);
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
    query
        .sql(" ORDER BY ")
        .sql(matcher.key)
        .sql(" DESC LIMIT ")
        .big_int(limit)
}

/// The common part of both queries: the tiers' candidates and the results they make.
fn results(engine: &EngineSql, sort: &SortSql, words: &str, narrowing: &Narrowing<'_>) -> FixedSql {
    let join = if sort.columns.is_empty() {
        ""
    } else {
        " JOIN products p ON p.id = c.id"
    };
    let query = FixedSql::new(engine.cache).sql("WITH named AS (");
    let query = candidates(query, &engine.named, words, narrowing, SEARCH_CANDIDATES)
        .sql("), anywhere AS (");
    // One more than a tier holds, to learn whether more products match.
    candidates(
        query,
        &engine.anywhere,
        words,
        narrowing,
        SEARCH_CANDIDATES + 1,
    )
    .sql("), kept AS (SELECT id FROM anywhere ORDER BY id DESC LIMIT ")
    .big_int(SEARCH_CANDIDATES)
    .sql("), results AS (SELECT 1 AS tier, c.id AS id")
    .sql(sort.columns)
    .sql(" FROM named c")
    .sql(join)
    .sql(" UNION ALL SELECT 0 AS tier, c.id AS id")
    .sql(sort.columns)
    .sql(" FROM kept c")
    .sql(join)
    .sql(" WHERE c.id NOT IN (SELECT id FROM named)) ")
}

/// Runs the search for `words` (engine syntax): the page's cards, the results and the
/// matches.
fn run(
    conn: &mut DbConn,
    engine: &EngineSql,
    words: &str,
    narrowing: &Narrowing<'_>,
    sort: ProductSort,
    page: &Pagination,
) -> QueryResult<SearchPage> {
    let sort = sort_sql(sort);
    let mut query = results(engine, &sort, words, narrowing)
        .sql(", page AS (SELECT id, ROW_NUMBER() OVER (ORDER BY ");
    for piece in sort.order {
        query = query.sql(piece);
    }
    query = query.sql(") AS position FROM results ORDER BY ");
    for piece in sort.order {
        query = query.sql(piece);
    }
    let rows = query
        .sql(" LIMIT ")
        .big_int(page.per_page)
        .sql(" OFFSET ")
        .big_int(page.offset())
        .sql(
            ") SELECT p.id AS id, p.name AS name, p.price_cents AS price_cents, \
             p.stock AS stock, p.rating_sum AS rating_sum, p.rating_count AS rating_count, \
             p.image AS image, p.image_width AS image_width, \
             p.image_height AS image_height, (SELECT count(*) FROM results) AS total, \
             (SELECT count(*) FROM anywhere) AS found \
             FROM page JOIN products p ON p.id = page.id ORDER BY page.position",
        )
        .load::<PageRow>(conn)?;
    let (total, found) = match rows.first() {
        Some(row) => (row.total, row.found),
        // A page past the end has no rows to carry the counts.
        None => {
            let counts = results(engine, &sort, words, narrowing)
                .sql(
                    "SELECT (SELECT count(*) FROM results) AS total, \
                     (SELECT count(*) FROM anywhere) AS found",
                )
                .get_result::<CountRow>(conn)?;
            (counts.total, counts.found)
        }
    };
    Ok(SearchPage {
        cards: rows.into_iter().map(|row| row.card).collect(),
        total,
        more: found > SEARCH_CANDIDATES,
    })
}

/// The products on sale matching `terms` (narrowed by `narrowing`), one page of them.
pub fn search(
    conn: &mut DbConn,
    terms: &SearchTerms,
    narrowing: &Narrowing<'_>,
    sort: ProductSort,
    page: &Pagination,
) -> QueryResult<SearchPage> {
    if terms.is_empty() {
        return Ok(SearchPage {
            cards: Vec::new(),
            total: 0,
            more: false,
        });
    }
    let (engine, whole, prefixes) = match conn {
        DbConn::Sqlite(_) => (&SQLITE, terms.fts5_query(false), terms.fts5_query(true)),
        DbConn::Pg(_) => (&POSTGRES, terms.tsquery(false), terms.tsquery(true)),
    };
    let found = run(conn, engine, &whole, narrowing, sort, page)?;
    if found.total > 0 || !terms.has_long_words() {
        return Ok(found);
    }
    run(conn, engine, &prefixes, narrowing, sort, page)
}
