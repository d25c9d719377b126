//! The cart: adding, changing and removing lines, the rules that refuse bad quantities, the
//! discount display, and the guest cart that joins the user's at login.

use shopfront::domain::account::Role;

use crate::support::accounts::PASSWORD;
use crate::support::fixtures::ProductSpec;
use crate::support::shop::{add_to_cart, set_quantity};
use crate::support::TestApp;

#[test]
fn a_guest_adds_to_the_cart_and_sees_lines_and_totals() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let client = app.client();
    let page = client.get(&format!("/products/{lamp}"));
    let form = page
        .form_values("/cart/items")
        .expect("an add-to-cart form");
    let names: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    assert!(
        names.contains(&"product_id")
            && names.contains(&"quantity")
            && names.contains(&"csrf_token")
    );

    let response = add_to_cart(&client, lamp, "3");
    assert_eq!(response.status, 303);
    assert_eq!(response.location().as_deref(), Some("/cart"));
    let cart = client.follow(response);
    assert_eq!(cart.status, 200);
    assert_eq!(cart.texts("table.lines tbody td a"), ["Desk Lamp"]);
    let cells = cart.texts("table.lines tbody td.num");
    assert_eq!(cells, ["$25.00", "$75.00"]);
    assert_eq!(
        cart.attrs("input[name=quantity][type=number]", "value"),
        ["3"]
    );
    assert_eq!(cart.text(".subtotal").as_deref(), Some("$75.00"));
    assert_eq!(cart.text(".total").as_deref(), Some("$75.00"));
    assert_eq!(
        cart.text(".to-discount").as_deref(),
        Some("Spend $25.01 more to get 10% off your order.")
    );
    assert_eq!(cart.text(".cart-link").as_deref(), Some("Cart (3)"));

    add_to_cart(&client, lamp, "2");
    assert_eq!(
        client.get("/cart").text(".cart-link").as_deref(),
        Some("Cart (5)")
    );
}

#[test]
fn bad_quantities_are_refused_with_the_product_page_and_change_nothing() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let client = app.client();
    for (typed, message) in [
        ("-1", "cannot be negative"),
        ("0", "Add at least 1"),
        ("1.5", "whole number"),
        ("1e2", "whole number"),
        ("abc", "whole number"),
        ("", "whole number"),
        ("100", "at most 99"),
        ("99999999999999999999", "at most 99"),
        ("11", "only 10 left"),
    ] {
        let page = add_to_cart(&client, lamp, typed);
        assert_eq!(page.status, 400, "{typed:?}");
        assert_eq!(page.h1(), "Desk Lamp", "{typed:?}: the product page again");
        let errors = page.form_errors().join(" ");
        assert!(errors.contains(message), "{typed:?}: {errors}");
        assert_eq!(
            page.attrs("form.add-to-cart input[name=quantity]", "value"),
            [typed],
            "the typed value is kept"
        );
    }
    let cart = client.get("/cart");
    assert!(cart.visible_text().contains("Your cart is empty."));
    assert_eq!(cart.text(".cart-link").as_deref(), Some("Cart"));
}

#[test]
fn a_line_is_capped_by_the_stock_and_by_99() {
    let app = TestApp::spawn();
    let few = app.product_on_sale("Rare Print", 1_000, 3);
    let many = app.product_on_sale("Paper Clip", 10, 1_000);
    let client = app.client();
    assert_eq!(add_to_cart(&client, few, "2").status, 303);
    let over = add_to_cart(&client, few, "2");
    assert_eq!(over.status, 400);
    assert!(over.form_errors()[0].contains("only 3 left"));
    assert_eq!(add_to_cart(&client, many, "60").status, 303);
    let too_many = add_to_cart(&client, many, "40");
    assert_eq!(too_many.status, 400);
    assert!(too_many.form_errors()[0].contains("at most 99"));
    let cart = client.get("/cart");
    assert_eq!(
        cart.attrs("input[name=quantity][type=number]", "value"),
        ["2", "60"]
    );
}

#[test]
fn archived_and_unknown_products_cannot_be_added() {
    let app = TestApp::spawn();
    let category = app.category("misc", "Misc");
    let old = app.product(ProductSpec {
        category_id: category,
        name: "Old Lamp",
        archived: true,
        ..Default::default()
    });
    let client = app.client();
    let lamp_page = client.get(&format!("/products/{old}"));
    assert!(
        lamp_page.form_values("/cart/items").is_none(),
        "no form for an archived product"
    );
    // A form forged from another product's page.
    let live = app.product(ProductSpec {
        category_id: category,
        name: "New Lamp",
        ..Default::default()
    });
    let page = client.get(&format!("/products/{live}"));
    let archived = client.submit_on(
        &page,
        "/cart/items",
        &[("product_id", &old.to_string()), ("quantity", "1")],
    );
    assert_eq!(archived.status, 400);
    assert!(archived.form_errors().join(" ").contains("no longer sold"));
    for bad_id in ["999999", "abc", "-3", ""] {
        let unknown = client.submit_on(
            &page,
            "/cart/items",
            &[("product_id", bad_id), ("quantity", "1")],
        );
        assert_eq!(unknown.status, 400, "{bad_id:?}");
        assert_eq!(unknown.h1(), "Your cart");
        assert!(
            unknown.form_errors().join(" ").contains("does not exist"),
            "{bad_id:?}"
        );
    }
    assert!(client
        .get("/cart")
        .visible_text()
        .contains("Your cart is empty."));
}

#[test]
fn lines_are_changed_and_removed_from_the_cart_page() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let mug = app.product_on_sale("Mug", 900, 10);
    let client = app.client();
    add_to_cart(&client, lamp, "1");
    add_to_cart(&client, mug, "1");

    let response = set_quantity(&client, lamp, "4");
    assert_eq!(response.status, 303);
    for (typed, message) in [
        ("-2", "negative"),
        ("2.5", "whole number"),
        ("x", "whole number"),
        ("100", "at most 99"),
        ("11", "only 10 left"),
    ] {
        let page = set_quantity(&client, lamp, typed);
        assert_eq!(page.status, 400, "{typed}");
        assert_eq!(page.h1(), "Your cart");
        assert!(
            page.text(&format!("#line-{lamp}-error"))
                .unwrap_or_default()
                .contains(message),
            "{typed}: {:?}",
            page.form_errors()
        );
    }
    assert_eq!(
        client
            .get("/cart")
            .attrs("input[name=quantity][type=number]", "value"),
        ["4", "1"]
    );

    // The Remove button is the same form with quantity 0.
    let cart = client.get("/cart");
    assert_eq!(
        cart.attrs("form.remove input[name=quantity]", "value"),
        ["0", "0"]
    );
    let removed = set_quantity(&client, mug, "0");
    assert_eq!(removed.status, 303);
    let cart = client.get("/cart");
    assert_eq!(cart.texts("table.lines tbody td a"), ["Desk Lamp"]);
    assert_eq!(set_quantity(&client, lamp, "0").status, 303);
    assert!(client
        .get("/cart")
        .visible_text()
        .contains("Your cart is empty."));
    // A line that is not in the cart, or a path that is not a product.
    let token = client
        .get(&format!("/products/{lamp}"))
        .attrs("input[name=csrf_token]", "value")
        .remove(0);
    let missing = client.post_form(
        &format!("/cart/items/{mug}"),
        &[("csrf_token", &token), ("quantity", "2")],
    );
    assert_eq!(missing.status, 400);
    assert_eq!(
        client
            .post_form(
                "/cart/items/abc",
                &[("csrf_token", &token), ("quantity", "2")]
            )
            .status,
        404
    );
}

#[test]
fn the_discount_starts_one_cent_above_the_threshold() {
    let app = TestApp::spawn();
    let exact = app.product_on_sale("Exactly", 10_000, 5);
    let above = app.product_on_sale("Above", 10_001, 5);
    let at = app.client();
    add_to_cart(&at, exact, "1");
    let cart = at.get("/cart");
    assert_eq!(cart.text(".subtotal").as_deref(), Some("$100.00"));
    assert!(
        cart.text(".discount").is_none(),
        "no discount at exactly the threshold"
    );
    assert_eq!(cart.text(".total").as_deref(), Some("$100.00"));
    assert_eq!(
        cart.text(".to-discount").as_deref(),
        Some("Spend $0.01 more to get 10% off your order.")
    );

    let over = app.client();
    add_to_cart(&over, above, "1");
    let cart = over.get("/cart");
    assert_eq!(
        cart.text(".discount").as_deref(),
        Some("-$10.00"),
        "10% of $100.01, rounded down"
    );
    assert_eq!(cart.text(".total").as_deref(), Some("$90.01"));
    assert!(cart.text(".to-discount").is_none());
}

#[test]
fn a_guest_cart_joins_the_users_cart_at_login() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 4);
    let mug = app.product_on_sale("Mug", 900, 10);
    let clip = app.product_on_sale("Paper Clip", 10, 1_000);
    app.user("ada@example.com", Role::Customer, true);
    // Her cart from another device: 2 lamps, 90 clips.
    let elsewhere = app.logged_in("ada@example.com");
    add_to_cart(&elsewhere, lamp, "2");
    add_to_cart(&elsewhere, clip, "90");

    let guest = app.client();
    add_to_cart(&guest, lamp, "3");
    add_to_cart(&guest, mug, "1");
    add_to_cart(&guest, clip, "20");
    let response = guest.submit(
        "/login",
        "/login",
        &[("email", "ada@example.com"), ("password", PASSWORD)],
    );
    assert_eq!(response.status, 303);
    let cart = guest.get("/cart");
    assert_eq!(
        cart.texts("table.lines tbody td a"),
        ["Desk Lamp", "Paper Clip", "Mug"]
    );
    assert_eq!(
        cart.attrs("input[name=quantity][type=number]", "value"),
        ["4", "99", "1"],
        "added, capped by the stock (4 lamps) and by 99"
    );
    assert_eq!(
        elsewhere
            .get("/cart")
            .attrs("input[name=quantity][type=number]", "value"),
        ["4", "99", "1"]
    );

    // After logout the guest cart does not come back.
    guest.submit("/cart", "/logout", &[]);
    assert!(guest
        .get("/cart")
        .visible_text()
        .contains("Your cart is empty."));
}
