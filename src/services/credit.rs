//! Store credit granted or corrected by an admin: the balance and its ledger entry change
//! together, with an audit row, in one transaction; the balance never goes below zero.

use chrono::NaiveDateTime;

use crate::db::{self, DbConn};
use crate::domain::Money;
use crate::error::{AppError, Outcome};
use crate::models::audit::Changes;
use crate::models::credit::{self, NewCreditEntry};
use crate::services::Actor;

/// Why a change of store credit was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditRefused {
    /// It would take the balance below zero; this is the balance.
    BelowZero(Money),
}

/// Adds `amount` (negative: takes it away) to the store credit of `user_id` for `reason`;
/// returns the new balance. An unknown account is `NotFound`.
pub fn adjust(
    conn: &mut DbConn,
    actor: &Actor,
    user_id: i32,
    (amount, reason): (Money, &str),
    now: NaiveDateTime,
) -> Outcome<Money, CreditRefused> {
    db::transaction(conn, |conn| {
        let before = credit::balance(conn, user_id)?.ok_or(AppError::NotFound)?;
        let Some(after) = credit::add(conn, user_id, amount.cents())? else {
            return Ok(Err(CreditRefused::BelowZero(Money::from_cents(before))));
        };
        credit::record(
            conn,
            &NewCreditEntry {
                user_id,
                amount_cents: amount.cents(),
                balance_cents: after,
                reason,
                order_id: None,
                admin_id: Some(actor.id),
                created_at: now,
            },
        )?;
        let mut changes = Changes::new();
        let shown = |cents| Money::from_cents(cents).to_decimal_string();
        changes.field("credit", shown(after - amount.cents()), shown(after));
        actor.record(conn, "user.credit", ("user", user_id), changes, reason, now)?;
        log::info!(
            "admin {} changed the store credit of user {user_id} by {}",
            actor.id,
            amount.cents()
        );
        Ok(Ok(Money::from_cents(after)))
    })
}
