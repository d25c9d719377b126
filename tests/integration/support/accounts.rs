//! Users and their mail, for tests: create accounts directly, log in through the real form,
//! read what the outbox holds.

use shopfront::db::DbConn;
use shopfront::domain::account::{Email, Role};
use shopfront::models::now;
use shopfront::models::outbox::{self, QueuedMail};
use shopfront::models::user::{self, NewUser};

use super::{Client, TestApp};

/// A password every test user can have: long, uncommon.
pub const PASSWORD: &str = "violet tractor moonlight";

/// Creates a user straight in the database (bcrypt cost 4) and returns the id.
pub fn insert_user(conn: &mut DbConn, email: &str, role: Role, verified: bool) -> i32 {
    let hash = bcrypt::hash(PASSWORD, 4).expect("hash");
    let email = Email::parse(email).expect("a valid address");
    let now = now();
    user::insert(
        conn,
        &NewUser {
            email: email.as_str(),
            password_hash: &hash,
            role: role.as_str(),
            email_verified_at: verified.then_some(now),
            security_stamp: &shopfront::domain::account::random_token(),
            created_at: now,
            updated_at: now,
        },
    )
    .expect("insert a user")
}

/// Logs `client` in through the login form as `email` with [`PASSWORD`].
pub fn log_in(client: &Client, email: &str) {
    let response = client.submit(
        "/login",
        "/login",
        &[("email", email), ("password", PASSWORD)],
    );
    assert_eq!(response.status, 303, "login as {email}: {}", response.body);
}

impl TestApp {
    /// Creates a user directly (bcrypt cost 4 in tests) and returns the id.
    pub fn user(&self, email: &str, role: Role, verified: bool) -> i32 {
        self.db(|conn| insert_user(conn, email, role, verified))
    }

    /// A new client logged in as a new verified customer with `email`.
    pub fn customer(&self, email: &str) -> Client {
        self.user(email, Role::Customer, true);
        self.logged_in(email)
    }

    /// A new client logged in as a new admin with `email`.
    pub fn admin(&self, email: &str) -> Client {
        self.user(email, Role::Admin, true);
        self.logged_in(email)
    }

    /// A new client, logged in through the login form as `email` with [`PASSWORD`].
    pub fn logged_in(&self, email: &str) -> Client {
        let client = self.client();
        log_in(&client, email);
        client
    }

    /// Every mail queued for `email`, oldest first, once the queued reset requests are
    /// handled.
    pub fn mails_to(&self, email: &str) -> Vec<QueuedMail> {
        self.reset_requests_handled();
        self.db(|conn| outbox::to_recipient(conn, email))
            .expect("read the outbox")
    }

    /// Waits until the worker has handled every queued "forgot password" request (each is
    /// then a queued mail, or nothing for an unknown address).
    pub fn reset_requests_handled(&self) {
        use diesel::prelude::*;
        super::eventually("the queued reset requests to be handled", || {
            let waiting: i64 = self
                .db(|conn| {
                    shopfront::schema::reset_requests::table
                        .count()
                        .get_result(conn)
                })
                .expect("count the reset requests");
            (waiting == 0).then_some(())
        });
    }

    /// The path and query of the newest link to `path` mailed to `email`, once the queued
    /// reset requests are handled.
    pub fn mailed_link(&self, email: &str, path: &str) -> Option<String> {
        self.reset_requests_handled();
        let marker = format!("{path}?");
        self.mails_to(email).iter().rev().find_map(|mail| {
            let start = mail.body.find(&marker)?;
            let link: String = mail.body[start..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect();
            Some(link)
        })
    }
}
