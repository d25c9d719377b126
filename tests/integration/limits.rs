//! What a client cannot make the shop do: read bodies it should refuse from the headers,
//! accept file uploads where none belong, or grow its session and cart without bound.

use std::io::Write;
use std::sync::{Arc, Barrier};
use std::time::Instant;

use shopfront::domain::account::Role;

use crate::support::raw::{self, RawResponse};
use crate::support::shop::{add_to_cart, product_count};
use crate::support::TestApp;

/// Three megabytes of body, the most a multipart form may hold.
const BODY_BYTES: usize = 3 * 1024 * 1024;

/// The head of a multipart POST to `path` with `boundary`, declaring a body of BODY_BYTES.
fn multipart_head(path: &str, boundary: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: shop\r\n\
         Content-Type: multipart/form-data; boundary={boundary}\r\n\
         Content-Length: {BODY_BYTES}\r\n\r\n"
    )
    .into_bytes()
}

/// Sends the head and only the first 64 kB of the body, then reads the answer: it must come
/// while the rest of the body is still unsent, so the server answered from the headers.
fn answer_before_the_body(base: &str, path: &str, boundary: &str) -> (RawResponse, u128) {
    let mut stream = raw::connect(base);
    stream.write_all(&multipart_head(path, boundary)).unwrap();
    let started = Instant::now();
    stream.write_all(&vec![b'x'; 64 * 1024]).unwrap();
    let response = raw::read_response(&mut stream);
    (response, started.elapsed().as_millis())
}

/// Sends the whole attack: head and all three megabytes, whatever the server does meanwhile.
fn attack(base: &str, boundary: &str) -> u16 {
    let mut stream = raw::connect(base);
    let mut request = multipart_head("/cart/items", boundary);
    request.extend(std::iter::repeat_n(b'x', BODY_BYTES));
    // The server may answer and close before the body is all sent; that is the point.
    let _ = stream.write_all(&request);
    raw::read_response(&mut stream).status()
}

#[test]
fn a_huge_multipart_boundary_is_refused_from_the_headers_on_any_path() {
    let app = TestApp::spawn();
    let boundary = "B".repeat(100 * 1024);
    for path in ["/cart/items", "/products", "/login", "/no/such/page"] {
        let (response, millis) = answer_before_the_body(&app.base, path, &boundary);
        assert_eq!(response.status(), 400, "{path}: {}", response.head);
        println!("{path}: 400 after {millis} ms, with 64 kB of 3 MB sent");
    }
    // 70 characters is what RFC 2046 allows; 71 is refused.
    let longest = "b".repeat(70);
    let (at_limit, _) = answer_before_the_body(&app.base, "/cart/items", &longest);
    assert_eq!(
        at_limit.status(),
        415,
        "a fine boundary, but not a file route"
    );
    let (over, _) = answer_before_the_body(&app.base, "/cart/items", &format!("{longest}b"));
    assert_eq!(over.status(), 400);
}

#[test]
fn multipart_bodies_are_taken_only_where_a_form_carries_a_file() {
    let app = TestApp::spawn();
    for path in ["/cart/items", "/login", "/signup", "/logout", "/checkout"] {
        let (response, _) = answer_before_the_body(&app.base, path, "----Boundary1234");
        assert_eq!(response.status(), 415, "{path}: {}", response.head);
    }
}

#[test]
fn pages_stay_served_while_eight_clients_send_huge_boundaries() {
    let app = TestApp::spawn();
    app.product_on_sale("Teapot", 2500, 3);
    let boundary = Arc::new("B".repeat(100 * 1024));
    let start = Arc::new(Barrier::new(9));
    let attackers: Vec<_> = (0..8)
        .map(|_| {
            let (base, boundary, start) = (app.base.clone(), boundary.clone(), start.clone());
            std::thread::spawn(move || {
                start.wait();
                (0..3)
                    .map(|_| attack(&base, &boundary))
                    .collect::<Vec<u16>>()
            })
        })
        .collect();
    start.wait();
    let client = app.client();
    for _ in 0..5 {
        let page = client.get("/products");
        assert_eq!(page.status, 200);
        assert_eq!(page.product_names(), ["Teapot"]);
    }
    for attacker in attackers {
        assert_eq!(attacker.join().unwrap(), [400, 400, 400]);
    }
}

#[test]
fn a_multipart_form_needs_its_token_checked_by_the_handler() {
    let app = TestApp::spawn();
    let category = app.category("lamps", "Lamps");
    let admin = app.admin("boss@example.com");
    let form = admin.get("/admin/products/new");
    let mut fields = form.form_values("/products").unwrap();
    for (name, value) in [
        ("name", "Brass Lamp"),
        ("price", "49.90"),
        ("stock", "3"),
        ("category_id", &category.to_string()),
    ] {
        fields.retain(|(k, _)| k != name);
        fields.push((name.to_string(), value.to_string()));
    }
    let without_token: Vec<(&str, &str)> = fields
        .iter()
        .filter(|(k, _)| k != "csrf_token")
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let refused = admin.post_multipart("/products", &without_token, &[]);
    assert_eq!(refused.status, 403, "{}", refused.body);
    let mut forged = without_token.clone();
    forged.push(("csrf_token", "00ff"));
    assert_eq!(admin.post_multipart("/products", &forged, &[]).status, 403);
    // Another browser's token is no good either.
    let other = app.admin("other@example.com");
    let theirs = other
        .get("/admin/products/new")
        .attrs("input[name=csrf_token]", "value")
        .remove(0);
    let mut stolen = without_token.clone();
    stolen.push(("csrf_token", &theirs));
    assert_eq!(admin.post_multipart("/products", &stolen, &[]).status, 403);
    assert_eq!(app.db(product_count), 0);

    let all: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let created = admin.post_multipart("/products", &all, &[]);
    assert_eq!(created.status, 303, "{}", created.body);
    assert_eq!(app.db(product_count), 1);
}

#[test]
fn a_customer_cannot_post_a_file_form_whatever_it_holds() {
    let app = TestApp::spawn();
    app.user("ada@example.com", Role::Customer, true);
    let customer = app.logged_in("ada@example.com");
    let token = customer
        .get("/account")
        .attrs("input[name=csrf_token]", "value")
        .remove(0);
    let page = customer.post_multipart("/products", &[("csrf_token", &token)], &[]);
    assert_eq!(page.status, 403);
    assert!(page.visible_text().contains("administrators"));
}

#[test]
fn two_page_loads_carry_different_tokens_and_both_are_accepted() {
    let app = TestApp::spawn();
    let client = app.customer("ada@example.com");
    let first = client.get("/account");
    let second = client.get("/account");
    let token = |page: &crate::support::client::Page| {
        page.attrs("form[action='/logout'] input[name=csrf_token]", "value")
            .remove(0)
    };
    let (a, b) = (token(&first), token(&second));
    assert_ne!(a, b, "masked afresh for every response");
    // Both unmask to the session's token; the older page's form still works (its token is
    // accepted: the answer is about the password, not a 403).
    let checked = client.submit_on(
        &first,
        "/account/password",
        &[("current_password", "not my password at all")],
    );
    assert_eq!(checked.status, 400, "{}", checked.body);
    let out = client.submit_on(&second, "/logout", &[]);
    assert_eq!(out.status, 303);
    assert_eq!(client.get("/account").status, 303, "logged out");
    // Visitors without a session have their token in a cookie: masked as well.
    let visitor = app.client();
    let one = visitor
        .get("/login")
        .attrs("input[name=csrf_token]", "value");
    let two = visitor
        .get("/login")
        .attrs("input[name=csrf_token]", "value");
    assert_ne!(one, two);
}

// ---------------------------------------------------------------- sessions

#[test]
fn a_client_that_never_follows_redirects_keeps_only_five_flash_messages() {
    let app = TestApp::spawn();
    let client = app.customer("ada@example.com");
    let page = client.get("/account");
    let token = page.attrs("input[name=csrf_token]", "value").remove(0);
    // "Send the link again" for a verified address only says so, in a flash; a client that
    // never loads the page it is sent to would pile them up.
    for _ in 0..8 {
        let posted = client.post_form("/account/verify-email", &[("csrf_token", &token)]);
        assert_eq!(posted.status, 303);
    }
    let state: String = app
        .db(|conn| {
            use diesel::prelude::*;
            shopfront::schema::sessions::table
                .select(shopfront::schema::sessions::state)
                .first(conn)
        })
        .unwrap();
    assert_eq!(state.matches("already verified").count(), 5, "{state}");
    assert_eq!(
        client.get("/account").flashes(),
        ["Your address is already verified."; 5]
    );
}

#[actix_web::test]
async fn a_session_state_over_four_kilobytes_is_not_stored() {
    use actix_session::storage::SessionStore;
    use actix_web::cookie::time::Duration;
    use shopfront::web::session_store::DbSessionStore;
    use std::collections::HashMap;

    let app = TestApp::spawn();
    let store = DbSessionStore::new(app.state.pool.clone());
    let ttl = Duration::days(1);
    let state = |bytes: usize| HashMap::from([("note".to_string(), "x".repeat(bytes))]);

    let too_big = store.save(state(5000), &ttl).await.unwrap();
    assert_eq!(store.load(&too_big).await.unwrap(), None, "nothing stored");

    let small = store.save(state(100), &ttl).await.unwrap();
    let same = store.update(small, state(5000), &ttl).await.unwrap();
    assert_eq!(
        store.load(&same).await.unwrap(),
        Some(state(100)),
        "the stored state stays as it was"
    );
    let grown = store.update(same, state(3000), &ttl).await.unwrap();
    assert_eq!(store.load(&grown).await.unwrap(), Some(state(3000)));
}

#[actix_web::test]
async fn an_update_of_a_deleted_session_starts_an_empty_one() {
    use actix_session::storage::SessionStore;
    use actix_web::cookie::time::Duration;
    use shopfront::web::session_store::DbSessionStore;
    use std::collections::HashMap;

    let app = TestApp::spawn();
    let store = DbSessionStore::new(app.state.pool.clone());
    let ttl = Duration::days(1);
    let logged_in = HashMap::from([(
        "actix_identity.user_id".to_string(),
        "\"1:stamp\"".to_string(),
    )]);
    let key = store.save(logged_in.clone(), &ttl).await.unwrap();
    store.delete(&key).await.unwrap();
    let after = store.update(key, logged_in, &ttl).await.unwrap();
    assert_eq!(store.load(&after).await.unwrap(), None);
    let rows: i64 = app
        .db(|conn| {
            use diesel::prelude::*;
            shopfront::schema::sessions::table.count().get_result(conn)
        })
        .unwrap();
    assert_eq!(rows, 0, "the deleted session was not written back");
}

// ---------------------------------------------------------------- carts

#[test]
fn a_cart_holds_at_most_cart_max_lines_lines() {
    let app = TestApp::spawn_with(&[("CART_MAX_LINES", "3")]);
    let products: Vec<i32> = ["Cup", "Jug", "Pot", "Urn"]
        .iter()
        .map(|name| app.product_on_sale(name, 500, 20))
        .collect();
    let client = app.client();
    for product in &products[..3] {
        assert_eq!(add_to_cart(&client, *product, "1").status, 303);
    }
    let refused = add_to_cart(&client, products[3], "1");
    assert_eq!(refused.status, 400);
    assert_eq!(refused.h1(), "Your cart");
    assert!(
        refused
            .visible_text()
            .contains("Your cart already holds 3 different products"),
        "{}",
        refused.visible_text()
    );
    assert_eq!(
        refused.texts("table.lines tbody tr").len(),
        3,
        "the cart is shown as it is"
    );
    // More of a product already in the cart is fine.
    assert_eq!(add_to_cart(&client, products[0], "2").status, 303);

    // At login, a guest cart's new lines join the user's only up to the limit.
    let user_id = app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    assert_eq!(add_to_cart(&ada, products[3], "1").status, 303);
    crate::support::accounts::log_in(&client, "ada@example.com");
    let lines = app.db(|conn| {
        use shopfront::models::cart::{self, CartOwner};
        let id = cart::find(conn, &CartOwner::User(user_id))
            .unwrap()
            .unwrap();
        cart::lines(conn, id).unwrap().len()
    });
    assert_eq!(lines, 3);
}

/// Posts the form with `action` on `page`, `fields` typed over it, without a session cookie
/// (the CSRF cookie kept), the request forwarded for `forwarded_for`.
fn post_without_session(
    client: &crate::support::Client,
    page: &crate::support::client::Page,
    action: &str,
    fields: &[(&str, &str)],
    forwarded_for: &str,
) -> crate::support::client::Page {
    client.set_cookies(
        client
            .cookies()
            .into_iter()
            .filter(|(k, _)| k != "shopfront_session")
            .collect(),
    );
    let mut values = page.form_values(action).unwrap();
    for (name, value) in fields {
        values.retain(|(k, _)| k != name);
        values.push((name.to_string(), value.to_string()));
    }
    let body = serde_urlencoded::to_string(&values).unwrap();
    client.request(
        "POST",
        action,
        &[
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("X-Forwarded-For", forwarded_for),
        ],
        body.into_bytes(),
    )
}

#[test]
fn a_client_dropping_its_session_cookie_starts_at_most_guest_sessions_per_hour() {
    let app = TestApp::spawn_with(&[
        ("GUEST_SESSIONS_PER_HOUR", "3"),
        ("TRUSTED_PROXIES", "127.0.0.1"),
    ]);
    let product = app.product_on_sale("Teapot", 2500, 50);
    let client = app.client();
    // Pages read before any session: their forms carry the CSRF cookie's token.
    let login = client.get("/login");
    let forgot_page = client.get("/password/forgot");
    let page = client.get(&format!("/products/{product}"));
    let add = |forwarded_for: &str| {
        post_without_session(
            &client,
            &page,
            "/cart/items",
            &[("quantity", "1")],
            forwarded_for,
        )
    };
    // A post that stores nothing in a session does not count: a failed login leaves none.
    for _ in 0..5 {
        let failed = post_without_session(
            &client,
            &login,
            "/login",
            &[
                ("email", "nobody@example.com"),
                ("password", "wrong password number"),
            ],
            "203.0.113.5",
        );
        assert_eq!(failed.status, 400);
    }
    for n in 0..3 {
        assert_eq!(add("203.0.113.5").status, 303, "add {n}");
    }
    let refused = add("203.0.113.5");
    assert_eq!(refused.status, 429);
    assert!(refused.header("retry-after").is_some());
    let (sessions, carts) = app.db(|conn| {
        use diesel::prelude::*;
        use shopfront::schema::{carts, sessions};
        let sessions: i64 = sessions::table.count().get_result(conn).unwrap();
        let carts: i64 = carts::table.count().get_result(conn).unwrap();
        (sessions, carts)
    });
    assert_eq!((sessions, carts), (3, 3));
    // Any other post that would start a session is refused too, its session not written.
    let forgot = post_without_session(
        &client,
        &forgot_page,
        "/password/forgot",
        &[("email", "nobody@example.com")],
        "203.0.113.5",
    );
    assert_eq!(forgot.status, 429);
    let sessions: i64 = app
        .db(|conn| {
            use diesel::prelude::*;
            shopfront::schema::sessions::table.count().get_result(conn)
        })
        .unwrap();
    assert_eq!(sessions, 3);
    // Another client starts its own.
    assert_eq!(add("198.51.100.5").status, 303);
    // A client that keeps its session goes on shopping.
    let kept = client.get(&format!("/products/{product}"));
    let again = client.submit_on(&kept, "/cart/items", &[("quantity", "1")]);
    assert_eq!(again.status, 303, "{}", again.body);
}

#[test]
fn forms_open_in_other_tabs_still_work_after_a_guest_starts_a_cart() {
    let app = TestApp::spawn();
    let teapot = app.product_on_sale("Teapot", 2500, 50);
    let kettle = app.product_on_sale("Kettle", 3500, 50);
    let guest = app.client();
    // Two tabs, opened before the guest has a session.
    let first = guest.get(&format!("/products/{teapot}"));
    let second = guest.get(&format!("/products/{kettle}"));
    assert_eq!(
        guest
            .submit_on(&first, "/cart/items", &[("quantity", "1")])
            .status,
        303
    );
    // The cart page, with forms of its own, is shown in between.
    assert_eq!(guest.get("/cart").status, 200);
    let added = guest.submit_on(&second, "/cart/items", &[("quantity", "1")]);
    assert_eq!(added.status, 303, "{}", added.body);
    assert_eq!(guest.get("/cart").texts("table.lines tbody tr").len(), 2);
}
