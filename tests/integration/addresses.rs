//! Saved addresses: kept on the account page and at checkout, offered as a radio with the
//! last used pre-selected; someone else's is a 404.

use diesel::prelude::*;
use shopfront::domain::account::Role;
use shopfront::schema::{addresses, orders};

use crate::support::shop::{add_to_cart, ADDRESS};
use crate::support::TestApp;

fn saved_count(app: &TestApp) -> i64 {
    app.db(|conn| addresses::table.count().get_result(conn))
        .unwrap()
}

#[test]
fn addresses_are_added_listed_and_deleted_only_by_their_owner() {
    let app = TestApp::spawn();
    app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    let page = ada.get("/account/addresses");
    assert_eq!(page.status, 200);
    let bad = ada.submit_on(
        &page,
        "/account/addresses",
        &[("name", "Ada"), ("country", "XX")],
    );
    assert_eq!(bad.status, 400);
    assert!(bad.form_errors().len() >= 3, "{:?}", bad.form_errors());
    assert_eq!(bad.attrs("#name", "value"), ["Ada"]);
    let added = ada.submit_on(&page, "/account/addresses", &ADDRESS);
    assert_eq!(added.status, 303, "{}", added.body);
    let list = ada.get("/account/addresses");
    assert_eq!(
        list.texts(".address-line"),
        ["Ada Lovelace, 12 St James's Square, SW1Y 4JH London, United Kingdom of Great Britain and Northern Ireland"]
    );
    let action = list.attrs(".addresses form", "action")[0].clone();

    app.user("eve@example.com", Role::Customer, true);
    let eve = app.logged_in("eve@example.com");
    let token = eve
        .get("/account/addresses")
        .attrs("input[name=csrf_token]", "value")[0]
        .clone();
    assert_eq!(
        eve.post_form(&action, &[("csrf_token", &token)]).status,
        404
    );
    assert_eq!(saved_count(&app), 1);
    let deleted = ada.submit_on(&list, &action, &[]);
    assert_eq!(deleted.status, 303);
    assert_eq!(saved_count(&app), 0);
}

#[test]
fn checkout_saves_an_address_and_offers_it_next_time() {
    let app = TestApp::spawn();
    app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    let lamp = app.product_on_sale("Lamp", 1_000, 10);
    add_to_cart(&ada, lamp, "1");
    let first = ada.get("/checkout");
    assert!(first.texts(".saved-addresses label").is_empty());
    let mut fields = ADDRESS.to_vec();
    fields.push(("save_address", "on"));
    assert_eq!(ada.submit_on(&first, "/checkout", &fields).status, 303);
    assert_eq!(saved_count(&app), 1);

    add_to_cart(&ada, lamp, "1");
    let second = ada.get("/checkout");
    let choices = second.texts(".saved-addresses label");
    assert_eq!(choices.len(), 2, "{choices:?}");
    assert!(choices[0].contains("12 St James's Square"));
    assert!(choices[1].contains("A new address"));
    let checked = second.attrs(".saved-addresses input[checked]", "value");
    assert_ne!(checked, ["new"], "the saved address is pre-selected");
    // Placed with the saved address alone: the new-address fields stay empty.
    let placed = ada.submit_on(&second, "/checkout", &[]);
    assert_eq!(placed.status, 303, "{}", placed.body);
    let ship_to: Vec<(String, String)> = app
        .db(|conn| {
            orders::table
                .order(orders::id.asc())
                .select((orders::ship_line1, orders::ship_country))
                .load(conn)
        })
        .unwrap();
    assert_eq!(
        ship_to[1],
        ("12 St James's Square".to_string(), "GB".to_string())
    );
    assert_eq!(saved_count(&app), 1, "not saved twice");
}
