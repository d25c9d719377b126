//! Card payments through Stripe Checkout, against the fake Stripe of `tests/support/`: the
//! whole journey, the return page before the webhook, Stripe down at checkout then "Pay now",
//! a payment that does not match, and unpaid orders expiring while a payment races them.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use serde_json::Value;
use shopfront::domain::account::Role;
use shopfront::housekeeping::PaymentJob;
use shopfront::schema::{orders, payment_events};
use std::sync::Arc;

use crate::support::fake_stripe::{FakeStripe, SECRET_KEY, WEBHOOK_SECRET};
use crate::support::shop::{add_to_cart, check_out};
use crate::support::{Client, TestApp};

/// A shop taking cards through `fake`, in euros.
pub fn card_shop(fake: &FakeStripe, extra: &[(&str, &str)]) -> TestApp {
    let mut settings = vec![
        ("STRIPE_SECRET_KEY", SECRET_KEY),
        ("STRIPE_API_BASE", fake.base.as_str()),
        ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET),
        ("CURRENCY", "EUR"),
    ];
    settings.extend_from_slice(extra);
    let app = TestApp::spawn_with(&settings);
    fake.deliver_webhooks_to(&format!("{}/payments/stripe/webhook", app.base));
    app
}

/// What the database holds of an order's payment.
#[derive(Debug, PartialEq, Eq)]
pub struct Payment {
    pub status: String,
    pub paid_cents: i64,
    pub total_cents: i64,
    pub session: Option<String>,
    pub intent: Option<String>,
    pub problem: Option<String>,
}

pub fn payment_of(app: &TestApp, id: i32) -> Payment {
    let row: (
        String,
        i64,
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
    ) = app
        .db(|conn| {
            orders::table
                .find(id)
                .select((
                    orders::status,
                    orders::paid_cents,
                    orders::total_cents,
                    orders::stripe_session_id,
                    orders::payment_intent_id,
                    orders::payment_problem,
                ))
                .first(conn)
        })
        .unwrap();
    Payment {
        status: row.0,
        paid_cents: row.1,
        total_cents: row.2,
        session: row.3,
        intent: row.4,
        problem: row.5,
    }
}

/// Ada, logged in, with `quantity` lamps (49.90 each, `stock` on hand) in her cart.
fn ada_with_lamps(app: &TestApp, quantity: &str, stock: i32) -> (Client, i32) {
    app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    let lamp = app.product_on_sale("Brass Lamp", 4990, stock);
    assert_eq!(add_to_cart(&ada, lamp, quantity).status, 303);
    (ada, lamp)
}

/// The order a checkout placed, found as the newest order.
fn newest_order(app: &TestApp) -> i32 {
    app.db(|conn| {
        orders::table
            .select(orders::id)
            .order(orders::id.desc())
            .first(conn)
    })
    .unwrap()
}

fn session_id_of(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_string()
}

/// Runs one round of the payment job as if it were `at`.
pub fn run_payment_job(app: &TestApp, at: NaiveDateTime) -> (usize, usize) {
    let job = PaymentJob {
        pool: app.state.pool.clone(),
        stripe: app.state.stripe.clone(),
        config: Arc::clone(&app.state.config),
        links: app.state.links.clone(),
        mail_wake: Arc::clone(&app.state.mail_wake),
    };
    job.run_once(at).expect("the payment job runs")
}

fn subjects(app: &TestApp, email: &str) -> Vec<String> {
    app.mails_to(email).into_iter().map(|m| m.subject).collect()
}

fn now() -> NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

#[test]
fn a_card_order_is_paid_on_stripes_page_and_only_the_signed_event_proves_it() {
    let fake = FakeStripe::start();
    let app = card_shop(&fake, &[]);
    let (ada, lamp) = ada_with_lamps(&app, "2", 5);

    let checkout = ada.get("/checkout");
    assert_eq!(
        checkout.attrs("input[name=payment_method][checked]", "value"),
        ["card"],
        "card comes first when Stripe is set up"
    );
    let policy = checkout
        .header("content-security-policy")
        .unwrap()
        .to_string();
    assert!(
        policy.contains(&format!(
            "form-action 'self' https://checkout.stripe.com {}",
            fake.base
        )),
        "{policy}"
    );
    let placed = ada.submit_on(&checkout, "/checkout", &crate::support::shop::ADDRESS);
    assert_eq!(placed.status, 303, "{}", placed.body);
    let pay_page = placed.location().unwrap();
    assert!(
        pay_page.starts_with(&format!("{}/pay/cs_", fake.base)),
        "{pay_page}"
    );
    let id = newest_order(&app);
    let before = payment_of(&app, id);
    assert_eq!((before.status.as_str(), before.paid_cents), ("pending", 0));
    assert_eq!(
        app.stock_of(lamp),
        3,
        "the stock is held while the order waits"
    );

    // What the shop asked Stripe for, field by field.
    let made = fake.received_at("POST", "/v1/checkout/sessions");
    assert_eq!(made.len(), 1);
    let request = &made[0];
    let order = id.to_string();
    assert_eq!(request.field("mode"), Some("payment"));
    assert_eq!(request.field("client_reference_id"), Some(order.as_str()));
    assert_eq!(request.field("metadata[order_id]"), Some(order.as_str()));
    assert_eq!(request.field("customer_email"), Some("ada@example.com"));
    assert_eq!(request.field("currency"), Some("eur"));
    assert_eq!(
        request.field("line_items[0][price_data][unit_amount]"),
        Some(before.total_cents.to_string().as_str())
    );
    assert_eq!(request.field("line_items[0][quantity]"), Some("1"));
    assert_eq!(
        request.field("success_url"),
        Some(format!("{}/orders/{id}?payment=return", app.base).as_str())
    );
    assert_eq!(
        request.field("cancel_url"),
        Some(format!("{}/orders/{id}", app.base).as_str())
    );
    let expires_at: i64 = request.field("expires_at").unwrap().parse().unwrap();
    let in_thirty = chrono::Utc::now().timestamp() + 30 * 60;
    assert!(
        (expires_at - in_thirty).abs() < 60,
        "{expires_at} vs {in_thirty}"
    );
    assert!(request
        .idempotency_key
        .as_deref()
        .is_some_and(|k| k.contains(&order)));

    // Coming back to the "thank you" address proves nothing while Stripe says unpaid.
    let early = ada.get(&format!("/orders/{id}?payment=return"));
    assert_eq!(early.status, 303);
    assert_eq!(payment_of(&app, id).status, "pending");

    // The hosted page pays, posts the signed event and sends the customer back.
    let hosted = ada.get(&pay_page);
    assert_eq!(hosted.status, 200);
    let paid = ada.request("POST", &pay_page, &[], Vec::new());
    assert_eq!(paid.status, 303);
    assert_eq!(fake.deliveries().len(), 1);
    assert_eq!(fake.deliveries()[0].1, 200, "the shop took the event");
    let back = ada.get_following(&paid.location().unwrap());
    assert_eq!(back.status, 200);
    assert!(
        back.flashes()
            .iter()
            .any(|f| f.contains("payment is confirmed")),
        "{:?}",
        back.flashes()
    );
    assert_eq!(back.text(".status").as_deref(), Some("Paid"));

    let after = payment_of(&app, id);
    assert_eq!(after.status, "paid");
    assert_eq!(after.paid_cents, after.total_cents);
    assert!(after
        .intent
        .as_deref()
        .is_some_and(|i| i.starts_with("pi_")));
    assert_eq!(app.stock_of(lamp), 3);
    let mails = subjects(&app, "ada@example.com");
    assert_eq!(
        mails
            .iter()
            .filter(|s| s.starts_with("Receipt for your order"))
            .count(),
        1,
        "{mails:?}"
    );

    // Stripe delivers the same event again: 200, and nothing more happens.
    let event = fake.deliveries()[0].0.clone();
    assert_eq!(fake.redeliver(&event), Some(200));
    let recorded: i64 = app
        .db(|conn| payment_events::table.count().get_result(conn))
        .unwrap();
    assert_eq!(recorded, 1);
    let again = subjects(&app, "ada@example.com");
    assert_eq!(again, mails, "no second receipt");
}

#[test]
fn the_return_page_asks_stripe_and_agrees_with_the_webhook_that_follows() {
    let fake = FakeStripe::start();
    let app = card_shop(&fake, &[]);
    let (ada, _) = ada_with_lamps(&app, "1", 5);
    let placed = check_out(&ada);
    let session = session_id_of(&placed.location().unwrap());
    let id = newest_order(&app);
    let event = fake.pay_quietly(&session).expect("the session is open");

    let back = ada.get_following(&format!("/orders/{id}?payment=return"));
    assert!(back
        .flashes()
        .iter()
        .any(|f| f.contains("payment is confirmed")));
    assert_eq!(payment_of(&app, id).status, "paid", "read back from Stripe");

    assert_eq!(fake.redeliver(&event), Some(200));
    let after = payment_of(&app, id);
    assert_eq!(
        (after.status.as_str(), after.paid_cents),
        ("paid", after.total_cents)
    );
    let receipts = subjects(&app, "ada@example.com")
        .into_iter()
        .filter(|s| s.starts_with("Receipt"))
        .count();
    assert_eq!(receipts, 1, "one receipt whichever path settled it");
}

#[test]
fn stripe_down_at_checkout_keeps_the_order_and_pay_now_resumes_one_session() {
    let fake = FakeStripe::start();
    let app = card_shop(&fake, &[]);
    let (ada, lamp) = ada_with_lamps(&app, "1", 5);
    fake.set_down(true);
    let placed = check_out(&ada);
    assert_eq!(placed.status, 303);
    let id = newest_order(&app);
    assert_eq!(placed.location().unwrap(), format!("/orders/{id}"));
    let page = ada.get_following(&placed.location().unwrap());
    assert!(
        page.flashes()
            .iter()
            .any(|f| f.contains("nothing was charged")),
        "{:?}",
        page.flashes()
    );
    assert_eq!(page.texts(".pay-now button"), ["Pay now"]);
    assert_eq!(payment_of(&app, id).status, "pending");
    assert_eq!(app.stock_of(lamp), 4);
    assert!(
        ada.get("/cart").body.contains("empty"),
        "the cart went into the order"
    );

    fake.set_down(false);
    let action = format!("/orders/{id}/pay");
    let first = ada.submit_on(&page, &action, &[]);
    assert_eq!(first.status, 303, "{}", first.body);
    let url = first.location().unwrap();
    assert!(url.starts_with(&fake.base), "{url}");
    let second = ada.submit_on(&ada.get(&format!("/orders/{id}")), &action, &[]);
    assert_eq!(
        second.location().unwrap(),
        url,
        "the open session is resumed"
    );
    let created: Vec<_> = fake
        .received_at("POST", "/v1/checkout/sessions")
        .into_iter()
        .filter(|r| r.idempotency_key.is_some())
        .collect();
    let keys: std::collections::BTreeSet<_> =
        created.iter().map(|r| r.idempotency_key.clone()).collect();
    assert_eq!(
        keys.len(),
        1,
        "every try used the order's one key: {keys:?}"
    );
    assert_eq!(fake.sessions().len(), 1, "one session, never two");

    // Someone else's order: 404, and nothing asked of Stripe.
    app.user("eve@example.com", Role::Customer, true);
    let eve = app.logged_in("eve@example.com");
    let token = eve.get("/orders").attrs("input[name=csrf_token]", "value")[0].clone();
    let theirs = eve.post_form(&action, &[("csrf_token", &token)]);
    assert_eq!(theirs.status, 404);
    assert_eq!(fake.sessions().len(), 1);
}

#[test]
fn a_payment_for_another_amount_flags_the_order_and_leaves_it_unpaid() {
    let fake = FakeStripe::start();
    let app = card_shop(&fake, &[]);
    let (ada, _) = ada_with_lamps(&app, "1", 5);
    let placed = check_out(&ada);
    let session = session_id_of(&placed.location().unwrap());
    let id = newest_order(&app);
    fake.pay_amount(Some(100));
    assert_eq!(fake.pay(&session), Some(200));
    let after = payment_of(&app, id);
    assert_eq!(after.status, "pending");
    assert!(after.problem.unwrap().contains("does not match"));
    let admin = app.admin("boss@example.com");
    let page = admin.get(&format!("/admin/orders/{id}"));
    assert!(page
        .text(".payment-problem")
        .unwrap()
        .contains("does not match"));
}

#[test]
fn an_unpaid_card_order_expires_at_its_deadline_and_its_session_with_it() {
    let fake = FakeStripe::start();
    let app = card_shop(&fake, &[("ORDER_PAYMENT_MINUTES", "30")]);
    let (ada, lamp) = ada_with_lamps(&app, "2", 5);
    let placed = check_out(&ada);
    let session = session_id_of(&placed.location().unwrap());
    let id = newest_order(&app);
    assert_eq!(
        run_payment_job(&app, now() + TimeDelta::minutes(29)),
        (0, 0)
    );
    assert_eq!(payment_of(&app, id).status, "pending");

    assert_eq!(run_payment_job(&app, now() + TimeDelta::minutes(31)).0, 1);
    assert_eq!(payment_of(&app, id).status, "expired");
    assert_eq!(fake.session(&session).unwrap()["status"], "expired");
    assert_eq!(app.stock_of(lamp), 5, "the stock is back");
    assert!(subjects(&app, "ada@example.com").contains(&format!("Your order #{id} expired")));
    assert_eq!(
        run_payment_job(&app, now() + TimeDelta::minutes(32)),
        (0, 0)
    );
    let page = ada.get(&format!("/orders/{id}"));
    assert_eq!(page.text(".status").as_deref(), Some("Expired"));
    assert!(page.texts(".pay-now button").is_empty());
}

#[test]
fn a_payment_completed_just_before_expiry_wins_over_it() {
    let fake = FakeStripe::start();
    let app = card_shop(&fake, &[]);
    let (ada, lamp) = ada_with_lamps(&app, "1", 5);
    let placed = check_out(&ada);
    let session = session_id_of(&placed.location().unwrap());
    let id = newest_order(&app);
    // Paid at Stripe, the event still on its way when the deadline passes.
    let event = fake.pay_quietly(&session).unwrap();
    run_payment_job(&app, now() + TimeDelta::minutes(31));
    assert_eq!(payment_of(&app, id).status, "paid", "Stripe said complete");
    assert_eq!(app.stock_of(lamp), 4);
    assert_eq!(fake.redeliver(&event), Some(200));
    assert_eq!(payment_of(&app, id).status, "paid");
    assert!(!subjects(&app, "ada@example.com")
        .iter()
        .any(|s| s.contains("expired")));
}

#[test]
fn money_arriving_after_expiry_takes_the_stock_again_or_goes_back_in_full() {
    let fake = FakeStripe::start();
    let app = card_shop(&fake, &[]);
    let (ada, lamp) = ada_with_lamps(&app, "2", 2);
    let placed = check_out(&ada);
    let session = session_id_of(&placed.location().unwrap());
    let id = newest_order(&app);
    run_payment_job(&app, now() + TimeDelta::minutes(31));
    assert_eq!(app.stock_of(lamp), 2);

    // The stock is still there: the late payment takes it and the order is paid.
    assert_eq!(fake.pay_late(&session), Some(200));
    let late = payment_of(&app, id);
    assert_eq!(late.status, "paid");
    assert_eq!(app.stock_of(lamp), 0);

    // A second order expires, its stock is sold to someone else, then its money comes.
    app.db(|conn| {
        diesel::update(shopfront::schema::products::table.find(lamp))
            .set(shopfront::schema::products::stock.eq(2))
            .execute(conn)
    })
    .unwrap();
    assert_eq!(add_to_cart(&ada, lamp, "2").status, 303);
    let second = check_out(&ada);
    let second_session = session_id_of(&second.location().unwrap());
    let second_id = newest_order(&app);
    run_payment_job(&app, now() + TimeDelta::minutes(31));
    assert_eq!(payment_of(&app, second_id).status, "expired");
    app.db(|conn| {
        diesel::update(shopfront::schema::products::table.find(lamp))
            .set(shopfront::schema::products::stock.eq(0))
            .execute(conn)
    })
    .unwrap();
    assert_eq!(fake.pay_late(&second_session), Some(200));
    let refunded = payment_of(&app, second_id);
    assert_eq!(refunded.status, "refunded", "{refunded:?}");
    assert_eq!(app.stock_of(lamp), 0, "no stock was made up");
    let refunds = fake.refunds();
    assert_eq!(refunds.len(), 1);
    assert_eq!(refunds[0]["amount"], Value::from(refunded.total_cents));
    assert_eq!(
        refunds[0]["payment_intent"].as_str(),
        refunded.intent.as_deref()
    );
    assert!(
        subjects(&app, "ada@example.com").contains(&format!("Refund for your order #{second_id}"))
    );
}

#[test]
fn cancelling_a_card_order_closes_its_payment_page_first() {
    let fake = FakeStripe::start();
    let app = card_shop(&fake, &[]);
    let (ada, lamp) = ada_with_lamps(&app, "1", 5);
    let placed = check_out(&ada);
    let session = session_id_of(&placed.location().unwrap());
    let id = newest_order(&app);
    let page = ada.get(&format!("/orders/{id}"));
    let action = format!("/orders/{id}/cancel");

    fake.set_down(true);
    let refused = ada.submit_on(&page, &action, &[]);
    assert_eq!(refused.status, 503);
    assert!(refused.body.contains("not cancelled"));
    assert_eq!(payment_of(&app, id).status, "pending");

    fake.set_down(false);
    let cancelled = ada.submit_on(&page, &action, &[]);
    assert_eq!(cancelled.status, 303, "{}", cancelled.body);
    assert_eq!(payment_of(&app, id).status, "cancelled");
    assert_eq!(fake.session(&session).unwrap()["status"], "expired");
    assert_eq!(fake.pay(&session), None, "nobody can pay a cancelled order");
    assert_eq!(app.stock_of(lamp), 5);
    assert!(subjects(&app, "ada@example.com").contains(&format!("Your order #{id} is cancelled")));
}
