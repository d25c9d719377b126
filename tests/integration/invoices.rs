//! Invoices: a paid order gets the next number of its year, gap-free even when orders are
//! paid at once on several connections; the printable invoice shows the example's taxes to
//! the cent, and only to the order's owner or an admin.

use chrono::Datelike;
use diesel::prelude::*;
use shopfront::domain::account::Role;
use shopfront::domain::OrderStatus;
use shopfront::schema::orders;
use shopfront::services::{order_admin, Actor};

use crate::support::shop::{add_to_cart, check_out};
use crate::support::{at_once, Contender, TestApp};
use crate::tax::{example_shop, shipping_id, ADDRESS};

fn invoice_of(app: &TestApp, id: i32) -> Option<String> {
    app.db(|conn| {
        orders::table
            .find(id)
            .select(orders::invoice_number)
            .first(conn)
    })
    .unwrap()
}

fn mark_paid(admin: &crate::support::Client, id: i32) {
    let page = admin.get(&format!("/admin/orders/{id}"));
    let moved = admin.submit_on(
        &page,
        &format!("/admin/orders/{id}/status"),
        &[("status", "paid")],
    );
    assert_eq!(moved.status, 303, "{}", moved.body);
}

#[test]
fn the_invoice_shows_the_example_and_only_to_its_owner_or_an_admin() {
    let app = TestApp::spawn();
    let (admin, book, teapot) = example_shop(&app);
    app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    add_to_cart(&ada, book, "1");
    add_to_cart(&ada, teapot, "2");
    let checkout = ada.get("/checkout");
    let de = ada.submit_on(
        &checkout,
        "/checkout",
        &[("update", "1"), ("country", "DE")],
    );
    let parcel = shipping_id(&de, "Standard parcel");
    let mut fields = ADDRESS.to_vec();
    fields.push(("shipping_method", &parcel));
    let placed = ada.submit_on(&de, "/checkout", &fields);
    let id: i32 = placed
        .location()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        ada.get(&format!("/orders/{id}/invoice")).status,
        404,
        "not paid yet"
    );
    assert_eq!(invoice_of(&app, id), None);

    mark_paid(&admin, id);
    let year = chrono::Utc::now().year();
    let number = format!("{year}-000001");
    assert_eq!(invoice_of(&app, id).as_deref(), Some(number.as_str()));
    let order = ada.get(&format!("/orders/{id}"));
    assert_eq!(
        order.attrs("a.invoice-link", "href"),
        [format!("/orders/{id}/invoice")]
    );
    let invoice = ada.get(&format!("/orders/{id}/invoice"));
    assert_eq!(invoice.status, 200);
    assert_eq!(invoice.h1(), format!("Invoice {number}"));
    assert_eq!(invoice.text(".totals .total").as_deref(), Some("$126.00"));
    let rows = invoice.texts(".invoice-taxes tbody td");
    assert_eq!(
        rows,
        ["19 %", "$90.76", "$17.24", "$108.00", "7 %", "$16.82", "$1.18", "$18.00"]
    );
    let lines = invoice.texts(".invoice-lines tbody td");
    assert_eq!(lines[3], "7 %", "the book's rate: {lines:?}");
    assert!(invoice.text(".buyer").unwrap().contains("Germany"));
    assert_eq!(admin.get(&format!("/orders/{id}/invoice")).status, 200);
    app.user("eve@example.com", Role::Customer, true);
    let eve = app.logged_in("eve@example.com");
    assert_eq!(eve.get(&format!("/orders/{id}/invoice")).status, 404);
    assert_eq!(
        app.client().get(&format!("/orders/{id}/invoice")).status,
        303
    );

    // A refund shows on the invoice.
    let page = admin.get(&format!("/admin/orders/{id}"));
    admin.submit_on(
        &page,
        &format!("/admin/orders/{id}/refund"),
        &[("amount", "20.00"), ("reason", "Dented teapot")],
    );
    let refunded = ada.get(&format!("/orders/{id}/invoice"));
    assert!(refunded
        .text(".invoice-refunds")
        .unwrap()
        .contains("Dented teapot"));
}

#[test]
fn orders_paid_at_once_get_numbers_without_gaps_or_twins() {
    let app = TestApp::spawn_with(&[("MAX_UNPAID_ORDERS", "100")]);
    app.user("ada@example.com", Role::Customer, true);
    let admin_id = app.user("boss@example.com", Role::Admin, true);
    let ada = app.logged_in("ada@example.com");
    let lamp = app.product_on_sale("Lamp", 1_000, 100);
    let mut ids = Vec::new();
    for _ in 0..8 {
        add_to_cart(&ada, lamp, "1");
        let placed = check_out(&ada);
        ids.push(
            placed
                .location()
                .unwrap()
                .rsplit('/')
                .next()
                .unwrap()
                .parse::<i32>()
                .unwrap(),
        );
    }
    let actor = Actor {
        id: admin_id,
        email: "boss@example.com".into(),
    };
    let shop = app.state.shop();
    let contenders: Vec<Contender<'_, ()>> = ids
        .iter()
        .map(|id| {
            let (pool, actor) = (app.state.pool.clone(), actor.clone());
            Box::new(move || {
                let mut conn = pool.get().unwrap();
                let now = chrono::Utc::now().naive_utc();
                let change = (*id, OrderStatus::Paid, None);
                order_admin::change_order_status(&mut conn, &actor, change, shop, now)
                    .unwrap()
                    .unwrap();
            }) as Contender<'_, ()>
        })
        .collect();
    at_once(contenders);
    let year = chrono::Utc::now().year();
    let mut numbers: Vec<String> = ids
        .iter()
        .map(|id| invoice_of(&app, *id).unwrap())
        .collect();
    numbers.sort();
    let expected: Vec<String> = (1..=8).map(|n| format!("{year}-{n:06}")).collect();
    assert_eq!(numbers, expected);
}
