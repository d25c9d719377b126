//! Store credit granted and corrected by admins: the balance never goes below zero, every
//! change leaves a ledger entry the customer reads and an audit row.

use diesel::prelude::*;
use shopfront::domain::account::Role;
use shopfront::schema::{audit_log, credit_ledger, users};

use crate::support::{at_once, TestApp};

/// The stored balance of `email`, in cents.
fn balance(app: &TestApp, email: &'static str) -> i64 {
    app.db(|conn| {
        users::table
            .filter(users::email.eq(email))
            .select(users::credit_cents)
            .first(conn)
    })
    .unwrap()
}

#[test]
fn an_admin_grants_credit_and_the_customer_reads_it_with_its_reason() {
    let app = TestApp::spawn();
    let ada = app.user("ada@example.com", Role::Customer, true);
    let admin = app.admin("boss@example.com");
    let users_page = admin.get("/admin/users");
    let action = format!("/admin/users/{ada}/credit");
    let granted = admin.submit_on(
        &users_page,
        &action,
        &[
            ("amount", "25.00"),
            ("reason", "Sorry about the late parcel"),
        ],
    );
    assert_eq!(granted.status, 303, "{}", granted.body);
    let after = admin.get("/admin/users");
    assert!(
        after.flashes()[0].contains("$25.00"),
        "{:?}",
        after.flashes()
    );
    let taken = admin.submit_on(&after, &action, &[("amount", "-5"), ("reason", "Typo")]);
    assert_eq!(taken.status, 303);
    assert_eq!(balance(&app, "ada@example.com"), 2000);

    let customer = app.logged_in("ada@example.com");
    let page = customer.get("/account/credit");
    assert_eq!(page.status, 200);
    assert_eq!(page.text(".credit-balance").as_deref(), Some("$20.00"));
    assert_eq!(
        page.texts(".ledger .reason"),
        ["Typo", "Sorry about the late parcel"]
    );
    assert_eq!(page.texts(".ledger .amount"), ["-$5.00", "+$25.00"]);
    let audited: Vec<(String, String)> = app
        .db(|conn| {
            audit_log::table
                .filter(audit_log::action.eq("user.credit"))
                .order(audit_log::id.asc())
                .select((audit_log::note, audit_log::changes))
                .load(conn)
        })
        .unwrap();
    assert_eq!(audited.len(), 2);
    assert_eq!(audited[0].0, "Sorry about the late parcel");
    assert!(
        audited[1].1.contains("25.00") && audited[1].1.contains("20.00"),
        "{audited:?}"
    );
}

#[test]
fn credit_never_goes_below_zero_and_bad_input_changes_nothing() {
    let app = TestApp::spawn();
    let ada = app.user("ada@example.com", Role::Customer, true);
    let admin = app.admin("boss@example.com");
    let page = admin.get("/admin/users");
    let action = format!("/admin/users/{ada}/credit");
    assert_eq!(
        admin
            .submit_on(&page, &action, &[("amount", "10"), ("reason", "Goodwill")])
            .status,
        303
    );
    for (amount, reason, says) in [
        ("-10.01", "Correction", "below zero"),
        ("0", "Nothing", "other than zero"),
        ("ten", "Words", "like 25.00"),
        ("5", "  ", "reason"),
        ("1.001", "Too precise", "two decimal places"),
    ] {
        let refused = admin.submit_on(&page, &action, &[("amount", amount), ("reason", reason)]);
        assert_eq!(refused.status, 400, "{amount:?}");
        assert!(
            refused.form_errors().iter().any(|e| e.contains(says)),
            "{amount:?}: {:?}",
            refused.form_errors()
        );
    }
    assert_eq!(balance(&app, "ada@example.com"), 1000);
    let entries: i64 = app
        .db(|conn| credit_ledger::table.count().get_result(conn))
        .unwrap();
    assert_eq!(entries, 1);
    // To exactly zero is allowed.
    assert_eq!(
        admin
            .submit_on(
                &page,
                &action,
                &[("amount", "-10.00"), ("reason", "Spent elsewhere")]
            )
            .status,
        303
    );
    assert_eq!(balance(&app, "ada@example.com"), 0);
    let token = page.attrs("input[name=csrf_token]", "value").remove(0);
    let fields = [
        ("amount", "1"),
        ("reason", "x"),
        ("csrf_token", token.as_str()),
    ];
    assert_eq!(
        admin
            .post_form("/admin/users/999999/credit", &fields)
            .status,
        404
    );
}

#[test]
fn only_admins_change_credit_and_only_its_owner_reads_it() {
    let app = TestApp::spawn();
    let ada = app.user("ada@example.com", Role::Customer, true);
    let customer = app.logged_in("ada@example.com");
    let page = customer.get("/account");
    let token = page.attrs("input[name=csrf_token]", "value").remove(0);
    let tried = customer.post_form(
        &format!("/admin/users/{ada}/credit"),
        &[
            ("amount", "100"),
            ("reason", "Mine now"),
            ("csrf_token", &token),
        ],
    );
    assert_eq!(tried.status, 403);
    assert_eq!(balance(&app, "ada@example.com"), 0);
    let empty = customer.get("/account/credit");
    assert_eq!(empty.text(".credit-balance").as_deref(), Some("$0.00"));
    let anonymous = app.client().get("/account/credit");
    assert_eq!(anonymous.status, 303);
    assert!(anonymous.location().unwrap().starts_with("/login"));
}

#[test]
fn two_corrections_at_once_cannot_overdraw_the_balance() {
    let app = TestApp::spawn();
    let ada = app.user("ada@example.com", Role::Customer, true);
    let first = app.admin("boss@example.com");
    app.user("second@example.com", Role::Admin, true);
    let second = app.logged_in("second@example.com");
    let action = format!("/admin/users/{ada}/credit");
    for round in 0..5 {
        let page = first.get("/admin/users");
        let grant = first.submit_on(&page, &action, &[("amount", "20"), ("reason", "Top up")]);
        assert_eq!(grant.status, 303);
        let (page_one, page_two) = (first.get("/admin/users"), second.get("/admin/users"));
        let take = |client: &crate::support::Client, page| {
            client
                .submit_on(
                    page,
                    &action,
                    &[("amount", "-15"), ("reason", "Correction")],
                )
                .status
        };
        let mut statuses = at_once(vec![
            Box::new(|| take(&first, &page_one)),
            Box::new(|| take(&second, &page_two)),
        ]);
        statuses.sort_unstable();
        assert_eq!(statuses, [303, 400], "round {round}");
        // 20 granted, 15 taken: 5 left, then the rest taken for the next round.
        assert_eq!(balance(&app, "ada@example.com"), 500, "round {round}");
        let page = first.get("/admin/users");
        let reset = first.submit_on(&page, &action, &[("amount", "-5"), ("reason", "Reset")]);
        assert_eq!(reset.status, 303);
    }
    let amounts: Vec<i64> = app
        .db(|conn| {
            credit_ledger::table
                .select(credit_ledger::amount_cents)
                .load(conn)
        })
        .unwrap();
    assert_eq!(
        amounts.iter().sum::<i64>(),
        balance(&app, "ada@example.com")
    );
}

mod paying {
    //! Paying an order with store credit, or by bank transfer, at checkout.

    use diesel::prelude::*;
    use shopfront::domain::account::Role;
    use shopfront::schema::{cart_items, credit_ledger, orders};

    use super::balance;
    use crate::support::client::Page;
    use crate::support::shop::{add_to_cart, ADDRESS};
    use crate::support::{at_once, Client, TestApp};

    /// Ada with `credit` cents of store credit and a Brass Lamp (49.90) in her cart.
    fn ada_with_credit(app: &TestApp, credit: &str) -> Client {
        let ada = app.user("ada@example.com", Role::Customer, true);
        let admin = app.admin("boss@example.com");
        let page = admin.get("/admin/users");
        let fields = [("amount", credit), ("reason", "Welcome")];
        let granted = admin.submit_on(&page, &format!("/admin/users/{ada}/credit"), &fields);
        assert_eq!(granted.status, 303);
        let client = app.logged_in("ada@example.com");
        let lamp = app.product_on_sale("Brass Lamp", 4990, 5);
        assert_eq!(add_to_cart(&client, lamp, "1").status, 303);
        client
    }

    /// The one product of the shop.
    fn the_lamp(app: &TestApp) -> i32 {
        app.db(|conn| {
            shopfront::schema::products::table
                .select(shopfront::schema::products::id)
                .first(conn)
        })
        .unwrap()
    }

    /// Places the order from the checkout page, paying with `method`.
    fn pay_with(client: &Client, method: &str) -> Page {
        let page = client.get("/checkout");
        let mut fields = ADDRESS.to_vec();
        fields.push(("payment_method", method));
        client.submit_on(&page, "/checkout", &fields)
    }

    fn orders_placed(app: &TestApp) -> Vec<(i32, String, String)> {
        app.db(|conn| {
            orders::table
                .select((orders::id, orders::status, orders::payment_method))
                .load(conn)
        })
        .unwrap()
    }

    #[test]
    fn store_credit_pays_the_order_at_once() {
        let app = TestApp::spawn();
        let ada = ada_with_credit(&app, "100.00");
        let checkout = ada.get("/checkout");
        assert_eq!(
            checkout.attrs("input[name=payment_method][checked]", "value"),
            ["bank_transfer"],
            "the first enabled method is chosen"
        );
        let placed = pay_with(&ada, "store_credit");
        assert_eq!(placed.status, 303, "{}", placed.body);
        let orders = orders_placed(&app);
        let [(id, status, method)] = orders.as_slice() else {
            panic!("{orders:?}")
        };
        assert_eq!((status.as_str(), method.as_str()), ("paid", "store_credit"));
        assert_eq!(balance(&app, "ada@example.com"), 10_000 - 4990);
        let debit: (i64, Option<i32>) = app
            .db(|conn| {
                credit_ledger::table
                    .filter(credit_ledger::amount_cents.lt(0))
                    .select((credit_ledger::amount_cents, credit_ledger::order_id))
                    .first(conn)
            })
            .unwrap();
        assert_eq!(debit, (-4990, Some(*id)));
        let page = ada.get(&format!("/orders/{id}"));
        assert_eq!(
            page.text(".payment-method").as_deref(),
            Some("Store credit")
        );
        assert_eq!(page.text(".status").as_deref(), Some("Paid"));
        let credit = ada.get("/account/credit");
        assert_eq!(credit.attrs(".ledger a", "href"), [format!("/orders/{id}")]);
    }

    #[test]
    fn store_credit_never_overdraws_and_nothing_is_placed() {
        let app = TestApp::spawn();
        let ada = ada_with_credit(&app, "10.00");
        let refused = pay_with(&ada, "store_credit");
        assert_eq!(refused.status, 400);
        let errors = refused.form_errors().join(" ");
        assert!(
            errors.contains("$10.00") && errors.contains("$49.90"),
            "{errors}"
        );
        assert!(orders_placed(&app).is_empty());
        assert_eq!(balance(&app, "ada@example.com"), 1000);
        let lines: i64 = app
            .db(|conn| cart_items::table.count().get_result(conn))
            .unwrap();
        assert_eq!(lines, 1, "the cart is kept");
    }

    #[test]
    fn store_credit_pays_at_most_the_daily_limit() {
        let app = TestApp::spawn_with(&[("STORE_CREDIT_DAILY_LIMIT_CENTS", "5000")]);
        let ada = ada_with_credit(&app, "200.00");
        assert_eq!(pay_with(&ada, "store_credit").status, 303);
        let lamp = the_lamp(&app);
        assert_eq!(add_to_cart(&ada, lamp, "1").status, 303);
        let refused = pay_with(&ada, "store_credit");
        assert_eq!(refused.status, 400);
        let errors = refused.form_errors().join(" ");
        assert!(errors.contains("at most $0.10 more today"), "{errors}");
        assert_eq!(orders_placed(&app).len(), 1);
        assert_eq!(balance(&app, "ada@example.com"), 20_000 - 4990);
        // Another way to pay still works.
        assert_eq!(pay_with(&ada, "bank_transfer").status, 303);
    }

    #[test]
    fn a_payment_method_must_be_chosen_among_those_enabled() {
        let app = TestApp::spawn_with(&[("PAYMENT_METHODS", "bank_transfer")]);
        let ada = ada_with_credit(&app, "100.00");
        assert_eq!(
            ada.get("/checkout")
                .attrs("input[name=payment_method]", "value"),
            ["bank_transfer"]
        );
        for method in ["store_credit", "card", "", "cash"] {
            let refused = pay_with(&ada, method);
            assert_eq!(refused.status, 400, "{method:?}");
            assert!(
                refused
                    .form_errors()
                    .iter()
                    .any(|e| e == "Choose how to pay."),
                "{method:?}: {:?}",
                refused.form_errors()
            );
        }
        assert!(orders_placed(&app).is_empty());
        assert_eq!(balance(&app, "ada@example.com"), 10_000);
    }

    #[test]
    fn a_bank_transfer_order_waits_and_says_where_to_pay() {
        let details = "Shopfront Ltd, IBAN DE00 1234 5678";
        let app = TestApp::spawn_with(&[("BANK_TRANSFER_DETAILS", details)]);
        let ada = ada_with_credit(&app, "1.00");
        let placed = pay_with(&ada, "bank_transfer");
        let order = placed.location().expect("the order's page");
        let id = order.rsplit('/').next().unwrap().to_string();
        let page = ada.get(&order);
        assert_eq!(page.text(".status").as_deref(), Some("Pending"));
        let said = page.text(".bank-transfer").expect("payment instructions");
        assert!(
            said.contains(details) && said.contains(&format!("Order {id}")),
            "{said}"
        );
        let mails = app.mails_to("ada@example.com");
        let placed_mail = mails.last().expect("the order mail");
        assert!(placed_mail.body.contains(details), "{}", placed_mail.body);
        assert_eq!(balance(&app, "ada@example.com"), 100);
    }

    #[test]
    fn two_checkouts_at_once_spend_the_credit_once() {
        let app = TestApp::spawn();
        let first = ada_with_credit(&app, "49.90");
        let second = app.logged_in("ada@example.com");
        let admin = app.logged_in("boss@example.com");
        let lamp = the_lamp(&app);
        for round in 1..=3 {
            if round > 1 {
                let ada = app
                    .db(|conn| shopfront::models::user::find_by_email(conn, "ada@example.com"))
                    .unwrap()
                    .unwrap()
                    .id;
                let page = admin.get("/admin/users");
                let fields = [("amount", "49.90"), ("reason", "Top up")];
                let top_up = admin.submit_on(&page, &format!("/admin/users/{ada}/credit"), &fields);
                assert_eq!(top_up.status, 303);
                assert_eq!(add_to_cart(&first, lamp, "1").status, 303);
            }
            let (page_one, page_two) = (first.get("/checkout"), second.get("/checkout"));
            let place = |client: &Client, page: &Page| {
                let mut fields = ADDRESS.to_vec();
                fields.push(("payment_method", "store_credit"));
                client.submit_on(page, "/checkout", &fields).status
            };
            at_once(vec![
                Box::new(|| place(&first, &page_one)),
                Box::new(|| place(&second, &page_two)),
            ]);
            // One lamp in the cart, credit for one: one order a round, paid once.
            assert_eq!(orders_placed(&app).len(), round, "round {round}");
            assert_eq!(balance(&app, "ada@example.com"), 0, "round {round}");
        }
    }
}
