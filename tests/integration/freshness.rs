//! Conditional GET on catalogue pages: an anonymous visitor's copy is confirmed with a 304 until
//! the catalogue changes, on this instance at once and from elsewhere within a second.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use shopfront::domain::account::Role;
use shopfront::schema::products;

use crate::support::client::Page;
use crate::support::{eventually, Client, TestApp};

/// The page's validator, which every anonymous catalogue page carries.
fn etag(page: &Page) -> String {
    page.header("etag")
        .unwrap_or_else(|| panic!("an ETag on {:?}", page.headers))
        .to_string()
}

/// `path` again, offering the copy tagged `tag`.
fn revalidate(client: &Client, path: &str, tag: &str) -> Page {
    client.request("GET", path, &[("If-None-Match", tag)], Vec::new())
}

#[test]
fn an_unchanged_catalogue_page_is_confirmed_with_a_304_and_no_body() {
    let app = TestApp::spawn();
    let id = app.product_on_sale("Desk Lamp", 2_500, 10);
    let visitor = app.client();
    for path in [
        "/",
        "/products",
        "/products?category=desk-lamp",
        &format!("/products/{id}"),
    ] {
        let first = visitor.get(path);
        assert_eq!(first.status, 200, "{path}");
        assert_eq!(first.header("cache-control"), Some("no-cache"), "{path}");
        let tag = etag(&first);
        assert!(tag.starts_with("W/\""), "a weak tag: {tag}");

        let again = revalidate(&visitor, path, &tag);
        assert_eq!(again.status, 304, "{path}");
        assert!(again.bytes.is_empty(), "a 304 has no body");
        assert_eq!(again.header("etag"), Some(tag.as_str()));

        let other = revalidate(&visitor, path, "W/\"c0-0000000000000000\"");
        assert_eq!(other.status, 200, "another tag gets the page: {path}");
    }
    // Each address is its own page.
    let list = etag(&visitor.get("/products"));
    let second = revalidate(&visitor, "/products?sort=price_asc", &list);
    assert_eq!(second.status, 200);
}

#[test]
fn a_price_change_on_this_instance_ends_the_304s_at_once() {
    let app = TestApp::spawn();
    let id = app.product_on_sale("Desk Lamp", 2_500, 10);
    let visitor = app.client();
    let path = format!("/products/{id}");
    let first = visitor.get(&path);
    let tag = etag(&first);
    assert!(first.body.contains("25.00"));

    let admin = app.admin("boss@example.com");
    let form = admin.get(&format!("/admin/products/{id}/edit"));
    let saved = admin.submit_multipart_on(&form, &path, &[("price", "27.50")], &[]);
    assert_eq!(saved.status, 303);

    let after = revalidate(&visitor, &path, &tag);
    assert_eq!(after.status, 200, "the old copy is not confirmed");
    assert!(after.body.contains("27.50"), "the new price is shown");
    assert_ne!(etag(&after), tag);
    // A visitor with no copy of their own is not served the page kept before the change.
    let newcomer = app.client().get(&path);
    assert!(newcomer.body.contains("27.50"), "{}", newcomer.body);
    assert!(!newcomer.body.contains("25.00"));
}

#[test]
fn a_kept_page_carries_each_visitors_own_token() {
    let app = TestApp::spawn();
    let id = app.product_on_sale("Desk Lamp", 2_500, 10);
    let path = format!("/products/{id}");
    let placeholder = shopfront::web::page_cache::token_placeholder();
    let visitors: Vec<Client> = (0..3).map(|_| app.client()).collect();
    let pages: Vec<Page> = visitors.iter().map(|v| v.get(&path)).collect();
    assert_eq!(app.state.pages.size().0, 1, "one page kept for all three");
    for (visitor, page) in visitors.iter().zip(&pages) {
        assert!(!page.body.contains(placeholder), "{}", page.body);
        let added = visitor.submit_on(
            page,
            "/cart/items",
            &[("product_id", &id.to_string()), ("quantity", "1")],
        );
        assert_eq!(added.status, 303, "{}", added.body);
    }
    // Each browser's cart holds its own line: the tokens were each visitor's.
    for visitor in &visitors {
        let cart = visitor.get("/cart");
        assert_eq!(cart.texts("table.lines tbody tr").len(), 1, "{}", cart.body);
    }
}

#[test]
fn a_stock_change_made_elsewhere_ends_the_304s_within_a_second() {
    let app = TestApp::spawn();
    let id = app.product_on_sale("Desk Lamp", 2_500, 10);
    let visitor = app.client();
    let path = format!("/products/{id}");
    let tag = etag(&visitor.get(&path));
    assert_eq!(revalidate(&visitor, &path, &tag).status, 304);

    // Another instance (or a command) sells the last lamps: this one hears only the database.
    let written = Instant::now();
    diesel::update(products::table.find(id))
        .set(products::stock.eq(0))
        .execute(&mut app.elsewhere())
        .expect("sell out");
    let fresh = eventually("the page to change", || {
        let page = revalidate(&visitor, &path, &tag);
        (page.status == 200).then_some(page)
    });
    assert!(
        written.elapsed() < Duration::from_secs(2),
        "seen after {:?}",
        written.elapsed()
    );
    assert!(fresh.body.contains("Sold out"), "{}", fresh.body);
    // A page kept before the sale is not served either.
    let newcomer = app.client().get(&path);
    assert!(newcomer.body.contains("Sold out"), "{}", newcomer.body);
}

#[test]
fn pages_showing_the_visitors_own_things_carry_no_tag_and_stay_private() {
    let app = TestApp::spawn();
    let id = app.product_on_sale("Desk Lamp", 2_500, 10);
    app.user("ada@example.com", Role::Customer, true);
    let customer = app.logged_in("ada@example.com");
    let page = customer.get(&format!("/products/{id}"));
    assert_eq!(page.status, 200);
    assert_eq!(page.header("etag"), None);
    assert_eq!(page.header("cache-control"), Some("private, no-cache"));

    // A guest with a cart sees its count in the header.
    let guest = app.client();
    let product = guest.get(&format!("/products/{id}"));
    let tag = etag(&product);
    let added = guest.submit_on(
        &product,
        "/cart/items",
        &[("product_id", &id.to_string()), ("quantity", "1")],
    );
    assert_eq!(added.status, 303);
    let with_cart = revalidate(&guest, "/products", &tag);
    assert_eq!(with_cart.status, 200);
    assert_eq!(with_cart.header("etag"), None);
}

#[test]
fn another_browsers_copy_is_never_confirmed() {
    let app = TestApp::spawn();
    let id = app.product_on_sale("Desk Lamp", 2_500, 10);
    let path = format!("/products/{id}");
    let one = app.client();
    let tag = etag(&one.get(&path));
    assert_eq!(revalidate(&one, &path, &tag).status, 304);
    // Its forms carry another token: a shared cache must not hand it the first one's copy.
    let other = app.client();
    other.get("/");
    assert_eq!(revalidate(&other, &path, &tag).status, 200);
}

#[test]
fn a_sale_moves_the_catalogue_version_but_not_the_lists_one() {
    use shopfront::models::catalog_version::{current, Versions};

    let app = TestApp::spawn();
    let id = app.product_on_sale("Desk Lamp", 2_500, 10);
    let mut conn = app.elsewhere();
    let before: Versions = current(&mut conn).unwrap();
    diesel::update(products::table.find(id))
        .set(products::stock.eq(9))
        .execute(&mut conn)
        .unwrap();
    let sold = current(&mut conn).unwrap();
    assert!(sold.catalog > before.catalog, "every page shows stock");
    assert_eq!(
        sold.listing, before.listing,
        "no list's order depends on it"
    );

    diesel::update(products::table.find(id))
        .set(products::price_cents.eq(2_400))
        .execute(&mut conn)
        .unwrap();
    let repriced = current(&mut conn).unwrap();
    assert!(repriced.catalog > sold.catalog);
    assert!(repriced.listing > sold.listing, "a price orders lists");
}

#[test]
fn kept_search_rankings_follow_writes_made_elsewhere_within_a_second() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    app.product_on_sale("Floor Lamp", 9_900, 3);
    let visitor = app.client();
    // Rankings are kept for these searches (the stock filter's by the catalogue version).
    let in_stock = "/products?q=lamp&in_stock=1&bench_render=1";
    assert_eq!(
        visitor
            .get("/products?q=lamp&sort=price_asc")
            .product_names(),
        ["Desk Lamp", "Floor Lamp"]
    );
    assert_eq!(visitor.get(in_stock).product_names().len(), 2);

    // Elsewhere the desk lamp sells out: only stock moves, which no ranking is kept by
    // except the stock filter's.
    let written = Instant::now();
    diesel::update(products::table.find(lamp))
        .set(products::stock.eq(0))
        .execute(&mut app.elsewhere())
        .expect("sell out");
    eventually("the stock filter to follow", || {
        let names = visitor.get(&format!("{in_stock}&x=1")).product_names();
        (names == ["Floor Lamp"]).then_some(())
    });
    assert!(
        written.elapsed() < Duration::from_secs(2),
        "seen after {:?}",
        written.elapsed()
    );

    // Then it gets dearer than the floor lamp.
    let written = Instant::now();
    diesel::update(products::table.find(lamp))
        .set(products::price_cents.eq(12_000))
        .execute(&mut app.elsewhere())
        .expect("reprice");
    eventually("the ranking to follow", || {
        let names = visitor
            .get("/products?q=lamp&sort=price_asc&x=2")
            .product_names();
        (names == ["Floor Lamp", "Desk Lamp"]).then_some(())
    });
    assert!(
        written.elapsed() < Duration::from_secs(2),
        "seen after {:?}",
        written.elapsed()
    );
}
