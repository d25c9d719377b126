//! Coupons in carts and at checkout: putting a code in a cart (checked against the cart as
//! it is), what the coupon a cart holds means today, and spending a use inside the order's
//! transaction, where racing checkouts meet the coupon's row.

use chrono::{NaiveDate, NaiveDateTime};

use crate::db::{self, DbConn};
use crate::domain::coupon::{CouponCode, CouponProblem, CouponTerms, Uses};
use crate::domain::Money;
use crate::error::{AppError, Outcome};
use crate::models::audit::Changes;
use crate::models::cart::{self, CartOwner};
use crate::models::coupon::{self, Coupon};
use crate::services::{is_unique_violation, pricing, Actor};

/// Who uses a coupon: the account when logged in, and the e-mail address when known (a
/// guest's is known only at checkout).
#[derive(Debug, Clone, Copy)]
pub struct Customer<'a> {
    /// The account.
    pub user_id: Option<i32>,
    /// The address.
    pub email: Option<&'a str>,
}

/// The coupon a cart holds, and whether it applies now.
#[derive(Debug, Clone)]
pub struct CartCoupon {
    /// The code, as stored in the cart.
    pub code: String,
    /// The coupon, when the code is still known.
    pub coupon: Option<Coupon>,
    /// Why it does not apply, if it does not.
    pub problem: Option<CouponProblem>,
}

impl CartCoupon {
    /// The terms to price with, when the coupon applies.
    pub fn applicable_terms(&self) -> Option<CouponTerms> {
        match (&self.coupon, &self.problem) {
            (Some(coupon), None) => Some(coupon.terms()),
            _ => None,
        }
    }
}

fn uses_of(conn: &mut DbConn, coupon: &Coupon, customer: Customer<'_>) -> Result<Uses, AppError> {
    let by_customer = match (customer.user_id, customer.email) {
        (None, None) => None,
        (user_id, email) => Some(coupon::customer_uses(
            conn,
            coupon.id,
            user_id,
            email.unwrap_or(""),
        )?),
    };
    Ok(Uses {
        total: coupon.uses,
        by_customer,
    })
}

/// Checks coupon `code` for goods of `subtotal` on `today`.
fn check_code(
    conn: &mut DbConn,
    code: &str,
    customer: Customer<'_>,
    subtotal: Money,
    today: NaiveDate,
) -> Result<CartCoupon, AppError> {
    let Some(found) = coupon::find_by_code(conn, code)? else {
        return Ok(CartCoupon {
            code: code.to_string(),
            coupon: None,
            problem: Some(CouponProblem::Unknown),
        });
    };
    let uses = uses_of(conn, &found, customer)?;
    let problem = found.terms().check(today, subtotal, uses).err();
    Ok(CartCoupon {
        code: found.code.clone(),
        coupon: Some(found),
        problem,
    })
}

/// The coupon cart `cart_id` holds, checked against goods of `subtotal` on `today`.
pub fn in_cart(
    conn: &mut DbConn,
    cart_id: i32,
    customer: Customer<'_>,
    subtotal: Money,
    today: NaiveDate,
) -> Result<Option<CartCoupon>, AppError> {
    let code = cart::coupon_code(conn, cart_id)?;
    held(conn, code.as_deref(), customer, subtotal, today)
}

/// The coupon `code` a cart holds (none: no coupon), checked against goods of `subtotal` on
/// `today`.
pub fn held(
    conn: &mut DbConn,
    code: Option<&str>,
    customer: Customer<'_>,
    subtotal: Money,
    today: NaiveDate,
) -> Result<Option<CartCoupon>, AppError> {
    match code {
        Some(code) => Ok(Some(check_code(conn, code, customer, subtotal, today)?)),
        None => Ok(None),
    }
}

/// Puts the coupon `text` names into `owner`'s cart (replacing any other) when it applies
/// to the cart as it is today; otherwise why not, and the cart keeps what it had. The code
/// it holds now.
pub fn apply_to_cart(
    conn: &mut DbConn,
    owner: &CartOwner,
    text: &str,
    now: NaiveDateTime,
) -> Outcome<String, CouponProblem> {
    let Some(code) = CouponCode::parse(text) else {
        return Ok(Err(CouponProblem::Unknown));
    };
    let Some(cart_id) = cart::find(conn, owner)? else {
        return Ok(Err(CouponProblem::EmptyCart));
    };
    let lines = cart::lines(conn, cart_id)?;
    if lines.is_empty() {
        return Ok(Err(CouponProblem::EmptyCart));
    }
    let customer = Customer {
        user_id: owner.user_id(),
        email: None,
    };
    let subtotal = pricing::subtotal(&lines);
    let checked = check_code(conn, code.as_str(), customer, subtotal, now.date())?;
    if let Some(problem) = checked.problem {
        return Ok(Err(problem));
    }
    cart::set_coupon_code(conn, cart_id, Some(code.as_str()), now)?;
    Ok(Ok(checked.code))
}

/// Takes the coupon off `owner`'s cart.
pub fn remove_from_cart(
    conn: &mut DbConn,
    owner: &CartOwner,
    now: NaiveDateTime,
) -> Result<(), AppError> {
    if let Some(cart_id) = cart::find(conn, owner)? {
        cart::set_coupon_code(conn, cart_id, None, now)?;
    }
    Ok(())
}

/// Spends one use of `coupon` for order `order_id`, inside the order's transaction: the
/// coupon's count goes up only while uses are left, and the customer's own uses are counted
/// with the coupon's row held, so neither limit can be passed by checkouts racing.
pub fn spend(
    conn: &mut DbConn,
    coupon: &Coupon,
    order_id: i32,
    (user_id, email): (Option<i32>, &str),
    now: NaiveDateTime,
) -> Outcome<(), CouponProblem> {
    if !coupon::take_use(conn, coupon.id, now)? {
        return Ok(Err(CouponProblem::UsedUp));
    }
    let mine = coupon::customer_uses(conn, coupon.id, user_id, email)?;
    if mine >= i64::from(coupon.max_uses_per_customer) {
        return Ok(Err(CouponProblem::AlreadyUsed));
    }
    coupon::record_use(conn, coupon.id, order_id, (user_id, email), now)?;
    Ok(Ok(()))
}

/// Why an admin's coupon change was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CouponAdminProblem {
    /// Another coupon has this code.
    CodeTaken,
    /// The coupon has been used: its code is on orders and stays.
    CodeLocked,
    /// `max_uses` below the uses already made.
    BelowUses(i32),
    /// A used coupon is switched off, never deleted.
    Used,
}

impl CouponAdminProblem {
    /// The field it belongs to, and what the admin reads.
    pub fn message(&self) -> (&'static str, String) {
        match self {
            CouponAdminProblem::CodeTaken => ("code", "Another coupon has this code.".into()),
            CouponAdminProblem::CodeLocked => (
                "code",
                "This coupon has been used, so its code stays as it is on those orders.".into(),
            ),
            CouponAdminProblem::BelowUses(uses) => (
                "max_uses",
                format!("It has been used {uses} times already: allow at least that many."),
            ),
            CouponAdminProblem::Used => (
                "form",
                "This coupon has been used, so it cannot be deleted: switch it off instead.".into(),
            ),
        }
    }
}

fn describe(code: &CouponCode, terms: &CouponTerms) -> Vec<(&'static str, String)> {
    let amount = |m: Option<Money>| m.map_or(String::new(), |m| m.cents().to_string());
    let day = |d: Option<NaiveDate>| d.map_or(String::new(), |d| d.to_string());
    vec![
        ("code", code.as_str().to_string()),
        ("kind", terms.kind.name().to_string()),
        ("value", terms.kind.amount().to_string()),
        ("min_subtotal_cents", amount(terms.min_subtotal)),
        ("starts_on", day(terms.starts_on)),
        ("ends_on", day(terms.ends_on)),
        (
            "max_uses",
            terms.max_uses.map_or(String::new(), |n| n.to_string()),
        ),
        (
            "max_uses_per_customer",
            terms.max_uses_per_customer.to_string(),
        ),
        ("active", terms.active.to_string()),
    ]
}

/// Adds a coupon (audited); its id.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    (code, terms): (&CouponCode, &CouponTerms),
    now: NaiveDateTime,
) -> Outcome<i32, CouponAdminProblem> {
    let made = db::transaction(conn, |conn| {
        let id = coupon::insert(conn, code, terms, now)?;
        let mut changes = Changes::new();
        for (field, value) in describe(code, terms) {
            changes.field(field, "", value);
        }
        actor.record(conn, "coupon.create", ("coupon", id), changes, "", now)?;
        Ok(id)
    });
    match made {
        Ok(id) => Ok(Ok(id)),
        Err(e) if is_unique_violation(&e) => Ok(Err(CouponAdminProblem::CodeTaken)),
        Err(e) => Err(e),
    }
}

/// Changes coupon `id` (audited); `NotFound` when there is none.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: i32,
    (code, terms): (&CouponCode, &CouponTerms),
    now: NaiveDateTime,
) -> Outcome<(), CouponAdminProblem> {
    let changed = db::transaction(conn, |conn| {
        let old = coupon::find(conn, id)?.ok_or(AppError::NotFound)?;
        if old.code != code.as_str() && coupon::ever_used(conn, id)? {
            return Ok(Err(CouponAdminProblem::CodeLocked));
        }
        if terms.max_uses.is_some_and(|max| max < old.uses) {
            return Ok(Err(CouponAdminProblem::BelowUses(old.uses)));
        }
        coupon::update(conn, id, code, terms, now)?;
        let old_code = CouponCode::parse(&old.code).unwrap_or_else(|| code.clone());
        let mut changes = Changes::new();
        for ((field, before), (_, after)) in describe(&old_code, &old.terms())
            .into_iter()
            .zip(describe(code, terms))
        {
            changes.field(field, before, after);
        }
        actor.record(conn, "coupon.update", ("coupon", id), changes, "", now)?;
        Ok(Ok(()))
    });
    match changed {
        Err(e) if is_unique_violation(&e) => Ok(Err(CouponAdminProblem::CodeTaken)),
        other => other,
    }
}

/// Deletes coupon `id` if it was never used (audited); `NotFound` when there is none.
pub fn delete(
    conn: &mut DbConn,
    actor: &Actor,
    id: i32,
    now: NaiveDateTime,
) -> Outcome<(), CouponAdminProblem> {
    db::transaction(conn, |conn| {
        let old = coupon::find(conn, id)?.ok_or(AppError::NotFound)?;
        if coupon::ever_used(conn, id)? {
            return Ok(Err(CouponAdminProblem::Used));
        }
        // Carts holding the code just show it as unknown from now on.
        coupon::delete(conn, id)?;
        let mut changes = Changes::new();
        changes.field("code", &old.code, "");
        actor.record(conn, "coupon.delete", ("coupon", id), changes, "", now)?;
        Ok(Ok(()))
    })
}
