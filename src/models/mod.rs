//! Diesel structs and the queries on them, one file per table family. Every query function
//! takes the connection first and returns diesel's `QueryResult`.

pub mod audit;
pub mod cart;
pub mod catalog;
pub mod category;
pub mod email_token;
pub mod fixed_sql;
pub mod image;
pub mod login_failure;
pub mod order;
pub mod outbox;
pub mod product;
pub mod reset_request;
pub mod review;
pub mod search;
pub mod session;
pub mod stored_enums;
pub mod throttle;
pub mod user;

/// The current time as stored in `TIMESTAMP` columns (UTC, microsecond precision).
pub fn now() -> chrono::NaiveDateTime {
    let now = chrono::Utc::now().naive_utc();
    // Both engines keep microseconds; trimming here makes a value read back equal to the one written.
    chrono::DurationRound::duration_trunc(now, chrono::TimeDelta::microseconds(1)).unwrap_or(now)
}
