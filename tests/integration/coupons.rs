//! Coupons: the admin pages, every reason a code does not apply, the larger discount
//! winning over the threshold, the code on the order, mail and invoice, the limits under
//! racing checkouts, and uses given back on cancel and expiry.

use chrono::{Duration, Utc};
use diesel::prelude::*;
use shopfront::domain::account::Role;
use shopfront::schema::{audit_log, coupons, orders};

use crate::card::run_payment_job;
use crate::support::client::Page;
use crate::support::shop::{add_to_cart, check_out, set_quantity, ADDRESS};
use crate::support::{at_once, Client, Contender, TestApp};

/// The coupon form's fields with these changed.
fn fields<'a>(changed: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut all = vec![
        ("code", "SPRING-10"),
        ("kind", "percent"),
        ("value", "10"),
        ("min_subtotal", ""),
        ("starts_on", ""),
        ("ends_on", ""),
        ("max_uses", ""),
        ("max_uses_per_customer", "1"),
        ("active", "on"),
    ];
    for (name, value) in changed {
        all.retain(|(n, _)| n != name);
        if !value.is_empty() || *name != "active" {
            all.push((name, value));
        }
    }
    all
}

/// Posts exactly `fields` (and the CSRF token of `page_path`) to `action`: an unticked
/// checkbox is left out, as a browser leaves it out.
fn post(client: &Client, page_path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
    let page = client.get(page_path);
    let token = page.attrs("input[name=csrf_token]", "value")[0].clone();
    let mut all = fields.to_vec();
    all.push(("csrf_token", &token));
    client.post_form(action, &all)
}

/// Adds a coupon through the admin form; its id.
fn add_coupon(app: &TestApp, admin: &Client, changed: &[(&str, &str)]) -> i32 {
    let added = post(
        admin,
        "/admin/coupons/new",
        "/admin/coupons",
        &fields(changed),
    );
    assert_eq!(added.status, 303, "{}", added.body);
    let code = fields(changed)
        .into_iter()
        .find(|(n, _)| *n == "code")
        .unwrap()
        .1
        .to_uppercase();
    app.db(|conn| {
        coupons::table
            .filter(coupons::code.eq(code))
            .select(coupons::id)
            .first(conn)
            .unwrap()
    })
}

fn uses_of(app: &TestApp, id: i32) -> i32 {
    app.db(|conn| {
        coupons::table
            .find(id)
            .select(coupons::uses)
            .first(conn)
            .unwrap()
    })
}

/// Enters `code` on the cart page.
fn apply(client: &Client, code: &str) -> Page {
    client.submit("/cart", "/cart/coupon", &[("code", code)])
}

fn day(offset: i64) -> String {
    (Utc::now().date_naive() + Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

#[test]
fn admins_add_find_change_and_delete_coupons_and_each_change_is_audited() {
    let app = TestApp::spawn();
    let admin = app.admin("boss@example.com");
    let page = admin.get("/admin/coupons/new");
    let bad = admin.submit_on(
        &page,
        "/admin/coupons",
        &fields(&[("code", "x"), ("value", "150"), ("ends_on", "someday")]),
    );
    assert_eq!(bad.status, 400);
    assert_eq!(bad.form_errors().len(), 3, "{:?}", bad.form_errors());
    assert_eq!(bad.attrs("#code", "value"), ["x"], "the form as typed");

    let spring = add_coupon(&app, &admin, &[("code", "spring-10")]);
    let taken = admin.submit_on(&page, "/admin/coupons", &fields(&[]));
    assert_eq!(taken.status, 400);
    assert!(taken.form_errors()[0].contains("Another coupon"));
    add_coupon(
        &app,
        &admin,
        &[
            ("code", "FIVER"),
            ("kind", "fixed"),
            ("value", "5.00"),
            ("active", ""),
        ],
    );

    let list = admin.get("/admin/coupons");
    assert_eq!(list.texts(".coupons td.code"), ["FIVER", "SPRING-10"]);
    let found = admin.get("/admin/coupons?q=spr");
    assert_eq!(found.texts(".coupons td.code"), ["SPRING-10"]);
    let off = admin.get("/admin/coupons?status=inactive");
    assert_eq!(off.texts(".coupons td.code"), ["FIVER"]);
    assert_eq!(admin.get("/admin/coupons?status=maybe").status, 400);

    let edit = admin.get(&format!("/admin/coupons/{spring}/edit"));
    assert_eq!(edit.attrs("#value", "value"), ["10"]);
    let saved = admin.submit_on(
        &edit,
        &format!("/admin/coupons/{spring}"),
        &fields(&[("value", "15"), ("max_uses", "3")]),
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    let list = admin.get("/admin/coupons?q=SPRING");
    assert_eq!(list.texts(".coupons td.uses"), ["0 of 3"]);

    let actions: Vec<String> = app.db(|conn| {
        audit_log::table
            .filter(audit_log::entity.eq("coupon"))
            .order(audit_log::id.asc())
            .select(audit_log::action)
            .load(conn)
            .unwrap()
    });
    assert_eq!(actions, ["coupon.create", "coupon.create", "coupon.update"]);
    let fiver_row = admin.get("/admin/coupons?q=FIVER");
    let delete = fiver_row.attrs(".coupons form", "action")[0].clone();
    assert_eq!(admin.submit_on(&fiver_row, &delete, &[]).status, 303);
    assert_eq!(
        admin.get("/admin/coupons").texts(".coupons td.code"),
        ["SPRING-10"]
    );
}

#[test]
fn each_reason_a_code_does_not_apply_is_a_400_that_says_what_to_do() {
    let app = TestApp::spawn();
    let admin = app.admin("boss@example.com");
    let teapot = app.product_on_sale("Teapot", 4_000, 20);
    add_coupon(&app, &admin, &[("code", "LATER"), ("starts_on", &day(1))]);
    add_coupon(&app, &admin, &[("code", "GONE"), ("ends_on", &day(-1))]);
    add_coupon(&app, &admin, &[("code", "BIG"), ("min_subtotal", "50.00")]);
    add_coupon(&app, &admin, &[("code", "ONCE"), ("max_uses", "1")]);
    add_coupon(&app, &admin, &[("code", "MINE")]);
    add_coupon(&app, &admin, &[("code", "OFF"), ("active", "")]);

    app.user("bob@example.com", Role::Customer, true);
    let bob = app.logged_in("bob@example.com");
    add_to_cart(&bob, teapot, "1");
    for code in ["ONCE", "MINE"] {
        assert_eq!(apply(&bob, code).status, 303);
        assert_eq!(check_out(&bob).status, 303, "bob uses {code}");
        add_to_cart(&bob, teapot, "1");
    }

    app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    let empty = post(&ada, "/cart", "/cart/coupon", &[("code", "MINE")]);
    assert_eq!(empty.status, 400);
    assert!(empty.text("#code-error").unwrap().contains("Add something"));
    add_to_cart(&ada, teapot, "1");
    let cases = [
        ("NOPE", "We do not know this code"),
        ("x", "We do not know this code"),
        ("OFF", "not active"),
        ("LATER", &format!("applies from {}", day(1))),
        ("GONE", &format!("expired on {}", day(-1))),
        ("BIG", "at least $50.00: add $10.00 more"),
        ("ONCE", "used up"),
    ];
    for (code, says) in cases {
        let refused = apply(&ada, code);
        assert_eq!(refused.status, 400, "{code}");
        let error = refused.text("#code-error").unwrap();
        assert!(error.contains(says), "{code}: {error}");
        assert_eq!(refused.attrs("#code", "value"), [code], "kept as typed");
        assert!(refused.text(".coupon-state").is_none(), "nothing applied");
    }
    let mine = apply(&bob, "mine");
    assert_eq!(mine.status, 400);
    assert!(mine.text("#code-error").unwrap().contains("already used"));

    // Applied, then the cart shrinks below the minimum: shown as not applied, not charged,
    // and checkout goes through without it.
    add_to_cart(&ada, teapot, "1");
    assert_eq!(apply(&ada, "big").status, 303);
    let cart = ada.get("/cart");
    assert_eq!(cart.text(".totals .discount").as_deref(), Some("-$8.00"));
    assert!(cart.text(".coupon-state.applied").unwrap().contains("BIG"));
    set_quantity(&ada, teapot, "1");
    let cart = ada.get("/cart");
    let state = cart.text(".coupon-state.not-applied").unwrap();
    assert!(state.contains("add $10.00 more"), "{state}");
    assert!(cart.text(".totals .discount").is_none());
    assert_eq!(cart.text(".totals .total").as_deref(), Some("$40.00"));
    let placed = check_out(&ada);
    assert_eq!(placed.status, 303, "{}", placed.body);
    let order = ada.get_following(&placed.location().unwrap());
    assert_eq!(order.text(".totals .total").as_deref(), Some("$40.00"));
}

#[test]
fn the_larger_discount_applies_and_the_code_shows_on_order_mail_and_invoice() {
    let app = TestApp::spawn();
    let (admin, book, teapot) = crate::tax::example_shop(&app);
    add_coupon(
        &app,
        &admin,
        &[("code", "FIFTEEN"), ("kind", "fixed"), ("value", "15.00")],
    );
    add_coupon(&app, &admin, &[("code", "FIVE"), ("value", "5")]);
    add_coupon(
        &app,
        &admin,
        &[("code", "HUGE"), ("kind", "fixed"), ("value", "900.00")],
    );
    app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    add_to_cart(&ada, book, "1");
    add_to_cart(&ada, teapot, "2");

    // 5 % of 140.00 is less than the shop's 10 %: the threshold discount stays.
    assert_eq!(apply(&ada, "FIVE").status, 303);
    let cart = ada.get("/cart");
    assert_eq!(cart.text(".totals .discount").as_deref(), Some("-$14.00"));
    assert!(cart
        .text(".totals dt:nth-of-type(2)")
        .unwrap()
        .contains("Discount (10%)"));
    let note = cart.text(".coupon-state.not-applied").unwrap();
    assert!(
        note.contains("at least as much") && note.contains("do not add up"),
        "{note}"
    );

    // 15.00 beats 14.00: the coupon replaces it.
    assert_eq!(apply(&ada, "fifteen").status, 303);
    let cart = ada.get("/cart");
    assert_eq!(cart.text(".totals .discount").as_deref(), Some("-$15.00"));
    assert_eq!(cart.text(".totals .total").as_deref(), Some("$125.00"));
    assert!(cart.text(".totals").unwrap().contains("Coupon FIFTEEN"));
    assert!(cart.text(".to-discount").is_none());

    let checkout = ada.get("/checkout");
    let parcel = crate::tax::shipping_id(
        &ada.submit_on(
            &checkout,
            "/checkout",
            &[("update", "1"), ("country", "DE")],
        ),
        "Standard parcel",
    );
    let mut fields = crate::tax::ADDRESS.to_vec();
    fields.push(("shipping_method", &parcel));
    let placed = ada.submit_on(&checkout, "/checkout", &fields);
    assert_eq!(placed.status, 303, "{}", placed.body);
    let order = ada.get_following(&placed.location().unwrap());
    assert!(order.text(".totals").unwrap().contains("Coupon FIFTEEN"));
    assert_eq!(order.text(".totals .discount").as_deref(), Some("-$15.00"));
    assert_eq!(order.text(".totals .total").as_deref(), Some("$125.00"));
    let mail = app.mails_to("ada@example.com").pop().unwrap();
    assert!(
        mail.body.contains("Coupon FIFTEEN: -$15.00"),
        "{}",
        mail.body
    );
    let id: i32 = order.h1().trim_start_matches("Order #").parse().unwrap();
    let stored: Option<String> = app.db(|conn| {
        orders::table
            .find(id)
            .select(orders::coupon_code)
            .first(conn)
            .unwrap()
    });
    assert_eq!(stored.as_deref(), Some("FIFTEEN"));
    let page = admin.get(&format!("/admin/orders/{id}"));
    let token = page.attrs("input[name=csrf_token]", "value")[0].clone();
    admin.post_form(
        &format!("/admin/orders/{id}/status"),
        &[("csrf_token", &token), ("status", "paid")],
    );
    let invoice = ada.get(&format!("/orders/{id}/invoice"));
    assert_eq!(invoice.status, 200, "{}", invoice.body);
    assert!(invoice.visible_text().contains("Coupon FIFTEEN"));

    // A fixed coupon larger than the goods takes them to zero, never the shipping.
    app.user("bob@example.com", Role::Customer, true);
    let bob = app.logged_in("bob@example.com");
    add_to_cart(&bob, book, "1");
    assert_eq!(apply(&bob, "HUGE").status, 303);
    let checkout = bob.get("/checkout");
    let quoted = bob.submit_on(
        &checkout,
        "/checkout",
        &[("update", "1"), ("country", "DE")],
    );
    let parcel = crate::tax::shipping_id(&quoted, "Standard parcel");
    let quoted = bob.submit_on(
        &quoted,
        "/checkout",
        &[
            ("update", "1"),
            ("country", "DE"),
            ("shipping_method", &parcel),
        ],
    );
    assert_eq!(quoted.text(".totals .discount").as_deref(), Some("-$20.00"));
    assert_eq!(quoted.text(".totals .total").as_deref(), Some("$4.90"));
}

/// A customer with `quantity` teapots and `code` in the cart, on the checkout page.
fn ready_to_check_out(app: &TestApp, email: &str, teapot: i32, code: &str) -> (Client, Page) {
    app.user(email, Role::Customer, true);
    let client = app.logged_in(email);
    assert_eq!(add_to_cart(&client, teapot, "1").status, 303);
    assert_eq!(apply(&client, code).status, 303, "{email}");
    let page = client.get("/checkout");
    assert_eq!(page.attrs("input[name=coupon]", "value"), [code]);
    (client, page)
}

#[test]
fn ten_checkouts_racing_for_a_three_use_coupon_make_exactly_three_orders_with_it() {
    let app = TestApp::spawn();
    let admin = app.admin("boss@example.com");
    let teapot = app.product_on_sale("Teapot", 4_000, 100);
    let coupon = add_coupon(&app, &admin, &[("code", "THREE"), ("max_uses", "3")]);
    let buyers: Vec<(Client, Page)> = (0..10)
        .map(|i| ready_to_check_out(&app, &format!("racer{i}@example.com"), teapot, "THREE"))
        .collect();
    let contenders: Vec<Contender<'_, (u16, String)>> = buyers
        .iter()
        .map(|(client, page)| {
            Box::new(move || {
                let answer = client.submit_on(page, "/checkout", &ADDRESS);
                (answer.status, answer.body)
            }) as Contender<'_, _>
        })
        .collect();
    let answers = at_once(contenders);
    let losers: Vec<&Client> = buyers
        .iter()
        .zip(&answers)
        .filter(|(_, (status, _))| *status == 409)
        .map(|((client, _), _)| client)
        .collect();
    let won = answers.iter().filter(|(s, _)| *s == 303).count();
    let lost: Vec<&(u16, String)> = answers.iter().filter(|(s, _)| *s == 409).collect();
    assert_eq!(
        (won, lost.len()),
        (3, 7),
        "{:?}",
        answers.iter().map(|a| a.0).collect::<Vec<_>>()
    );
    for (_, body) in &lost {
        assert!(body.contains("used up"), "{body}");
    }
    assert_eq!(uses_of(&app, coupon), 3);
    let with_coupon: i64 = app.db(|conn| {
        orders::table
            .filter(orders::coupon_code.eq("THREE"))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(with_coupon, 3);
    assert_eq!(app.orders_without_items(), 0);
    // The losers' carts are intact, coupon and all.
    for client in losers {
        let cart = client.get("/cart");
        assert_eq!(cart.texts(".lines tbody tr").len(), 1);
        assert!(cart.text(".coupon-state").unwrap().contains("used up"));
    }
}

#[test]
fn a_cancelled_or_expired_order_gives_its_use_back_and_a_refund_does_not() {
    let app = TestApp::spawn();
    let admin = app.admin("boss@example.com");
    let teapot = app.product_on_sale("Teapot", 4_000, 100);
    let coupon = add_coupon(&app, &admin, &[("code", "SOLO"), ("max_uses", "1")]);

    let (ada, page) = ready_to_check_out(&app, "ada@example.com", teapot, "SOLO");
    let placed = ada.submit_on(&page, "/checkout", &ADDRESS);
    assert_eq!(placed.status, 303);
    assert_eq!(uses_of(&app, coupon), 1);
    let order = ada.get_following(&placed.location().unwrap());
    let cancel = format!(
        "/orders/{}/cancel",
        order.h1().trim_start_matches("Order #")
    );
    assert_eq!(ada.submit_on(&order, &cancel, &[]).status, 303);
    assert_eq!(uses_of(&app, coupon), 0, "cancelling gives the use back");

    // The use is free again: Bob takes it, lets the order expire, and it is back again.
    let (bob, page) = ready_to_check_out(&app, "bob@example.com", teapot, "SOLO");
    assert_eq!(bob.submit_on(&page, "/checkout", &ADDRESS).status, 303);
    assert_eq!(uses_of(&app, coupon), 1);
    let later = shopfront::models::now() + chrono::TimeDelta::days(30);
    assert_eq!(run_payment_job(&app, later).0, 1);
    assert_eq!(uses_of(&app, coupon), 0, "expiry gives the use back");

    // Carl's order is paid, then refunded: the use stays spent.
    let (carl, page) = ready_to_check_out(&app, "carl@example.com", teapot, "SOLO");
    let placed = carl.submit_on(&page, "/checkout", &ADDRESS);
    let id: i32 = placed
        .location()
        .unwrap()
        .trim_start_matches("/orders/")
        .parse()
        .unwrap();
    let page = admin.get(&format!("/admin/orders/{id}"));
    admin.submit_on(
        &page,
        &format!("/admin/orders/{id}/status"),
        &[("status", "paid")],
    );
    let page = admin.get(&format!("/admin/orders/{id}"));
    let refunded = admin.submit_on(
        &page,
        &format!("/admin/orders/{id}/refund"),
        &[("amount", "36.00"), ("reason", "Broken")],
    );
    assert_eq!(refunded.status, 303, "{}", refunded.body);
    assert_eq!(uses_of(&app, coupon), 1, "a refund keeps the use");
    app.user("dora@example.com", Role::Customer, true);
    let dora = app.logged_in("dora@example.com");
    add_to_cart(&dora, teapot, "1");
    assert!(apply(&dora, "SOLO")
        .text("#code-error")
        .unwrap()
        .contains("used up"));
}
