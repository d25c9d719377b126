//! `shopfront copy-to URL`: every row of one shop's database copied into another, empty one,
//! on either engine — how a shop that outgrew SQLite moves to PostgreSQL, ids and all.
//!
//! Rows go over in batches, parents before children, keeping their ids, all in one
//! transaction on the target: a failed copy leaves the target empty. What the target's
//! triggers derive (category counts, the search index) is rebuilt by them as the rows arrive.

use diesel::prelude::*;

use crate::config::Config;
use crate::db::{self, DbConn};
use crate::ops::{CommandError, CommandResult};

/// Rows read and written at a time: well under either engine's limit on bound parameters.
const BATCH: i64 = 500;
/// Images read and written at a time: up to 2 MB each.
const IMAGE_BATCH: i64 = 8;

/// How many rows of each table were copied, in the order copied.
pub type Copied = Vec<(&'static str, usize)>;

/// Why a copy did not happen.
#[derive(Debug)]
pub enum CopyError {
    /// The target already holds a shop: copying would mix two.
    TargetNotEmpty(&'static str),
    /// A database error, with the table being copied.
    Database(&'static str, diesel::result::Error),
}

impl std::fmt::Display for CopyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CopyError::TargetNotEmpty(table) => write!(
                f,
                "the target database is not empty (it has {table}); copy into a new database"
            ),
            CopyError::Database(table, e) => write!(f, "copying {table}: {e}"),
        }
    }
}

impl From<diesel::result::Error> for CopyError {
    fn from(e: diesel::result::Error) -> Self {
        CopyError::Database("the transaction", e)
    }
}

/// Every table of a shop, parents before children: its key and every column with its type,
/// as `schema.rs` declares them. `$each!(args… table by key: KeyType, batch, [columns])` is
/// expanded for each, into a `Vec`. (`catalog_counts` is not here: the target's triggers
/// derive it.)
macro_rules! shop_tables {
    ($each:ident!($($args:tt)*)) => {{
        // Not every expansion names a type (the column names do not).
        #[allow(unused_imports)]
        use chrono::NaiveDateTime as Time;
        #[allow(unused_imports)]
        use chrono::NaiveDate as Day;
        #[allow(dead_code)]
        type Text = String;
        #[allow(dead_code)]
        type Maybe<T> = Option<T>;
        vec![
            $each!($($args)* users by id: i32, BATCH, [
                id: i32, email: Text, password_hash: Text, role: Text,
                email_verified_at: Maybe<Time>, security_stamp: Text, created_at: Time,
                updated_at: Time, credit_cents: i64,
            ]),
            $each!($($args)* categories by id: i32, BATCH, [
                id: i32, slug: Text, name: Text, description: Text, created_at: Time,
                updated_at: Time, parent_id: Maybe<i32>,
            ]),
            $each!($($args)* products by id: i32, BATCH, [
                id: i32, category_id: i32, name: Text, description: Text, price_cents: i64,
                stock: i32, status: Text, created_at: Time, updated_at: Time, rating_sum: i32,
                rating_count: i32, version: i32, image: Maybe<Text>, tax_class: Text,
                sku: Maybe<Text>, image_width: Maybe<i32>, image_height: Maybe<i32>,
                has_variants: bool,
            ]),
            $each!($($args)* product_photos by id: i32, BATCH, [
                id: i32, product_id: i32, position: i32, alt: Text, thumb: Text,
                thumb_width: i32, thumb_height: i32, large: Text, large_width: i32,
                large_height: i32, created_at: Time,
            ]),
            $each!($($args)* product_variants by id: i32, BATCH, [
                id: i32, product_id: i32, name: Text, sku: Text, price_cents: Maybe<i64>,
                stock: i32, archived: bool, version: i32, created_at: Time, updated_at: Time,
            ]),
            $each!($($args)* images by name: Text, IMAGE_BATCH, [
                name: Text, data: Vec<u8>, created_at: Time,
            ]),
            $each!($($args)* reviews by id: i32, BATCH, [
                id: i32, product_id: i32, user_id: i32, rating: i32, body: Text, hidden: bool,
                created_at: Time, updated_at: Time,
            ]),
            $each!($($args)* audit_log by id: i32, BATCH, [
                id: i32, admin_id: Maybe<i32>, admin_email: Text, action: Text, entity: Text,
                entity_id: i32, changes: Text, note: Text, created_at: Time,
            ]),
            $each!($($args)* email_tokens by id: i32, BATCH, [
                id: i32, user_id: i32, purpose: Text, token_hash: Text, expires_at: Time,
                used_at: Maybe<Time>, created_at: Time,
            ]),
            $each!($($args)* login_failures by id: i32, BATCH, [
                id: i32, email: Text, failed_at: Time, client: Maybe<Text>,
            ]),
            $each!($($args)* throttle_events by id: i32, BATCH, [
                id: i32, bucket: Text, happened_at: Time,
            ]),
            $each!($($args)* reset_requests by id: i32, BATCH, [
                id: i32, email: Text, requested_at: Time,
            ]),
            $each!($($args)* outbox by id: i32, BATCH, [
                id: i32, recipient: Text, subject: Text, body: Text, created_at: Time,
                attempts: i32, next_attempt_at: Time, locked_until: Maybe<Time>,
                sent_at: Maybe<Time>, last_error: Maybe<Text>,
            ]),
            $each!($($args)* sessions by key_hash: Text, BATCH, [
                key_hash: Text, state: Text, expires_at: Time, created_at: Time, updated_at: Time,
            ]),
            $each!($($args)* carts by id: i32, BATCH, [
                id: i32, user_id: Maybe<i32>, token: Maybe<Text>, created_at: Time,
                updated_at: Time, coupon_code: Maybe<Text>,
            ]),
            $each!($($args)* cart_items by id: i32, BATCH, [
                id: i32, cart_id: i32, product_id: i32, quantity: i32, added_at: Time,
                variant_id: Maybe<i32>,
            ]),
            $each!($($args)* orders by id: i32, BATCH, [
                id: i32, user_id: Maybe<i32>, status: Text, subtotal_cents: i64, discount_cents: i64,
                total_cents: i64, ship_name: Text, ship_line1: Text, ship_line2: Text,
                ship_postcode: Text, ship_city: Text, ship_country: Text, checkout_key: Text,
                created_at: Time, updated_at: Time, payment_intent_id: Maybe<Text>,
                payment_problem: Maybe<Text>, payment_method: Text, pay_by: Maybe<Time>,
                paid_cents: i64, refunded_cents: i64, stripe_session_id: Maybe<Text>,
                stripe_session_url: Maybe<Text>, tracking_number: Maybe<Text>,
                stock_returned: bool, shipping_method: Maybe<Text>, shipping_cents: i64,
                tax_cents: i64, prices_include_tax: bool, invoice_number: Maybe<Text>,
                invoiced_at: Maybe<Time>, coupon_code: Maybe<Text>,
            ]),
            $each!($($args)* order_guests by order_id: i32, BATCH, [
                order_id: i32, email: Text, key_hash: Text, client_ip: Text, created_at: Time,
            ]),
            $each!($($args)* coupons by id: i32, BATCH, [
                id: i32, code: Text, kind: Text, amount: i64, min_subtotal_cents: Maybe<i64>,
                starts_on: Maybe<Day>, ends_on: Maybe<Day>, max_uses: Maybe<i32>,
                max_uses_per_customer: i32, active: bool, uses: i32, created_at: Time,
                updated_at: Time,
            ]),
            $each!($($args)* coupon_uses by id: i32, BATCH, [
                id: i32, coupon_id: i32, order_id: i32, user_id: Maybe<i32>, email: Text,
                used_at: Time, given_back_at: Maybe<Time>,
            ]),
            $each!($($args)* order_taxes by id: i32, BATCH, [
                id: i32, order_id: i32, rate_bp: i32, net_cents: i64, tax_cents: i64,
                gross_cents: i64,
            ]),
            $each!($($args)* order_items by id: i32, BATCH, [
                id: i32, order_id: i32, product_id: i32, name: Text, unit_price_cents: i64,
                quantity: i32, tax_rate_bp: i32, variant_id: Maybe<i32>,
            ]),
            $each!($($args)* credit_ledger by id: i32, BATCH, [
                id: i32, user_id: i32, amount_cents: i64, balance_cents: i64, reason: Text,
                order_id: Maybe<i32>, admin_id: Maybe<i32>, created_at: Time,
            ]),
            $each!($($args)* payment_events by event_id: Text, BATCH, [
                event_id: Text, event_type: Text, order_id: Maybe<i32>, received_at: Time,
            ]),
            $each!($($args)* refunds by id: i32, BATCH, [
                id: i32, order_id: i32, amount_cents: i64, reason: Text, restock: bool,
                state: Text, provider_refund_id: Maybe<Text>, admin_id: Maybe<i32>,
                created_at: Time, updated_at: Time,
            ]),
            $each!($($args)* shop_settings by id: i32, BATCH, [
                id: i32, shop_name: Text, shop_address: Text, vat_id: Text,
                contact_email: Text, prices_include_tax: bool, discount_percent: i32,
                discount_threshold_cents: i64, bank_transfer_details: Text, updated_at: Time,
            ]),
            $each!($($args)* shipping_methods by id: i32, BATCH, [
                id: i32, name: Text, countries: Text, price_cents: i64,
                free_above_cents: Maybe<i64>, created_at: Time, updated_at: Time,
            ]),
            $each!($($args)* tax_rates by country: Text, BATCH, [
                country: Text, standard_bp: i32, reduced_bp: i32, updated_at: Time,
            ]),
            $each!($($args)* invoice_counters by year: i32, BATCH, [
                year: i32, last_number: i32,
            ]),
            $each!($($args)* addresses by id: i32, BATCH, [
                id: i32, user_id: i32, name: Text, line1: Text, line2: Text, postcode: Text,
                city: Text, country: Text, created_at: Time, last_used_at: Time,
            ]),
        ]
    }};
}

/// Reads one batch of `$table`'s rows (after `$after`, ordered by `$key`) from `$conn`.
macro_rules! read_batch {
    ($conn:expr, $after:expr, $table:ident by $key:ident, $batch:expr, [$($col:ident: $ty:ty),+]) => {{
        let select = $table::table
            .select(($($table::$col,)+))
            .order($table::$key.asc())
            .limit($batch);
        let rows: Result<Vec<($($ty,)+)>, _> = match $after.clone() {
            None => select.load($conn),
            Some(last) => select.filter($table::$key.gt(last)).load($conn),
        };
        rows.map_err(|e| CopyError::Database(stringify!($table), e))
    }};
}

/// Copies every row of a table (the listed columns) from `$from` to `$to` in batches;
/// evaluates to the table's name and the number of rows.
macro_rules! copy_table {
    ($from:expr, $to:expr, $table:ident by $key:ident: $key_ty:ty, $batch:expr, [$($col:ident: $ty:ty),+ $(,)?]) => {{
        use crate::schema::$table;
        let mut copied = 0usize;
        let mut after: Option<$key_ty> = None;
        loop {
            let rows = read_batch!($from, after, $table by $key, $batch, [$($col: $ty),+])?;
            let Some(last) = rows.last() else { break };
            #[allow(unused_variables)]
            let ($($col,)+) = last.clone();
            after = Some($key);
            let count = rows.len();
            let values: Vec<_> = rows
                .into_iter()
                .map(|($($col,)+)| ($($table::$col.eq($col),)+))
                .collect();
            // Diesel writes a multi-row INSERT per engine, not through the multi-connection.
            match &mut *$to {
                DbConn::Sqlite(to) => diesel::insert_into($table::table).values(&values).execute(to),
                DbConn::Pg(to) => diesel::insert_into($table::table).values(&values).execute(to),
            }
            .map_err(|e| CopyError::Database(stringify!($table), e))?;
            copied += count;
            if count < $batch as usize {
                break;
            }
        }
        (stringify!($table), copied)
    }};
}

/// Compares a table's rows in two databases, batch by batch, column by column; evaluates to
/// its name and the first difference, if any.
macro_rules! compare_table {
    ($a:expr, $b:expr, $table:ident by $key:ident: $key_ty:ty, $batch:expr, [$($col:ident: $ty:ty),+ $(,)?]) => {{
        use crate::schema::$table;
        // Each column's value as text: tuples this long have no `PartialEq`.
        let shown = |rows: &[($($ty,)+)]| -> Vec<Vec<String>> {
            rows.iter()
                .map(|($($col,)+)| vec![$(format!("{:?}", $col)),+])
                .collect()
        };
        let names = [$(stringify!($col)),+];
        let mut after: Option<$key_ty> = None;
        let mut compared = 0usize;
        let difference = loop {
            let left = read_batch!($a, after, $table by $key, $batch, [$($col: $ty),+])?;
            let right = read_batch!($b, after, $table by $key, $batch, [$($col: $ty),+])?;
            let (left_shown, right_shown) = (shown(&left), shown(&right));
            let first = left_shown.iter().zip(&right_shown).enumerate().find_map(|(row, (l, r))| {
                let column = l.iter().zip(r).position(|(l, r)| l != r)?;
                Some(format!(
                    "row {}, {}: {} is {}",
                    compared + row + 1,
                    names[column],
                    l[column],
                    r[column]
                ))
            });
            if first.is_some() {
                break first;
            }
            if left.len() != right.len() {
                break Some(format!(
                    "{} rows against {} from row {}",
                    left.len(),
                    right.len(),
                    compared + 1
                ));
            }
            let Some(last) = left.last() else { break None };
            #[allow(unused_variables)]
            let ($($col,)+) = last.clone();
            after = Some($key);
            compared += left.len();
            if left.len() < $batch as usize {
                break None;
            }
        };
        (stringify!($table), difference)
    }};
}

/// The columns of a table, as the copy knows them.
macro_rules! column_names {
    ($table:ident by $key:ident: $key_ty:ty, $batch:expr, [$($col:ident: $ty:ty),+ $(,)?]) => {
        (stringify!($table), vec![$(stringify!($col)),+])
    };
}

/// Copies every row from `from` into `to`, which must be migrated and hold no shop yet.
pub fn copy_all(from: &mut DbConn, to: &mut DbConn) -> Result<Copied, CopyError> {
    for (table, rows) in row_counts(to)? {
        if rows > 0 {
            return Err(CopyError::TargetNotEmpty(table));
        }
    }
    db::transaction(to, |to| {
        count_categories_at_the_end(to, Counting::Paused)?;
        let copied: Copied = shop_tables!(copy_table!(from, to,));
        count_categories_at_the_end(to, Counting::Resumed)?;
        continue_ids_after_copied_rows(to)?;
        Ok(copied)
    })
}

/// Where the shops in `a` and `b` differ: each table whose rows (every column the copy
/// carries, compared as typed values) are not the same, with its first difference.
pub fn differences(
    a: &mut DbConn,
    b: &mut DbConn,
) -> Result<Vec<(&'static str, String)>, CopyError> {
    let compared: Vec<(&'static str, Option<String>)> = shop_tables!(compare_table!(a, b,));
    Ok(compared
        .into_iter()
        .filter_map(|(table, difference)| difference.map(|d| (table, d)))
        .collect())
}

/// Every table the copy carries, with the columns it carries of each.
pub fn copied_columns() -> Vec<(&'static str, Vec<&'static str>)> {
    shop_tables!(column_names!())
}

/// Tables the copy leaves to the target's triggers, which derive them from the rows copied.
pub const DERIVED_TABLES: [&str; 2] = ["catalog_counts", "catalog_version"];

/// The number of rows of every copied table, in the order they are copied.
pub fn row_counts(conn: &mut DbConn) -> Result<Copied, CopyError> {
    macro_rules! count_rows {
        ($conn:expr, $table:ident by $key:ident: $key_ty:ty, $batch:expr, [$($col:ident: $ty:ty),+ $(,)?]) => {
            (
                stringify!($table),
                crate::schema::$table::table
                    .count()
                    .get_result::<i64>($conn)
                    .map_err(|e| CopyError::Database(stringify!($table), e))? as usize,
            )
        };
    }
    Ok(shop_tables!(count_rows!(conn,)))
}

/// Whether PostgreSQL's per-product category counting is paused.
#[derive(PartialEq)]
enum Counting {
    Paused,
    Resumed,
}

/// On PostgreSQL, counting each inserted product into its category's row rewrites that one
/// row once per product, and in one transaction every version stays: a million products took
/// hours. The copy pauses the trigger (inside the transaction, so no one else sees it off) and
/// counts once at the end; likewise it moves the catalogue's version on once, rather than
/// queueing a deferred bump per product. SQLite updates the row in place and needs none of this.
fn count_categories_at_the_end(conn: &mut DbConn, counting: Counting) -> Result<(), CopyError> {
    use diesel::connection::SimpleConnection;
    let DbConn::Pg(pg) = conn else {
        return Ok(());
    };
    let sql = match counting {
        Counting::Paused => {
            "ALTER TABLE products DISABLE TRIGGER catalog_counts_products;
             ALTER TABLE products DISABLE TRIGGER products_bump_catalog;
             ALTER TABLE products DISABLE TRIGGER products_bump_listing;"
        }
        // The other tables' deferred version bumps run now: a table with pending trigger
        // events cannot be altered.
        Counting::Resumed => {
            "SET CONSTRAINTS ALL IMMEDIATE;
             ALTER TABLE products ENABLE TRIGGER catalog_counts_products;
             ALTER TABLE products ENABLE TRIGGER products_bump_catalog;
             ALTER TABLE products ENABLE TRIGGER products_bump_listing;
             UPDATE catalog_counts SET active = (
                 SELECT count(*) FROM products p
                 WHERE p.category_id = catalog_counts.category_id AND p.status = 'active'
             );
             UPDATE catalog_version SET version = version + 1, listing = listing + 1 WHERE id = 1;"
        }
    };
    pg.batch_execute(sql)
        .map_err(|e| CopyError::Database("category counts", e))
}

/// PostgreSQL hands out identity values from a sequence that rows inserted with their own
/// ids do not move: move each past the copied ids. (SQLite continues after the largest id.)
fn continue_ids_after_copied_rows(conn: &mut DbConn) -> Result<(), CopyError> {
    let DbConn::Pg(pg) = conn else {
        return Ok(());
    };
    // Every table with an `id` column has an identity; the others are keyed by text.
    let with_ids = copied_columns()
        .into_iter()
        .filter(|(_, columns)| columns.contains(&"id"));
    for (table, _) in with_ids {
        diesel::sql_query(format!(
            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
             COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        ))
        .execute(pg)
        .map_err(|e| CopyError::Database("identity sequences", e))?;
    }
    Ok(())
}

/// `shopfront copy-to URL`: copies the shop at `DATABASE_URL` into the empty database at
/// `url`, migrating it first, and prints the rows copied per table.
pub fn run(config: &Config, url: &str) -> CommandResult {
    let engine = crate::config::engine_of(url)
        .map_err(|e| CommandError::Usage(format!("copy-to: {}", e.expected)))?;
    let mut target = config.clone();
    target.engine = engine;
    target.database_url = url.strip_prefix("sqlite://").unwrap_or(url).to_string();
    if target.database_url == config.database_url {
        return Err(CommandError::Usage(
            "copy-to: that is the database being copied".to_string(),
        ));
    }
    let failed = |e: String| CommandError::Failed(format!("copy-to: {e}"));
    let mut from = db::connect_once(config).map_err(failed)?;
    let mut to = db::connect_once(&target).map_err(failed)?;
    let started = std::time::Instant::now();
    let copied = copy_all(&mut from, &mut to).map_err(|e| failed(e.to_string()))?;
    for (what, rows) in &copied {
        println!("{what}: {rows}");
    }
    let total: usize = copied.iter().map(|(_, rows)| rows).sum();
    println!(
        "copied {total} rows in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
