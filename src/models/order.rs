//! Orders and their lines. A line keeps the product's name and price as they were at
//! purchase, so later changes to the product never change an order.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::payment::PaymentMethod;
use crate::domain::OrderStatus;
use crate::models::Window;
use crate::schema::{order_guests, order_items, orders};

/// An order row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = orders)]
pub struct Order {
    /// Primary key; also the order number people see.
    pub id: i32,
    /// Who placed it: none for a guest's order not yet claimed by an account.
    pub user_id: Option<i32>,
    /// Where it is in its life.
    pub status: OrderStatus,
    /// The sum of the lines.
    pub subtotal_cents: i64,
    /// Taken off the subtotal.
    pub discount_cents: i64,
    /// What is paid.
    pub total_cents: i64,
    /// Who receives it.
    pub ship_name: String,
    /// Street and number.
    pub ship_line1: String,
    /// Flat, building, c/o.
    pub ship_line2: String,
    /// Postal code.
    pub ship_postcode: String,
    /// Town or city.
    pub ship_city: String,
    /// Country.
    pub ship_country: String,
    /// The checkout form's one-time key.
    pub checkout_key: String,
    /// When it was placed (UTC).
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    pub updated_at: NaiveDateTime,
    /// Why a payment for it could not be accepted, for an admin to look at.
    pub payment_problem: Option<String>,
    /// How it is paid.
    pub payment_method: PaymentMethod,
    /// The provider's payment (Stripe's `pi_…`), kept for refunds.
    pub payment_intent_id: Option<String>,
    /// Until when it may be paid, while it is pending (UTC).
    pub pay_by: Option<NaiveDateTime>,
    /// What was paid for it, in cents.
    pub paid_cents: i64,
    /// What of that went back, in cents.
    pub refunded_cents: i64,
    /// Its Stripe Checkout Session, once one was created.
    pub stripe_session_id: Option<String>,
    /// Where that session's payment page is.
    pub stripe_session_url: Option<String>,
    /// The parcel's tracking number, once shipped.
    pub tracking_number: Option<String>,
    /// Whether its stock went back (cancelled, expired or refunded with restocking).
    pub stock_returned: bool,
    /// The shipping method's name when it was placed (none in a shop without methods).
    pub shipping_method: Option<String>,
    /// What shipping cost.
    pub shipping_cents: i64,
    /// All its tax.
    pub tax_cents: i64,
    /// Whether its prices included the tax (else the tax is in the total on top).
    pub prices_include_tax: bool,
    /// Its invoice number, once paid (`2026-000001`).
    pub invoice_number: Option<String>,
    /// When the invoice was made (UTC).
    pub invoiced_at: Option<NaiveDateTime>,
    /// The coupon that gave its discount, if one did.
    pub coupon_code: Option<String>,
}

impl Order {
    /// What may still be refunded, in cents.
    pub fn refundable_cents(&self) -> i64 {
        self.paid_cents - self.refunded_cents
    }

    /// Whether part (not all) of its payment went back.
    pub fn partly_refunded(&self) -> bool {
        self.refunded_cents > 0 && self.refunded_cents < self.paid_cents
    }

    /// Whether it waits for a card payment the customer can still make.
    pub fn awaits_card_payment(&self) -> bool {
        self.status == OrderStatus::Pending && self.payment_method == PaymentMethod::Card
    }

    /// The destination country's name (orders from before countries were codes keep
    /// their text).
    pub fn country_name(&self) -> &str {
        crate::domain::shipping::country_name(&self.ship_country).unwrap_or(&self.ship_country)
    }

    /// The payment deadline, for people.
    pub fn pay_by_text(&self) -> Option<String> {
        self.pay_by
            .map(|t| t.format("%-d %B %Y, %H:%M UTC").to_string())
    }

    /// When it was placed, for people.
    pub fn placed_on(&self) -> String {
        self.created_at.format("%-d %B %Y, %H:%M UTC").to_string()
    }
}

/// An order to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = orders)]
pub struct NewOrder<'a> {
    /// Who places it (none for a guest).
    pub user_id: Option<i32>,
    /// `pending`.
    pub status: &'a str,
    /// The sum of the lines.
    pub subtotal_cents: i64,
    /// Taken off the subtotal.
    pub discount_cents: i64,
    /// What is paid.
    pub total_cents: i64,
    /// Who receives it.
    pub ship_name: &'a str,
    /// Street and number.
    pub ship_line1: &'a str,
    /// Flat, building, c/o.
    pub ship_line2: &'a str,
    /// Postal code.
    pub ship_postcode: &'a str,
    /// Town or city.
    pub ship_city: &'a str,
    /// Country.
    pub ship_country: &'a str,
    /// The checkout form's one-time key.
    pub checkout_key: &'a str,
    /// When it is placed.
    pub created_at: NaiveDateTime,
    /// Same as `created_at`.
    pub updated_at: NaiveDateTime,
    /// How it is paid.
    pub payment_method: &'a str,
    /// Until when it may be paid (none when it is paid at once).
    pub pay_by: Option<NaiveDateTime>,
    /// What is paid at once (store credit), else 0.
    pub paid_cents: i64,
    /// The shipping method's name.
    pub shipping_method: Option<&'a str>,
    /// What shipping costs.
    pub shipping_cents: i64,
    /// All the tax.
    pub tax_cents: i64,
    /// Whether the prices include the tax.
    pub prices_include_tax: bool,
    /// The coupon that gave the discount.
    pub coupon_code: Option<&'a str>,
}

/// A line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = order_items)]
pub struct OrderItem {
    /// The product (which may since have changed or been archived).
    pub product_id: i32,
    /// Its name at purchase.
    pub name: String,
    /// Its price at purchase.
    pub unit_price_cents: i64,
    /// How many.
    pub quantity: i32,
    /// Its tax rate, hundredths of a percent.
    pub tax_rate_bp: i32,
    /// The variant bought, for a product sold through variants.
    pub variant_id: Option<i32>,
}

impl OrderItem {
    /// Its stock move, to give back or take again.
    pub fn stock_move(&self) -> crate::services::stock::Move {
        crate::services::stock::Move {
            key: crate::models::cart::LineKey {
                product_id: self.product_id,
                variant_id: self.variant_id,
            },
            quantity: self.quantity,
        }
    }

    /// Its tax rate, for people.
    pub fn tax_rate(&self) -> String {
        crate::models::order_tax::rate_of(self.tax_rate_bp).display()
    }

    /// The line total.
    pub fn line_total_cents(&self) -> i64 {
        crate::domain::cart::line_total(self.unit_price_cents, self.quantity)
    }
}

/// A line to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = order_items)]
pub struct NewOrderItem<'a> {
    /// The order.
    pub order_id: i32,
    /// The product.
    pub product_id: i32,
    /// Its name now.
    pub name: &'a str,
    /// Its price now.
    pub unit_price_cents: i64,
    /// How many.
    pub quantity: i32,
    /// Its tax rate, hundredths of a percent.
    pub tax_rate_bp: i32,
    /// The variant bought, if any.
    pub variant_id: Option<i32>,
}

/// The order placed with this checkout key by `user_id` (a guest: `None`), if any.
pub fn find_by_checkout_key(
    conn: &mut DbConn,
    user_id: Option<i32>,
    key: &str,
) -> QueryResult<Option<i32>> {
    let query = orders::table
        .filter(orders::checkout_key.eq(key))
        .select(orders::id);
    match user_id {
        Some(user_id) => query.filter(orders::user_id.eq(user_id)).first(conn),
        None => query.filter(orders::user_id.is_null()).first(conn),
    }
    .optional()
}

/// Inserts an order and returns its id.
pub fn insert(conn: &mut DbConn, new: &NewOrder<'_>) -> QueryResult<i32> {
    diesel::insert_into(orders::table)
        .values(new)
        .returning(orders::id)
        .get_result(conn)
}

/// Inserts one line of an order.
pub fn insert_item(conn: &mut DbConn, item: &NewOrderItem<'_>) -> QueryResult<usize> {
    diesel::insert_into(order_items::table)
        .values(item)
        .execute(conn)
}

/// The order `id` if `user_id` placed it.
pub fn find_for_user(conn: &mut DbConn, id: i32, user_id: i32) -> QueryResult<Option<Order>> {
    orders::table
        .find(id)
        .filter(orders::user_id.eq(user_id))
        .select(Order::as_select())
        .first(conn)
        .optional()
}

/// Who is asking for an order: its account, a guest with its private link's key (hashed),
/// or an admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderAccess {
    /// A logged-in customer: their own orders only.
    User(i32),
    /// Whoever holds the key of an order's private link: that order only.
    GuestKey(String),
    /// An admin: any order.
    Admin,
}

/// The order `id` if `access` may see it.
pub fn find_for(conn: &mut DbConn, id: i32, access: &OrderAccess) -> QueryResult<Option<Order>> {
    match access {
        OrderAccess::User(user_id) => find_for_user(conn, id, *user_id),
        OrderAccess::GuestKey(hash) => orders::table
            .inner_join(order_guests::table)
            .filter(orders::id.eq(id))
            .filter(order_guests::key_hash.eq(hash))
            .select(Order::as_select())
            .first(conn)
            .optional(),
        OrderAccess::Admin => find(conn, id),
    }
}

/// The order `id`, whoever placed it.
pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<Order>> {
    orders::table
        .find(id)
        .select(Order::as_select())
        .first(conn)
        .optional()
}

/// The lines of an order, in the order they were added.
pub fn items(conn: &mut DbConn, order_id: i32) -> QueryResult<Vec<OrderItem>> {
    order_items::table
        .filter(order_items::order_id.eq(order_id))
        .order(order_items::id.asc())
        .select(OrderItem::as_select())
        .load(conn)
}

/// One page of `user_id`'s orders, newest first.
pub fn page_for_user(
    conn: &mut DbConn,
    user_id: i32,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<Order>> {
    orders::table
        .filter(orders::user_id.eq(user_id))
        .order((orders::created_at.desc(), orders::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(Order::as_select())
        .load(conn)
}

/// How many orders `user_id` has placed.
pub fn count_for_user(conn: &mut DbConn, user_id: i32) -> QueryResult<i64> {
    orders::table
        .filter(orders::user_id.eq(user_id))
        .count()
        .get_result(conn)
}

/// Moves the order from `from` to `to` if it is still in `from`; false when another request
/// moved it first (the caller then changes nothing else).
pub fn change_status(
    conn: &mut DbConn,
    id: i32,
    from: OrderStatus,
    to: OrderStatus,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        orders::table
            .find(id)
            .filter(orders::status.eq(from.as_str())),
    )
    .set((orders::status.eq(to.as_str()), orders::updated_at.eq(now)))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Marks the order paid in full by the payment `payment_intent` (the provider's id, kept
/// for refunds) if it is still in `from` (pending, or expired when the money came late);
/// false when another request moved it first.
pub fn mark_paid(
    conn: &mut DbConn,
    id: i32,
    from: OrderStatus,
    payment_intent: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        orders::table
            .find(id)
            .filter(orders::status.eq(from.as_str())),
    )
    .set((
        orders::status.eq(OrderStatus::Paid.as_str()),
        orders::paid_cents.eq(orders::total_cents),
        orders::payment_intent_id.eq(payment_intent),
        orders::payment_problem.eq(None::<String>),
        orders::pay_by.eq(None::<NaiveDateTime>),
        orders::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Keeps the Checkout Session made for a pending order; false when the order is no longer
/// pending (the session is then of no use).
pub fn set_checkout_session(
    conn: &mut DbConn,
    id: i32,
    session: (&str, &str),
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let (session_id, url) = session;
    let updated = diesel::update(
        orders::table
            .find(id)
            .filter(orders::status.eq(OrderStatus::Pending.as_str())),
    )
    .set((
        orders::stripe_session_id.eq(session_id),
        orders::stripe_session_url.eq(url),
        orders::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Keeps the payment of an order that cannot take it (expired, cancelled), so that it can
/// be refunded.
pub fn keep_payment(
    conn: &mut DbConn,
    id: i32,
    payment_intent: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(orders::table.find(id))
        .set((
            orders::paid_cents.eq(orders::total_cents),
            orders::payment_intent_id.eq(payment_intent),
            orders::updated_at.eq(now),
        ))
        .execute(conn)
}

/// How many of `user_id`'s orders wait for payment.
pub fn count_unpaid(conn: &mut DbConn, user_id: i32) -> QueryResult<i64> {
    orders::table
        .filter(orders::user_id.eq(user_id))
        .filter(orders::status.eq(OrderStatus::Pending.as_str()))
        .count()
        .get_result(conn)
}

/// Up to `limit` pending orders whose payment deadline passed before `now`, oldest first.
pub fn overdue(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<Order>> {
    orders::table
        .filter(orders::status.eq(OrderStatus::Pending.as_str()))
        .filter(orders::pay_by.lt(now))
        .order(orders::pay_by.asc())
        .limit(limit)
        .select(Order::as_select())
        .load(conn)
}

/// Takes the order for this transaction if it is still pending and nobody else holds it:
/// on PostgreSQL a row lock that other instances skip (`SKIP LOCKED`) instead of waiting
/// for; SQLite's write transactions are serial already.
pub fn claim_pending(conn: &mut DbConn, id: i32) -> QueryResult<Option<Order>> {
    let pending = orders::table
        .find(id)
        .filter(orders::status.eq(OrderStatus::Pending.as_str()));
    match conn {
        DbConn::Sqlite(conn) => pending.select(Order::as_select()).first(conn).optional(),
        DbConn::Pg(conn) => pending
            .select(Order::as_select())
            .for_update()
            .skip_locked()
            .first(conn)
            .optional(),
    }
}

/// The order `id`, locked until the transaction ends (PostgreSQL; SQLite's write
/// transactions are serial), so that what is decided from its status still holds at commit.
pub fn lock(conn: &mut DbConn, id: i32) -> QueryResult<Option<Order>> {
    let found = orders::table.find(id);
    match conn {
        DbConn::Sqlite(conn) => found.select(Order::as_select()).first(conn).optional(),
        DbConn::Pg(conn) => found
            .select(Order::as_select())
            .for_update()
            .first(conn)
            .optional(),
    }
}

/// Marks the order's stock as given back; false when it already was (so it is never given
/// back twice).
pub fn note_stock_returned(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(
        orders::table
            .find(id)
            .filter(orders::stock_returned.eq(false)),
    )
    .set((orders::stock_returned.eq(true), orders::updated_at.eq(now)))
    .execute(conn)?;
    Ok(updated == 1)
}

/// Marks the order's stock as taken again (an expired order paid late).
pub fn note_stock_taken(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(orders::table.find(id))
        .set((orders::stock_returned.eq(false), orders::updated_at.eq(now)))
        .execute(conn)
}

/// Counts `amount_cents` more as refunded if that stays within what was paid, in one
/// conditional update (two refunds at once cannot pass the payment); the new refunded sum,
/// or `None` when it would exceed the payment.
pub fn add_refunded(conn: &mut DbConn, id: i32, amount_cents: i64) -> QueryResult<Option<i64>> {
    diesel::update(
        orders::table
            .find(id)
            .filter((orders::refunded_cents + amount_cents).le(orders::paid_cents)),
    )
    .set(orders::refunded_cents.eq(orders::refunded_cents + amount_cents))
    .returning(orders::refunded_cents)
    .get_result(conn)
    .optional()
}

/// Keeps the tracking number of a shipped order.
pub fn set_tracking_number(
    conn: &mut DbConn,
    id: i32,
    tracking_number: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(orders::table.find(id))
        .set((
            orders::tracking_number.eq(tracking_number),
            orders::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Notes on the order why a payment for it could not be accepted, for an admin to look at.
pub fn flag_payment_problem(
    conn: &mut DbConn,
    id: i32,
    problem: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(orders::table.find(id))
        .set((
            orders::payment_problem.eq(problem),
            orders::updated_at.eq(now),
        ))
        .execute(conn)
}

/// A row of the admin order list.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = orders)]
pub struct AdminOrderRow {
    /// Primary key.
    pub id: i32,
    /// Where it is.
    pub status: OrderStatus,
    /// What is paid.
    pub total_cents: i64,
    /// When it was placed.
    pub created_at: NaiveDateTime,
    /// The customer's account's address.
    #[diesel(select_expression = crate::schema::users::email.nullable())]
    pub account_email: Option<String>,
    /// The address a guest gave.
    #[diesel(select_expression = order_guests::email.nullable())]
    pub guest_email: Option<String>,
}

impl AdminOrderRow {
    /// The customer's address, with "(guest)" for a guest's order.
    pub fn email(&self) -> String {
        match (&self.account_email, &self.guest_email) {
            (Some(email), _) => email.clone(),
            (None, Some(email)) => format!("{email} (guest)"),
            (None, None) => String::new(),
        }
    }

    /// When it was placed, for people.
    pub fn placed_on(&self) -> String {
        self.created_at.format("%-d %b %Y %H:%M").to_string()
    }
}

/// Which orders the admin list holds.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// Only this status.
    pub status: Option<OrderStatus>,
    /// An order number, or part of the customer's address.
    pub search: Option<String>,
}

fn admin_filtered(
    filter: &OrderFilter,
) -> diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::LeftJoin<
        diesel::dsl::LeftJoin<orders::table, crate::schema::users::table>,
        order_guests::table,
    >,
    crate::db::MultiBackend,
> {
    use crate::schema::users;
    let mut query = orders::table
        .left_join(users::table)
        .left_join(order_guests::table)
        .into_boxed();
    if let Some(status) = filter.status {
        query = query.filter(orders::status.eq(status.as_str()));
    }
    if let Some(search) = &filter.search {
        let pattern = crate::models::product::contains_pattern(search);
        match search.trim_start_matches('#').parse::<i32>() {
            Ok(id) => {
                query = query.filter(
                    orders::id
                        .eq(id)
                        .nullable()
                        .or(users::email.like(pattern.clone()).escape('\\'))
                        .or(order_guests::email.like(pattern).escape('\\')),
                )
            }
            Err(_) => {
                query = query.filter(
                    users::email
                        .like(pattern.clone())
                        .escape('\\')
                        .or(order_guests::email.like(pattern).escape('\\')),
                )
            }
        }
    }
    query
}

/// A window of the orders the filter admits, newest first, with the customers' addresses,
/// and how many it admits.
pub fn admin_page(
    conn: &mut DbConn,
    filter: &OrderFilter,
    window: Window,
) -> QueryResult<(Vec<AdminOrderRow>, i64)> {
    let newest_first = (orders::created_at.desc(), orders::id.desc());
    window_and_total!(
        conn,
        admin_filtered(filter),
        newest_first,
        AdminOrderRow,
        window
    )
}

/// How many orders are in each status.
pub fn counts_by_status(conn: &mut DbConn) -> QueryResult<Vec<(String, i64)>> {
    orders::table
        .group_by(orders::status)
        .select((orders::status, diesel::dsl::count_star()))
        .load(conn)
}

/// What orders paid (and later shipped or delivered) since `since` came to, in cents.
pub fn revenue_since(conn: &mut DbConn, since: NaiveDateTime) -> QueryResult<i64> {
    let paid = [
        OrderStatus::Paid.as_str(),
        OrderStatus::Shipped.as_str(),
        OrderStatus::Delivered.as_str(),
    ];
    // SUM over BIGINT is NUMERIC on PostgreSQL; cast it back to read it on both engines.
    let total: Option<i64> = orders::table
        .filter(orders::status.eq_any(paid))
        .filter(orders::created_at.ge(since))
        .select(diesel::dsl::sql::<
            diesel::sql_types::Nullable<diesel::sql_types::BigInt>,
        >("CAST(SUM(total_cents) AS BIGINT)"))
        .first(conn)?;
    Ok(total.unwrap_or(0))
}

/// The newest orders, with the customers' addresses.
pub fn latest(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<AdminOrderRow>> {
    admin_filtered(&OrderFilter::default())
        .order((orders::created_at.desc(), orders::id.desc()))
        .limit(limit)
        .select(AdminOrderRow::as_select())
        .load(conn)
}

/// The address of the customer who placed order `id`: their account's, or the one a guest
/// gave.
pub fn customer_email(conn: &mut DbConn, id: i32) -> QueryResult<Option<String>> {
    use crate::schema::users;
    let (account, guest): (Option<String>, Option<String>) = match orders::table
        .left_join(users::table)
        .left_join(order_guests::table)
        .filter(orders::id.eq(id))
        .select((users::email.nullable(), order_guests::email.nullable()))
        .first(conn)
        .optional()?
    {
        Some(found) => found,
        None => return Ok(None),
    };
    Ok(account.or(guest))
}
