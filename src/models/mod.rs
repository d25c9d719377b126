//! Diesel structs and the queries on them, one file per table family. Every query function
//! takes the connection first and returns diesel's `QueryResult`.

/// A slice of a long list: `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Rows at most.
    pub limit: i64,
    /// Rows skipped first.
    pub offset: i64,
}

/// Loads the rows of a filtered list in a window, in an order, and counts the whole list:
/// `$filtered` is an expression that builds the boxed, filtered query (it is built twice).
macro_rules! window_and_total {
    ($conn:expr, $filtered:expr, $order:expr, $row:ty, $window:expr) => {{
        let rows = $filtered
            .order($order)
            .limit($window.limit)
            .offset($window.offset)
            .select(<$row>::as_select())
            .load($conn)?;
        let total: i64 = $filtered.count().get_result($conn)?;
        Ok((rows, total))
    }};
}

pub mod address;
pub mod audit;
pub mod cart;
pub mod catalog;
pub mod catalog_version;
pub mod category;
pub mod coupon;
pub mod credit;
pub mod email_token;
pub mod fixed_sql;
pub mod image;
pub mod login_failure;
pub mod order;
pub mod order_guest;
pub mod order_tax;
pub mod outbox;
pub mod page_marks;
pub mod payment_event;
pub mod photo;
pub mod product;
pub mod refund;
pub mod reset_request;
pub mod review;
pub mod search;
pub mod session;
pub mod settings;
pub mod shipping;
pub mod sitemap;
pub mod stored_enums;
pub mod tax_rate;
pub mod throttle;
pub mod user;
pub mod variant;

/// The current time as stored in `TIMESTAMP` columns (UTC, microsecond precision).
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    // Both engines keep microseconds; trimming here makes a value read back equal to the one written.
    chrono::DurationRound::duration_trunc(now, chrono::TimeDelta::microseconds(1)).unwrap_or(now)
}
