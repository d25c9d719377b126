//! Refunds go back the way the money came and never beyond it, even when two admins refund
//! at once; the mails along an order's life go out once; the cap on unpaid orders; bank
//! transfers expire after their days.

use std::sync::Arc;

use chrono::TimeDelta;
use diesel::prelude::*;
use shopfront::domain::account::Role;
use shopfront::housekeeping::PaymentJob;
use shopfront::schema::{audit_log, credit_ledger, orders, refunds, users};

use crate::card::{card_shop, payment_of, run_payment_job};
use crate::support::fake_stripe::FakeStripe;
use crate::support::shop::{add_to_cart, check_out, ADDRESS};
use crate::support::{at_once, Client, Contender, TestApp};

/// Ada's paid card order of one lamp (49.90, five on hand): its id and the lamp.
fn paid_card_order(app: &TestApp, fake: &FakeStripe) -> (i32, i32) {
    app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    let lamp = app.product_on_sale("Brass Lamp", 4990, 5);
    add_to_cart(&ada, lamp, "1");
    let pay_page = check_out(&ada).location().unwrap();
    let session = pay_page.rsplit('/').next().unwrap();
    assert_eq!(fake.pay(session), Some(200));
    let id = newest(app);
    assert_eq!(payment_of(app, id).status, "paid");
    (id, lamp)
}

fn newest(app: &TestApp) -> i32 {
    app.db(|conn| {
        orders::table
            .select(orders::id)
            .order(orders::id.desc())
            .first(conn)
    })
    .unwrap()
}

fn refunded_cents(app: &TestApp, id: i32) -> i64 {
    app.db(|conn| {
        orders::table
            .find(id)
            .select(orders::refunded_cents)
            .first(conn)
    })
    .unwrap()
}

fn refund(admin: &Client, id: i32, fields: &[(&str, &str)]) -> crate::support::client::Page {
    let page = admin.get(&format!("/admin/orders/{id}"));
    admin.submit_on(&page, &format!("/admin/orders/{id}/refund"), fields)
}

fn subjects(app: &TestApp, email: &str) -> Vec<String> {
    app.mails_to(email).into_iter().map(|m| m.subject).collect()
}

#[test]
fn a_card_refund_goes_to_stripe_and_never_past_what_was_paid() {
    let fake = FakeStripe::start();
    let app = card_shop(&fake, &[]);
    let (id, lamp) = paid_card_order(&app, &fake);
    let admin = app.admin("boss@example.com");

    let part = refund(
        &admin,
        id,
        &[("amount", "10.00"), ("reason", "Scratched base")],
    );
    assert_eq!(part.status, 303, "{}", part.body);
    let sent = fake.received_at("POST", "/v1/refunds");
    assert_eq!(sent.len(), 1);
    let intent = payment_of(&app, id).intent.unwrap();
    assert_eq!(sent[0].field("payment_intent"), Some(intent.as_str()));
    assert_eq!(sent[0].field("amount"), Some("1000"));
    assert!(sent[0].idempotency_key.is_some());
    let ada = app.logged_in("ada@example.com");
    let page = ada.get(&format!("/orders/{id}"));
    assert_eq!(
        page.text(".refunded").as_deref(),
        Some("refunded $10.00 of $49.90")
    );
    assert_eq!(page.text(".status").as_deref(), Some("Paid"));

    let over = refund(&admin, id, &[("amount", "40.00"), ("reason", "Too much")]);
    assert_eq!(over.status, 400);
    assert!(
        over.body.contains("39.90"),
        "says what is left: {}",
        over.body
    );
    assert_eq!(over.attrs("input[name=reason]", "value"), ["Too much"]);
    assert_eq!(fake.received_at("POST", "/v1/refunds").len(), 1);

    let rest = refund(
        &admin,
        id,
        &[
            ("amount", "39.90"),
            ("reason", "Returned"),
            ("restock", "1"),
        ],
    );
    assert_eq!(rest.status, 303, "{}", rest.body);
    assert_eq!(payment_of(&app, id).status, "refunded");
    assert_eq!(refunded_cents(&app, id), 4990);
    assert_eq!(app.stock_of(lamp), 5, "restocked");
    let after = admin.get(&format!("/admin/orders/{id}"));
    assert!(
        after.texts("form.refund").is_empty(),
        "nothing left to refund"
    );
    let mails = subjects(&app, "ada@example.com");
    let refund_mails = mails.iter().filter(|s| s.starts_with("Refund for")).count();
    assert_eq!(refund_mails, 2, "{mails:?}");
    let audited: Vec<String> = app
        .db(|conn| {
            audit_log::table
                .filter(audit_log::action.eq("order.refund"))
                .order(audit_log::id.asc())
                .select(audit_log::note)
                .load(conn)
        })
        .unwrap();
    assert_eq!(audited, ["Scratched base", "Returned"]);
}

#[test]
fn two_refunds_at_once_cannot_pass_the_payment() {
    let fake = FakeStripe::start();
    let app = card_shop(&fake, &[]);
    let (id, _) = paid_card_order(&app, &fake);
    let first = app.admin("boss@example.com");
    let second = app.admin("deputy@example.com");
    let pages = [&first, &second].map(|a| a.get(&format!("/admin/orders/{id}")));
    let action = format!("/admin/orders/{id}/refund");
    let fields = [("amount", "30.00"), ("reason", "Goodwill")];
    let contenders: Vec<Contender<'_, u16>> = vec![
        Box::new(|| first.submit_on(&pages[0], &action, &fields).status),
        Box::new(|| second.submit_on(&pages[1], &action, &fields).status),
    ];
    let mut statuses = at_once(contenders);
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 400]);
    assert_eq!(refunded_cents(&app, id), 3000);
    assert_eq!(fake.refunds().len(), 1);
    let rows: i64 = app
        .db(|conn| refunds::table.count().get_result(conn))
        .unwrap();
    assert_eq!(rows, 1);
}

#[test]
fn a_refund_stripe_refuses_refunds_nothing_and_frees_the_amount() {
    let fake = FakeStripe::start();
    let app = card_shop(&fake, &[]);
    let (id, _) = paid_card_order(&app, &fake);
    let admin = app.admin("boss@example.com");
    fake.set_down(true);
    let refused = refund(&admin, id, &[("amount", "5.00"), ("reason", "Late")]);
    assert_eq!(refused.status, 400);
    assert!(
        refused.body.contains("nothing was refunded"),
        "{}",
        refused.body
    );
    assert_eq!(refunded_cents(&app, id), 0);
    fake.set_down(false);
    assert_eq!(
        refund(&admin, id, &[("amount", "49.90"), ("reason", "Late")]).status,
        303
    );
    assert_eq!(refunded_cents(&app, id), 4990);
}

#[test]
fn store_credit_and_bank_transfer_refunds_go_back_their_own_way() {
    let app = TestApp::spawn();
    let ada_id = app.user("ada@example.com", Role::Customer, true);
    let admin = app.admin("boss@example.com");
    let users_page = admin.get("/admin/users");
    let grant = format!("/admin/users/{ada_id}/credit");
    admin.submit_on(
        &users_page,
        &grant,
        &[("amount", "100.00"), ("reason", "Gift")],
    );
    let ada = app.logged_in("ada@example.com");
    let lamp = app.product_on_sale("Brass Lamp", 4990, 5);
    add_to_cart(&ada, lamp, "1");
    let page = ada.get("/checkout");
    let mut fields = ADDRESS.to_vec();
    fields.push(("payment_method", "store_credit"));
    assert_eq!(ada.submit_on(&page, "/checkout", &fields).status, 303);
    let by_credit = newest(&app);
    let balance = || -> i64 {
        app.db(|conn| {
            users::table
                .find(ada_id)
                .select(users::credit_cents)
                .first(conn)
        })
        .unwrap()
    };
    assert_eq!(balance(), 5010);
    assert_eq!(
        refund(
            &admin,
            by_credit,
            &[("amount", "49.90"), ("reason", "Out of stock")]
        )
        .status,
        303
    );
    assert_eq!(balance(), 10000);
    let ledger: Vec<i64> = app
        .db(|conn| {
            credit_ledger::table
                .filter(credit_ledger::order_id.eq(by_credit))
                .order(credit_ledger::id.asc())
                .select(credit_ledger::amount_cents)
                .load(conn)
        })
        .unwrap();
    assert_eq!(ledger, [-4990, 4990]);
    assert_eq!(payment_of(&app, by_credit).status, "refunded");

    // A bank transfer: nothing to refund until an admin marks it paid.
    add_to_cart(&ada, lamp, "1");
    check_out(&ada);
    let by_bank = newest(&app);
    let order_page = admin.get(&format!("/admin/orders/{by_bank}"));
    assert!(
        order_page.texts("form.refund").is_empty(),
        "no refund form while unpaid"
    );
    let token = order_page.attrs("input[name=csrf_token]", "value")[0].clone();
    let unpaid = admin.post_form(
        &format!("/admin/orders/{by_bank}/refund"),
        &[("csrf_token", &token), ("amount", "1.00"), ("reason", "x")],
    );
    assert_eq!(unpaid.status, 400);
    assert!(unpaid.body.contains("At most $0.00"), "{}", unpaid.body);
    let order_page = admin.get(&format!("/admin/orders/{by_bank}"));
    let action = format!("/admin/orders/{by_bank}/status");
    assert_eq!(
        admin
            .submit_on(&order_page, &action, &[("status", "paid")])
            .status,
        303
    );
    assert!(
        subjects(&app, "ada@example.com").contains(&format!("Receipt for your order #{by_bank}"))
    );
    assert_eq!(
        refund(
            &admin,
            by_bank,
            &[("amount", "9.90"), ("reason", "Price match")]
        )
        .status,
        303
    );
    let page = ada.get(&format!("/orders/{by_bank}"));
    assert!(page.text(".refunded").unwrap().contains("$9.90 of $49.90"));
    assert_eq!(page.texts(".refunds li").len(), 1);
}

#[test]
fn shipping_with_a_tracking_number_tells_the_customer() {
    let app = TestApp::spawn();
    app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    let lamp = app.product_on_sale("Brass Lamp", 4990, 5);
    add_to_cart(&ada, lamp, "1");
    check_out(&ada);
    let id = newest(&app);
    let admin = app.admin("boss@example.com");
    let action = format!("/admin/orders/{id}/status");
    let page = admin.get(&format!("/admin/orders/{id}"));
    admin.submit_on(&page, &action, &[("status", "paid")]);
    let page = admin.get(&format!("/admin/orders/{id}"));
    let shipped = admin.submit_on(
        &page,
        &action,
        &[
            ("status", "shipped"),
            ("tracking_number", "1Z999AA10123456784"),
        ],
    );
    assert_eq!(shipped.status, 303, "{}", shipped.body);
    let mail = app
        .mails_to("ada@example.com")
        .into_iter()
        .find(|m| m.subject == format!("Your order #{id} is on its way"))
        .expect("the shipping mail");
    assert!(mail.body.contains("1Z999AA10123456784"));
    let order = ada.get(&format!("/orders/{id}"));
    assert_eq!(
        order.text(".tracking-number").as_deref(),
        Some("1Z999AA10123456784")
    );
}

#[test]
fn an_account_holds_at_most_three_unpaid_orders() {
    let app = TestApp::spawn();
    let ada_id = app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    let lamp = app.product_on_sale("Brass Lamp", 1000, 50);
    for _ in 0..3 {
        add_to_cart(&ada, lamp, "1");
        assert_eq!(check_out(&ada).status, 303);
    }
    add_to_cart(&ada, lamp, "1");
    let fourth = check_out(&ada);
    assert_eq!(fourth.status, 400);
    assert!(fourth
        .form_errors()
        .iter()
        .any(|e| e.contains("3 unpaid orders")));
    assert_eq!(fourth.attrs(".unpaid-orders a", "href"), ["/orders"]);
    assert_eq!(app.stock_of(lamp), 47, "nothing was ordered");

    // Paying at once with store credit is still possible.
    let admin = app.admin("boss@example.com");
    let users_page = admin.get("/admin/users");
    let grant = format!("/admin/users/{ada_id}/credit");
    admin.submit_on(
        &users_page,
        &grant,
        &[("amount", "10.00"), ("reason", "Gift")],
    );
    let page = ada.get("/checkout");
    let mut fields = ADDRESS.to_vec();
    fields.push(("payment_method", "store_credit"));
    assert_eq!(ada.submit_on(&page, "/checkout", &fields).status, 303);
}

#[test]
fn a_bank_transfer_waits_its_days_and_two_instances_expire_it_once() {
    let app = TestApp::spawn_with(&[("BANK_TRANSFER_DAYS", "7")]);
    app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    let lamp = app.product_on_sale("Brass Lamp", 1000, 5);
    add_to_cart(&ada, lamp, "2");
    check_out(&ada);
    let id = newest(&app);
    let now = chrono::Utc::now().naive_utc();
    assert_eq!(run_payment_job(&app, now + TimeDelta::days(6)), (0, 0));
    assert_eq!(payment_of(&app, id).status, "pending");

    // A second instance: its own pool on the same database.
    let other_pool = shopfront::db::connect(&app.state.config).expect("a second pool");
    let job = |pool: shopfront::db::DbPool| PaymentJob {
        pool,
        stripe: None,
        config: Arc::clone(&app.state.config),
        links: app.state.links.clone(),
        mail_wake: Arc::clone(&app.state.mail_wake),
    };
    let jobs = [job(app.state.pool.clone()), job(other_pool)];
    let later = now + TimeDelta::days(8);
    let contenders: Vec<Contender<'_, usize>> = jobs
        .iter()
        .map(|j| Box::new(move || j.run_once(later).unwrap().0) as Contender<'_, usize>)
        .collect();
    let expired: usize = at_once(contenders).into_iter().sum();
    assert_eq!(expired, 1, "one instance expired it");
    assert_eq!(payment_of(&app, id).status, "expired");
    assert_eq!(app.stock_of(lamp), 5, "its stock went back once");
    let mails = subjects(&app, "ada@example.com");
    assert_eq!(
        mails.iter().filter(|s| s.ends_with("expired")).count(),
        1,
        "{mails:?}"
    );
}
