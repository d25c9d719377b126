//! The public catalogue's list queries: the newest products, one page of a list in any
//! order, and the kept counts.
//!
//! Every order has an index that yields it, so a page costs the same at any depth when it is
//! reached through a "next" or "previous" link: such a link names the product next to the
//! page (`after=` or `before=`), and the page starts at that product's place in the index
//! (keyset pagination) instead of stepping over every row in front of it. A page reached by
//! its number alone is counted off with OFFSET from the nearer end of the list.
//!
//! The queries are written out per order and filter rather than boxed, so each has a fixed
//! SQL text that diesel prepares once per connection and reuses.

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::Integer;

use crate::db::{on_backend, DbConn};
use crate::domain::{ListFilter, ProductSort, ProductStatus};
use crate::models::product::{lower, ProductCard};
use crate::schema::{catalog_counts, products};

/// The best-rated-first sort key: the average rating in thousandths, -1 without reviews (so
/// those come last). Written exactly as in the index `products_rating`, so both engines
/// match the index to the ORDER BY.
pub const RATING_KEY_SQL: &str =
    "(CASE WHEN rating_count = 0 THEN -1 ELSE rating_sum * 1000 / rating_count END)";

/// [`RATING_KEY_SQL`] as a diesel expression on `products`.
#[derive(Debug, Clone, Copy, QueryId, ValidGrouping)]
pub struct RatingKey;

impl Expression for RatingKey {
    type SqlType = Integer;
}

impl AppearsOnTable<products::table> for RatingKey {}

impl SelectableExpression<products::table> for RatingKey {}

impl<DB: Backend> QueryFragment<DB> for RatingKey {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        // A constant text with no user input, so the statement stays cacheable.
        out.push_sql(RATING_KEY_SQL);
        Ok(())
    }
}

/// Where a product sits in every list order: what a keyset page starts from.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct SortKey {
    /// The product.
    pub id: i32,
    /// Newest first.
    pub created_at: NaiveDateTime,
    /// Cheapest or dearest first.
    pub price_cents: i64,
    /// A to Z: the name as the database lower-cases it.
    pub name_key: String,
    /// Best rated first: [`RATING_KEY_SQL`].
    pub rating_key: i32,
    /// Best rated first, among equal averages: more reviews first.
    pub rating_count: i32,
}

/// The place of product `id` in every list order; `None` when the product does not exist.
pub fn sort_key(conn: &mut DbConn, id: i32) -> QueryResult<Option<SortKey>> {
    Ok(sort_keys(conn, &[id])?.pop())
}

/// The places of products `ids` in every list order, in the order of `ids`; a product that
/// does not exist is left out.
pub fn sort_keys(conn: &mut DbConn, ids: &[i32]) -> QueryResult<Vec<SortKey>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut keys: Vec<SortKey> = on_backend!(conn, |c| products::table
        .filter(products::id.eq_any(ids))
        .select((
            products::id,
            products::created_at,
            products::price_cents,
            lower(products::name),
            RatingKey,
            products::rating_count,
        ))
        .load(c))?;
    keys.sort_by_key(|key| ids.iter().position(|id| *id == key.id));
    Ok(keys)
}

/// Which rows of a list a page holds.
#[derive(Debug, Clone, Copy)]
pub enum Window<'a> {
    /// Skip this many rows from the start (a page reached by its number).
    Offset(i64),
    /// The `take` rows that come `skip` rows before the end (a late page reached by its
    /// number, found by walking from the end).
    FromEnd {
        /// Rows after the page.
        skip: i64,
        /// Rows on the page.
        take: i64,
    },
    /// The rows just after this product, in list order, less the first so many: a "next"
    /// link (which skips none) or a page marked by [`crate::models::page_marks`].
    After(&'a SortKey, i64),
    /// The rows just before this product (a "previous" link).
    Before(&'a SortKey),
}

impl Window<'_> {
    /// The window for the page at `offset` of `total` rows, counted from the nearer end.
    pub fn at_offset(offset: i64, per_page: i64, total: i64) -> Window<'static> {
        let remaining = total - offset;
        if remaining > 0 && remaining < offset {
            let take = remaining.min(per_page);
            Window::FromEnd {
                skip: remaining - take,
                take,
            }
        } else {
            Window::Offset(offset)
        }
    }
}

/// Loads the rows `$load` names of one window of a list: the products on sale (of
/// `$category` when given) in `$sort` order. `$load!($conn, $query, $skipped)` loads what
/// `$query` finds, knowing it skips `$skipped` rows; a statically typed query is written
/// out per order, filter and window, so each keeps one prepared statement.
macro_rules! list_window {
    ($conn:ident, $category:expr, $sort:expr, $window:expr, $limit:expr, $load:ident) => {{
        use products::{category_id as category, created_at, id, price_cents, rating_count, status};
        let active = ProductStatus::Active.as_str();
        let (category_id, window, limit) = ($category, $window, $limit);

        // Expands into one query per filter and window, for one order given as the ORDER BY,
        // the reversed ORDER BY, and the conditions for "after k" and "before k".
        macro_rules! in_order {
            (order: $order:expr, reversed: $reversed:expr,
             after: |$a:ident| $after:expr, before: |$b:ident| $before:expr) => {{
                let base = products::table.filter(status.eq(active));
                match (category_id, window) {
                    (None, Window::Offset(n)) => {
                        $load!($conn, base.order($order).limit(limit).offset(n), n)
                    }
                    (Some(c), Window::Offset(n)) => $load!(
                        $conn,
                        base.filter(category.eq(c)).order($order).limit(limit).offset(n),
                        n
                    ),
                    (None, Window::FromEnd { skip, take }) => {
                        $load!($conn, base.order($reversed).limit(take).offset(skip), skip)
                            .map(reversed)
                    }
                    (Some(c), Window::FromEnd { skip, take }) => $load!(
                        $conn,
                        base.filter(category.eq(c))
                            .order($reversed)
                            .limit(take)
                            .offset(skip),
                        skip
                    )
                    .map(reversed),
                    (None, Window::After($a, skip)) => $load!(
                        $conn,
                        base.filter($after).order($order).limit(limit).offset(skip),
                        skip
                    ),
                    (Some(c), Window::After($a, skip)) => $load!(
                        $conn,
                        base.filter(category.eq(c))
                            .filter($after)
                            .order($order)
                            .limit(limit)
                            .offset(skip),
                        skip
                    ),
                    (None, Window::Before($b)) => {
                        $load!($conn, base.filter($before).order($reversed).limit(limit), 0)
                            .map(reversed)
                    }
                    (Some(c), Window::Before($b)) => $load!(
                        $conn,
                        base.filter(category.eq(c))
                            .filter($before)
                            .order($reversed)
                            .limit(limit),
                        0
                    )
                    .map(reversed),
                }
            }};
        }

        // A list sorted by one column (down or up), ties broken by id in the same direction.
        macro_rules! by_column {
            (down $col:expr, |$k:ident| $key:expr) => {
                by_column!(@ $col, |$k| $key, desc asc le lt ge gt)
            };
            (up $col:expr, |$k:ident| $key:expr) => {
                by_column!(@ $col, |$k| $key, asc desc ge gt le lt)
            };
            (@ $col:expr, |$k:ident| $key:expr, $dir:ident $rev:ident $to:ident $past:ident $back:ident $beyond:ident) => {
                in_order!(
                    order: ($col.$dir(), id.$dir()),
                    reversed: ($col.$rev(), id.$rev()),
                    after: |$k| $col.$to($key).and($col.$past($key).or(id.$past($k.id))),
                    before: |$k| $col.$back($key).and($col.$beyond($key).or(id.$beyond($k.id)))
                )
            };
        }

        // Each keyset condition leads with a plain range on the first sort column, which the
        // index turns into a seek; the OR after it only settles ties at the boundary.
        match $sort {
            ProductSort::Newest | ProductSort::Relevance => {
                by_column!(down created_at, |k| k.created_at)
            }
            ProductSort::PriceAsc => by_column!(up price_cents, |k| k.price_cents),
            ProductSort::PriceDesc => by_column!(down price_cents, |k| k.price_cents),
            ProductSort::Name => by_column!(up lower(products::name), |k| k.name_key.as_str()),
            ProductSort::Rating => in_order!(
                order: (RatingKey.desc(), rating_count.desc(), id.desc()),
                reversed: (RatingKey.asc(), rating_count.asc(), id.asc()),
                after: |k| RatingKey.le(k.rating_key).and(
                    RatingKey.lt(k.rating_key).or(rating_count
                        .lt(k.rating_count)
                        .or(rating_count.eq(k.rating_count).and(id.lt(k.id))))
                ),
                before: |k| RatingKey.ge(k.rating_key).and(
                    RatingKey.gt(k.rating_key).or(rating_count
                        .gt(k.rating_count)
                        .or(rating_count.eq(k.rating_count).and(id.gt(k.id))))
                )
            ),
        }
    }};
}

/// Loads the cards a list query finds. A window that skips many rows reads the ids from the
/// index alone first on PostgreSQL, then the cards ([`cards_in_order`]). SQLite already skips
/// OFFSET rows without reading the products (a deferred seek), so reading ids first would
/// only add a statement there: half the speed, measured.
macro_rules! load_cards {
    ($conn:ident, $query:expr, $skipped:expr) => {
        if $skipped < SKIP_IN_INDEX_FROM || matches!($conn, DbConn::Sqlite(_)) {
            on_backend!($conn, |engine| $query
                .select(ProductCard::as_select())
                .load(engine))
        } else {
            $query
                .select(products::id)
                .load::<i32>($conn)
                .and_then(|ids| cards_in_order($conn, ids))
        }
    };
}

/// Loads the ids a list query finds, from the order's index alone.
macro_rules! load_ids {
    ($conn:ident, $query:expr, $skipped:expr) => {
        on_backend!($conn, |engine| $query
            .select(products::id)
            .load::<i32>(engine))
    };
}

/// One page of a list: up to `per_page` products on sale (of `category_id` when given), in
/// `sort` order, in `window`. Relevance means newest here: it only orders search results.
pub fn page(
    conn: &mut DbConn,
    category_id: Option<i32>,
    sort: ProductSort,
    window: Window<'_>,
    per_page: i64,
) -> QueryResult<Vec<ProductCard>> {
    list_window!(conn, category_id, sort, window, per_page, load_cards)
}

/// The ids of up to `limit` products of a list in `window`, in list order: what
/// [`crate::models::page_marks`] walks to mark a list's pages.
pub fn ids(
    conn: &mut DbConn,
    category_id: Option<i32>,
    sort: ProductSort,
    window: Window<'_>,
    limit: i64,
) -> QueryResult<Vec<i32>> {
    list_window!(conn, category_id, sort, window, limit, load_ids)
}

fn reversed<T>(mut rows: Vec<T>) -> Vec<T> {
    rows.reverse();
    rows
}

/// From how many skipped rows a numbered page reads ids first on PostgreSQL
/// ([`cards_in_order`]): below it, one statement reading the few skipped rows whole costs
/// less than two.
const SKIP_IN_INDEX_FROM: i64 = 240;

/// The cards of the products `ids`, in the order of `ids`.
///
/// A page reached by its number skips rows. Selecting only ids lets PostgreSQL skip them
/// with an index-only scan (every column the filter and order need is in the sort order's
/// index) instead of reading each skipped product's row: 20,000 skipped rows took 590 ms
/// through the table, 11 ms in the index.
pub(crate) fn cards_in_order(conn: &mut DbConn, ids: Vec<i32>) -> QueryResult<Vec<ProductCard>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // By id alone: with the status filter too, SQLite's planner chose a status index over
    // the primary key and scanned every product on sale (1 ms at 10,000 products).
    let mut cards = products::table
        .filter(products::id.eq_any(&ids))
        .select(ProductCard::as_select())
        .load::<ProductCard>(conn)?;
    cards.sort_by_key(|card| ids.iter().position(|id| *id == card.id));
    Ok(cards)
}

/// The newest products on sale.
pub fn newest(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<ProductCard>> {
    on_backend!(conn, |c| products::table
        .filter(products::status.eq(ProductStatus::Active.as_str()))
        .order((products::created_at.desc(), products::id.desc()))
        .limit(limit)
        .select(ProductCard::as_select())
        .load(c))
}

/// How many products are on sale (in `category_id` when given), from the counts the triggers
/// keep: a read of one row, or of one row per category, however large the catalogue.
pub fn count(conn: &mut DbConn, category_id: Option<i32>) -> QueryResult<i64> {
    match category_id {
        Some(id) => Ok(on_backend!(conn, |c| catalog_counts::table
            .find(id)
            .select(catalog_counts::active)
            .first::<i32>(c)
            .optional())?
        .map_or(0, i64::from)),
        None => Ok(on_backend!(conn, |c| catalog_counts::table
            .select(diesel::dsl::sum(catalog_counts::active))
            .first::<Option<i64>>(c))?
        .unwrap_or(0)),
    }
}

/// One page of the products on sale narrowed by a price range or stock (and, when given,
/// to `categories`), in `sort` order, with how many there are in all. Such lists are
/// numbered and counted: the kept counts do not know prices, and keyset links are kept for
/// the plain lists.
pub fn narrowed_page(
    conn: &mut DbConn,
    categories: Option<&[i32]>,
    filter: &ListFilter,
    sort: ProductSort,
    (offset, per_page): (i64, i64),
) -> QueryResult<(Vec<ProductCard>, i64)> {
    use products::{created_at, id, price_cents, rating_count};
    let narrowed = || {
        let mut query = products::table
            .filter(products::status.eq(ProductStatus::Active.as_str()))
            .into_boxed::<crate::db::MultiBackend>();
        if let Some(ids) = categories {
            query = query.filter(products::category_id.eq_any(ids.to_vec()));
        }
        if let Some(min) = filter.min_price {
            query = query.filter(price_cents.ge(min.cents()));
        }
        if let Some(max) = filter.max_price {
            query = query.filter(price_cents.le(max.cents()));
        }
        if filter.in_stock {
            query = query.filter(products::stock.gt(0));
        }
        query
    };
    if let (Some(ids), true) = (categories, filter.is_empty()) {
        if ids.len() > 1 && SubtreeOrder::of(sort).is_some() {
            let total = branch_total(conn, ids)?;
            // A small branch sorts quicker in one prepared query than it merges.
            if total >= MERGE_BRANCHES_FROM {
                if let Some(cards) = merged_branch_page(conn, ids, sort, (offset, per_page))? {
                    return Ok((cards, total));
                }
            }
        }
    }
    let total: i64 = narrowed().count().get_result(conn)?;
    let ordered = match sort {
        ProductSort::Newest | ProductSort::Relevance => {
            narrowed().order((created_at.desc(), id.desc()))
        }
        ProductSort::PriceAsc => narrowed().order((price_cents.asc(), id.asc())),
        ProductSort::PriceDesc => narrowed().order((price_cents.desc(), id.desc())),
        ProductSort::Name => narrowed().order((lower(products::name).asc(), id.asc())),
        ProductSort::Rating => narrowed().order((RatingKey.desc(), rating_count.desc(), id.desc())),
    };
    let cards = ordered
        .limit(per_page)
        .offset(offset)
        .select(ProductCard::as_select())
        .load(conn)?;
    Ok((cards, total))
}

/// A sort a category's page can take from each category's own index: its key, and the
/// direction of key and id.
#[derive(Debug, Clone, Copy)]
struct SubtreeOrder {
    key: &'static str,
    descending: bool,
}

impl SubtreeOrder {
    fn of(sort: ProductSort) -> Option<SubtreeOrder> {
        let (key, descending) = match sort {
            ProductSort::Newest | ProductSort::Relevance => ("created_at", true),
            ProductSort::PriceAsc => ("price_cents", false),
            ProductSort::PriceDesc => ("price_cents", true),
            ProductSort::Name => ("lower(name)", false),
            ProductSort::Rating => return None,
        };
        Some(SubtreeOrder { key, descending })
    }
}

/// From how many products on sale a branch's page is merged from its categories' indexes
/// ([`branch_page`]) rather than sorted whole: below it, one prepared query is quicker (2,700
/// against 1,900 pages a second for 500 products on PostgreSQL; 388 against 1,826 for
/// 50,000 — `bench/run.sh`).
const MERGE_BRANCHES_FROM: i64 = 5_000;

/// Products on sale in the categories `ids`, from the kept counts.
fn branch_total(conn: &mut DbConn, ids: &[i32]) -> QueryResult<i64> {
    let total: Option<i64> = catalog_counts::table
        .filter(catalog_counts::category_id.eq_any(ids))
        .select(diesel::dsl::sum(catalog_counts::active))
        .first(conn)?;
    Ok(total.unwrap_or(0))
}

/// A page of the products on sale in categories `ids` (a category and its descendants), in
/// `sort` order, at `(offset, per_page)`: each category's first `offset + per_page` come from
/// its own index, and only those are merged and sorted, so the page costs the same however
/// many products the branch holds (one query over all of them would sort every one).
/// `None` for the best-rated order, which has no per-category index.
pub fn merged_branch_page(
    conn: &mut DbConn,
    ids: &[i32],
    sort: ProductSort,
    (offset, per_page): (i64, i64),
) -> QueryResult<Option<Vec<ProductCard>>> {
    let Some(order) = SubtreeOrder::of(sort) else {
        return Ok(None);
    };
    let postgres = matches!(conn, DbConn::Pg(_));
    let direction = if order.descending { "DESC" } else { "ASC" };
    let mut placeholder = 0;
    let mut next = || {
        placeholder += 1;
        if postgres {
            format!("${placeholder}")
        } else {
            "?".to_string()
        }
    };
    let parts: Vec<String> = (0..ids.len())
        .map(|n| {
            format!(
                "SELECT * FROM (SELECT id, {key} AS sort_key FROM products \
                 WHERE category_id = {} AND status = 'active' \
                 ORDER BY {key} {direction}, id {direction} LIMIT {}) AS part{n}",
                next(),
                next(),
                key = order.key,
            )
        })
        .collect();
    let sql = format!(
        "SELECT p.id, p.name, p.price_cents, p.stock, p.rating_sum, p.rating_count, p.image, \
         p.image_width, p.image_height FROM ({}) AS branch JOIN products p ON p.id = branch.id \
         ORDER BY branch.sort_key {direction}, branch.id {direction} LIMIT {} OFFSET {}",
        parts.join(" UNION ALL "),
        next(),
        next(),
    );
    let mut query = diesel::sql_query(sql).into_boxed::<crate::db::MultiBackend>();
    for id in ids {
        query = query
            .bind::<Integer, _>(*id)
            .bind::<diesel::sql_types::BigInt, _>(offset + per_page);
    }
    query
        .bind::<diesel::sql_types::BigInt, _>(per_page)
        .bind::<diesel::sql_types::BigInt, _>(offset)
        .load::<ProductCard>(conn)
        .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_numbered_page_is_counted_from_the_nearer_end() {
        assert!(matches!(Window::at_offset(0, 24, 1000), Window::Offset(0)));
        assert!(matches!(
            Window::at_offset(480, 24, 1000),
            Window::Offset(480)
        ));
        // 1000 - 960 - 24 = 16 rows after this page.
        assert!(matches!(
            Window::at_offset(960, 24, 1000),
            Window::FromEnd { skip: 16, take: 24 }
        ));
        // The last, short page: nothing after it.
        assert!(matches!(
            Window::at_offset(984, 24, 1000),
            Window::FromEnd { skip: 0, take: 16 }
        ));
        // A page past the end keeps its offset (and finds nothing).
        assert!(matches!(
            Window::at_offset(2000, 24, 1000),
            Window::Offset(2000)
        ));
    }
}
