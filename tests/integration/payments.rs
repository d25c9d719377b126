//! The Stripe webhook: only a body signed with the endpoint's secret, recently, is read; a
//! completed Checkout Session pays its order once, and only for the order's amount and
//! currency. Events are signed here exactly as Stripe signs them.

use diesel::prelude::*;
use shopfront::domain::account::Role;
use shopfront::domain::payment::webhook_signature;
use shopfront::schema::{orders, payment_events};

use crate::support::client::Page;
use crate::support::shop::{add_to_cart, check_out};
use crate::support::TestApp;

const SECRET: &str = "whsec_test_endpoint_secret";
const WEBHOOK: &str = "/payments/stripe/webhook";

fn shop() -> TestApp {
    TestApp::spawn_with(&[("STRIPE_WEBHOOK_SECRET", SECRET), ("CURRENCY", "EUR")])
}

/// A placed order of Ada's: its id and total in cents.
fn placed_order(app: &TestApp) -> (i32, i64) {
    app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    let lamp = app.product_on_sale("Brass Lamp", 4990, 5);
    assert_eq!(add_to_cart(&ada, lamp, "1").status, 303);
    let order = check_out(&ada).location().expect("the order's page");
    let id: i32 = order.rsplit('/').next().unwrap().parse().unwrap();
    let total = app
        .db(|conn| {
            orders::table
                .find(id)
                .select(orders::total_cents)
                .first(conn)
        })
        .unwrap();
    (id, total)
}

/// A `checkout.session.completed` event for `order`, paid `amount` in `currency`.
fn completed(event_id: &str, order: i32, amount: i64, currency: &str) -> String {
    serde_json::json!({
        "id": event_id,
        "object": "event",
        "type": "checkout.session.completed",
        "data": {"object": {
            "id": "cs_test_1",
            "object": "checkout.session",
            "client_reference_id": order.to_string(),
            "metadata": {"order_id": order.to_string()},
            "payment_status": "paid",
            "amount_total": amount,
            "currency": currency,
            "payment_intent": "pi_test_1"
        }}
    })
    .to_string()
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Posts `body` to the webhook with `header` as its `Stripe-Signature` (none when empty).
fn deliver(app: &TestApp, body: &str, header: &str) -> Page {
    let mut headers = vec![("Content-Type", "application/json")];
    if !header.is_empty() {
        headers.push(("Stripe-Signature", header));
    }
    app.client()
        .request("POST", WEBHOOK, &headers, body.as_bytes().to_vec())
}

/// Signs `body` as Stripe does, at `t`, with `secret`.
fn signed(body: &str, t: i64, secret: &str) -> String {
    let v1 = webhook_signature(secret, t, body.as_bytes()).unwrap();
    format!("t={t},v1={v1}")
}

fn order_state(app: &TestApp, id: i32) -> (String, Option<String>, Option<String>) {
    app.db(|conn| {
        orders::table
            .find(id)
            .select((
                orders::status,
                orders::payment_intent_id,
                orders::payment_problem,
            ))
            .first(conn)
    })
    .unwrap()
}

#[test]
fn a_signed_completed_session_pays_its_order_once() {
    let app = shop();
    let (id, total) = placed_order(&app);
    let body = completed("evt_paid_1", id, total, "eur");
    let answer = deliver(&app, &body, &signed(&body, unix_now(), SECRET));
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.header("set-cookie"),
        None,
        "no session for the provider"
    );
    assert_eq!(
        order_state(&app, id),
        ("paid".to_string(), Some("pi_test_1".to_string()), None)
    );
    let ada = app.logged_in("ada@example.com");
    let page = ada.get(&format!("/orders/{id}"));
    assert_eq!(page.text(".status").as_deref(), Some("Paid"));

    // Stripe redelivers: 200, and the event is recorded once.
    let again = deliver(&app, &body, &signed(&body, unix_now(), SECRET));
    assert_eq!(again.status, 200);
    let recorded: i64 = app
        .db(|conn| payment_events::table.count().get_result(conn))
        .unwrap();
    assert_eq!(recorded, 1);
    assert_eq!(order_state(&app, id).0, "paid");
}

#[test]
fn unsigned_badly_signed_stale_or_malformed_webhooks_are_400_and_change_nothing() {
    let app = shop();
    let (id, total) = placed_order(&app);
    let body = completed("evt_forged", id, total, "eur");
    let now = unix_now();
    let mut tampered = body.replace("pi_test_1", "pi_evil");
    tampered.push(' ');
    for (what, body, header) in [
        ("unsigned", body.clone(), String::new()),
        (
            "another secret",
            body.clone(),
            signed(&body, now, "whsec_other"),
        ),
        // Ten seconds past the 300 s tolerance: a slow run cannot carry it back inside.
        ("stale", body.clone(), signed(&body, now - 310, SECRET)),
        (
            "from the future",
            body.clone(),
            signed(&body, now + 310, SECRET),
        ),
        ("a changed body", tampered, signed(&body, now, SECRET)),
        ("no timestamp", body.clone(), "v1=00".to_string()),
        (
            "not JSON",
            "{oops".to_string(),
            signed("{oops", now, SECRET),
        ),
    ] {
        let answer = deliver(&app, &body, &header);
        assert_eq!(answer.status, 400, "{what}: {}", answer.body);
    }
    assert_eq!(order_state(&app, id), ("pending".to_string(), None, None));
    let recorded: i64 = app
        .db(|conn| payment_events::table.count().get_result(conn))
        .unwrap();
    assert_eq!(recorded, 0);
}

#[test]
fn a_payment_that_does_not_match_the_order_leaves_it_unpaid_and_flagged() {
    let app = shop();
    let (id, total) = placed_order(&app);
    for (event, amount, currency) in [("evt_short", total - 1, "eur"), ("evt_usd", total, "usd")] {
        let body = completed(event, id, amount, currency);
        let answer = deliver(&app, &body, &signed(&body, unix_now(), SECRET));
        assert_eq!(answer.status, 200, "{event}");
        let (status, intent, problem) = order_state(&app, id);
        assert_eq!((status.as_str(), intent), ("pending", None), "{event}");
        let problem = problem.expect("flagged for an admin");
        assert!(problem.starts_with("payment does not match"), "{problem}");
        assert!(problem.contains(currency), "{problem}");
    }
    let admin = app.admin("boss@example.com");
    let page = admin.get(&format!("/admin/orders/{id}"));
    let shown = page
        .text(".payment-problem")
        .expect("the admin sees the problem");
    assert!(shown.contains("payment does not match"), "{shown}");
}

#[test]
fn events_the_shop_does_not_use_are_accepted_and_ignored() {
    let app = shop();
    let (id, total) = placed_order(&app);
    let pending = completed("evt_unpaid", id, total, "eur").replace(r#""paid""#, r#""unpaid""#);
    let refunded = completed("evt_other", id, total, "eur")
        .replace("checkout.session.completed", "charge.refunded");
    for body in [pending, refunded] {
        let answer = deliver(&app, &body, &signed(&body, unix_now(), SECRET));
        assert_eq!(answer.status, 200);
    }
    assert_eq!(order_state(&app, id), ("pending".to_string(), None, None));
}

#[test]
fn without_a_webhook_secret_every_webhook_is_refused() {
    let app = TestApp::spawn();
    let (id, total) = placed_order(&app);
    let body = completed("evt_1", id, total, "usd");
    let answer = deliver(&app, &body, &signed(&body, unix_now(), SECRET));
    assert_eq!(answer.status, 400);
    assert_eq!(order_state(&app, id).0, "pending");
}
