//! Shipping and tax at checkout: the worked example to the cent on the checkout
//! page, the order page, the mail and in the database; countries nobody ships to; choosing
//! another country without JavaScript; tax added on top.

use diesel::prelude::*;
use shopfront::domain::account::Role;
use shopfront::schema::{order_items, order_taxes, orders};

use crate::support::fixtures::ProductSpec;
use crate::support::shop::add_to_cart;
use crate::support::{Client, TestApp};

/// The example's shop: DE 19 % / 7 %, "Standard parcel" to DE for 4.90, free above 50.00,
/// "Express" to DE and AT for 9.90; a 20.00 book (reduced) and a 60.00 teapot.
pub fn example_shop(app: &TestApp) -> (Client, i32, i32) {
    let admin = app.admin("boss@example.com");
    let page = admin.get("/admin/shipping");
    let added = admin.submit_on(
        &page,
        "/admin/shipping",
        &[
            ("name", "Standard parcel"),
            ("countries", "de"),
            ("price", "4.90"),
            ("free_above", "50.00"),
        ],
    );
    assert_eq!(added.status, 303, "{}", added.body);
    let page = admin.get("/admin/shipping");
    admin.submit_on(
        &page,
        "/admin/shipping",
        &[
            ("name", "Express"),
            ("countries", "DE, AT"),
            ("price", "9.90"),
            ("free_above", ""),
        ],
    );
    let page = admin.get("/admin/taxes");
    let set = admin.submit_on(
        &page,
        "/admin/taxes",
        &[("country", "DE"), ("standard", "19"), ("reduced", "7")],
    );
    assert_eq!(set.status, 303, "{}", set.body);
    let books = app.category("books", "Books");
    let book = app.product(ProductSpec {
        category_id: books,
        name: "A Book",
        price_cents: 2_000,
        stock: 10,
        tax_class: "reduced",
        ..Default::default()
    });
    let teapot = app.product_on_sale("Teapot", 6_000, 10);
    (admin, book, teapot)
}

pub fn shipping_id(page: &crate::support::client::Page, name: &str) -> String {
    let html = page.html();
    let selector = scraper::Selector::parse("fieldset.shipping label").unwrap();
    let label = html
        .select(&selector)
        .find(|l| l.text().collect::<String>().contains(name))
        .unwrap_or_else(|| panic!("no shipping choice {name}: {}", page.body));
    let input = scraper::Selector::parse("input").unwrap();
    label
        .select(&input)
        .next()
        .and_then(|i| i.value().attr("value"))
        .unwrap()
        .to_string()
}

pub const ADDRESS: [(&str, &str); 5] = [
    ("name", "Ada Lovelace"),
    ("address_line1", "Unter den Linden 1"),
    ("postcode", "10117"),
    ("city", "Berlin"),
    ("country", "DE"),
];

#[test]
fn the_worked_example_comes_out_to_the_cent_everywhere() {
    let app = TestApp::spawn();
    let (_, book, teapot) = example_shop(&app);
    app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    add_to_cart(&ada, book, "1");
    add_to_cart(&ada, teapot, "2");

    let checkout = ada.get("/checkout");
    assert_eq!(
        checkout.texts("#country option"),
        ["Austria", "Germany"],
        "only the countries some method serves"
    );
    assert_eq!(checkout.attrs("#country option[selected]", "value"), ["AT"]);
    // Choose Germany without JavaScript: the "Update shipping" button shows its methods.
    let mut fields = ADDRESS.to_vec();
    fields.push(("update", "1"));
    let updated = ada.submit_on(&checkout, "/checkout", &fields);
    assert_eq!(updated.status, 200, "{}", updated.body);
    assert_eq!(updated.attrs("#country option[selected]", "value"), ["DE"]);
    let choices = updated.texts("fieldset.shipping label");
    assert_eq!(choices.len(), 2, "{choices:?}");
    assert!(
        choices[0].contains("Express") && choices[0].contains("$9.90"),
        "{choices:?}"
    );
    assert!(
        choices[1].contains("Standard parcel") && choices[1].contains("free"),
        "{choices:?}"
    );
    assert_eq!(
        updated.attrs("#name", "value"),
        ["Ada Lovelace"],
        "what was typed stays"
    );

    let parcel = shipping_id(&updated, "Standard parcel");
    let mut fields = ADDRESS.to_vec();
    fields.push(("shipping_method", &parcel));
    let quoted = ada.submit_on(
        &updated,
        "/checkout",
        &[
            ("update", "1"),
            ("shipping_method", &parcel),
            ("country", "DE"),
        ],
    );
    assert_eq!(quoted.text(".totals .subtotal").as_deref(), Some("$140.00"));
    assert_eq!(quoted.text(".totals .discount").as_deref(), Some("-$14.00"));
    assert_eq!(
        quoted.text(".totals .shipping-cost").as_deref(),
        Some("$0.00")
    );
    assert_eq!(quoted.text(".totals .total").as_deref(), Some("$126.00"));
    assert_eq!(
        quoted.texts(".tax-lines li"),
        ["incl. 19 % VAT: $17.24", "incl. 7 % VAT: $1.18"]
    );

    let placed = ada.submit_on(&quoted, "/checkout", &fields);
    assert_eq!(placed.status, 303, "{}", placed.body);
    let order = ada.get_following(&placed.location().unwrap());
    assert_eq!(order.text(".totals .total").as_deref(), Some("$126.00"));
    assert!(order.text(".totals").unwrap().contains("Standard parcel"));
    assert_eq!(
        order.texts(".tax-lines li"),
        ["incl. 19 % VAT: $17.24", "incl. 7 % VAT: $1.18"]
    );
    assert!(order.text("address.shipping").unwrap().contains("Germany"));
    let mail = app.mails_to("ada@example.com").pop().unwrap();
    assert!(mail.body.contains("Total:    $126.00"), "{}", mail.body);
    assert!(
        mail.body.contains("incl. 19 % VAT: $17.24"),
        "{}",
        mail.body
    );
    assert!(mail.body.contains("incl. 7 % VAT: $1.18"), "{}", mail.body);
    assert!(mail.body.contains("Shipping: $0.00"), "{}", mail.body);

    let id: i32 = order.h1().trim_start_matches("Order #").parse().unwrap();
    let stored: (i64, i64, i64, i64, Option<String>) = app
        .db(|conn| {
            orders::table
                .find(id)
                .select((
                    orders::subtotal_cents,
                    orders::discount_cents,
                    orders::total_cents,
                    orders::tax_cents,
                    orders::shipping_method,
                ))
                .first(conn)
        })
        .unwrap();
    assert_eq!(
        stored,
        (14_000, 1_400, 12_600, 1_842, Some("Standard parcel".into()))
    );
    let rates: Vec<(i32, i64, i64, i64)> = app
        .db(|conn| {
            order_taxes::table
                .filter(order_taxes::order_id.eq(id))
                .order(order_taxes::rate_bp.desc())
                .select((
                    order_taxes::rate_bp,
                    order_taxes::net_cents,
                    order_taxes::tax_cents,
                    order_taxes::gross_cents,
                ))
                .load(conn)
        })
        .unwrap();
    assert_eq!(
        rates,
        [(1_900, 9_076, 1_724, 10_800), (700, 1_682, 118, 1_800)]
    );
    let line_rates: Vec<i32> = app
        .db(|conn| {
            order_items::table
                .filter(order_items::order_id.eq(id))
                .order(order_items::id.asc())
                .select(order_items::tax_rate_bp)
                .load(conn)
        })
        .unwrap();
    assert_eq!(line_rates, [700, 1_900]);
}

#[test]
fn a_country_nobody_ships_to_or_a_method_not_offered_there_is_a_400() {
    let app = TestApp::spawn();
    let (_, _, teapot) = example_shop(&app);
    app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    add_to_cart(&ada, teapot, "1");
    let checkout = ada.get("/checkout");
    let mut fields = ADDRESS.to_vec();
    fields[4] = ("country", "FR");
    let refused = ada.submit_on(&checkout, "/checkout", &fields);
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(refused.body.contains("We do not ship to this country"));
    let standard = {
        let de = ada.submit_on(
            &checkout,
            "/checkout",
            &[("update", "1"), ("country", "DE")],
        );
        shipping_id(&de, "Standard parcel")
    };
    let mut fields = ADDRESS.to_vec();
    fields[4] = ("country", "AT");
    fields.push(("shipping_method", &standard));
    let wrong = ada.submit_on(&checkout, "/checkout", &fields);
    assert_eq!(wrong.status, 400);
    assert!(
        wrong.body.contains("Choose one of the shipping methods"),
        "{}",
        wrong.body
    );
    assert_eq!(app.stock_of(teapot), 10, "nothing was ordered");
}

#[test]
fn tax_on_top_is_added_to_the_total_and_a_shop_without_methods_ships_free_everywhere() {
    let app = TestApp::spawn();
    app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    let teapot = app.product_on_sale("Teapot", 6_000, 10);
    add_to_cart(&ada, teapot, "1");
    let checkout = ada.get("/checkout");
    assert!(
        checkout.texts("#country option").len() > 240,
        "every country"
    );
    assert_eq!(
        checkout.attrs("#country option[selected]", "value"),
        Vec::<String>::new()
    );
    assert!(checkout.texts("fieldset.shipping label").is_empty());

    let admin = app.admin("boss@example.com");
    let page = admin.get("/admin/taxes");
    admin.submit_on(
        &page,
        "/admin/taxes",
        &[("country", "DE"), ("standard", "19"), ("reduced", "7")],
    );
    let settings = admin.get("/admin/settings");
    let mut values = settings.form_values("/admin/settings").unwrap();
    values.retain(|(k, _)| k != "prices_include_tax");
    let values: Vec<(&str, &str)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(admin.post_form("/admin/settings", &values).status, 303);

    let quoted = ada.submit_on(
        &checkout,
        "/checkout",
        &[("update", "1"), ("country", "DE")],
    );
    assert_eq!(quoted.text(".totals .tax").as_deref(), Some("$11.40"));
    assert_eq!(quoted.text(".totals .total").as_deref(), Some("$71.40"));
    assert_eq!(quoted.texts(".tax-lines li"), ["19 % VAT: $11.40"]);
    let placed = ada.submit_on(&quoted, "/checkout", &ADDRESS);
    assert_eq!(placed.status, 303, "{}", placed.body);
    let order = ada.get_following(&placed.location().unwrap());
    assert_eq!(order.text(".totals .total").as_deref(), Some("$71.40"));
    assert_eq!(order.text(".totals .tax").as_deref(), Some("$11.40"));
}

#[test]
fn the_cart_shows_the_goods_tax_for_the_last_used_address_or_the_first_country_served() {
    let app = TestApp::spawn();
    let (admin, book, teapot) = example_shop(&app);
    app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    add_to_cart(&ada, book, "1");
    add_to_cart(&ada, teapot, "2");

    // Austria comes first by name and has no rates: nothing to show yet.
    let cart = ada.get("/cart");
    assert!(cart.texts(".tax-lines li").is_empty(), "{}", cart.body);
    assert!(cart.text(".tax-note").is_none());

    let page = ada.get("/account/addresses");
    let added = ada.submit_on(&page, "/account/addresses", &ADDRESS);
    assert_eq!(added.status, 303, "{}", added.body);
    let cart = ada.get("/cart");
    assert_eq!(cart.text(".totals .total").as_deref(), Some("$126.00"));
    assert_eq!(
        cart.texts(".tax-lines li"),
        ["incl. 19 % VAT: $17.24", "incl. 7 % VAT: $1.18"]
    );
    assert!(cart.text(".tax-note").unwrap().contains("Germany"));
    assert!(cart.text(".total-with-tax").is_none());

    // Tax on top: 108.00 × 19 % = 20.52 and 18.00 × 7 % = 1.26 come on top of 126.00.
    let settings = admin.get("/admin/settings");
    let mut values = settings.form_values("/admin/settings").unwrap();
    values.retain(|(k, _)| k != "prices_include_tax");
    let values: Vec<(&str, &str)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(admin.post_form("/admin/settings", &values).status, 303);
    let cart = ada.get("/cart");
    assert_eq!(
        cart.texts(".tax-lines li"),
        ["19 % VAT: $20.52", "7 % VAT: $1.26"]
    );
    assert_eq!(cart.text(".total-with-tax").as_deref(), Some("$147.78"));
}
