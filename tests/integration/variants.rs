//! Variants: added, edited and archived on the product's edit page; bought one at a time
//! through the product page's menu; their stock taken, raced for and given back per variant,
//! with the product's stock always the sum of its variants'.

use diesel::prelude::*;
use shopfront::domain::account::Role;
use shopfront::models::now;
use shopfront::models::variant::{self, VariantFields};
use shopfront::schema::{audit_log, order_items, product_variants};

use crate::support::shop::{add_to_cart, check_out, check_out_at_once};
use crate::support::{Client, TestApp};

/// Adds a variant straight in the database, keeping the product's stock the sum.
fn add_variant(app: &TestApp, product_id: i32, (name, sku, stock): (&str, &str, i32)) -> i32 {
    app.db(|conn| {
        let fields = VariantFields {
            name,
            sku,
            price_cents: None,
            stock,
        };
        let id = variant::insert(conn, product_id, &fields, now()).expect("insert a variant");
        variant::refresh_product_stock(conn, product_id, now()).expect("sum the stock");
        id
    })
}

fn variant_stock(app: &TestApp, id: i32) -> i32 {
    app.db(|conn| {
        product_variants::table
            .find(id)
            .select(product_variants::stock)
            .first(conn)
            .expect("read the variant's stock")
    })
}

fn audit_actions(app: &TestApp) -> Vec<String> {
    app.db(|conn| {
        audit_log::table
            .filter(audit_log::action.like("variant.%"))
            .order(audit_log::id.asc())
            .select(audit_log::action)
            .load(conn)
            .expect("read the audit log")
    })
}

#[test]
fn an_admin_adds_edits_and_archives_variants_and_the_product_stock_follows() {
    let app = TestApp::spawn();
    let tee = app.product_on_sale("Trail Tee", 1_900, 7);
    let admin = app.admin("admin@example.com");
    let edit = format!("/admin/products/{tee}/edit");
    let add = format!("/admin/products/{tee}/variants");

    let added = admin.submit(
        &edit,
        &add,
        &[
            ("name", "Size M"),
            ("sku", "TEE-M"),
            ("price", ""),
            ("stock", "3"),
        ],
    );
    assert_eq!(added.status, 303, "{}", added.body);
    let added = admin.submit(
        &edit,
        &add,
        &[
            ("name", "Size L"),
            ("sku", "TEE-L"),
            ("price", "21.50"),
            ("stock", "0"),
        ],
    );
    assert_eq!(added.status, 303);
    assert_eq!(
        app.stock_of(tee),
        3,
        "the product's stock is its variants' sum"
    );

    // A taken SKU, a bad price: 400 with the page, the typed values and why.
    let taken = admin.submit(
        &edit,
        &add,
        &[
            ("name", "Size S"),
            ("sku", "TEE-M"),
            ("price", "x"),
            ("stock", "1"),
        ],
    );
    assert_eq!(taken.status, 400);
    let taken = admin.submit(
        &edit,
        &add,
        &[
            ("name", "Size S"),
            ("sku", "TEE-M"),
            ("price", ""),
            ("stock", "1"),
        ],
    );
    assert_eq!(taken.status, 400);
    assert!(taken
        .visible_text()
        .contains("Another product or variant has this SKU"));
    assert_eq!(
        taken.attrs("#new-variant-name", "value"),
        ["Size S"],
        "what was typed"
    );

    // Two admins edit Size M from the same page: the second is refused with 409.
    let (m, l): (i32, i32) = app.db(|conn| {
        let ids: Vec<i32> = product_variants::table
            .filter(product_variants::product_id.eq(tee))
            .order(product_variants::id.asc())
            .select(product_variants::id)
            .load(conn)
            .unwrap();
        (ids[0], ids[1])
    });
    let other = app.admin("other@example.com");
    let page_one = admin.get(&edit);
    let page_two = other.get(&edit);
    let save = format!("/admin/products/{tee}/variants/{m}");
    let saved = admin.submit_on(&page_one, &save, &[("stock", "5")]);
    assert_eq!(saved.status, 303);
    let stale = other.submit_on(&page_two, &save, &[("stock", "9"), ("name", "Medium")]);
    assert_eq!(stale.status, 409);
    assert!(stale
        .visible_text()
        .contains("Someone else saved this variant"));
    assert!(stale.visible_text().contains("Stored now: Size M · TEE-M"));
    assert_eq!(
        stale.attrs(&format!("#variant-{m}-name"), "value"),
        ["Medium"]
    );
    assert_eq!((variant_stock(&app, m), app.stock_of(tee)), (5, 5));
    // Saved again from the 409 page (which carries the new version), it goes through.
    assert_eq!(other.submit_on(&stale, &save, &[]).status, 303);
    assert_eq!((variant_stock(&app, m), app.stock_of(tee)), (9, 9));

    // The product form cannot set a stock of its own any more.
    let form = admin.get(&edit);
    assert_eq!(
        form.attrs("#stock[readonly]", "value"),
        ["9"],
        "the stock field shows the sum, read-only"
    );
    let product_save =
        admin.submit_multipart_on(&form, &format!("/products/{tee}"), &[("stock", "99")], &[]);
    assert_eq!(product_save.status, 303);
    assert_eq!(app.stock_of(tee), 9);

    // Archived, Size L leaves the product page's menu.
    let archived = admin.submit(
        &edit,
        &format!("/admin/products/{tee}/variants/{l}/archive"),
        &[],
    );
    assert_eq!(archived.status, 303);
    let page = app.client().get(&format!("/products/{tee}"));
    let options = page.texts("select[name=variant_id] option");
    assert_eq!(options.len(), 1, "{options:?}");
    assert!(options[0].starts_with("Medium — $19.00"), "{options:?}");
    assert_eq!(
        audit_actions(&app),
        [
            "variant.create",
            "variant.create",
            "variant.update",
            "variant.update",
            "variant.archive"
        ]
    );
}

#[test]
fn a_product_with_variants_is_bought_through_one_and_its_stock_moves_per_variant() {
    let app = TestApp::spawn();
    let tee = app.product_on_sale("Trail Tee", 1_900, 0);
    let m = add_variant(&app, tee, ("Size M", "TEE-M", 3));
    let l = add_variant(&app, tee, ("Size L", "TEE-L", 0));
    let other = app.product_on_sale("Cap", 900, 4);
    let cap = add_variant(&app, other, ("One size", "CAP-1", 4));
    app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");

    let page = ada.get(&format!("/products/{tee}"));
    let options = page.texts("select[name=variant_id] option");
    assert_eq!(
        options,
        [
            "Size M — $19.00 — Only 3 left",
            "Size L — $19.00 — Sold out"
        ]
    );
    assert_eq!(page.attrs("option[disabled]", "value"), [l.to_string()]);

    // Without a variant: 400 with the product page and what to do.
    let none = ada.submit_on(
        &page,
        "/cart/items",
        &[("variant_id", ""), ("quantity", "1")],
    );
    assert_eq!(none.status, 400);
    assert!(none
        .visible_text()
        .contains("Please choose one of the options"));
    // A sold-out variant, another product's variant: refused too.
    let sold_out = ada.submit_on(&page, "/cart/items", &[("variant_id", &l.to_string())]);
    assert_eq!(sold_out.status, 400);
    let elsewhere = ada.submit_on(&page, "/cart/items", &[("variant_id", &cap.to_string())]);
    assert_eq!(elsewhere.status, 400);

    // `variant_id` alone names the product too.
    let added = ada.submit_on(
        &page,
        "/cart/items",
        &[
            ("product_id", ""),
            ("variant_id", &m.to_string()),
            ("quantity", "2"),
        ],
    );
    assert_eq!(added.status, 303, "{}", added.body);
    let cart = ada.get("/cart");
    assert!(cart.visible_text().contains("Trail Tee — Size M"));
    // Over the variant's stock (3), not the product's.
    let over = ada.submit("/cart", &format!("/cart/items/{tee}"), &[("quantity", "4")]);
    assert_eq!(over.status, 400);
    assert_eq!(
        ada.submit("/cart", &format!("/cart/items/{tee}"), &[("quantity", "3")])
            .status,
        303
    );

    let placed = check_out(&ada);
    assert_eq!(placed.status, 303, "{}", placed.body);
    assert_eq!((variant_stock(&app, m), app.stock_of(tee)), (0, 0));
    let (name, variant_id): (String, Option<i32>) = app.db(|conn| {
        order_items::table
            .select((order_items::name, order_items::variant_id))
            .first(conn)
            .unwrap()
    });
    assert_eq!((name.as_str(), variant_id), ("Trail Tee — Size M", Some(m)));
    let order = ada.get(&placed.location().unwrap());
    assert!(order.visible_text().contains("Trail Tee — Size M"));

    // Cancelled, the three go back to Size M (and so to the product).
    let cancelled = ada.submit_on(
        &order,
        &format!("{}/cancel", placed.location().unwrap()),
        &[],
    );
    assert_eq!(cancelled.status, 303);
    assert_eq!((variant_stock(&app, m), app.stock_of(tee)), (3, 3));
    assert_eq!(variant_stock(&app, l), 0);
}

#[test]
fn a_cart_line_of_a_product_that_gained_variants_must_be_chosen_again() {
    let app = TestApp::spawn();
    let tee = app.product_on_sale("Trail Tee", 1_900, 5);
    app.user("ada@example.com", Role::Customer, true);
    let ada = app.logged_in("ada@example.com");
    assert_eq!(add_to_cart(&ada, tee, "1").status, 303);
    add_variant(&app, tee, ("Size M", "TEE-M", 3));
    let cart = ada.get("/cart");
    assert!(cart.visible_text().contains("Now sold in variants"));
    assert!(
        cart.attrs("a[href='/checkout']", "href").is_empty(),
        "no way to check out"
    );
    let page = ada.get("/checkout");
    assert!(page.visible_text().contains("Now sold in variants"));
    assert!(
        page.form_values("/checkout").is_none(),
        "no form to place the order"
    );
    assert_eq!(app.order_count(), 0);
}

#[test]
fn buyers_racing_for_the_last_of_a_variant_make_one_order_and_leave_the_others_alone() {
    let app = TestApp::spawn();
    let tee = app.product_on_sale("Trail Tee", 1_900, 0);
    let m = add_variant(&app, tee, ("Size M", "TEE-M", 1));
    let l = add_variant(&app, tee, ("Size L", "TEE-L", 5));
    let buyers = 12;
    let ready: Vec<(Client, crate::support::client::Page)> = (0..buyers)
        .map(|i| {
            let email = format!("buyer{i}@example.com");
            app.user(&email, Role::Customer, true);
            let client = app.logged_in(&email);
            // Half want the last M, half an L, in one cart each.
            let variant = if i % 2 == 0 { m } else { l };
            let page = client.get(&format!("/products/{tee}"));
            let added = client.submit_on(
                &page,
                "/cart/items",
                &[("variant_id", &variant.to_string())],
            );
            assert_eq!(added.status, 303);
            let page = client.get("/checkout");
            assert_eq!(page.status, 200);
            (client, page)
        })
        .collect();
    let results: Vec<u16> = check_out_at_once(&ready)
        .into_iter()
        .map(|(status, _)| status)
        .collect();
    let placed = results.iter().filter(|s| **s == 303).count();
    // Six want the one M, six the five L's: one M and five L's sell, and the other six
    // buyers hear that theirs sold out.
    assert_eq!(placed, 6, "{results:?}");
    assert_eq!(
        results.iter().filter(|s| **s == 409).count(),
        6,
        "{results:?}"
    );
    assert_eq!((variant_stock(&app, m), variant_stock(&app, l)), (0, 0));
    assert_eq!(app.stock_of(tee), 0, "the sum follows");
    assert_eq!(app.order_count(), 6);
    assert_eq!(app.orders_without_items(), 0);
}

fn import(admin: &Client, file: &[u8]) -> crate::support::client::Page {
    let page = admin.get("/admin/products");
    admin.submit_multipart_on(
        &page,
        "/admin/products/import",
        &[],
        &[("file", "products.csv", "text/csv", file)],
    )
}

#[test]
fn the_csv_has_a_row_per_variant_and_imports_them_by_sku() {
    let app = TestApp::spawn();
    let tee = app.product_on_sale("Trail Tee", 1_900, 0);
    let m = add_variant(&app, tee, ("Size M", "TEE-M", 3));
    add_variant(&app, tee, ("Size L", "TEE-L", 1));
    let admin = app.admin("admin@example.com");
    let export = admin.get("/admin/products.csv");
    let mut reader = csv::Reader::from_reader(export.body.as_bytes());
    let header: Vec<String> = reader.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(&header[7..], ["tax_class", "sku", "variant"]);
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    let shown: Vec<(&str, &str, &str, &str)> = rows
        .iter()
        .map(|r| (r[4].as_str(), r[3].as_str(), r[8].as_str(), r[9].as_str()))
        .collect();
    assert_eq!(
        shown,
        [
            ("4", "19.00", "", ""),
            ("3", "19.00", "TEE-M", "Size M"),
            ("1", "19.00", "TEE-L", "Size L")
        ],
        "the product's own row (its stock the sum), then one per variant"
    );

    // Back in: Size M restocked by SKU alone, a new Size S for the product's id.
    let mut rows = rows;
    rows[1][0] = String::new();
    rows[1][4] = "8".into();
    let mut new = rows[2].clone();
    (new[4], new[8], new[9]) = ("2".into(), "TEE-S".into(), "Size S".into());
    rows.push(new);
    let file = |rows: &[Vec<String>]| {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(&header).unwrap();
        for row in rows {
            writer.write_record(row).unwrap();
        }
        writer.into_inner().unwrap()
    };
    let imported = import(&admin, &file(&rows));
    assert_eq!(imported.status, 303, "{}", imported.body);
    assert_eq!(
        admin.follow(imported).flashes(),
        ["Imported: 0 created, 1 updated, 3 variants."]
    );
    assert_eq!(variant_stock(&app, m), 8);
    assert_eq!(app.stock_of(tee), 11, "8 + 1 + 2");

    // A bad variant row: the whole file is refused, by line, and nothing changes.
    rows[1][4] = "5".into();
    rows[2][8] = "not a sku!".into();
    let refused = import(&admin, &file(&rows));
    assert_eq!(refused.status, 400);
    assert!(
        refused.visible_text().contains("Line 4"),
        "{}",
        refused.visible_text()
    );
    assert_eq!(variant_stock(&app, m), 8);
}
