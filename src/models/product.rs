//! Products: rows, the card and detail views the catalogue shows, and list queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{DbConn, MultiBackend};
use crate::domain::review;
use crate::domain::{Pagination, ProductSort, ProductStatus, StockState};
use crate::models::category::CategoryLink;
use crate::schema::{categories, products};

diesel::define_sql_function! {
    /// SQL `lower()`, for case-insensitive name order on both engines.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// A product row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = products)]
pub struct Product {
    /// Primary key.
    pub id: i32,
    /// The category it is listed in.
    pub category_id: i32,
    /// Shown everywhere the product is.
    pub name: String,
    /// Shown on the product page.
    pub description: String,
    /// Price in cents.
    pub price_cents: i64,
    /// Items on hand.
    pub stock: i32,
    /// `active` or `archived`.
    pub status: String,
    /// When it was created (UTC).
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    pub updated_at: NaiveDateTime,
    /// Sum of the visible reviews' ratings.
    pub rating_sum: i32,
    /// Number of visible reviews.
    pub rating_count: i32,
}

impl Product {
    /// Whether the product is on sale.
    pub fn status(&self) -> ProductStatus {
        ProductStatus::from_db(&self.status)
    }
}

/// A product to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = products)]
pub struct NewProduct<'a> {
    /// The category it is listed in.
    pub category_id: i32,
    /// Shown everywhere the product is.
    pub name: &'a str,
    /// Shown on the product page.
    pub description: &'a str,
    /// Price in cents.
    pub price_cents: i64,
    /// Items on hand.
    pub stock: i32,
    /// `active` or `archived`.
    pub status: &'a str,
    /// Creation time (UTC).
    pub created_at: NaiveDateTime,
    /// Same as `created_at` for a new row.
    pub updated_at: NaiveDateTime,
}

/// What a product list shows of each product.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = products)]
pub struct ProductCard {
    /// Primary key.
    pub id: i32,
    /// Shown as the link text.
    pub name: String,
    /// Price in cents.
    pub price_cents: i64,
    /// Items on hand.
    pub stock: i32,
    /// Sum of the visible reviews' ratings.
    pub rating_sum: i32,
    /// Number of visible reviews.
    pub rating_count: i32,
}

impl ProductCard {
    /// Availability as the shopper reads it.
    pub fn stock_state(&self) -> StockState {
        StockState::of(self.stock)
    }

    /// The average rating ("4.3"), if there are reviews.
    pub fn average_rating(&self) -> Option<String> {
        review::format_average(self.rating_sum, self.rating_count)
    }
}

/// The best-rated-first sort key: the average in thousandths, -1 without reviews (so those
/// come last). Plain integer arithmetic, the same on both engines; `prefix` qualifies the
/// columns (`"p."` in the search query, `""` in list queries).
pub fn rating_order_sql(prefix: &str) -> String {
    format!(
        "CASE WHEN {prefix}rating_count = 0 THEN -1 ELSE {prefix}rating_sum * 1000 / {prefix}rating_count END"
    )
}

/// Which products a list holds: always the ones on sale, optionally of one category.
#[derive(Debug, Clone, Copy, Default)]
pub struct CatalogFilter {
    /// Only this category, when set.
    pub category_id: Option<i32>,
}

type BoxedProducts<'a> = products::BoxedQuery<'a, MultiBackend>;

fn on_sale(filter: CatalogFilter) -> BoxedProducts<'static> {
    let mut query = products::table
        .filter(products::status.eq(ProductStatus::Active.as_str()))
        .into_boxed();
    if let Some(category_id) = filter.category_id {
        query = query.filter(products::category_id.eq(category_id));
    }
    query
}

/// The newest products on sale.
pub fn newest(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<ProductCard>> {
    on_sale(CatalogFilter::default())
        .order((products::created_at.desc(), products::id.desc()))
        .limit(limit)
        .select(ProductCard::as_select())
        .load(conn)
}

/// One page of the products on sale that `filter` admits, in `sort` order.
pub fn list(
    conn: &mut DbConn,
    filter: CatalogFilter,
    sort: ProductSort,
    page: &Pagination,
) -> QueryResult<Vec<ProductCard>> {
    let query = on_sale(filter);
    let query = match sort {
        ProductSort::Newest | ProductSort::Relevance => {
            query.order((products::created_at.desc(), products::id.desc()))
        }
        ProductSort::PriceAsc => query.order((products::price_cents.asc(), products::id.asc())),
        ProductSort::PriceDesc => query.order((products::price_cents.desc(), products::id.desc())),
        ProductSort::Name => query.order((lower(products::name).asc(), products::id.asc())),
        ProductSort::Rating => query.order((
            diesel::dsl::sql::<diesel::sql_types::Integer>(&rating_order_sql("")).desc(),
            products::rating_count.desc(),
            products::id.desc(),
        )),
    };
    query
        .limit(page.per_page)
        .offset(page.offset())
        .select(ProductCard::as_select())
        .load(conn)
}

/// How many products on sale `filter` admits.
pub fn count(conn: &mut DbConn, filter: CatalogFilter) -> QueryResult<i64> {
    on_sale(filter).count().get_result(conn)
}

/// How many products exist at all, on sale or not.
pub fn count_all(conn: &mut DbConn) -> QueryResult<i64> {
    products::table.count().get_result(conn)
}

/// Cards for `ids`, in the order of `ids` (ids with no row are skipped).
pub fn cards_in_order(conn: &mut DbConn, ids: &[i32]) -> QueryResult<Vec<ProductCard>> {
    let mut cards: Vec<ProductCard> = products::table
        .filter(products::id.eq_any(ids))
        .select(ProductCard::as_select())
        .load(conn)?;
    cards.sort_by_key(|card| ids.iter().position(|id| *id == card.id));
    Ok(cards)
}

/// A product with the category it is listed in.
pub fn find_with_category(
    conn: &mut DbConn,
    id: i32,
) -> QueryResult<Option<(Product, CategoryLink)>> {
    products::table
        .inner_join(categories::table)
        .filter(products::id.eq(id))
        .select((Product::as_select(), CategoryLink::as_select()))
        .first(conn)
        .optional()
}

/// Inserts one product and returns its id.
pub fn insert(conn: &mut DbConn, new: &NewProduct<'_>) -> QueryResult<i32> {
    diesel::insert_into(products::table)
        .values(new)
        .returning(products::id)
        .get_result(conn)
}

/// Takes `quantity` off the stock if that many are on hand; false (and nothing changed) when
/// fewer are. The condition is in the UPDATE itself, so two buyers of the last item cannot
/// both succeed, on either engine.
pub fn take_stock(
    conn: &mut DbConn,
    id: i32,
    quantity: i32,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        products::table
            .find(id)
            .filter(products::stock.ge(quantity)),
    )
    .set((
        products::stock.eq(products::stock - quantity),
        products::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Puts `quantity` back on the stock (a cancelled order).
pub fn return_stock(
    conn: &mut DbConn,
    id: i32,
    quantity: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(products::table.find(id))
        .set((
            products::stock.eq(products::stock + quantity),
            products::updated_at.eq(now),
        ))
        .execute(conn)
}

/// The product `id` with its category, if it exists.
pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Product>> {
    products::table
        .find(id)
        .select(Product::as_select())
        .first(conn)
        .optional()
}

/// Recomputes the product's rating from its visible reviews (call in the review's transaction).
pub fn refresh_rating(conn: &mut DbConn, id: i32) -> QueryResult<usize> {
    use crate::schema::reviews;
    let visible = reviews::table
        .filter(reviews::product_id.eq(id))
        .filter(reviews::hidden.eq(false));
    let sum: Option<i64> = visible
        .select(diesel::dsl::sum(reviews::rating))
        .first(conn)?;
    let count: i64 = visible.count().get_result(conn)?;
    diesel::update(products::table.find(id))
        .set((
            products::rating_sum.eq(i32::try_from(sum.unwrap_or(0)).unwrap_or(i32::MAX)),
            products::rating_count.eq(i32::try_from(count).unwrap_or(i32::MAX)),
        ))
        .execute(conn)
}
