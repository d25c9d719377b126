//! Products: rows, the card and detail views the catalogue shows, and list queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::{on_backend, DbConn, MultiBackend};
use crate::domain::review;
use crate::domain::{ProductStatus, StockState};
use crate::models::category::CategoryLink;
use crate::models::Window;
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
    /// On sale or archived.
    pub status: ProductStatus,
    /// When it was created (UTC).
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    pub updated_at: NaiveDateTime,
    /// Sum of the visible reviews' ratings.
    pub rating_sum: i32,
    /// Number of visible reviews.
    pub rating_count: i32,
    /// Bumped by every admin save; a save made from an older version is refused.
    pub version: i32,
    /// The name of its stored image (a row of `images`, served at `/uploads/{name}`), if any.
    pub image: Option<String>,
    /// How it is taxed.
    pub tax_class: crate::domain::tax::TaxClass,
    /// Its stock-keeping unit, if it has one.
    pub sku: Option<String>,
    /// The cover thumbnail's width, if it has photos.
    pub image_width: Option<i32>,
    /// Its height.
    pub image_height: Option<i32>,
    /// Whether it is sold through variants (has any on sale).
    pub has_variants: bool,
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
    /// The stored image's file name, if any.
    pub image: Option<&'a str>,
    /// `standard`, `reduced` or `zero`.
    pub tax_class: &'a str,
    /// Its stock-keeping unit, unique.
    pub sku: Option<&'a str>,
    /// Creation time (UTC).
    pub created_at: NaiveDateTime,
    /// Same as `created_at` for a new row.
    pub updated_at: NaiveDateTime,
}

/// What a product list shows of each product.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, QueryableByName, Selectable)]
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
    /// The stored image's file name, if any.
    pub image: Option<String>,
    /// The cover thumbnail's width (none for an image stored before photos had sizes).
    pub image_width: Option<i32>,
    /// Its height.
    pub image_height: Option<i32>,
}

impl ProductCard {
    /// The card image's width and height attributes: the thumbnail's size, or the box it is
    /// fitted into when an old image has none recorded.
    pub fn image_size(&self) -> (i32, i32) {
        match (self.image_width, self.image_height) {
            (Some(w), Some(h)) => (w, h),
            _ => (400, 400),
        }
    }

    /// Availability as the shopper reads it.
    pub fn stock_state(&self) -> StockState {
        StockState::of(self.stock)
    }

    /// The average rating ("4.3"), if there are reviews.
    pub fn average_rating(&self) -> Option<String> {
        review::format_average(self.rating_sum, self.rating_count)
    }
}

/// How many products exist at all, on sale or not.
pub fn count_all(conn: &mut DbConn) -> QueryResult<i64> {
    products::table.count().get_result(conn)
}

/// A product with the category it is listed in.
pub fn find_with_category(
    conn: &mut DbConn,
    id: i32,
) -> QueryResult<Option<(Product, CategoryLink, Option<i32>)>> {
    on_backend!(conn, |c| products::table
        .inner_join(categories::table)
        .filter(products::id.eq(id))
        .select((
            Product::as_select(),
            CategoryLink::as_select(),
            categories::parent_id,
        ))
        .first(c)
        .optional())
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
    on_backend!(conn, |c| products::table
        .find(id)
        .select(Product::as_select())
        .first(c)
        .optional())
}

/// Locks the product's row until the transaction ends (PostgreSQL; SQLite's write
/// transactions are serial already). `FOR NO KEY UPDATE`: rows that merely reference the
/// product (a review being inserted) hold a key-share lock, which this does not wait for.
pub fn lock(conn: &mut DbConn, id: i32) -> QueryResult<()> {
    let row = products::table.find(id).select(products::id);
    match conn {
        DbConn::Sqlite(_) => {}
        DbConn::Pg(conn) => {
            row.for_no_key_update().first::<i32>(conn).optional()?;
        }
    }
    Ok(())
}

/// Recomputes the product's rating from its visible reviews (call in the review's transaction).
pub fn refresh_rating(conn: &mut DbConn, id: i32) -> QueryResult<usize> {
    use crate::schema::reviews;
    // Two reviews of one product written at once: the second waits here, and its sums below
    // then see the first one committed.
    lock(conn, id)?;
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

/// A row of the admin product list.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = products)]
pub struct AdminProductRow {
    /// Primary key.
    pub id: i32,
    /// Name.
    pub name: String,
    /// Price in cents.
    pub price_cents: i64,
    /// Items on hand.
    pub stock: i32,
    /// On sale or archived.
    pub status: ProductStatus,
    /// When it last changed.
    pub updated_at: NaiveDateTime,
    /// The category's name.
    #[diesel(select_expression = categories::name)]
    pub category: String,
}

/// The orders of the admin product list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminSort {
    /// A to Z.
    Name,
    /// Cheapest first.
    Price,
    /// Fewest on hand first.
    Stock,
    /// Most recently changed first.
    Updated,
}

impl AdminSort {
    /// Every order, as the menu offers them.
    pub const ALL: [AdminSort; 4] = [
        AdminSort::Name,
        AdminSort::Price,
        AdminSort::Stock,
        AdminSort::Updated,
    ];

    /// The value of `sort=`.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminSort::Name => "name",
            AdminSort::Price => "price",
            AdminSort::Stock => "stock",
            AdminSort::Updated => "updated",
        }
    }

    /// How the menu names it.
    pub fn label(self) -> &'static str {
        match self {
            AdminSort::Name => "Name",
            AdminSort::Price => "Price",
            AdminSort::Stock => "Stock (fewest first)",
            AdminSort::Updated => "Last changed",
        }
    }
}

/// Which products the admin list holds.
#[derive(Debug, Clone, Default)]
pub struct AdminFilter {
    /// Part of the name, any case.
    pub name: Option<String>,
    /// Only this category.
    pub category_id: Option<i32>,
    /// Only this status.
    pub status: Option<ProductStatus>,
}

/// A LIKE pattern matching `text` anywhere, with LIKE's wildcards in it taken literally.
pub fn contains_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

fn admin_filtered(
    filter: &AdminFilter,
) -> diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::InnerJoin<products::table, categories::table>,
    MultiBackend,
> {
    let mut query = products::table.inner_join(categories::table).into_boxed();
    if let Some(name) = &filter.name {
        query = query.filter(
            lower(products::name)
                .like(contains_pattern(name))
                .escape('\\'),
        );
    }
    if let Some(category_id) = filter.category_id {
        query = query.filter(products::category_id.eq(category_id));
    }
    if let Some(status) = filter.status {
        query = query.filter(products::status.eq(status.as_str()));
    }
    query
}

/// A window of the admin product list, and how many products the filter admits.
pub fn admin_page(
    conn: &mut DbConn,
    filter: &AdminFilter,
    sort: AdminSort,
    window: Window,
) -> QueryResult<(Vec<AdminProductRow>, i64)> {
    let query = admin_filtered(filter);
    let query = match sort {
        AdminSort::Name => query.order((lower(products::name).asc(), products::id.asc())),
        AdminSort::Price => query.order((products::price_cents.asc(), products::id.asc())),
        AdminSort::Stock => query.order((products::stock.asc(), products::id.asc())),
        AdminSort::Updated => query.order((products::updated_at.desc(), products::id.desc())),
    };
    let rows = query
        .limit(window.limit)
        .offset(window.offset)
        .select(AdminProductRow::as_select())
        .load(conn)?;
    Ok((rows, admin_filtered(filter).count().get_result(conn)?))
}

/// What an admin save sets.
#[derive(Debug, Clone, Copy)]
pub struct ProductValues<'a> {
    /// The category.
    pub category_id: i32,
    /// Name.
    pub name: &'a str,
    /// Description.
    pub description: &'a str,
    /// Price in cents.
    pub price_cents: i64,
    /// Items on hand.
    pub stock: i32,
    /// `standard`, `reduced` or `zero`.
    pub tax_class: &'a str,
    /// Its stock-keeping unit, unique.
    pub sku: Option<&'a str>,
}

/// Saves `values` (and, when given, the image) if the product is still at `version`; false
/// when another save came in between (nothing is changed then).
pub fn update_versioned(
    conn: &mut DbConn,
    id: i32,
    version: i32,
    values: ProductValues<'_>,
    image: Option<Option<&str>>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let target = products::table
        .find(id)
        .filter(products::version.eq(version));
    let fields = (
        products::category_id.eq(values.category_id),
        products::name.eq(values.name),
        products::description.eq(values.description),
        products::price_cents.eq(values.price_cents),
        products::stock.eq(values.stock),
        products::tax_class.eq(values.tax_class),
        products::sku.eq(values.sku),
        products::version.eq(products::version + 1),
        products::updated_at.eq(now),
    );
    let updated = match image {
        Some(image) => diesel::update(target)
            .set((fields, products::image.eq(image)))
            .execute(conn)?,
        None => diesel::update(target).set(fields).execute(conn)?,
    };
    Ok(updated == 1)
}

/// Puts a product on sale or takes it off; bumps the version.
pub fn set_status(
    conn: &mut DbConn,
    id: i32,
    status: ProductStatus,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(products::table.find(id))
        .set((
            products::status.eq(status.as_str()),
            products::version.eq(products::version + 1),
            products::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Sets the stock outright (a product whose last variant was archived); bumps the version so
/// an edit form showing the old stock is refused.
pub fn set_stock(conn: &mut DbConn, id: i32, stock: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(products::table.find(id))
        .set((
            products::stock.eq(stock),
            products::version.eq(products::version + 1),
            products::updated_at.eq(now),
        ))
        .execute(conn)
}

/// The catalogue in numbers, for the dashboard.
#[derive(Debug, Clone, Copy, Default)]
pub struct StockCounts {
    /// On sale.
    pub active: i64,
    /// Off sale.
    pub archived: i64,
    /// On sale with none left.
    pub sold_out: i64,
    /// On sale with 1 to 5 left.
    pub low: i64,
}

/// How many products are on sale, archived, sold out and low on stock.
pub fn stock_counts(conn: &mut DbConn) -> QueryResult<StockCounts> {
    let active = ProductStatus::Active.as_str();
    let on_sale = || products::table.filter(products::status.eq(active));
    Ok(StockCounts {
        active: on_sale().count().get_result(conn)?,
        archived: products::table
            .filter(products::status.eq(ProductStatus::Archived.as_str()))
            .count()
            .get_result(conn)?,
        sold_out: on_sale()
            .filter(products::stock.eq(0))
            .count()
            .get_result(conn)?,
        low: on_sale()
            .filter(products::stock.between(1, crate::domain::catalog::LOW_STOCK))
            .count()
            .get_result(conn)?,
    })
}

/// The product with this SKU, if any.
pub fn id_by_sku(conn: &mut DbConn, sku: &str) -> QueryResult<Option<i32>> {
    products::table
        .filter(products::sku.eq(sku))
        .select(products::id)
        .first(conn)
        .optional()
}

/// Every product with its category's slug, by id, for the CSV export.
pub fn all_for_export(conn: &mut DbConn) -> QueryResult<Vec<(Product, String)>> {
    products::table
        .inner_join(categories::table)
        .order(products::id.asc())
        .select((Product::as_select(), categories::slug))
        .load(conn)
}
