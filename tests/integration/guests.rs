//! Guest checkout: buying without an account by bank transfer and by card, the private link
//! (right key, wrong key, no key, another order's key), the caps on unpaid orders per
//! address and per client, the claim once an account verifies the address, and a
//! one-per-customer coupon raced from two browsers with one address.

use diesel::prelude::*;
use shopfront::domain::account::{hash_token, Role};
use shopfront::schema::{order_guests, orders};

use crate::card::{card_shop, payment_of};
use crate::support::client::Page;
use crate::support::fake_stripe::FakeStripe;
use crate::support::shop::{add_to_cart, ADDRESS};
use crate::support::{at_once, Client, Contender, TestApp};

/// A guest with `quantity` of `product` in the cart, on the checkout page.
fn guest_at_checkout(app: &TestApp, product: i32, quantity: &str) -> (Client, Page) {
    let guest = app.client();
    assert_eq!(add_to_cart(&guest, product, quantity).status, 303);
    let page = guest.get("/checkout");
    assert_eq!(page.status, 200, "{}", page.body);
    (guest, page)
}

/// The address fields and `email`.
fn with_email(email: &str) -> Vec<(&str, &str)> {
    let mut fields = ADDRESS.to_vec();
    fields.push(("email", email));
    fields
}

/// The order id and key of a private link `/orders/{id}?key=…`.
fn link_parts(link: &str) -> (i32, String) {
    let rest = link.split("/orders/").nth(1).unwrap();
    let (id, key) = rest.split_once("?key=").unwrap();
    (
        id.parse().unwrap(),
        key.split('&').next().unwrap().to_string(),
    )
}

#[test]
fn a_guest_buys_by_bank_transfer_and_only_the_private_link_opens_the_order() {
    let app = TestApp::spawn();
    let teapot = app.product_on_sale("Teapot", 4_000, 10);
    let (guest, page) = guest_at_checkout(&app, teapot, "2");
    assert_eq!(page.attrs("#email", "name"), ["email"]);
    assert!(page
        .attrs(".guest-choice a", "href")
        .contains(&"/login?next=/checkout".to_string()));
    let ways = page.attrs("input[name=payment_method]", "value");
    assert!(!ways.contains(&"store_credit".to_string()), "{ways:?}");

    let missing = guest.submit_on(&page, "/checkout", &with_email("not-an-address"));
    assert_eq!(missing.status, 400);
    assert!(missing.text("#email-error").is_some(), "{}", missing.body);
    assert_eq!(missing.attrs("#email", "value"), ["not-an-address"]);
    let credit = guest.submit_on(
        &page,
        "/checkout",
        &[
            with_email("gus@example.com"),
            vec![("payment_method", "store_credit")],
        ]
        .concat(),
    );
    assert_eq!(credit.status, 400, "a guest has no store credit");
    assert_eq!(app.order_count(), 0);

    let placed = guest.submit_on(&page, "/checkout", &with_email("Gus@Example.com"));
    assert_eq!(placed.status, 303, "{}", placed.body);
    let location = placed.location().unwrap();
    let (id, key) = link_parts(&location);
    assert!(key.len() >= 32, "at least 128 bits: {key}");
    let order = guest.get_following(&location);
    assert_eq!(order.status, 200);
    assert_eq!(order.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(order.text(".totals .total").as_deref(), Some("$80.00"));
    assert!(order.text(".bank-transfer").is_some());
    assert_eq!(app.stock_of(teapot), 8);

    // The mail holds the same private link; the database only its hash.
    let link = app
        .mailed_link("gus@example.com", &format!("/orders/{id}"))
        .unwrap();
    assert_eq!(link_parts(&link), (id, key.clone()));
    let stored: (String, String) = app.db(|conn| {
        order_guests::table
            .find(id)
            .select((order_guests::email, order_guests::key_hash))
            .first(conn)
            .unwrap()
    });
    assert_eq!(stored, ("gus@example.com".to_string(), hash_token(&key)));
    let owner: Option<i32> = app.db(|conn| {
        orders::table
            .find(id)
            .select(orders::user_id)
            .first(conn)
            .unwrap()
    });
    assert_eq!(owner, None);

    // A stranger: the link opens it, a wrong or missing key is a 404.
    let stranger = app.client();
    assert_eq!(stranger.get(&format!("/orders/{id}?key={key}")).status, 200);
    assert_eq!(stranger.get(&format!("/orders/{id}?key=wrong")).status, 404);
    assert_eq!(stranger.get(&format!("/orders/{id}")).status, 404);
    let invoice = stranger.get(&format!("/orders/{id}/invoice?key=wrong"));
    assert_eq!(invoice.status, 404);
    // The key of one order opens no other.
    let (other, page) = guest_at_checkout(&app, teapot, "1");
    let second = other.submit_on(&page, "/checkout", &with_email("olga@example.com"));
    let (second_id, second_key) = link_parts(&second.location().unwrap());
    assert_eq!(
        stranger
            .get(&format!("/orders/{second_id}?key={key}"))
            .status,
        404
    );
    assert_eq!(
        stranger
            .get(&format!("/orders/{id}?key={second_key}"))
            .status,
        404
    );
    app.user("eve@example.com", Role::Customer, true);
    let eve = app.logged_in("eve@example.com");
    assert_eq!(eve.get(&format!("/orders/{id}")).status, 404);

    // The guest cancels through the page (the form carries the key): stock comes back.
    let order = guest.get(&format!("/orders/{id}?key={key}"));
    let cancelled = guest.submit_on(&order, &format!("/orders/{id}/cancel"), &[]);
    assert_eq!(cancelled.status, 303, "{}", cancelled.body);
    assert_eq!(
        cancelled.location(),
        Some(format!("/orders/{id}?key={key}"))
    );
    assert_eq!(app.stock_of(teapot), 9);
    let wrong = guest.post_form(
        &format!("/orders/{second_id}/cancel"),
        &[
            ("key", "wrong"),
            (
                "csrf_token",
                &order.attrs("input[name=csrf_token]", "value")[0],
            ),
        ],
    );
    assert_eq!(wrong.status, 404);
}

#[test]
fn a_guest_pays_by_card_and_comes_back_to_the_private_link() {
    let fake = FakeStripe::start();
    let app = card_shop(&fake, &[]);
    let lamp = app.product_on_sale("Brass Lamp", 4_990, 5);
    let (guest, page) = guest_at_checkout(&app, lamp, "1");
    let mut fields = with_email("gus@example.com");
    fields.push(("payment_method", "card"));
    let placed = guest.submit_on(&page, "/checkout", &fields);
    assert_eq!(placed.status, 303, "{}", placed.body);
    let pay_page = placed.location().unwrap();
    let made = fake.received_at("POST", "/v1/checkout/sessions");
    let request = &made[0];
    assert_eq!(request.field("customer_email"), Some("gus@example.com"));
    let success = request.field("success_url").unwrap().to_string();
    let (id, key) = link_parts(&success);
    assert!(success.ends_with("&payment=return"), "{success}");
    assert_eq!(
        request.field("cancel_url"),
        Some(format!("{}/orders/{id}?key={key}", app.base).as_str())
    );

    let paid = guest.request("POST", &pay_page, &[], Vec::new());
    assert_eq!(paid.status, 303);
    let back = paid.location().unwrap();
    let back = back.trim_start_matches(&app.base);
    let returned = guest.get(back);
    assert_eq!(returned.status, 303, "{}", returned.body);
    assert_eq!(returned.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(payment_of(&app, id).status, "paid");
    let order = guest.get_following(&format!("/orders/{id}?key={key}"));
    let invoice = order.attrs(".invoice-link", "href")[0].clone();
    assert_eq!(invoice, format!("/orders/{id}/invoice?key={key}"));
    let invoice = guest.get(&invoice);
    assert_eq!(invoice.status, 200);
    assert_eq!(invoice.header("referrer-policy"), Some("no-referrer"));
    // Later mails cannot hold the key again: they point to the first one.
    let receipt = app.mails_to("gus@example.com").pop().unwrap();
    assert!(receipt.body.contains("private link"), "{}", receipt.body);
}

#[test]
fn unpaid_guest_orders_are_capped_per_address_and_per_client() {
    let app = TestApp::spawn_with(&[("MAX_UNPAID_ORDERS", "2")]);
    let teapot = app.product_on_sale("Teapot", 4_000, 50);
    let buy = |email: &str| {
        let (guest, page) = guest_at_checkout(&app, teapot, "1");
        guest.submit_on(&page, "/checkout", &with_email(email))
    };
    assert_eq!(buy("gus@example.com").status, 303);
    assert_eq!(buy("GUS@example.com").status, 303);
    let third = buy("gus@example.com");
    assert_eq!(third.status, 400, "the address holds two unpaid orders");
    assert!(third
        .text("#payment_method-error")
        .unwrap()
        .contains("2 unpaid orders"));
    // Another address from the same client: the client holds two already.
    let other = buy("olga@example.com");
    assert_eq!(other.status, 429);
    assert!(other.header("retry-after").is_some());
    assert_eq!(app.order_count(), 2);
}

#[test]
fn a_verified_account_claims_its_addresss_guest_orders_and_an_unverified_one_does_not() {
    let app = TestApp::spawn();
    let teapot = app.product_on_sale("Teapot", 4_000, 50);
    let (guest, page) = guest_at_checkout(&app, teapot, "1");
    let placed = guest.submit_on(&page, "/checkout", &with_email("gus@example.com"));
    let (id, _) = link_parts(&placed.location().unwrap());

    // Someone signs up with Gus's address but cannot verify it: nothing shows.
    let mallory = app.client();
    let form = mallory.get("/signup");
    let password = "correct horse battery staple";
    let signed = mallory.submit_on(
        &form,
        "/signup",
        &[
            ("email", "gus@example.com"),
            ("password", password),
            ("password_confirm", password),
        ],
    );
    assert_eq!(signed.status, 303, "{}", signed.body);
    let login = mallory.get("/login");
    mallory.submit_on(
        &login,
        "/login",
        &[("email", "gus@example.com"), ("password", password)],
    );
    let list = mallory.get("/orders");
    assert_eq!(list.status, 200);
    assert!(
        !list.body.contains(&format!("/orders/{id}")),
        "{}",
        list.body
    );
    assert_eq!(mallory.get(&format!("/orders/{id}")).status, 404);

    // The mailed link verifies the address: the order is the account's now.
    let verify = app.mailed_link("gus@example.com", "/verify-email").unwrap();
    assert_eq!(mallory.get(&verify).status, 200);
    let list = mallory.get("/orders");
    assert!(
        list.body.contains(&format!("/orders/{id}")),
        "{}",
        list.body
    );
    assert_eq!(mallory.get(&format!("/orders/{id}")).status, 200);

    // A guest order placed while logged out by a verified customer joins at the next login.
    app.user("vera@example.com", Role::Customer, true);
    let (vera_guest, page) = guest_at_checkout(&app, teapot, "1");
    let placed = vera_guest.submit_on(&page, "/checkout", &with_email("vera@example.com"));
    let (vera_order, _) = link_parts(&placed.location().unwrap());
    crate::support::accounts::log_in(&vera_guest, "vera@example.com");
    let list = vera_guest.get("/orders");
    assert!(list.body.contains(&format!("/orders/{vera_order}")));
    assert_eq!(app.order_count(), 2, "nothing duplicated");
    assert!(vera_guest.get("/cart").body.contains("Your cart is empty"));
}

#[test]
fn two_browsers_with_one_address_use_a_one_per_customer_coupon_once() {
    let app = TestApp::spawn();
    let admin = app.admin("boss@example.com");
    let teapot = app.product_on_sale("Teapot", 4_000, 50);
    let page = admin.get("/admin/coupons/new");
    let added = admin.submit_on(
        &page,
        "/admin/coupons",
        &[("code", "WELCOME"), ("kind", "percent"), ("value", "10")],
    );
    assert_eq!(added.status, 303, "{}", added.body);
    let tabs: Vec<(Client, Page)> = (0..2)
        .map(|_| {
            let (guest, _) = guest_at_checkout(&app, teapot, "1");
            let applied = guest.submit("/cart", "/cart/coupon", &[("code", "welcome")]);
            assert_eq!(applied.status, 303);
            let page = guest.get("/checkout");
            assert_eq!(page.attrs("input[name=coupon]", "value"), ["WELCOME"]);
            (guest, page)
        })
        .collect();
    let contenders: Vec<Contender<'_, u16>> = tabs
        .iter()
        .map(|(guest, page)| {
            Box::new(move || {
                guest
                    .submit_on(page, "/checkout", &with_email("gus@example.com"))
                    .status
            }) as Contender<'_, u16>
        })
        .collect();
    let mut statuses = at_once(contenders);
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 409]);
    let with_coupon: i64 = app.db(|conn| {
        orders::table
            .filter(orders::coupon_code.eq("WELCOME"))
            .count()
            .get_result(conn)
            .unwrap()
    });
    assert_eq!(with_coupon, 1);
}
