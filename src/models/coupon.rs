//! Coupons and their uses. A use is counted on the coupon by a conditional update (never
//! past `max_uses`, whoever races) and recorded per order; giving it back marks the use and
//! counts the coupon down, once.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::coupon::{CouponCode, CouponKind, CouponTerms};
use crate::domain::Money;
use crate::models::Window;
use crate::schema::{coupon_uses, coupons};

/// A stored coupon.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = coupons)]
pub struct Coupon {
    /// Its id.
    pub id: i32,
    /// The code, upper-case.
    pub code: String,
    /// `percent` or `fixed`.
    pub kind: String,
    /// The percent, or the amount off in cents.
    pub amount: i64,
    /// The smallest subtotal it applies to.
    pub min_subtotal_cents: Option<i64>,
    /// Its first day.
    pub starts_on: Option<NaiveDate>,
    /// Its last day.
    pub ends_on: Option<NaiveDate>,
    /// Uses allowed in all.
    pub max_uses: Option<i32>,
    /// Uses allowed per customer.
    pub max_uses_per_customer: i32,
    /// Switched on.
    pub active: bool,
    /// Uses so far (given-back ones not counted).
    pub uses: i32,
    /// When it was made.
    pub created_at: NaiveDateTime,
    /// Its last change.
    pub updated_at: NaiveDateTime,
}

impl Coupon {
    /// Its rules. The table's CHECKs keep the kind and amount readable; a row that still
    /// is not reads as a coupon switched off.
    pub fn terms(&self) -> CouponTerms {
        let kind = CouponKind::from_stored(&self.kind, self.amount);
        CouponTerms {
            kind: kind.unwrap_or(CouponKind::Percent(1)),
            min_subtotal: self.min_subtotal_cents.map(Money::from_cents),
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            max_uses: self.max_uses,
            max_uses_per_customer: self.max_uses_per_customer,
            active: self.active && kind.is_some(),
        }
    }
}

/// The columns an admin sets.
#[derive(AsChangeset, Insertable)]
#[diesel(table_name = coupons, treat_none_as_null = true)]
struct CouponFields<'a> {
    code: &'a str,
    kind: &'a str,
    amount: i64,
    min_subtotal_cents: Option<i64>,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    max_uses: Option<i32>,
    max_uses_per_customer: i32,
    active: bool,
    updated_at: NaiveDateTime,
}

fn fields<'a>(code: &'a CouponCode, terms: &CouponTerms, now: NaiveDateTime) -> CouponFields<'a> {
    CouponFields {
        code: code.as_str(),
        kind: terms.kind.name(),
        amount: terms.kind.amount(),
        min_subtotal_cents: terms.min_subtotal.map(Money::cents),
        starts_on: terms.starts_on,
        ends_on: terms.ends_on,
        max_uses: terms.max_uses,
        max_uses_per_customer: terms.max_uses_per_customer,
        active: terms.active,
        updated_at: now,
    }
}

/// Adds a coupon; its id. A code already taken is a unique violation.
pub fn insert(
    conn: &mut DbConn,
    code: &CouponCode,
    terms: &CouponTerms,
    now: NaiveDateTime,
) -> QueryResult<i32> {
    diesel::insert_into(coupons::table)
        .values((fields(code, terms, now), coupons::created_at.eq(now)))
        .returning(coupons::id)
        .get_result(conn)
}

/// Changes coupon `id`'s code and terms.
pub fn update(
    conn: &mut DbConn,
    id: i32,
    code: &CouponCode,
    terms: &CouponTerms,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(coupons::table.find(id))
        .set(fields(code, terms, now))
        .execute(conn)
}

/// Coupon `id`.
pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Coupon>> {
    coupons::table
        .find(id)
        .select(Coupon::as_select())
        .first(conn)
        .optional()
}

/// The coupon with `code` (upper-case).
pub fn find_by_code(conn: &mut DbConn, code: &str) -> QueryResult<Option<Coupon>> {
    coupons::table
        .filter(coupons::code.eq(code))
        .select(Coupon::as_select())
        .first(conn)
        .optional()
}

/// Which coupons the admin list holds.
#[derive(Debug, Clone, Default)]
pub struct CouponFilter {
    /// Part of the code.
    pub code: Option<String>,
    /// Only switched on (true) or off (false).
    pub active: Option<bool>,
}

fn filtered(filter: &CouponFilter) -> coupons::BoxedQuery<'static, crate::db::MultiBackend> {
    let mut query = coupons::table.into_boxed();
    if let Some(code) = &filter.code {
        // Codes are stored upper-case, and LIKE is case-sensitive on PostgreSQL.
        let pattern = crate::models::product::contains_pattern(code).to_uppercase();
        query = query.filter(coupons::code.like(pattern).escape('\\'));
    }
    if let Some(active) = filter.active {
        query = query.filter(coupons::active.eq(active));
    }
    query
}

/// A window of the coupons the filter admits, newest first, and how many it admits.
pub fn page(
    conn: &mut DbConn,
    filter: &CouponFilter,
    window: Window,
) -> QueryResult<(Vec<Coupon>, i64)> {
    let newest_first = (coupons::created_at.desc(), coupons::id.desc());
    window_and_total!(conn, filtered(filter), newest_first, Coupon, window)
}

/// Counts one use of coupon `id` unless it is used up: `false` when it is. On PostgreSQL
/// the row stays locked until the transaction ends, so the per-customer count read after
/// this is not raced either.
pub fn take_use(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<bool> {
    let free = coupons::max_uses
        .is_null()
        .or(coupons::uses.lt(coupons::max_uses.assume_not_null()));
    let taken = diesel::update(coupons::table.find(id).filter(free))
        .set((
            coupons::uses.eq(coupons::uses + 1),
            coupons::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(taken == 1)
}

/// How often the customer (`user_id` when logged in, and their address) has used coupon
/// `id`, given-back uses not counted.
pub fn customer_uses(
    conn: &mut DbConn,
    id: i32,
    user_id: Option<i32>,
    email: &str,
) -> QueryResult<i64> {
    let email = email.to_lowercase();
    let base = coupon_uses::table
        .filter(coupon_uses::coupon_id.eq(id))
        .filter(coupon_uses::given_back_at.is_null());
    match user_id {
        Some(user_id) => base
            .filter(
                coupon_uses::email
                    .eq(email)
                    .or(coupon_uses::user_id.eq(user_id)),
            )
            .count()
            .get_result(conn),
        None => base
            .filter(coupon_uses::email.eq(email))
            .count()
            .get_result(conn),
    }
}

/// Records that order `order_id` used coupon `coupon_id`.
pub fn record_use(
    conn: &mut DbConn,
    coupon_id: i32,
    order_id: i32,
    (user_id, email): (Option<i32>, &str),
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(coupon_uses::table)
        .values((
            coupon_uses::coupon_id.eq(coupon_id),
            coupon_uses::order_id.eq(order_id),
            coupon_uses::user_id.eq(user_id),
            coupon_uses::email.eq(email.to_lowercase()),
            coupon_uses::used_at.eq(now),
        ))
        .execute(conn)
}

/// Gives back the use order `order_id` made, if it made one that is not given back yet:
/// marks it and counts the coupon down, once. Whether there was one.
pub fn give_back(conn: &mut DbConn, order_id: i32, now: NaiveDateTime) -> QueryResult<bool> {
    let Some(coupon_id) = flip_use(conn, order_id, Some(now))? else {
        return Ok(false);
    };
    diesel::update(coupons::table.find(coupon_id).filter(coupons::uses.gt(0)))
        .set((
            coupons::uses.eq(coupons::uses - 1),
            coupons::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Counts again the use order `order_id` made and gave back (it was paid after it expired).
pub fn take_back(conn: &mut DbConn, order_id: i32, now: NaiveDateTime) -> QueryResult<bool> {
    let Some(coupon_id) = flip_use(conn, order_id, None)? else {
        return Ok(false);
    };
    diesel::update(coupons::table.find(coupon_id))
        .set((
            coupons::uses.eq(coupons::uses + 1),
            coupons::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Marks order `order_id`'s use given back at `given_back` (`None`: counted again), if it
/// is not so already; the coupon it belongs to.
fn flip_use(
    conn: &mut DbConn,
    order_id: i32,
    given_back: Option<NaiveDateTime>,
) -> QueryResult<Option<i32>> {
    let uses = coupon_uses::table.filter(coupon_uses::order_id.eq(order_id));
    let set = coupon_uses::given_back_at.eq(given_back);
    match given_back {
        Some(_) => diesel::update(uses.filter(coupon_uses::given_back_at.is_null()))
            .set(set)
            .returning(coupon_uses::coupon_id)
            .get_result(conn),
        None => diesel::update(uses.filter(coupon_uses::given_back_at.is_not_null()))
            .set(set)
            .returning(coupon_uses::coupon_id)
            .get_result(conn),
    }
    .optional()
}

/// Whether coupon `id` has ever been used (given-back uses count: the code is on an order).
pub fn ever_used(conn: &mut DbConn, id: i32) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        coupon_uses::table.filter(coupon_uses::coupon_id.eq(id)),
    ))
    .get_result(conn)
}

/// Deletes coupon `id` (only ever called for one never used).
pub fn delete(conn: &mut DbConn, id: i32) -> QueryResult<usize> {
    diesel::delete(coupons::table.find(id)).execute(conn)
}
