//! Checkout and orders: one transaction per order, totals from the rules, a one-time key,
//! changed prices caught, someone else's order a 404, cancelling restocks, and buyers racing
//! for the last items never oversell.

use std::sync::{Arc, Barrier};

use diesel::prelude::*;
use shopfront::domain::account::Role;
use shopfront::schema::{order_items, orders, products};

use crate::support::shop::{add_to_cart, check_out, check_out_at_once, ADDRESS};
use crate::support::{Client, TestApp};

fn order_id_of(location: &str) -> i32 {
    location
        .trim_start_matches("/orders/")
        .parse()
        .expect("an order URL")
}

#[test]
fn checkout_needs_a_cart_and_without_guest_checkout_a_login() {
    let app = TestApp::spawn();
    let guest = app.client().get("/checkout");
    assert_eq!(guest.status, 303, "a guest may check out, with a cart");
    assert_eq!(guest.location().as_deref(), Some("/cart"));
    let app = TestApp::spawn_with(&[("GUEST_CHECKOUT", "off")]);
    for path in ["/checkout", "/orders", "/orders/1"] {
        let page = app.client().get(path);
        assert_eq!(page.status, 303, "{path}");
        assert!(
            page.location().unwrap().starts_with("/login?next="),
            "{path}"
        );
    }
    let client = app.customer("ada@example.com");
    let empty = client.get("/checkout");
    assert_eq!(empty.status, 303);
    assert_eq!(empty.location().as_deref(), Some("/cart"));
    assert!(client.follow(empty).flashes()[0].contains("Your cart is empty"));
}

#[test]
fn placing_an_order_takes_the_stock_empties_the_cart_and_shows_the_order() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 6_000, 10);
    let mug = app.product_on_sale("Mug", 2_345, 10);
    let client = app.customer("ada@example.com");
    add_to_cart(&client, lamp, "1");
    add_to_cart(&client, mug, "2");

    let summary = client.get("/checkout");
    assert_eq!(summary.text(".subtotal").as_deref(), Some("$106.90"));
    assert_eq!(summary.text(".discount").as_deref(), Some("-$10.69"));
    assert_eq!(summary.text(".total").as_deref(), Some("$96.21"));
    let fields: Vec<String> = summary
        .form_values("/checkout")
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for field in [
        "name",
        "address_line1",
        "address_line2",
        "postcode",
        "city",
        "country",
        "csrf_token",
        "checkout_key",
    ] {
        assert!(fields.iter().any(|f| f == field), "{field}");
    }

    let placed = check_out(&client);
    assert_eq!(placed.status, 303);
    let location = placed.location().unwrap();
    let id = order_id_of(&location);
    let order = client.follow(placed);
    assert_eq!(order.h1(), format!("Order #{id}"));
    assert_eq!(
        order.flashes(),
        [format!("Thank you! Your order #{id} is placed.")]
    );
    assert_eq!(order.texts("table.lines tbody td a"), ["Desk Lamp", "Mug"]);
    assert_eq!(order.text(".subtotal").as_deref(), Some("$106.90"));
    assert_eq!(order.text(".discount").as_deref(), Some("-$10.69"));
    assert_eq!(order.text(".total").as_deref(), Some("$96.21"));
    assert_eq!(order.text("dd.status").as_deref(), Some("Pending"));
    assert!(order
        .text("address.shipping")
        .unwrap()
        .contains("12 St James's Square SW1Y 4JH London"));

    assert_eq!((app.stock_of(lamp), app.stock_of(mug)), (9, 8));
    assert!(client
        .get("/cart")
        .visible_text()
        .contains("Your cart is empty."));
    let mails = app.mails_to("ada@example.com");
    let confirmation = mails
        .iter()
        .find(|m| m.subject == format!("Your order #{id}"))
        .expect("a confirmation");
    assert!(
        confirmation.body.contains("Total:    $96.21"),
        "{}",
        confirmation.body
    );

    let list = client.get("/orders");
    assert_eq!(list.texts("table.lines tbody td a"), [format!("#{id}")]);
}

#[test]
fn order_lines_keep_the_name_and_price_they_were_bought_at() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 6_000, 10);
    let client = app.customer("ada@example.com");
    add_to_cart(&client, lamp, "2");
    let placed = check_out(&client);
    let order = placed.location().unwrap();
    // The admin renames it, doubles the price, then takes it off sale.
    let admin = app.admin("boss@example.com");
    let edited = admin.submit_multipart_on(
        &admin.get(&format!("/admin/products/{lamp}/edit")),
        &format!("/products/{lamp}"),
        &[("name", "Floor Lamp"), ("price", "120.00")],
        &[],
    );
    assert_eq!(edited.status, 303, "{}", edited.body);
    let archived = admin.submit(
        &format!("/admin/products/{lamp}/edit"),
        &format!("/products/{lamp}/archive"),
        &[],
    );
    assert_eq!(archived.status, 303);
    assert_eq!(
        app.client().get(&format!("/products/{lamp}")).h1(),
        "Floor Lamp"
    );

    for page in [client.get(&order), admin.get(&format!("/admin{order}"))] {
        assert_eq!(page.status, 200);
        assert_eq!(page.texts("table.lines tbody td a"), ["Desk Lamp"]);
        assert!(
            page.visible_text().contains("$60.00"),
            "{}",
            page.visible_text()
        );
        assert!(!page.visible_text().contains("Floor Lamp"));
        assert_eq!(page.text(".subtotal").as_deref(), Some("$120.00"));
        assert_eq!(page.text(".total").as_deref(), Some("$108.00"));
    }
}

#[test]
fn an_invalid_address_re_renders_the_form_and_orders_nothing() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let client = app.customer("ada@example.com");
    add_to_cart(&client, lamp, "1");
    let page = client.get("/checkout");
    let response = client.submit_on(
        &page,
        "/checkout",
        &[
            ("name", "Ada"),
            ("address_line1", "  "),
            ("postcode", "<b>"),
            ("city", "London"),
            ("country", ""),
        ],
    );
    assert_eq!(response.status, 400);
    let errors = response.form_errors().join(" | ");
    for message in ["street address", "postcode", "country"] {
        assert!(errors.contains(message), "{errors}");
    }
    assert_eq!(response.attrs("input[name=name]", "value"), ["Ada"]);
    assert_eq!(response.attrs("input[name=postcode]", "value"), ["<b>"]);
    assert_eq!(app.order_count(), 0);
    assert_eq!(app.stock_of(lamp), 10);
    // The same form, corrected, goes through.
    let fixed = client.submit_on(&response, "/checkout", &ADDRESS);
    assert_eq!(fixed.status, 303);
}

#[test]
fn prices_and_totals_come_from_the_database_not_the_form() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 20_000, 10);
    let client = app.customer("ada@example.com");
    add_to_cart(&client, lamp, "1");
    let page = client.get("/checkout");
    let mut fields = ADDRESS.to_vec();
    fields.extend([
        ("price", "1"),
        ("unit_price_cents", "1"),
        ("discount", "19999"),
        ("discount_cents", "19999"),
        ("total_cents", "1"),
        ("status", "delivered"),
    ]);
    let placed = client.submit_on(&page, "/checkout", &fields);
    assert_eq!(placed.status, 303);
    let (subtotal, discount, total, status): (i64, i64, i64, String) = app
        .db(|conn| {
            orders::table
                .select((
                    orders::subtotal_cents,
                    orders::discount_cents,
                    orders::total_cents,
                    orders::status,
                ))
                .first(conn)
        })
        .unwrap();
    assert_eq!(
        (subtotal, discount, total, status.as_str()),
        (20_000, 2_000, 18_000, "pending")
    );
}

#[test]
fn a_price_changed_since_the_summary_orders_nothing() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let client = app.customer("ada@example.com");
    add_to_cart(&client, lamp, "2");
    let page = client.get("/checkout");
    app.db(|conn| {
        diesel::update(products::table.find(lamp))
            .set(products::price_cents.eq(2_900))
            .execute(conn)
    })
    .unwrap();

    let refused = client.submit_on(&page, "/checkout", &ADDRESS);
    assert_eq!(refused.status, 409);
    let notices = refused.form_errors().join(" | ");
    assert!(
        notices.contains("The price of Desk Lamp changed from $25.00 to $29.00"),
        "{notices}"
    );
    assert!(notices.contains("Nothing was ordered"), "{notices}");
    assert_eq!(app.order_count(), 0);
    assert_eq!(app.stock_of(lamp), 10);
    assert_eq!(
        refused.text(".total").as_deref(),
        Some("$58.00"),
        "the page shows the new price"
    );
    assert_eq!(
        refused.attrs("input[name=name]", "value"),
        ["Ada Lovelace"],
        "the address is kept"
    );

    // Placing it from the page that shows the new price works.
    let placed = client.submit_on(&refused, "/checkout", &[]);
    assert_eq!(placed.status, 303);
    let total: i64 = app
        .db(|conn| orders::table.select(orders::total_cents).first(conn))
        .unwrap();
    assert_eq!(total, 5_800);
}

#[test]
fn a_cart_changed_in_another_tab_orders_nothing() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let client = app.customer("ada@example.com");
    add_to_cart(&client, lamp, "1");
    let page = client.get("/checkout");
    add_to_cart(&client, lamp, "1");
    let refused = client.submit_on(&page, "/checkout", &ADDRESS);
    assert_eq!(refused.status, 409);
    assert!(refused
        .form_errors()
        .join(" ")
        .contains("quantity of Desk Lamp changed from 1 to 2"));
    assert_eq!(app.order_count(), 0);
}

#[test]
fn a_double_submitted_checkout_creates_one_order() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let client = app.customer("ada@example.com");
    add_to_cart(&client, lamp, "1");
    let page = client.get("/checkout");
    let first = client.submit_on(&page, "/checkout", &ADDRESS);
    let second = client.submit_on(&page, "/checkout", &ADDRESS);
    assert_eq!(first.status, 303);
    assert_eq!(second.status, 303);
    assert_eq!(
        first.location(),
        second.location(),
        "the second submit finds the first order"
    );
    assert_eq!(app.order_count(), 1);
    assert_eq!(app.stock_of(lamp), 9);
}

#[test]
fn two_simultaneous_submits_of_one_form_create_one_order() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let client = app.customer("ada@example.com");
    add_to_cart(&client, lamp, "1");
    let page = client.get("/checkout");
    let values = page.form_values("/checkout").unwrap();
    let cookies = client.cookies();
    let barrier = Arc::new(Barrier::new(2));
    let statuses: Vec<(u16, Option<String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let barrier = Arc::clone(&barrier);
                let (values, cookies, base) = (values.clone(), cookies.clone(), app.base.clone());
                scope.spawn(move || {
                    let twin = Client::new(&base);
                    twin.set_cookies(cookies);
                    let mut fields: Vec<(&str, &str)> = values
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    fields.retain(|(k, _)| !ADDRESS.iter().any(|(a, _)| a == k));
                    fields.extend(ADDRESS);
                    barrier.wait();
                    let response = twin.post_form("/checkout", &fields);
                    (response.status, response.location())
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert!(
        statuses.iter().all(|(status, _)| *status == 303),
        "{statuses:?}"
    );
    assert_eq!(statuses[0].1, statuses[1].1);
    assert_eq!(app.order_count(), 1);
    assert_eq!(app.stock_of(lamp), 9);
}

#[test]
fn someone_elses_order_is_a_404() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let ada = app.customer("ada@example.com");
    add_to_cart(&ada, lamp, "1");
    let id = order_id_of(&check_out(&ada).location().unwrap());
    let eve = app.customer("eve@example.com");
    assert_eq!(eve.get(&format!("/orders/{id}")).status, 404);
    let token = eve
        .get("/account")
        .attrs("input[name=csrf_token]", "value")
        .remove(0);
    assert_eq!(
        eve.post_form(&format!("/orders/{id}/cancel"), &[("csrf_token", &token)])
            .status,
        404
    );
    assert_eq!(
        ada.get(&format!("/orders/{id}"))
            .text("dd.status")
            .as_deref(),
        Some("Pending")
    );
    for path in ["/orders/999999", "/orders/abc", "/orders/0"] {
        assert_eq!(eve.get(path).status, 404, "{path}");
    }
    assert!(eve
        .get("/orders")
        .visible_text()
        .contains("You have not ordered anything yet."));
}

#[test]
fn cancelling_a_pending_order_puts_the_stock_back_once() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let client = app.customer("ada@example.com");
    add_to_cart(&client, lamp, "3");
    let id = order_id_of(&check_out(&client).location().unwrap());
    assert_eq!(app.stock_of(lamp), 7);
    let page = client.get(&format!("/orders/{id}"));
    let response = client.submit_on(&page, &format!("/orders/{id}/cancel"), &[]);
    assert_eq!(response.status, 303);
    let order = client.follow(response);
    assert_eq!(order.text("dd.status").as_deref(), Some("Cancelled"));
    assert!(order.form_values(&format!("/orders/{id}/cancel")).is_none());
    assert_eq!(app.stock_of(lamp), 10);
    // A second cancel (an old page) changes nothing.
    let again = client.submit_on(&page, &format!("/orders/{id}/cancel"), &[]);
    assert_eq!(again.status, 400);
    assert!(again.form_errors()[0].contains("cancelled and can no longer be cancelled"));
    assert_eq!(app.stock_of(lamp), 10);
}

#[test]
fn a_paid_order_cannot_be_cancelled_by_the_customer() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let client = app.customer("ada@example.com");
    add_to_cart(&client, lamp, "1");
    let id = order_id_of(&check_out(&client).location().unwrap());
    let page = client.get(&format!("/orders/{id}"));
    app.db(|conn| {
        diesel::update(orders::table.find(id))
            .set(orders::status.eq("paid"))
            .execute(conn)
    })
    .unwrap();
    let refused = client.submit_on(&page, &format!("/orders/{id}/cancel"), &[]);
    assert_eq!(refused.status, 400);
    assert!(refused.form_errors()[0].contains("paid"));
    assert_eq!(app.stock_of(lamp), 9);
}

#[test]
fn orders_are_listed_newest_first_twenty_to_a_page() {
    let app = TestApp::spawn_with(&[("MAX_UNPAID_ORDERS", "100")]);
    let lamp = app.product_on_sale("Desk Lamp", 100, 1_000);
    let client = app.customer("ada@example.com");
    let mut ids = Vec::new();
    for _ in 0..21 {
        add_to_cart(&client, lamp, "1");
        ids.push(order_id_of(&check_out(&client).location().unwrap()));
    }
    let first = client.get("/orders");
    let shown = first.texts("table.lines tbody td a");
    assert_eq!(shown.len(), 20);
    assert_eq!(shown[0], format!("#{}", ids[20]));
    assert_eq!(first.attrs("a[rel=next]", "href"), ["/orders?page=2"]);
    let second = client.get("/orders?page=2");
    assert_eq!(
        second.texts("table.lines tbody td a"),
        [format!("#{}", ids[0])]
    );
    assert_eq!(client.get("/orders?page=3").status, 400);
    assert_eq!(client.get("/orders?page=x").status, 400);
}

/// `buyers` customers, each with one of the product in the cart and the checkout page open,
/// place their orders at the same moment. Returns each buyer's status and page.
fn race(app: &TestApp, product_id: i32, buyers: usize) -> Vec<(u16, String)> {
    let ready: Vec<(Client, crate::support::client::Page)> = (0..buyers)
        .map(|i| {
            let email = format!("buyer{i}@example.com");
            app.user(&email, Role::Customer, true);
            let client = app.logged_in(&email);
            assert_eq!(add_to_cart(&client, product_id, "1").status, 303);
            let page = client.get("/checkout");
            assert_eq!(page.status, 200);
            (client, page)
        })
        .collect();
    check_out_at_once(&ready)
}

#[test]
fn twenty_buyers_of_five_items_make_exactly_five_orders() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 5);
    let results = race(&app, lamp, 20);
    let placed = results.iter().filter(|(status, _)| *status == 303).count();
    let refused: Vec<&(u16, String)> = results
        .iter()
        .filter(|(status, _)| *status != 303)
        .collect();
    assert_eq!(
        placed,
        5,
        "{:?}",
        results.iter().map(|r| r.0).collect::<Vec<_>>()
    );
    assert!(refused
        .iter()
        .all(|(status, body)| *status == 409 && body.contains("Desk Lamp has just sold out")));
    assert_eq!(app.order_count(), 5);
    assert_eq!(app.stock_of(lamp), 0);
    assert_eq!(app.orders_without_items(), 0);
    let sold: i64 = app
        .db(|conn| {
            order_items::table
                .select(diesel::dsl::sum(order_items::quantity))
                .first::<Option<i64>>(conn)
        })
        .unwrap()
        .unwrap_or(0);
    assert_eq!(sold, 5);
}

#[test]
fn twenty_buyers_of_the_last_item_make_one_order_and_nineteen_sold_out_answers() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Last Lamp", 2_500, 1);
    let results = race(&app, lamp, 20);
    let placed = results.iter().filter(|(status, _)| *status == 303).count();
    let sold_out = results
        .iter()
        .filter(|(status, body)| {
            *status == 409 && body.contains("Sorry, Last Lamp has just sold out.")
        })
        .count();
    assert_eq!((placed, sold_out), (1, 19));
    assert_eq!(app.order_count(), 1);
    assert_eq!(app.stock_of(lamp), 0);
    assert_eq!(app.orders_without_items(), 0);
}
