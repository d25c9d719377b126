//! The use cases: every write that spans rows or tables, each in one transaction with the
//! outbox mail and audit rows it causes. Handlers and operator commands call these; reads may
//! go straight to `models`.

use chrono::NaiveDateTime;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::DbConn;
use crate::error::AppError;
use crate::models::audit::{self, Changes, Entry};

pub mod cancellation;
pub mod cart;
pub mod catalog_admin;
pub mod checkout;
pub mod coupons;
pub mod credit;
pub mod expiry;
pub mod hashing;
pub mod invoices;
pub mod login;
pub mod moderation;
pub mod order_admin;
pub mod password;
pub mod payments;
pub mod photos;
pub mod pricing;
pub mod refunds;
pub mod reviews;
pub mod settings_admin;
pub mod shipping_admin;
pub mod signup;
pub mod stock;
pub mod stripe;
pub mod users_admin;
pub mod variant_admin;

/// The admin making a change.
#[derive(Debug, Clone)]
pub struct Actor {
    /// Their user id.
    pub id: i32,
    /// Their address, kept in the audit row.
    pub email: String,
}

impl Actor {
    /// Appends the audit entry for `action` on `(entity, id)`.
    pub(crate) fn record(
        &self,
        conn: &mut DbConn,
        action: &str,
        (entity, entity_id): (&str, i32),
        changes: Changes,
        note: &str,
        now: NaiveDateTime,
    ) -> Result<(), AppError> {
        audit::record(
            conn,
            &Entry {
                admin_id: self.id,
                admin_email: &self.email,
                action,
                entity,
                entity_id,
                changes,
                note,
            },
            now,
        )?;
        Ok(())
    }
}

/// Whether `e` is a unique-constraint violation (a slug or an address already taken).
pub(crate) fn is_unique_violation(e: &AppError) -> bool {
    matches!(
        e,
        AppError::Database(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _
        ))
    )
}
