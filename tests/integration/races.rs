//! Every race the code defends, run for real: the contenders start behind a barrier. On
//! SQLite writers take turns (`BEGIN IMMEDIATE`), so these pass by construction there; CI's
//! PostgreSQL run is where the writes really interleave, under READ COMMITTED.

use diesel::prelude::*;
use shopfront::domain::account::Role;
use shopfront::models::cart::{self, CartOwner};
use shopfront::schema::{orders, products, reviews, users};

use crate::support::client::Page;
use crate::support::shop::{add_to_cart, check_out, set_quantity};
use crate::support::{at_once, Client, Contender, TestApp};

/// Rounds of each race: more rounds, more interleavings tried.
const ROUNDS: usize = 5;

/// The user's cart lines as (product, quantity), and how many carts the user has.
fn user_cart(app: &TestApp, user_id: i32) -> (Vec<(i32, i32)>, i64) {
    app.db(|conn| {
        let carts: i64 = shopfront::schema::carts::table
            .filter(shopfront::schema::carts::user_id.eq(user_id))
            .count()
            .get_result(conn)
            .unwrap();
        let lines = match cart::find(conn, &CartOwner::User(user_id)).unwrap() {
            Some(id) => cart::lines(conn, id)
                .unwrap()
                .into_iter()
                .map(|l| (l.product_id, l.quantity))
                .collect(),
            None => Vec::new(),
        };
        (lines, carts)
    })
}

#[test]
fn two_identical_adds_make_one_cart_holding_both() {
    let app = TestApp::spawn();
    let teapot = app.product_on_sale("Teapot", 2500, 50);
    for round in 0..ROUNDS {
        let email = format!("twin{round}@example.com");
        let user_id = app.user(&email, Role::Customer, true);
        let client = app.logged_in(&email);
        let page = client.get(&format!("/products/{teapot}"));
        let add = || {
            client
                .submit_on(&page, "/cart/items", &[("quantity", "1")])
                .status
        };
        assert_eq!(at_once(vec![Box::new(add), Box::new(add)]), [303, 303]);
        assert_eq!(
            user_cart(&app, user_id),
            (vec![(teapot, 2)], 1),
            "round {round}"
        );
    }
}

#[test]
fn two_changes_to_one_line_lose_nothing() {
    let app = TestApp::spawn();
    let teapot = app.product_on_sale("Teapot", 2500, 50);
    for round in 0..ROUNDS {
        let email = format!("shopper{round}@example.com");
        let user_id = app.user(&email, Role::Customer, true);
        let client = app.logged_in(&email);
        assert_eq!(add_to_cart(&client, teapot, "1").status, 303);
        // Two adds to the line: both units count.
        let page = client.get(&format!("/products/{teapot}"));
        let add = || {
            client
                .submit_on(&page, "/cart/items", &[("quantity", "2")])
                .status
        };
        assert_eq!(at_once(vec![Box::new(add), Box::new(add)]), [303, 303]);
        assert_eq!(
            user_cart(&app, user_id),
            (vec![(teapot, 5)], 1),
            "round {round}"
        );
        // Two settings of the line: one of them, whole.
        let cart_page = client.get("/cart");
        let set = |n: &'static str| {
            let (client, cart_page) = (&client, &cart_page);
            move || {
                client
                    .submit_on(
                        cart_page,
                        &format!("/cart/items/{teapot}"),
                        &[("quantity", n)],
                    )
                    .status
            }
        };
        assert_eq!(
            at_once(vec![Box::new(set("3")), Box::new(set("7"))]),
            [303, 303]
        );
        let (lines, carts) = user_cart(&app, user_id);
        assert_eq!(carts, 1);
        assert!(
            lines == [(teapot, 3)] || lines == [(teapot, 7)],
            "round {round}: {lines:?}"
        );
        assert_eq!(set_quantity(&client, teapot, "0").status, 303);
    }
}

#[test]
fn two_identical_review_posts_make_one_review() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2500, 5);
    for round in 0..ROUNDS {
        let email = format!("critic{round}@example.com");
        let client = app.customer(&email);
        let page = client.get(&format!("/products/{lamp}"));
        let post = || {
            client
                .submit_on(
                    &page,
                    &format!("/products/{lamp}/reviews"),
                    &[("rating", "4"), ("body", "Bright.")],
                )
                .status
        };
        assert_eq!(at_once(vec![Box::new(post), Box::new(post)]), [303, 303]);
    }
    let (stored, rated): (i64, (i32, i32)) = app.db(|conn| {
        let stored = reviews::table.count().get_result(conn).unwrap();
        let rated = products::table
            .find(lamp)
            .select((products::rating_sum, products::rating_count))
            .first(conn)
            .unwrap();
        (stored, rated)
    });
    assert_eq!(stored, ROUNDS as i64, "one review per user");
    assert_eq!(rated, (4 * ROUNDS as i32, ROUNDS as i32));
}

#[test]
fn reviews_of_one_product_posted_at_once_are_all_counted() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2500, 5);
    let critics: Vec<(Client, Page)> = (0..6)
        .map(|n| {
            let client = app.customer(&format!("critic{n}@example.com"));
            let page = client.get(&format!("/products/{lamp}"));
            (client, page)
        })
        .collect();
    let posts: Vec<Contender<'_, u16>> = critics
        .iter()
        .enumerate()
        .map(|(n, (client, page))| {
            let rating = ((n % 5) + 1).to_string();
            Box::new(move || {
                client
                    .submit_on(
                        page,
                        &format!("/products/{lamp}/reviews"),
                        &[("rating", &rating), ("body", "Fine.")],
                    )
                    .status
            }) as Contender<'_, u16>
        })
        .collect();
    assert!(at_once(posts).iter().all(|s| *s == 303));
    let rated: (i32, i32) = app
        .db(|conn| {
            products::table
                .find(lamp)
                .select((products::rating_sum, products::rating_count))
                .first(conn)
        })
        .unwrap();
    assert_eq!(
        rated,
        (1 + 2 + 3 + 4 + 5 + 1, 6),
        "the kept sum and count miss none"
    );
}

#[test]
fn two_sign_ups_for_one_address_make_one_account() {
    let app = TestApp::spawn();
    let forms: Vec<(Client, Page)> = (0..2)
        .map(|_| {
            let client = app.client();
            let page = client.get("/signup");
            (client, page)
        })
        .collect();
    let sign_ups: Vec<Contender<'_, (u16, Option<String>)>> = forms
        .iter()
        .map(|(client, page)| {
            Box::new(move || {
                let answer = client.submit_on(
                    page,
                    "/signup",
                    &[
                        ("email", "ada@example.com"),
                        ("password", "violet tractor moonlight"),
                        ("password_confirm", "violet tractor moonlight"),
                    ],
                );
                (answer.status, answer.location())
            }) as Contender<'_, (u16, Option<String>)>
        })
        .collect();
    let answers = at_once(sign_ups);
    assert_eq!(answers[0], answers[1], "both are answered alike");
    assert_eq!(answers[0], (303, Some("/login".to_string())));
    let accounts: i64 = app
        .db(|conn| {
            users::table
                .filter(users::email.eq("ada@example.com"))
                .count()
                .get_result(conn)
        })
        .unwrap();
    assert_eq!(accounts, 1);
    let mut subjects: Vec<String> = app
        .mails_to("ada@example.com")
        .into_iter()
        .map(|m| m.subject)
        .collect();
    subjects.sort();
    assert_eq!(
        subjects,
        [
            "Confirm your e-mail address",
            "Someone tried to sign up with your address"
        ]
    );
}

/// A pending order of one teapot for a new customer; the customer's client and its id.
fn pending_order(app: &TestApp, teapot: i32, n: usize) -> (Client, i32) {
    let client = app.customer(&format!("buyer{n}@example.com"));
    assert_eq!(add_to_cart(&client, teapot, "1").status, 303);
    let placed = check_out(&client);
    assert_eq!(placed.status, 303, "{}", placed.body);
    let id = placed
        .location()
        .and_then(|to| to.trim_start_matches("/orders/").parse().ok())
        .expect("the new order's page");
    (client, id)
}

fn status_of(app: &TestApp, order: i32) -> String {
    app.db(|conn| orders::table.find(order).select(orders::status).first(conn))
        .unwrap()
}

#[test]
fn a_customer_cancel_racing_an_admin_status_change_wins_or_loses_whole() {
    let app = TestApp::spawn();
    let teapot = app.product_on_sale("Teapot", 2500, 100);
    let admin = app.admin("boss@example.com");
    for (round, admin_says) in ["paid", "cancelled"]
        .iter()
        .cycle()
        .take(2 * ROUNDS)
        .enumerate()
    {
        let (customer, order) = pending_order(&app, teapot, round);
        let stock_after_sale = app.stock_of(teapot);
        let order_page = customer.get(&format!("/orders/{order}"));
        let admin_page = admin.get(&format!("/admin/orders/{order}"));
        let cancel = || {
            customer
                .submit_on(&order_page, &format!("/orders/{order}/cancel"), &[])
                .status
        };
        let change = || {
            admin
                .submit_on(
                    &admin_page,
                    &format!("/admin/orders/{order}/status"),
                    &[("status", admin_says)],
                )
                .status
        };
        let answers = at_once(vec![Box::new(cancel), Box::new(change)]);
        let status = status_of(&app, order);
        let stock = app.stock_of(teapot);
        match status.as_str() {
            "cancelled" => assert_eq!(stock, stock_after_sale + 1, "round {round}: restocked once"),
            "paid" => {
                assert_eq!(stock, stock_after_sale, "round {round}: not restocked");
                assert_ne!(
                    answers[0], 303,
                    "round {round}: the cancel lost: {answers:?}"
                );
            }
            other => panic!("round {round}: {other} after {answers:?}"),
        }
    }
}

#[test]
fn two_admins_saving_one_product_from_one_version_get_one_409() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2500, 5);
    let (first, second) = (app.admin("one@example.com"), app.admin("two@example.com"));
    for round in 0..ROUNDS {
        let path = format!("/admin/products/{lamp}/edit");
        let (form_one, form_two) = (first.get(&path), second.get(&path));
        let save = |admin: &'static str| {
            let (client, form) = if admin == "one" {
                (&first, &form_one)
            } else {
                (&second, &form_two)
            };
            move || {
                let price = if admin == "one" { "11.00" } else { "22.00" };
                client
                    .submit_multipart_on(
                        form,
                        &format!("/products/{lamp}"),
                        &[("price", price)],
                        &[],
                    )
                    .status
            }
        };
        let mut answers = at_once(vec![Box::new(save("one")), Box::new(save("two"))]);
        let (price, version): (i64, i32) = app
            .db(|conn| {
                products::table
                    .find(lamp)
                    .select((products::price_cents, products::version))
                    .first(conn)
            })
            .unwrap();
        let winner = if answers[0] == 303 { 1100 } else { 2200 };
        answers.sort();
        assert_eq!(answers, [303, 409], "round {round}");
        assert_eq!(price, winner, "round {round}: the one saved is stored");
        assert_eq!(
            version,
            round as i32 + 2,
            "round {round}: one save, one version"
        );
    }
}

/// A CSV file that renames product `id` to `name` and then creates `new` products.
fn import_file(id: i32, name: &str, new: usize) -> Vec<u8> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer
        .write_record([
            "id",
            "name",
            "category",
            "price",
            "stock",
            "status",
            "description",
        ])
        .unwrap();
    writer
        .write_record([
            &id.to_string(),
            name,
            "desk-lamp",
            "25.00",
            "5",
            "active",
            "",
        ])
        .unwrap();
    for n in 0..new {
        writer
            .write_record([
                "",
                &format!("Imported {n}"),
                "desk-lamp",
                "1.00",
                "1",
                "active",
                "",
            ])
            .unwrap();
    }
    writer.into_inner().unwrap()
}

fn product_count(app: &TestApp) -> i64 {
    app.db(crate::support::shop::product_count)
}

fn name_of(app: &TestApp, id: i32) -> String {
    app.db(|conn| products::table.find(id).select(products::name).first(conn))
        .unwrap()
}

#[test]
fn an_import_racing_a_product_save_is_all_or_nothing() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2500, 5);
    let admin = app.admin("boss@example.com");
    let editor = app.admin("editor@example.com");
    for round in 0..ROUNDS {
        let before = product_count(&app);
        let list = admin.get("/admin/products");
        let edit = editor.get(&format!("/admin/products/{lamp}/edit"));
        let file = import_file(lamp, &format!("Imported lamp {round}"), 60);
        let saved_name = format!("Saved lamp {round}");
        let import = || {
            let answer = admin.submit_multipart_on(
                &list,
                "/admin/products/import",
                &[],
                &[("file", "products.csv", "text/csv", &file)],
            );
            (answer.status, answer.body)
        };
        let save = || {
            let answer = editor.submit_multipart_on(
                &edit,
                &format!("/products/{lamp}"),
                &[("name", &saved_name)],
                &[],
            );
            (answer.status, answer.body)
        };
        let answers = at_once(vec![Box::new(import), Box::new(save)]);
        let (imported, saved) = (&answers[0], &answers[1]);
        let name = name_of(&app, lamp);
        match imported.0 {
            303 => {
                assert_eq!(
                    name,
                    format!("Imported lamp {round}"),
                    "round {round}: {saved:?}"
                );
                assert_eq!(product_count(&app), before + 60);
            }
            400 => {
                assert!(
                    imported.1.contains("Line 2"),
                    "round {round}: {}",
                    imported.1
                );
                assert_eq!(name, saved_name, "round {round}");
                assert_eq!(
                    product_count(&app),
                    before,
                    "round {round}: nothing imported"
                );
            }
            other => panic!("round {round}: the import answered {other}"),
        }
        assert!(matches!(saved.0, 303 | 409), "round {round}: {}", saved.0);
    }
}

#[test]
fn an_import_meeting_a_save_that_commits_meanwhile_writes_nothing() {
    use diesel::connection::SimpleConnection;

    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2500, 5);
    let admin = app.admin("boss@example.com");
    let list = admin.get("/admin/products");
    let before = product_count(&app);
    // Another admin's save, held open: its row is locked (and on SQLite, every write).
    let mut save = app.state.pool.get().unwrap();
    let begin = if app.is_postgres() {
        "BEGIN"
    } else {
        "BEGIN IMMEDIATE"
    };
    save.batch_execute(begin).unwrap();
    diesel::update(products::table.find(lamp))
        .set((
            products::name.eq("Saved lamp"),
            products::version.eq(products::version + 1),
        ))
        .execute(&mut *save)
        .unwrap();
    let file = import_file(lamp, "Imported lamp", 20);
    let answer = std::thread::scope(|scope| {
        let import = scope.spawn(|| {
            admin.submit_multipart_on(
                &list,
                "/admin/products/import",
                &[],
                &[("file", "products.csv", "text/csv", &file)],
            )
        });
        if app.is_postgres() {
            // The import has read the lamp's version and now waits for the save's lock.
            crate::support::eventually("the import to wait for the save", || {
                let waiting: i64 = app
                    .db(|conn| {
                        diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                            "(SELECT count(*) FROM pg_stat_activity \
                             WHERE datname = current_database() AND wait_event_type = 'Lock')",
                        ))
                        .get_result(conn)
                    })
                    .unwrap();
                (waiting > 0).then_some(())
            });
        }
        save.batch_execute("COMMIT").unwrap();
        import.join().unwrap()
    });
    if app.is_postgres() {
        // Read before the save committed, written after: the row cannot be written as read.
        assert_eq!(answer.status, 400, "{}", answer.body);
        assert!(answer.visible_text().contains("Line 2"), "{}", answer.body);
        assert!(answer.visible_text().contains("saved by someone else"));
        assert_eq!(name_of(&app, lamp), "Saved lamp");
        assert_eq!(product_count(&app), before, "nothing imported");
    } else {
        // SQLite's import waited for the save to end before reading anything.
        assert_eq!(answer.status, 303, "{}", answer.body);
        assert_eq!(name_of(&app, lamp), "Imported lamp");
        assert_eq!(product_count(&app), before + 20);
    }
}
