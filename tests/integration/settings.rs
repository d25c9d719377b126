//! The shop's settings, changed by an admin at run time: the name on every page and mail,
//! the tax sentence, the discount rule and the bank details; the environment seeds them.

use diesel::prelude::*;
use shopfront::domain::account::Role;
use shopfront::schema::audit_log;

use crate::support::shop::{add_to_cart, check_out};
use crate::support::TestApp;

const SETTINGS: [(&str, &str); 7] = [
    ("shop_name", "Kaffeehaus Berlin"),
    ("shop_address", "Kaffeehaus GmbH\nHauptstr. 1\n10115 Berlin"),
    ("vat_id", "DE123456789"),
    ("contact_email", "hallo@kaffeehaus.example"),
    ("discount_percent", "5"),
    ("discount_threshold", "20.00"),
    ("bank_transfer_details", "IBAN DE89 3704 0044 0532 0130 00"),
];

#[test]
fn an_admin_renames_the_shop_and_changes_its_rules_at_run_time() {
    let app = TestApp::spawn_with(&[("SHOP_NAME", "Teashop"), ("DISCOUNT_PERCENT", "10")]);
    let admin = app.admin("boss@example.com");
    let page = admin.get("/admin/settings");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.attrs("#shop_name", "value"),
        ["Teashop"],
        "seeded from SHOP_NAME"
    );
    assert_eq!(page.attrs("#discount_percent", "value"), ["10"]);
    assert_eq!(page.text(".brand").as_deref(), Some("Teashop"));

    let saved = admin.submit_on(&page, "/admin/settings", &SETTINGS);
    assert_eq!(saved.status, 303, "{}", saved.body);
    // Then "Prices include tax" is unticked: tax comes on top from now on.
    let untick = admin.get("/admin/settings");
    let mut values = untick.form_values("/admin/settings").unwrap();
    values.retain(|(k, _)| k != "prices_include_tax");
    let values: Vec<(&str, &str)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(admin.post_form("/admin/settings", &values).status, 303);

    let home = app.client().get("/");
    assert_eq!(home.text(".brand").as_deref(), Some("Kaffeehaus Berlin"));
    assert!(
        home.title().ends_with("· Kaffeehaus Berlin"),
        "{}",
        home.title()
    );
    let footer = home.text(".site-footer").unwrap();
    assert!(
        footer.contains("Kaffeehaus Berlin · tax is added at checkout"),
        "{footer}"
    );

    // The discount rule and the bank details in force at checkout, and the mail's name.
    app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    let kettle = app.product_on_sale("Kettle", 2500, 5);
    add_to_cart(&ada, kettle, "1");
    let cart = ada.get("/cart");
    assert_eq!(cart.text(".totals .discount").as_deref(), Some("-$1.25"));
    let placed = check_out(&ada);
    let order = ada.get_following(&placed.location().unwrap());
    assert!(order.text(".bank-transfer").unwrap().contains("IBAN DE89"));
    let mail = app
        .mails_to("ada@example.com")
        .pop()
        .expect("the order mail");
    assert!(
        mail.body.ends_with("-- Kaffeehaus Berlin\n"),
        "{}",
        mail.body
    );
    assert!(mail.body.contains("IBAN DE89"));

    let audited: Vec<String> = app
        .db(|conn| {
            audit_log::table
                .filter(audit_log::action.eq("settings.update"))
                .select(audit_log::changes)
                .load(conn)
        })
        .unwrap();
    assert_eq!(audited.len(), 2);
    assert!(audited[0].contains("Kaffeehaus Berlin"), "{audited:?}");
    assert!(audited[1].contains("prices_include_tax"), "{audited:?}");
}

#[test]
fn wrong_settings_are_a_400_with_the_form_as_typed() {
    let app = TestApp::spawn();
    let admin = app.admin("boss@example.com");
    let page = admin.get("/admin/settings");
    let refused = admin.submit_on(
        &page,
        "/admin/settings",
        &[
            ("shop_name", ""),
            ("discount_percent", "150"),
            ("vat_id", "DE1"),
        ],
    );
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.form_errors().len(),
        2,
        "{:?}",
        refused.form_errors()
    );
    assert_eq!(refused.attrs("#vat_id", "value"), ["DE1"]);
    assert_eq!(refused.attrs("#discount_percent", "value"), ["150"]);
    assert_eq!(
        app.client().get("/").text(".brand").as_deref(),
        Some("shopfront")
    );
    let customer = app.customer("ada@example.com");
    assert_eq!(customer.get("/admin/settings").status, 403);
}
