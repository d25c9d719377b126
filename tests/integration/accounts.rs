//! Accounts through real forms, cookies and CSRF tokens: sign-up, verification, login,
//! logout, password reset and change, sessions, roles.

use chrono::TimeDelta;
use diesel::prelude::*;
use shopfront::domain::account::Role;
use shopfront::models::{now, user};
use shopfront::schema::{email_tokens, sessions, users};

use crate::support::accounts::PASSWORD;
use crate::support::{Client, TestApp};

fn sign_up(client: &Client, email: &str, password: &str) -> crate::support::client::Page {
    client.submit(
        "/signup",
        "/signup",
        &[
            ("email", email),
            ("password", password),
            ("password_confirm", password),
        ],
    )
}

fn user_count(app: &TestApp) -> i64 {
    app.db(|conn| users::table.count().get_result(conn))
        .unwrap()
}

// ---------------------------------------------------------------- sign-up

#[test]
fn signing_up_creates_an_unverified_customer_and_mails_a_link() {
    let app = TestApp::spawn();
    let client = app.client();
    let form = client.get("/signup");
    assert_eq!(form.status, 200);
    for field in ["email", "password", "password_confirm", "csrf_token"] {
        assert_eq!(
            form.attrs(&format!("form[action='/signup'] [name={field}]"), "name")
                .len(),
            1,
            "{field}"
        );
    }

    let response = sign_up(&client, "Ada@Example.com", PASSWORD);
    assert_eq!(response.status, 303);
    assert_eq!(response.location().as_deref(), Some("/login"));
    let next = client.follow(response);
    assert!(next.flashes()[0].contains("We have sent a message to ada@example.com"));

    let stored = app
        .db(|conn| user::find_by_email(conn, "ada@example.com"))
        .unwrap()
        .expect("stored lower-cased");
    assert_eq!(stored.role, Role::Customer);
    assert!(!stored.is_verified());
    assert!(stored.password_hash.starts_with("$2"), "bcrypt");
    assert!(!stored.password_hash.contains(PASSWORD));

    let mails = app.mails_to("ada@example.com");
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].subject, "Confirm your e-mail address");
    let public_url = app.state.config.public_url.clone();
    assert!(
        mails[0]
            .body
            .contains(&format!("{public_url}/verify-email?token=")),
        "{}",
        mails[0].body
    );
    // The token in the mail is not what the database keeps.
    let link = app.mailed_link("ada@example.com", "/verify-email").unwrap();
    let token = link.split("token=").nth(1).unwrap().to_string();
    let kept: Vec<String> = app
        .db(|conn| {
            email_tokens::table
                .select(email_tokens::token_hash)
                .load(conn)
        })
        .unwrap();
    assert_eq!(kept.len(), 1);
    assert_ne!(kept[0], token);
    assert_eq!(kept[0], shopfront::domain::account::hash_token(&token));
}

#[test]
fn invalid_sign_ups_re_render_the_form_with_messages_and_keep_the_address() {
    let app = TestApp::spawn();
    let long = format!("{}x", "correct horse ".repeat(5) + "battery staple twelve"); // 73+ bytes
    assert!(long.len() > 72);
    let cases: Vec<(&str, String, String, &str)> = vec![
        (
            "",
            PASSWORD.into(),
            PASSWORD.into(),
            "Enter your e-mail address.",
        ),
        (
            "not-an-address",
            PASSWORD.into(),
            PASSWORD.into(),
            "Enter a valid e-mail address",
        ),
        (
            "ada@example.com",
            "short pass".into(),
            "short pass".into(),
            "at least 12 characters",
        ),
        (
            "ada@example.com",
            long.clone(),
            long.clone(),
            "at most 72 bytes",
        ),
        (
            "ada@example.com",
            PASSWORD.into(),
            "something else entirely".into(),
            "do not match",
        ),
        (
            "ada.lovelace@example.com",
            "ada.lovelace@example.com".into(),
            "ada.lovelace@example.com".into(),
            "must not be your e-mail",
        ),
        (
            "ada@example.com",
            "1qaz2wsx3edc".into(),
            "1qaz2wsx3edc".into(),
            "too common",
        ),
        (
            "ada@example.com",
            "password12345678".into(),
            "password12345678".into(),
            "too common",
        ),
    ];
    for (email, password, confirm, message) in cases {
        let client = app.client();
        let page = client.submit(
            "/signup",
            "/signup",
            &[
                ("email", email),
                ("password", &password),
                ("password_confirm", &confirm),
            ],
        );
        assert_eq!(page.status, 400, "{email} / {password}");
        let errors = page.form_errors().join(" | ");
        assert!(errors.contains(message), "{email} / {password}: {errors}");
        assert_eq!(page.attrs("input[name=email]", "value"), [email]);
        assert!(
            page.attrs("input[type=password]", "value").is_empty(),
            "passwords are never echoed"
        );
        assert!(
            !page.body.contains(&password) || password == email,
            "the password is not on the page"
        );
    }
    assert_eq!(user_count(&app), 0);
    assert!(app.mails_to("ada@example.com").is_empty());
}

#[test]
fn a_73_byte_password_is_refused_and_a_72_byte_one_accepted() {
    let app = TestApp::spawn();
    let seventy_two = "violet tractor moonlight".repeat(3);
    let seventy_three = format!("{seventy_two}!");
    let refused = sign_up(&app.client(), "ada@example.com", &seventy_three);
    assert_eq!(refused.status, 400);
    assert!(
        refused.form_errors()[0].contains("at most 72 bytes"),
        "{:?}",
        refused.form_errors()
    );
    assert_eq!(user_count(&app), 0);
    let accepted = sign_up(&app.client(), "ada@example.com", &seventy_two);
    assert_eq!(accepted.status, 303);
    // Every byte counts at login: the 73-byte variant does not open the account.
    let client = app.client();
    let wrong = client.submit(
        "/login",
        "/login",
        &[("email", "ada@example.com"), ("password", &seventy_three)],
    );
    assert_eq!(wrong.status, 400);
    let right = client.submit(
        "/login",
        "/login",
        &[("email", "ada@example.com"), ("password", &seventy_two)],
    );
    assert_eq!(right.status, 303);
}

#[test]
fn signing_up_with_a_known_address_looks_the_same_and_tells_the_owner() {
    let app = TestApp::spawn();
    app.user("known@example.com", Role::Customer, true);

    let new = app.client();
    let fresh = sign_up(&new, "fresh@example.com", PASSWORD);
    let old = app.client();
    let known = sign_up(&old, "known@example.com", PASSWORD);
    assert_eq!(
        (fresh.status, fresh.location()),
        (known.status, known.location())
    );
    let fresh_page = new.follow(fresh);
    let known_page = old.follow(known);
    assert_eq!(
        fresh_page.flashes()[0].replace("fresh@example.com", "X"),
        known_page.flashes()[0].replace("known@example.com", "X")
    );

    assert_eq!(
        user_count(&app),
        2,
        "no second account for the known address"
    );
    let to_owner = app.mails_to("known@example.com");
    assert_eq!(to_owner.len(), 1);
    assert_eq!(
        to_owner[0].subject,
        "Someone tried to sign up with your address"
    );
    assert!(
        !to_owner[0].body.contains("token="),
        "no link that would change anything"
    );
}

/// Signs up as `email` through the form, the request forwarded for `forwarded_for`.
fn sign_up_forwarded(
    app: &TestApp,
    email: &str,
    forwarded_for: &str,
) -> crate::support::client::Page {
    let client = app.client();
    let form = client.get("/signup");
    let mut fields = form.form_values("/signup").expect("a sign-up form");
    fields.retain(|(name, _)| name == "csrf_token");
    for (name, value) in [
        ("email", email),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ] {
        fields.push((name.to_string(), value.to_string()));
    }
    let body = serde_urlencoded::to_string(&fields).unwrap();
    let headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("X-Forwarded-For", forwarded_for),
    ];
    client.request("POST", "/signup", &headers, body.into_bytes())
}

#[test]
fn one_client_gets_ten_sign_ups_an_hour() {
    let app = TestApp::spawn_with(&[("TRUSTED_PROXIES", "127.0.0.1")]);
    for n in 0..10 {
        let response = sign_up_forwarded(&app, &format!("user{n}@example.com"), "203.0.113.9");
        assert_eq!(response.status, 303, "sign-up {n}: {}", response.body);
    }
    let refused = sign_up_forwarded(&app, "eleventh@example.com", "203.0.113.9");
    assert_eq!(refused.status, 429);
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 3600, "{retry}");
    assert!(refused.form_errors()[0].contains("Too many sign-ups"));
    assert_eq!(
        refused.attrs("input[name=email]", "value"),
        ["eleventh@example.com"],
        "the form comes back with the address"
    );
    assert_eq!(user_count(&app), 10, "no account, no hash");
    assert!(app.mails_to("eleventh@example.com").is_empty(), "no mail");
    let elsewhere = sign_up_forwarded(&app, "eleventh@example.com", "198.51.100.4");
    assert_eq!(elsewhere.status, 303, "another client signs up");
}

#[test]
fn one_address_gets_three_mails_an_hour_whatever_asks_for_them() {
    let app = TestApp::spawn_with(&[("TRUSTED_PROXIES", "127.0.0.1")]);
    // A sign-up (the verification mail), a known-address sign-up notice, a reset link: three.
    assert_eq!(
        sign_up_forwarded(&app, "ada@example.com", "203.0.113.1").status,
        303
    );
    assert_eq!(
        sign_up_forwarded(&app, "ada@example.com", "203.0.113.2").status,
        303
    );
    let client = app.client();
    let forgot = client.submit(
        "/password/forgot",
        "/password/forgot",
        &[("email", "ada@example.com")],
    );
    assert_eq!(forgot.status, 303);
    assert_eq!(app.mails_to("ada@example.com").len(), 3);

    // From any client, any form: the fourth is refused, and nothing is sent.
    let again = client.submit(
        "/password/forgot",
        "/password/forgot",
        &[("email", "ada@example.com")],
    );
    assert_eq!(again.status, 429);
    assert!(again.header("retry-after").is_some());
    assert!(again.form_errors()[0].contains("at most 3 links an hour"));
    let bombing = sign_up_forwarded(&app, "ada@example.com", "198.51.100.200");
    assert_eq!(bombing.status, 429);
    assert_eq!(app.mails_to("ada@example.com").len(), 3);

    // An address without an account is answered exactly the same way.
    for _ in 0..3 {
        let nobody = client.submit(
            "/password/forgot",
            "/password/forgot",
            &[("email", "nobody@example.com")],
        );
        assert_eq!(nobody.status, 303);
    }
    let fourth = client.submit(
        "/password/forgot",
        "/password/forgot",
        &[("email", "nobody@example.com")],
    );
    assert_eq!(fourth.status, 429);
    assert_eq!(
        fourth.form_errors()[0].replace("nobody", "X"),
        again.form_errors()[0].replace("ada", "X")
    );
    assert!(app.mails_to("nobody@example.com").is_empty());
}

#[test]
fn extra_fields_in_the_sign_up_form_are_ignored() {
    let app = TestApp::spawn();
    let client = app.client();
    let response = client.submit(
        "/signup",
        "/signup",
        &[
            ("email", "mallory@example.com"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
            ("role", "admin"),
            ("email_verified_at", "2020-01-01 00:00:00"),
        ],
    );
    assert_eq!(response.status, 303);
    let stored = app
        .db(|conn| user::find_by_email(conn, "mallory@example.com"))
        .unwrap()
        .unwrap();
    assert_eq!(stored.role, Role::Customer);
    assert!(!stored.is_verified());
}

// ---------------------------------------------------------------- verification

#[test]
fn the_mailed_link_verifies_once() {
    let app = TestApp::spawn();
    let client = app.client();
    sign_up(&client, "ada@example.com", PASSWORD);
    let link = app.mailed_link("ada@example.com", "/verify-email").unwrap();

    let page = client.get(&link);
    assert_eq!(page.status, 200);
    assert_eq!(page.h1(), "Thank you: your address is verified");
    assert!(app
        .db(|conn| user::find_by_email(conn, "ada@example.com"))
        .unwrap()
        .unwrap()
        .is_verified());

    let again = client.get(&link);
    assert_eq!(again.status, 400);
    assert_eq!(again.h1(), "This link was already used");
    assert!(
        !again.attrs("a[href^='/login']", "href").is_empty(),
        "offers a way to a new link"
    );

    let logged_in = app.logged_in("ada@example.com");
    let account = logged_in.get("/account");
    assert_eq!(account.text(".verified").as_deref(), Some("Verified"));
}

#[test]
fn expired_and_unknown_links_answer_400_and_offer_a_new_one() {
    let app = TestApp::spawn();
    let client = app.client();
    sign_up(&client, "ada@example.com", PASSWORD);
    let link = app.mailed_link("ada@example.com", "/verify-email").unwrap();
    app.db(|conn| {
        diesel::update(email_tokens::table)
            .set(email_tokens::expires_at.eq(now() - TimeDelta::minutes(1)))
            .execute(conn)
    })
    .unwrap();
    let expired = app.logged_in("ada@example.com").get(&link);
    assert_eq!(expired.status, 400);
    assert_eq!(expired.h1(), "This link has expired");
    assert!(
        expired.form_values("/account/verify-email").is_some(),
        "a logged-in user can ask for a new link"
    );

    for path in [
        "/verify-email?token=nonsense",
        "/verify-email",
        "/verify-email?token=",
    ] {
        let page = client.get(path);
        assert_eq!(page.status, 400, "{path}");
        assert_eq!(page.h1(), "This link does not work");
    }
    assert!(!app
        .db(|conn| user::find_by_email(conn, "ada@example.com"))
        .unwrap()
        .unwrap()
        .is_verified());
}

#[test]
fn the_account_page_sends_the_link_again_a_few_times_an_hour() {
    let app = TestApp::spawn();
    app.user("ada@example.com", Role::Customer, false);
    let client = app.logged_in("ada@example.com");
    let account = client.get("/account");
    assert_eq!(
        account.text(".unverified").as_deref(),
        Some("Not verified yet")
    );
    for _ in 0..3 {
        let response = client.submit("/account", "/account/verify-email", &[]);
        assert_eq!(response.status, 303);
    }
    assert_eq!(app.mails_to("ada@example.com").len(), 3);
    let refused = client.submit("/account", "/account/verify-email", &[]);
    assert_eq!(refused.status, 429);
    assert!(
        refused
            .header("retry-after")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    assert_eq!(app.mails_to("ada@example.com").len(), 3);
    // The newest link works.
    let link = app.mailed_link("ada@example.com", "/verify-email").unwrap();
    assert_eq!(client.get(&link).status, 200);
}

// ---------------------------------------------------------------- login and logout

#[test]
fn login_renews_the_session_and_goes_to_a_safe_next() {
    let app = TestApp::spawn();
    app.user("ada@example.com", Role::Customer, true);
    let client = app.client();
    // A session before login (the flash of a "forgot password" request creates one).
    client.submit(
        "/password/forgot",
        "/password/forgot",
        &[("email", "nobody@example.com")],
    );
    let before = client
        .cookies()
        .get("shopfront_session")
        .cloned()
        .expect("a session before login");

    let response = client.submit(
        "/login?next=/products%3Fpage%3D1",
        "/login",
        &[("email", "ADA@example.com"), ("password", PASSWORD)],
    );
    assert_eq!(response.status, 303);
    assert_eq!(response.location().as_deref(), Some("/products?page=1"));
    let after = client.cookies().get("shopfront_session").cloned().unwrap();
    assert_ne!(before, after, "a new session key at login (no fixation)");

    // The pre-login session is gone: replaying its cookie is anonymous.
    let replay = app.client();
    replay.set_cookies([("shopfront_session".to_string(), before)].into());
    assert_eq!(replay.get("/account").status, 303);

    let page = client.get("/account");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.text(".user-menu .who").as_deref(),
        Some("ada@example.com")
    );
}

#[test]
fn next_never_leaves_the_site() {
    let app = TestApp::spawn();
    app.user("ada@example.com", Role::Customer, true);
    for next in [
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "http:evil.example",
        "javascript:alert(1)",
        "/%0d%0aSet-Cookie:x=1",
    ] {
        let client = app.client();
        let page = client.get("/login");
        let response = client.submit_on(
            &page,
            "/login",
            &[
                ("email", "ada@example.com"),
                ("password", PASSWORD),
                ("next", next),
            ],
        );
        assert_eq!(response.status, 303, "{next}");
        let location = response.location().unwrap();
        assert!(
            location == "/account" || location == next && next.starts_with("/%"),
            "{next} -> {location}"
        );
        assert!(
            !location.starts_with("//") && !location.contains("evil"),
            "{next} -> {location}"
        );
    }
}

#[test]
fn a_wrong_password_and_an_unknown_address_get_the_same_answer() {
    let app = TestApp::spawn();
    app.user("ada@example.com", Role::Customer, true);
    let wrong = app.client().submit(
        "/login",
        "/login",
        &[
            ("email", "ada@example.com"),
            ("password", "not the password at all"),
        ],
    );
    let unknown = app.client().submit(
        "/login",
        "/login",
        &[
            ("email", "nobody@example.com"),
            ("password", "not the password at all"),
        ],
    );
    assert_eq!(wrong.status, 400);
    assert_eq!(unknown.status, 400);
    assert_eq!(wrong.form_errors(), unknown.form_errors());
    assert_eq!(
        wrong.form_errors(),
        ["That e-mail address and password do not match an account."]
    );
    assert!(!wrong.body.contains("not the password at all"));
    assert_eq!(
        wrong.attrs("input[name=email]", "value"),
        ["ada@example.com"]
    );
}

/// Posts the login form of `form` as `email` with `password`, the request saying it was
/// forwarded for `forwarded_for`.
fn login_forwarded(
    client: &Client,
    form: &crate::support::client::Page,
    (email, password): (&str, &str),
    forwarded_for: &str,
) -> crate::support::client::Page {
    let mut fields = form.form_values("/login").expect("a login form");
    fields.retain(|(name, _)| name != "email" && name != "password");
    fields.push(("email".into(), email.into()));
    fields.push(("password".into(), password.into()));
    let body = serde_urlencoded::to_string(&fields).unwrap();
    let headers = [
        ("Content-Type", "application/x-www-form-urlencoded"),
        ("X-Forwarded-For", forwarded_for),
    ];
    client.request("POST", "/login", &headers, body.into_bytes())
}

/// Posts the login form of `form` as `email` with a wrong password, forwarded for
/// `forwarded_for`; the status.
fn failed_login_forwarded(
    client: &Client,
    form: &crate::support::client::Page,
    email: &str,
    forwarded_for: &str,
) -> u16 {
    login_forwarded(
        client,
        form,
        (email, "wrong password number"),
        forwarded_for,
    )
    .status
}

/// As many failed logins as one client may have, each on another address, forwarded for
/// `forwarded_for(n)`; every one is answered 400.
fn spray(
    client: &Client,
    form: &crate::support::client::Page,
    forwarded_for: impl Fn(usize) -> String,
) {
    // LOGIN_CLIENT_MAX_FAILURES, by default.
    for n in 0..30 {
        let email = format!("user{n}@example.com");
        let status = failed_login_forwarded(client, form, &email, &forwarded_for(n));
        assert_eq!(status, 400, "attempt {n}");
    }
}

#[test]
fn one_client_failing_on_many_addresses_is_throttled_whatever_it_claims_to_forward() {
    let app = TestApp::spawn();
    let client = app.client();
    let form = client.get("/login");
    // No TRUSTED_PROXIES: the header is the client's own word, and ignored.
    spray(&client, &form, |n| format!("198.51.100.{n}"));
    let next = failed_login_forwarded(&client, &form, "fresh@example.com", "203.0.113.250");
    assert_eq!(next, 429);
}

#[test]
fn behind_a_trusted_proxy_each_forwarded_client_is_throttled_on_its_own() {
    let app = TestApp::spawn_with(&[("TRUSTED_PROXIES", "127.0.0.1")]);
    let client = app.client();
    let form = client.get("/login");
    spray(&client, &form, |_| "203.0.113.7".to_string());
    let sprayer = failed_login_forwarded(&client, &form, "fresh@example.com", "203.0.113.7");
    assert_eq!(sprayer, 429);
    // A left-most address is whatever the client wrote; the proxy appended the real one.
    let spoofing = failed_login_forwarded(
        &client,
        &form,
        "fresh@example.com",
        "198.51.100.1, 203.0.113.7",
    );
    assert_eq!(spoofing, 429);
    let neighbour = failed_login_forwarded(&client, &form, "fresh@example.com", "203.0.113.8");
    assert_eq!(neighbour, 400, "another client behind the same proxy");
}

#[test]
fn the_sixth_attempt_of_a_client_on_an_account_is_429_even_with_the_right_password() {
    let app = TestApp::spawn_with(&[("TRUSTED_PROXIES", "127.0.0.1")]);
    app.user("ada@example.com", Role::Customer, true);
    let guesser = app.client();
    let form = guesser.get("/login");
    for attempt in 1..=5 {
        let status = failed_login_forwarded(&guesser, &form, "ada@example.com", "203.0.113.66");
        assert_eq!(status, 400, "attempt {attempt}");
    }
    let sixth = login_forwarded(
        &guesser,
        &form,
        ("ada@example.com", PASSWORD),
        "203.0.113.66",
    );
    assert_eq!(sixth.status, 429);
    let retry: u64 = sixth.header("retry-after").unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 15 * 60, "{retry}");
    assert!(sixth.form_errors()[0].contains("Too many failed attempts"));
    assert_eq!(
        sixth.attrs(".reset-offer a", "href"),
        ["/password/forgot"],
        "the page offers a new password"
    );
    // Another browser on the same client waits too: the count lives in the database.
    let other_browser = app.client();
    let other_form = other_browser.get("/login");
    let again = login_forwarded(
        &other_browser,
        &other_form,
        ("ada@example.com", PASSWORD),
        "203.0.113.66",
    );
    assert_eq!(again.status, 429);

    // Ada, from anywhere else, logs in: a guesser cannot lock her out.
    let ada = app.client();
    let ada_form = ada.get("/login");
    let hers = login_forwarded(
        &ada,
        &ada_form,
        ("ada@example.com", PASSWORD),
        "198.51.100.7",
    );
    assert_eq!(hers.status, 303, "{}", hers.body);
    // ...and her login forgives nobody else's failures.
    let still = login_forwarded(
        &other_browser,
        &other_form,
        ("ada@example.com", PASSWORD),
        "203.0.113.66",
    );
    assert_eq!(still.status, 429);

    // Once the window has passed, the right password works again.
    app.db(|conn| {
        diesel::update(shopfront::schema::login_failures::table)
            .set(shopfront::schema::login_failures::failed_at.eq(now() - TimeDelta::minutes(16)))
            .execute(conn)
    })
    .unwrap();
    let later = login_forwarded(
        &other_browser,
        &other_form,
        ("ada@example.com", PASSWORD),
        "203.0.113.66",
    );
    assert_eq!(later.status, 303);
}

#[test]
fn thirty_parallel_wrong_guesses_from_one_client_check_at_most_five_passwords() {
    let app = TestApp::spawn();
    app.user("ada@example.com", Role::Customer, true);
    let client = app.client();
    let form = client.get("/login");
    let start = std::sync::Barrier::new(30);
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let guesses: Vec<_> = (0..30)
            .map(|_| {
                scope.spawn(|| {
                    start.wait();
                    failed_login_forwarded(&client, &form, "ada@example.com", "-")
                })
            })
            .collect();
        guesses.into_iter().map(|g| g.join().unwrap()).collect()
    });
    let checked = statuses.iter().filter(|s| **s == 400).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + refused, 30, "{statuses:?}");
    assert!(
        (1..=5).contains(&checked),
        "{checked} passwords checked: {statuses:?}"
    );
    let failures: i64 = app
        .db(|conn| {
            shopfront::schema::login_failures::table
                .count()
                .get_result(conn)
        })
        .unwrap();
    assert_eq!(
        failures, checked as i64,
        "only checked attempts are failures"
    );
}

#[test]
fn an_account_failing_from_everywhere_pauses_and_a_new_password_opens_it() {
    let app = TestApp::spawn_with(&[
        ("TRUSTED_PROXIES", "127.0.0.1"),
        ("LOGIN_ACCOUNT_MAX_FAILURES", "6"),
    ]);
    app.user("ada@example.com", Role::Customer, true);
    let botnet = app.client();
    let form = botnet.get("/login");
    for n in 0..6 {
        let status = failed_login_forwarded(
            &botnet,
            &form,
            "ada@example.com",
            &format!("203.0.113.{}", n / 2),
        );
        assert_eq!(status, 400, "attempt {n}");
    }
    let ada = app.client();
    let ada_form = ada.get("/login");
    let paused = login_forwarded(
        &ada,
        &ada_form,
        ("ada@example.com", PASSWORD),
        "198.51.100.7",
    );
    assert_eq!(paused.status, 429);
    assert!(paused.header("retry-after").is_some());
    assert!(
        paused.form_errors()[0].contains("paused for everyone"),
        "{:?}",
        paused.form_errors()
    );
    assert_eq!(paused.attrs(".reset-offer a", "href"), ["/password/forgot"]);

    // A new password clears every count of the account.
    ada.submit(
        "/password/forgot",
        "/password/forgot",
        &[("email", "ada@example.com")],
    );
    let link = app
        .mailed_link("ada@example.com", "/password/reset")
        .expect("a reset link");
    let reset = ada.submit(
        &link,
        "/password/reset",
        &[
            ("password", "amber lantern harbour"),
            ("password_confirm", "amber lantern harbour"),
        ],
    );
    assert_eq!(reset.status, 303, "{}", reset.body);
    let failures: i64 = app
        .db(|conn| {
            shopfront::schema::login_failures::table
                .count()
                .get_result(conn)
        })
        .unwrap();
    assert_eq!(failures, 0);
    let ada_form = ada.get("/login");
    let opened = login_forwarded(
        &ada,
        &ada_form,
        ("ada@example.com", "amber lantern harbour"),
        "198.51.100.7",
    );
    assert_eq!(opened.status, 303, "{}", opened.body);
}

#[test]
fn ipv6_clients_are_counted_per_64() {
    let app = TestApp::spawn_with(&[("TRUSTED_PROXIES", "127.0.0.1")]);
    app.user("ada@example.com", Role::Customer, true);
    let client = app.client();
    let form = client.get("/login");
    for address in [
        "2001:db8:1:2::1",
        "2001:db8:1:2::2",
        "2001:db8:1:2:aaaa::3",
        "2001:db8:1:2:bbbb::4",
        "[2001:db8:1:2:cccc::5]:443",
    ] {
        assert_eq!(
            failed_login_forwarded(&client, &form, "ada@example.com", address),
            400
        );
    }
    let same_network = login_forwarded(
        &client,
        &form,
        ("ada@example.com", PASSWORD),
        "2001:db8:1:2:ffff::9",
    );
    assert_eq!(same_network.status, 429, "one /64 is one client");
    let next_network = login_forwarded(
        &client,
        &form,
        ("ada@example.com", PASSWORD),
        "2001:db8:1:3::1",
    );
    assert_eq!(next_network.status, 303);
}

#[test]
fn logout_deletes_the_session_so_the_old_cookie_is_anonymous() {
    let app = TestApp::spawn();
    let client = app.customer("ada@example.com");
    let cookie = client.cookies();
    assert_eq!(client.get("/account").status, 200);
    let rows = || -> Vec<String> {
        app.db(|conn| sessions::table.select(sessions::key_hash).load(conn))
            .unwrap()
    };
    let before = rows();
    assert_eq!(before.len(), 1, "the login's session");

    let response = client.submit("/account", "/logout", &[]);
    assert_eq!(response.status, 303);
    let home = client.follow(response);
    assert_eq!(home.flashes(), ["You have logged out."]);
    assert_eq!(
        home.texts(".user-menu a:not(.cart-link)"),
        ["Log in", "Sign up"]
    );
    assert_eq!(client.get("/account").status, 303);

    let replay = app.client();
    replay.set_cookies(cookie);
    let page = replay.get("/account");
    assert_eq!(page.status, 303);
    assert_eq!(page.location().as_deref(), Some("/login?next=%2Faccount"));
    let after = rows();
    assert_eq!(
        after.len(),
        1,
        "the new session holding the flash, and no other"
    );
    assert!(!after.contains(&before[0]), "the logged-out row is gone");
}

/// The user's cart lines, as (product, quantity).
fn user_cart(app: &TestApp, user_id: i32) -> Vec<(i32, i32)> {
    use shopfront::models::cart::{self, CartOwner};
    app.db(
        |conn| match cart::find(conn, &CartOwner::User(user_id)).unwrap() {
            Some(id) => cart::lines(conn, id)
                .unwrap()
                .into_iter()
                .map(|line| (line.product_id, line.quantity))
                .collect(),
            None => Vec::new(),
        },
    )
}

#[test]
fn a_request_still_running_at_logout_cannot_bring_the_login_back() {
    use crate::support::raw;
    use std::io::Write;

    let app = TestApp::spawn();
    let product = app.product_on_sale("Teapot", 2500, 50);
    let user_id = app.user("ada@example.com", Role::Customer, true);
    // The slow request must have loaded the session before the logout: it then adds to
    // Ada's own cart. When the logout won the race instead, try again.
    for attempt in 1..=10 {
        let client = app.logged_in("ada@example.com");
        let before = user_cart(&app, user_id);
        let page = client.get(&format!("/products/{product}"));
        let token = page.attrs("input[name=csrf_token]", "value").remove(0);
        let cookies: String = client
            .cookies()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let body = format!("product_id={product}&quantity=1&csrf_token={token}");
        let (first, rest) = body.split_at(10);
        let mut slow = raw::connect(&app.base);
        write!(
            slow,
            "POST /cart/items HTTP/1.1\r\nHost: shop\r\nCookie: {cookies}\r\n\
             Content-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{first}",
            body.len()
        )
        .unwrap();
        slow.flush().unwrap();

        let out = client.submit("/account", "/logout", &[]);
        assert_eq!(out.status, 303);
        assert_eq!(client.get("/account").status, 303, "logged out");

        slow.write_all(rest.as_bytes()).unwrap();
        let answer = raw::read_response(&mut slow);
        assert_eq!(answer.status(), 303, "{}", answer.head);
        if user_cart(&app, user_id) == before {
            // The logout was first: the add was a guest's. Not the case under test.
            continue;
        }
        let handed_back: Vec<(String, String)> = answer
            .head
            .lines()
            .filter_map(|line| line.strip_prefix("set-cookie: "))
            .filter_map(|cookie| cookie.split(';').next()?.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        assert!(
            handed_back.iter().any(|(k, _)| k == "shopfront_session"),
            "{}",
            answer.head
        );
        let late = app.client();
        late.set_cookies(client.cookies().into_iter().chain(handed_back).collect());
        let page = late.get("/account");
        assert_eq!(
            page.status, 303,
            "attempt {attempt}: the late answer logged in again"
        );
        let old = app.client();
        old.set_cookies(
            cookies
                .split("; ")
                .filter_map(|pair| pair.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        assert_eq!(old.get("/account").status, 303, "the old cookie is out too");
        return;
    }
    panic!("the logout was always first: the slow request never ran logged in");
}

/// Moves the login of the only session back in time: `since_login` days since it logged in
/// and `since_visit` since its last visit. actix-identity compares those stored instants
/// with the system clock, so moving them back is moving the clock forward.
fn age_the_session(app: &TestApp, since_login: i64, since_visit: i64) {
    use std::collections::HashMap;
    let now = chrono::Utc::now().timestamp();
    app.db(|conn| {
        let (key, state): (String, String) = sessions::table
            .select((sessions::key_hash, sessions::state))
            .first(conn)
            .unwrap();
        let mut state: HashMap<String, String> = serde_json::from_str(&state).unwrap();
        for (field, days) in [
            ("actix_identity.logged_in_at", since_login),
            ("actix_identity.last_visited_at", since_visit),
        ] {
            assert!(state.contains_key(field), "{field} in {state:?}");
            state.insert(field.to_string(), (now - days * 86_400 - 60).to_string());
        }
        diesel::update(sessions::table.find(key))
            .set(sessions::state.eq(serde_json::to_string(&state).unwrap()))
            .execute(conn)
            .unwrap();
    });
}

#[test]
fn a_login_ends_after_30_days_and_after_14_days_without_a_visit() {
    let app = TestApp::spawn();
    app.user("ada@example.com", Role::Customer, true);
    for (since_login, since_visit, logged_in) in [
        (29, 13, true),
        (31, 0, false),
        (20, 15, false),
        (13, 13, true),
    ] {
        let client = app.logged_in("ada@example.com");
        app.db(|conn| {
            // Only this login's session, so the helper finds it.
            let keep: Vec<String> = sessions::table
                .order(sessions::created_at.desc())
                .select(sessions::key_hash)
                .limit(1)
                .load(conn)
                .unwrap();
            diesel::delete(sessions::table.filter(sessions::key_hash.ne_all(keep)))
                .execute(conn)
                .unwrap();
        });
        age_the_session(&app, since_login, since_visit);
        let status = client.get("/account").status;
        assert_eq!(
            status == 200,
            logged_in,
            "{since_login} days since login, {since_visit} since the last visit: {status}"
        );
    }
}

#[test]
fn the_session_cookie_is_http_only_lax_and_named_as_documented() {
    let app = TestApp::spawn();
    app.user("ada@example.com", Role::Customer, true);
    let client = app.client();
    let response = client.submit(
        "/login",
        "/login",
        &[("email", "ada@example.com"), ("password", PASSWORD)],
    );
    let cookie = response
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("shopfront_session="))
        .map(|(_, v)| v.clone())
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    assert!(!cookie.contains("Secure"), "{cookie}");

    let secure = TestApp::spawn_with(&[("COOKIE_SECURE", "on")]);
    secure.user("ada@example.com", Role::Customer, true);
    let client = secure.client();
    let page = client.get("/login");
    // The test client speaks plain HTTP, so it does not keep Secure cookies: send them back by hand.
    let csrf_cookie = page.header("set-cookie").unwrap().to_string();
    assert!(
        csrf_cookie.starts_with("__Host-shopfront_csrf=") && csrf_cookie.contains("Secure"),
        "{csrf_cookie}"
    );
    let (name, value) = csrf_cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap();
    client.set_cookies([(name.to_string(), value.to_string())].into());
    let response = client.submit_on(
        &page,
        "/login",
        &[("email", "ada@example.com"), ("password", PASSWORD)],
    );
    assert_eq!(response.status, 303);
    let cookie = response
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("__Host-shopfront_session="))
        .map(|(_, v)| v.clone());
    let cookie = cookie.expect("the __Host- session cookie");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}

#[test]
fn a_login_made_before_the_role_or_password_changed_is_void() {
    let app = TestApp::spawn();
    let client = app.customer("ada@example.com");
    assert_eq!(client.get("/account").status, 200);
    app.db(|conn| {
        diesel::update(users::table)
            .set(users::security_stamp.eq("a new stamp"))
            .execute(conn)
    })
    .unwrap();
    assert_eq!(
        client.get("/account").status,
        303,
        "an old stamp is anonymous"
    );
}

// ---------------------------------------------------------------- the header

#[test]
fn the_header_offers_login_or_names_the_user() {
    let app = TestApp::spawn();
    let anonymous = app.client().get("/");
    assert_eq!(
        anonymous.texts(".user-menu a:not(.cart-link)"),
        ["Log in", "Sign up"]
    );
    let client = app.customer("ada@example.com");
    let page = client.get("/");
    assert_eq!(
        page.text(".user-menu .who").as_deref(),
        Some("ada@example.com")
    );
    assert_eq!(
        page.texts(".user-menu a:not(.cart-link)"),
        ["Orders", "Account"]
    );
    assert_eq!(page.text(".cart-link").as_deref(), Some("Cart"));
    assert!(page
        .form_values("/logout")
        .unwrap()
        .iter()
        .any(|(k, _)| k == "csrf_token"));
}

// ---------------------------------------------------------------- CSRF

#[test]
fn posts_without_the_right_token_are_refused_and_change_nothing() {
    let app = TestApp::spawn();
    let fields = [
        ("email", "eve@example.com"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];

    // No token at all.
    let client = app.client();
    client.get("/signup");
    let response = client.post_form("/signup", &fields);
    assert_eq!(response.status, 403);
    assert!(response
        .visible_text()
        .contains("This form could not be accepted"));

    // A made-up token.
    let mut with_token = fields.to_vec();
    with_token.push(("csrf_token", "0123456789abcdef"));
    assert_eq!(client.post_form("/signup", &with_token).status, 403);

    // A real token, but from another browser.
    let other = app.client();
    let other_token = other
        .get("/signup")
        .attrs("input[name=csrf_token]", "value")
        .remove(0);
    let mut stolen = fields.to_vec();
    stolen.push(("csrf_token", &other_token));
    assert_eq!(client.post_form("/signup", &stolen).status, 403);

    assert_eq!(user_count(&app), 0);
    assert!(app.mails_to("eve@example.com").is_empty());

    // Logout and login need the token too.
    let logged_in = app.customer("ada@example.com");
    assert_eq!(logged_in.post_form("/logout", &[]).status, 403);
    assert_eq!(logged_in.get("/account").status, 200, "still logged in");
    assert_eq!(
        app.client()
            .post_form(
                "/login",
                &[("email", "ada@example.com"), ("password", PASSWORD)]
            )
            .status,
        403
    );
}

#[test]
fn cross_site_posts_are_refused_even_with_a_valid_token() {
    let app = TestApp::spawn();
    let client = app.customer("ada@example.com");
    let page = client.get("/account");
    let token = page
        .attrs("form[action='/logout'] input[name=csrf_token]", "value")
        .remove(0);
    let logout_with = |header: (&str, &str)| {
        let form = ("Content-Type", "application/x-www-form-urlencoded");
        let body = format!("csrf_token={token}").into_bytes();
        client
            .request("POST", "/logout", &[form, header], body)
            .status
    };
    assert_eq!(logout_with(("Origin", "http://evil.example")), 403);
    assert_eq!(logout_with(("Origin", "null")), 403);
    assert_eq!(logout_with(("Sec-Fetch-Site", "cross-site")), 403);
    assert_eq!(client.get("/account").status, 200, "still logged in");

    assert_eq!(
        logout_with(("Origin", &app.base)),
        303,
        "our own origin is fine"
    );
    assert_eq!(client.get("/account").status, 303, "logged out");
}

#[test]
fn the_token_is_rotated_at_login() {
    let app = TestApp::spawn();
    app.user("ada@example.com", Role::Customer, true);
    let client = app.client();
    let login_page = client.get("/login");
    let before = login_page
        .attrs("input[name=csrf_token]", "value")
        .remove(0);
    client.submit_on(
        &login_page,
        "/login",
        &[("email", "ada@example.com"), ("password", PASSWORD)],
    );
    let after = client
        .get("/account")
        .attrs("form[action='/logout'] input[name=csrf_token]", "value")
        .remove(0);
    assert_ne!(before, after);
    // The pre-login token no longer works.
    assert_eq!(
        client
            .post_form("/logout", &[("csrf_token", &before)])
            .status,
        403
    );
    assert_eq!(
        client
            .post_form("/logout", &[("csrf_token", &after)])
            .status,
        303
    );
}

#[test]
fn browsing_writes_no_session() {
    let app = TestApp::spawn();
    let client = app.client();
    for path in ["/", "/products", "/login", "/signup"] {
        assert_eq!(client.get(path).status, 200);
    }
    let rows: i64 = app
        .db(|conn| sessions::table.count().get_result(conn))
        .unwrap();
    assert_eq!(rows, 0, "only a signed CSRF cookie, no session row");
}

// ---------------------------------------------------------------- password reset

#[test]
fn forgot_password_answers_the_same_for_known_and_unknown_addresses() {
    let app = TestApp::spawn();
    app.user("known@example.com", Role::Customer, true);
    let a = app.client();
    let known = a.submit(
        "/password/forgot",
        "/password/forgot",
        &[("email", "known@example.com")],
    );
    let b = app.client();
    let unknown = b.submit(
        "/password/forgot",
        "/password/forgot",
        &[("email", "unknown@example.com")],
    );
    assert_eq!(
        (known.status, known.location()),
        (unknown.status, unknown.location())
    );
    let known_page = a.follow(known);
    let unknown_page = b.follow(unknown);
    assert_eq!(
        known_page.flashes()[0].replace("known@example.com", "X"),
        unknown_page.flashes()[0].replace("unknown@example.com", "X")
    );
    assert_eq!(app.mails_to("known@example.com").len(), 1);
    assert!(app.mails_to("unknown@example.com").is_empty());
    let bad = app
        .client()
        .submit("/password/forgot", "/password/forgot", &[("email", "nope")]);
    assert_eq!(bad.status, 400);
}

#[test]
fn a_reset_link_sets_a_new_password_once_and_ends_every_session() {
    let app = TestApp::spawn();
    app.user("ada@example.com", Role::Customer, false);
    let elsewhere = app.logged_in("ada@example.com");
    assert_eq!(elsewhere.get("/account").status, 200);

    let client = app.client();
    client.submit(
        "/password/forgot",
        "/password/forgot",
        &[("email", "ada@example.com")],
    );
    let link = app
        .mailed_link("ada@example.com", "/password/reset")
        .unwrap();
    let form = client.get(&link);
    assert_eq!(form.status, 200);
    assert_eq!(form.header("referrer-policy"), Some("no-referrer"));

    let weak = client.submit_on(
        &form,
        "/password/reset",
        &[("password", "short"), ("password_confirm", "short")],
    );
    assert_eq!(weak.status, 400);
    assert!(weak.form_errors()[0].contains("at least 12"));
    assert_eq!(weak.header("referrer-policy"), Some("no-referrer"));

    let new_password = "amber lantern harbour";
    let done = client.submit_on(
        &form,
        "/password/reset",
        &[
            ("password", new_password),
            ("password_confirm", new_password),
        ],
    );
    assert_eq!(done.status, 303);
    assert_eq!(done.location().as_deref(), Some("/login"));

    assert_eq!(
        elsewhere.get("/account").status,
        303,
        "the other session ended"
    );
    let old = app.client().submit(
        "/login",
        "/login",
        &[("email", "ada@example.com"), ("password", PASSWORD)],
    );
    assert_eq!(old.status, 400);
    let new = app.client().submit(
        "/login",
        "/login",
        &[("email", "ada@example.com"), ("password", new_password)],
    );
    assert_eq!(new.status, 303);
    assert!(
        app.db(|conn| user::find_by_email(conn, "ada@example.com"))
            .unwrap()
            .unwrap()
            .is_verified(),
        "the link proved the address"
    );
    assert!(app
        .mails_to("ada@example.com")
        .iter()
        .any(|m| m.subject == "Your password was changed"));

    let reused = client.get(&link);
    assert_eq!(reused.status, 400);
    assert_eq!(reused.h1(), "This link was already used");
    assert!(!reused
        .attrs("a[href='/password/forgot']", "href")
        .is_empty());
}

#[test]
fn an_expired_reset_link_is_refused() {
    let app = TestApp::spawn();
    app.user("ada@example.com", Role::Customer, true);
    let client = app.client();
    client.submit(
        "/password/forgot",
        "/password/forgot",
        &[("email", "ada@example.com")],
    );
    let link = app
        .mailed_link("ada@example.com", "/password/reset")
        .unwrap();
    let form = client.get(&link);
    app.db(|conn| {
        diesel::update(email_tokens::table)
            .set(email_tokens::expires_at.eq(now() - TimeDelta::seconds(1)))
            .execute(conn)
    })
    .unwrap();
    assert_eq!(client.get(&link).status, 400);
    let late = client.submit_on(
        &form,
        "/password/reset",
        &[
            ("password", "amber lantern harbour"),
            ("password_confirm", "amber lantern harbour"),
        ],
    );
    assert_eq!(late.status, 400);
    assert_eq!(late.h1(), "This link has expired");
    assert_eq!(
        app.client()
            .submit(
                "/login",
                "/login",
                &[("email", "ada@example.com"), ("password", PASSWORD)]
            )
            .status,
        303
    );
}

// ---------------------------------------------------------------- change password

#[test]
fn changing_the_password_needs_the_current_one_and_ends_other_sessions() {
    let app = TestApp::spawn();
    let client = app.customer("ada@example.com");
    let other = app.logged_in("ada@example.com");
    let new_password = "amber lantern harbour";

    let wrong = client.submit(
        "/account",
        "/account/password",
        &[
            ("current_password", "not my password"),
            ("password", new_password),
            ("password_confirm", new_password),
        ],
    );
    assert_eq!(wrong.status, 400);
    assert_eq!(wrong.form_errors(), ["That is not your current password."]);

    let done = client.submit(
        "/account",
        "/account/password",
        &[
            ("current_password", PASSWORD),
            ("password", new_password),
            ("password_confirm", new_password),
        ],
    );
    assert_eq!(done.status, 303);
    assert_eq!(
        client.get("/account").status,
        200,
        "this browser stays logged in"
    );
    assert_eq!(other.get("/account").status, 303, "the other one is out");
    assert_eq!(
        app.client()
            .submit(
                "/login",
                "/login",
                &[("email", "ada@example.com"), ("password", new_password)]
            )
            .status,
        303
    );
}

// ---------------------------------------------------------------- roles

#[test]
fn user_pages_send_anonymous_visitors_to_log_in_and_admin_pages_refuse_customers() {
    let app = TestApp::spawn();
    let anonymous = app.client().get("/account");
    assert_eq!(anonymous.status, 303);
    assert_eq!(
        anonymous.location().as_deref(),
        Some("/login?next=%2Faccount")
    );
    let to_admin = app.client().get("/admin");
    assert_eq!(to_admin.status, 303);
    assert_eq!(to_admin.location().as_deref(), Some("/login?next=%2Fadmin"));

    let customer = app.customer("ada@example.com");
    let refused = customer.get("/admin");
    assert_eq!(refused.status, 403);
    assert_eq!(refused.h1(), "Not allowed");

    let admin = app.admin("boss@example.com");
    let page = admin.get("/admin");
    assert_eq!(page.status, 200);
    assert_eq!(page.h1(), "Admin");
}

#[test]
fn the_login_page_keeps_next_through_the_form() {
    let app = TestApp::spawn();
    app.user("ada@example.com", Role::Customer, true);
    let client = app.client();
    let redirect = client.get("/account");
    let login = client.get(&redirect.location().unwrap());
    assert_eq!(login.attrs("input[name=next]", "value"), ["/account"]);
    let response = client.submit_on(
        &login,
        "/login",
        &[("email", "ada@example.com"), ("password", PASSWORD)],
    );
    assert_eq!(response.location().as_deref(), Some("/account"));
}
