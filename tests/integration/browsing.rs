//! Browsing the catalogue: the price and stock filters combined with category, search and
//! sort, and numbered pages.

use crate::support::fixtures::ProductSpec;
use crate::support::TestApp;

/// 60 lamps priced 1.00, 2.00, … 60.00, every third one sold out, in "lamps"; 5 mugs.
fn shop(app: &TestApp) {
    let lamps = app.category("lamps", "Lamps");
    for i in 1..=60_i64 {
        let name = format!("Brass lamp {i:02}");
        app.product(ProductSpec {
            category_id: lamps,
            name: &name,
            description: "A brass lamp.",
            price_cents: i * 100,
            stock: if i % 3 == 0 { 0 } else { 5 },
            minutes_old: 100 - i,
            ..ProductSpec::default()
        });
    }
    let mugs = app.category("mugs", "Mugs");
    for i in 1..=5_i64 {
        let name = format!("Mug {i}");
        app.product(ProductSpec {
            category_id: mugs,
            name: &name,
            price_cents: 1_000 + i,
            ..ProductSpec::default()
        });
    }
}

#[test]
fn price_and_stock_filters_combine_with_category_search_and_sort() {
    let app = TestApp::spawn();
    shop(&app);
    let client = app.client();
    // 10.00 to 20.00 in stock: 10 11 13 14 16 17 19 20 (12, 15, 18 sold out), cheapest first.
    let page = client
        .get("/products?category=lamps&min_price=10&max_price=20.00&in_stock=1&sort=price_asc");
    assert_eq!(page.status, 200, "{}", page.body);
    let names = page.product_names();
    assert_eq!(
        names,
        ["10", "11", "13", "14", "16", "17", "19", "20"].map(|n| format!("Brass lamp {n}"))
    );
    // The form keeps its values; the sort form carries the filter along.
    assert_eq!(page.attrs("#min_price", "value"), ["10"]);
    assert_eq!(page.attrs("#max_price", "value"), ["20.00"]);
    assert_eq!(
        page.attrs("form.filters input[name=in_stock]", "checked"),
        [""]
    );
    assert_eq!(
        page.attrs("form.sort input[name=min_price]", "value"),
        ["10"]
    );
    // Without the category the mugs (10.01 … 10.05) join in.
    let all = client.get("/products?min_price=10&max_price=10.05");
    assert_eq!(all.product_names().len(), 6, "{:?}", all.product_names());
    // With search words.
    let found = client.get("/products?q=brass&max_price=3&sort=price_desc");
    assert_eq!(
        found.product_names(),
        ["Brass lamp 03", "Brass lamp 02", "Brass lamp 01"]
    );
    let in_stock = client.get("/products?q=brass&max_price=3&in_stock=1");
    assert_eq!(in_stock.product_names().len(), 2);
    for bad in [
        "/products?min_price=abc",
        "/products?max_price=-1",
        "/products?min_price=20&max_price=10",
        "/products?in_stock=maybe",
        "/products?min_price=1.001",
    ] {
        let refused = client.get(bad);
        assert_eq!(refused.status, 400, "{bad}");
    }
}

#[test]
fn long_lists_have_numbered_pages_that_keep_the_filters() {
    let app = TestApp::spawn();
    shop(&app);
    let client = app.client();
    // 40 lamps in stock: two pages of 24.
    let first = client.get("/products?category=lamps&in_stock=1");
    assert_eq!(first.texts(".page-numbers li"), ["1", "2"]);
    assert_eq!(
        first.attrs(".page-numbers [aria-current]", "aria-current"),
        ["page"]
    );
    let next = first.attrs("a[rel=next]", "href")[0].clone();
    assert!(
        next.contains("in_stock=1") && next.contains("page=2"),
        "{next}"
    );
    let second = client.get(&next);
    assert_eq!(second.product_names().len(), 16);
    // 65 products, 24 a page (the gaps of long lists are covered in domain::catalog).
    let all = client.get("/products?page=2");
    assert_eq!(all.texts(".page-numbers li"), ["1", "2", "3"]);
    let links = all.attrs(".page-numbers a", "href");
    assert_eq!(links, ["/products", "/products?page=3"].map(String::from));
    assert!(
        all.attrs("a[rel=next]", "href")[0].contains("after="),
        "keyset next link"
    );
}
