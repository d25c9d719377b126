//! Admin changes to accounts: a user's role, and `create-admin` from the command line. Each
//! writes its audit row in the same transaction.

use chrono::NaiveDateTime;

use crate::db::{self, DbConn};
use crate::domain::account::{random_token, Email, Role};
use crate::error::{AppError, Outcome};
use crate::models::audit::Changes;
use crate::models::user::{self, NewUser};
use crate::services::Actor;

/// Gives a user another role (and a new security stamp, so their sessions re-read it). The
/// last admin cannot be demoted: the admins are locked before they are counted, so two
/// demotions at once (even by one admin) leave one.
pub fn change_role(
    conn: &mut DbConn,
    actor: &Actor,
    user_id: i32,
    role: Role,
    now: NaiveDateTime,
) -> Outcome<(), String> {
    db::transaction(conn, |conn| {
        // Locked first, so the target's role below is read after any change in flight.
        let admins = user::lock_admins(conn)?;
        let target = user::find(conn, user_id)?.ok_or(AppError::NotFound)?;
        let before = target.role;
        if before == role {
            return Ok(Ok(()));
        }
        if before == Role::Admin && admins.len() <= 1 {
            return Ok(Err(
                "This is the last admin: make someone else an admin first, so the shop is never left without one."
                    .to_string(),
            ));
        }
        user::set_role(conn, user_id, role, &random_token(), now)?;
        let mut changes = Changes::new();
        changes.field("role", before.as_str(), role.as_str());
        actor.record(conn, "user.role", ("user", user_id), changes, "", now)?;
        log::info!("admin {} made user {user_id} {}", actor.id, role.as_str());
        Ok(Ok(()))
    })
}

/// What `create-admin` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdminOutcome {
    /// A new verified admin.
    Created,
    /// An existing account became a verified admin with the given password.
    Promoted,
}

/// Creates a verified admin, or promotes (and re-keys) the existing account of `email`. The
/// audit row names the new admin as the one acting, with a note that the command line did it.
pub fn create_admin(
    conn: &mut DbConn,
    email: &Email,
    password_hash: &str,
    now: NaiveDateTime,
) -> Result<AdminOutcome, AppError> {
    db::transaction(conn, |conn| {
        let stamp = random_token();
        let (id, before, outcome) = match user::find_by_email(conn, email.as_str())? {
            Some(existing) => {
                user::set_password(conn, existing.id, password_hash, &stamp, now)?;
                user::set_role(conn, existing.id, Role::Admin, &stamp, now)?;
                user::mark_verified(conn, existing.id, now)?;
                log::info!(
                    "user {} promoted to admin from the command line",
                    existing.id
                );
                (existing.id, existing.role.as_str(), AdminOutcome::Promoted)
            }
            None => {
                let id = user::insert(
                    conn,
                    &NewUser {
                        email: email.as_str(),
                        password_hash,
                        role: Role::Admin.as_str(),
                        email_verified_at: Some(now),
                        security_stamp: &stamp,
                        created_at: now,
                        updated_at: now,
                    },
                )?;
                log::info!("admin {id} created from the command line");
                (id, "", AdminOutcome::Created)
            }
        };
        let mut changes = Changes::new();
        changes.field("role", before, Role::Admin.as_str());
        let actor = Actor {
            id,
            email: email.as_str().to_string(),
        };
        let note = "create-admin on the command line";
        actor.record(conn, "user.create_admin", ("user", id), changes, note, now)?;
        Ok(outcome)
    })
}
