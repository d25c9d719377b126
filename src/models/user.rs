//! Users: who can log in, with which role, and whether their address is verified.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::domain::account::Role;
use crate::models::Window;
use crate::schema::users;

/// A user row.
#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    /// Primary key.
    pub id: i32,
    /// Lower-cased, unique.
    pub email: String,
    /// bcrypt hash of the password.
    pub password_hash: String,
    /// What the user may do.
    pub role: Role,
    /// When the address was confirmed, if it was.
    pub email_verified_at: Option<NaiveDateTime>,
    /// Changes whenever the password or role does; a login made under an older stamp is void.
    pub security_stamp: String,
    /// When the account was created (UTC).
    pub created_at: NaiveDateTime,
    /// When it last changed (UTC).
    pub updated_at: NaiveDateTime,
    /// Store credit, in cents; never below zero.
    pub credit_cents: i64,
}

impl User {
    /// Whether the address is confirmed.
    pub fn is_verified(&self) -> bool {
        self.email_verified_at.is_some()
    }
}

/// A user to insert.
#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    /// Lower-cased address.
    pub email: &'a str,
    /// bcrypt hash.
    pub password_hash: &'a str,
    /// `customer` or `admin`.
    pub role: &'a str,
    /// Set when the address is known to be the user's.
    pub email_verified_at: Option<NaiveDateTime>,
    /// A fresh random stamp.
    pub security_stamp: &'a str,
    /// Creation time (UTC).
    pub created_at: NaiveDateTime,
    /// Same as `created_at`.
    pub updated_at: NaiveDateTime,
}

/// The user with this address, if any.
pub fn find_by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// The user with this id, if any.
pub fn find(conn: &mut DbConn, id: i32) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Inserts a user and returns the id.
pub fn insert(conn: &mut DbConn, new: &NewUser<'_>) -> QueryResult<i32> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(users::id)
        .get_result(conn)
}

/// Sets a new password hash and security stamp (which ends every other login).
pub fn set_password(
    conn: &mut DbConn,
    id: i32,
    password_hash: &str,
    security_stamp: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(password_hash),
            users::security_stamp.eq(security_stamp),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Marks the address verified, unless it already was.
pub fn mark_verified(conn: &mut DbConn, id: i32, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        users::table
            .find(id)
            .filter(users::email_verified_at.is_null()),
    )
    .set((users::email_verified_at.eq(now), users::updated_at.eq(now)))
    .execute(conn)
}

/// Sets the role and a new security stamp.
pub fn set_role(
    conn: &mut DbConn,
    id: i32,
    role: Role,
    security_stamp: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::role.eq(role.as_str()),
            users::security_stamp.eq(security_stamp),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

/// Which users the admin list holds.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    /// Part of the address.
    pub email: Option<String>,
    /// Only this role.
    pub role: Option<Role>,
    /// Only verified (true) or unverified (false) addresses.
    pub verified: Option<bool>,
}

fn filtered(filter: &UserFilter) -> users::BoxedQuery<'static, crate::db::MultiBackend> {
    let mut query = users::table.into_boxed();
    if let Some(email) = &filter.email {
        query = query.filter(
            users::email
                .like(crate::models::product::contains_pattern(email))
                .escape('\\'),
        );
    }
    if let Some(role) = filter.role {
        query = query.filter(users::role.eq(role.as_str()));
    }
    match filter.verified {
        Some(true) => query = query.filter(users::email_verified_at.is_not_null()),
        Some(false) => query = query.filter(users::email_verified_at.is_null()),
        None => {}
    }
    query
}

/// A window of the users the filter admits, newest first, and how many it admits.
pub fn page(
    conn: &mut DbConn,
    filter: &UserFilter,
    window: Window,
) -> QueryResult<(Vec<User>, i64)> {
    let newest_first = (users::created_at.desc(), users::id.desc());
    window_and_total!(conn, filtered(filter), newest_first, User, window)
}

/// Locks every admin row until the transaction ends and returns their ids. A role change
/// that reads the admins this way waits for any other one in flight, so two demotions
/// cannot both see a second admin (PostgreSQL; SQLite's write transactions are serial).
pub fn lock_admins(conn: &mut DbConn) -> QueryResult<Vec<i32>> {
    let admins = users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .order(users::id.asc())
        .select(users::id);
    match conn {
        DbConn::Sqlite(conn) => admins.load(conn),
        DbConn::Pg(conn) => admins.for_no_key_update().load(conn),
    }
}
