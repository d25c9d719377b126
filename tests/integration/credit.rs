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
