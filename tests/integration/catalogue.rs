//! The public catalogue: home, lists, filters, sort, pages, search and the product page.

use crate::support::client::{Client, Page};
use crate::support::fixtures::ProductSpec;
use crate::support::TestApp;

#[test]
fn home_shows_categories_newest_products_and_a_search_box() {
    let app = TestApp::spawn();
    let books = app.category("books", "Books");
    app.category("garden", "Garden");
    app.products(books, "Novel", 10);

    let page = app.client().get("/");
    assert_eq!(page.status, 200);
    assert_eq!(page.h1(), "Good things, sold simply");
    let categories = page.texts(".category-grid a");
    assert_eq!(categories, ["Books", "Garden"]);
    // Newest first, and only the eight newest.
    let names = page.product_names();
    assert_eq!(names.len(), 8);
    assert_eq!(names[0], "Novel 10");
    assert_eq!(names[7], "Novel 03");
    // A search form that works without JavaScript: GET /products with q.
    assert!(
        page.attrs(
            "form[action='/products'][method='get'] input[name=q]",
            "name"
        )
        .len()
            >= 2
    );
}

#[test]
fn an_empty_shop_says_so() {
    let app = TestApp::spawn();
    let page = app.client().get("/");
    assert_eq!(page.status, 200);
    assert!(page.visible_text().contains("Nothing is on sale yet"));
    let list = app.client().get("/products");
    assert_eq!(list.status, 200);
    assert!(list
        .visible_text()
        .contains("There is nothing on sale here just now"));
    assert!(!list.attrs("a[href='/products']", "href").is_empty());
}

#[test]
fn a_category_lists_only_its_products_24_to_a_page_with_a_total() {
    let app = TestApp::spawn();
    let books = app.category("books", "Books");
    let garden = app.category("garden", "Garden");
    app.products(books, "Book", 30);
    app.products(garden, "Trowel", 5);

    let client = app.client();
    let first = client.get("/products?category=books");
    assert_eq!(first.status, 200);
    assert_eq!(first.h1(), "Books");
    let names = first.product_names();
    assert_eq!(names.len(), 24);
    assert!(names.iter().all(|n| n.starts_with("Book ")), "{names:?}");
    assert!(first.text(".count").unwrap().contains("of 30 products"));
    // The next link resumes after the last product shown (keyset pagination).
    let next = first.attrs("a[rel=next]", "href");
    assert_eq!(next.len(), 1);
    assert!(
        next[0].starts_with("/products?category=books&page=2&after="),
        "{next:?}"
    );
    assert!(first.attrs("a[rel=prev]", "href").is_empty());
    assert_eq!(
        client.get(&next[0]).product_names(),
        client
            .get("/products?category=books&page=2")
            .product_names(),
        "the link and the page number show the same page"
    );

    let second = client.get("/products?category=books&page=2");
    assert_eq!(second.status, 200);
    let rest = second.product_names();
    assert_eq!(rest.len(), 6);
    assert!(
        rest.iter().all(|n| !names.contains(n)),
        "pages do not overlap"
    );
    assert_eq!(
        second.attrs("a[rel=prev]", "href"),
        ["/products?category=books"]
    );
    assert!(second.attrs("a[rel=next]", "href").is_empty());
    assert!(second.text(".count").unwrap().contains("25–30 of 30"));
    assert_ne!(first.title(), second.title(), "each page has its own title");
}

#[test]
fn an_unknown_category_is_a_404_page() {
    let app = TestApp::spawn();
    app.category("books", "Books");
    let page = app.client().get("/products?category=nope");
    assert_eq!(page.status, 404);
    assert_eq!(page.h1(), "Page not found");
}

#[test]
fn lists_sort_by_price_name_and_newest() {
    let app = TestApp::spawn();
    let cat = app.category("misc", "Misc");
    for (name, price, age) in [("banana", 300, 3), ("Apple", 500, 1), ("cherry", 100, 2)] {
        app.product(ProductSpec {
            category_id: cat,
            name,
            price_cents: price,
            minutes_old: age,
            ..Default::default()
        });
    }
    let client = app.client();
    let names = |sort: &str| {
        client
            .get(&format!("/products?sort={sort}"))
            .product_names()
    };
    assert_eq!(names("newest"), ["Apple", "cherry", "banana"]);
    assert_eq!(names("price_asc"), ["cherry", "banana", "Apple"]);
    assert_eq!(names("price_desc"), ["Apple", "banana", "cherry"]);
    assert_eq!(
        names("name"),
        ["Apple", "banana", "cherry"],
        "A to Z ignores case"
    );
    assert_eq!(
        client.get("/products").product_names(),
        names("newest"),
        "newest is the default"
    );
    // The sort menu is a GET form that keeps the category.
    let page = client.get("/products?category=misc&sort=price_asc");
    assert_eq!(
        page.attrs("form.sort input[name=category]", "value"),
        ["misc"]
    );
    assert_eq!(
        page.attrs("form.sort option[selected]", "value"),
        ["price_asc"]
    );
}

#[test]
fn bad_list_parameters_answer_a_400_page() {
    let app = TestApp::spawn();
    let cat = app.category("books", "Books");
    app.products(cat, "Book", 3);
    let client = app.client();
    for query in [
        "page=0",
        "page=-1",
        "page=abc",
        "page=1.5",
        "page=99999999999999999999999",
        "page=100001",
        "page=2",
        "sort=cheapest",
        "sort=",
        "page=1&page=2",
    ] {
        let page = client.get(&format!("/products?{query}"));
        if query == "sort=" {
            assert_eq!(page.status, 200, "an empty sort means the default");
            continue;
        }
        assert_eq!(page.status, 400, "{query}");
        assert_eq!(page.h1(), "That request did not make sense", "{query}");
        assert!(
            !page.attrs("a[href='/products']", "href").is_empty(),
            "{query}: offers a way on"
        );
    }
    let broken = client.get("/products?q=%FF%FE");
    assert!(
        matches!(broken.status, 200 | 400),
        "broken percent-encoding is never a 500"
    );
    let long = "word ".repeat(50);
    let page = client.get(&format!("/products?q={}", long.replace(' ', "+")));
    assert_eq!(page.status, 400);
    assert!(page.visible_text().contains("at most 200 characters"));
}

#[test]
fn search_ranks_name_matches_first_then_newest() {
    let app = TestApp::spawn();
    let cat = app.category("kitchen", "Kitchen");
    // Newest, with the word only in its description, several times over.
    app.product(ProductSpec {
        category_id: cat,
        name: "Tea Towel",
        description: "Dries a kettle, a kettle lid and the kettle's spout.",
        minutes_old: 1,
        ..Default::default()
    });
    // Two equally relevant name matches: the newer one comes first.
    app.product(ProductSpec {
        category_id: cat,
        name: "Steel Kettle",
        description: "Boils water.",
        minutes_old: 30,
        ..Default::default()
    });
    app.product(ProductSpec {
        category_id: cat,
        name: "Black Kettle",
        description: "Boils water.",
        minutes_old: 20,
        ..Default::default()
    });
    app.product(ProductSpec {
        category_id: cat,
        name: "Colander",
        description: "Drains pasta.",
        ..Default::default()
    });

    let page = app.client().get("/products?q=kettle");
    assert_eq!(page.status, 200);
    assert_eq!(
        page.product_names(),
        ["Black Kettle", "Steel Kettle", "Tea Towel"]
    );
    assert!(page.text(".count").unwrap().contains("of 3 products"));
    assert_eq!(
        page.attrs("#site-search", "value"),
        ["kettle"],
        "the search box keeps the words"
    );
    assert_eq!(page.h1(), "Search: “kettle”");
}

#[test]
fn search_finds_a_word_from_one_products_name_first() {
    let app = TestApp::spawn();
    let cat = app.category("books", "Books");
    app.products(cat, "Novel", 5);
    app.product(ProductSpec {
        category_id: cat,
        name: "The Cartographer's Error",
        minutes_old: 100,
        ..Default::default()
    });
    let page = app.client().get("/products?q=cartographer");
    assert_eq!(
        page.product_names().first().map(String::as_str),
        Some("The Cartographer's Error")
    );
}

#[test]
fn search_stems_matches_prefixes_and_needs_every_word() {
    let app = TestApp::spawn();
    let cat = app.category("garden", "Garden");
    app.product(ProductSpec {
        category_id: cat,
        name: "Galvanised Watering Can",
        description: "Waters gently.",
        ..Default::default()
    });
    app.product(ProductSpec {
        category_id: cat,
        name: "Hand Trowel",
        description: "For planting bulbs.",
        ..Default::default()
    });
    let client = app.client();
    assert_eq!(
        client.get("/products?q=watering+cans").product_names(),
        ["Galvanised Watering Can"]
    );
    assert_eq!(
        client.get("/products?q=galv").product_names(),
        ["Galvanised Watering Can"]
    );
    assert_eq!(
        client.get("/products?q=planting").product_names(),
        ["Hand Trowel"]
    );
    assert!(client
        .get("/products?q=trowel+watering")
        .product_names()
        .is_empty());
    let none = client.get("/products?q=submarine");
    assert_eq!(none.status, 200);
    assert!(none
        .visible_text()
        .contains("No products match “submarine”"));
}

#[test]
fn search_treats_syntax_as_plain_words() {
    let app = TestApp::spawn();
    let cat = app.category("misc", "Misc");
    app.product(ProductSpec {
        category_id: cat,
        name: "Drop Spindle",
        description: "Near enough to a wheel.",
        ..Default::default()
    });
    let client = app.client();
    for q in [
        "\"",
        "\"drop",
        "*",
        "drop*",
        "-drop",
        "NEAR",
        "near(drop)",
        "'; DROP TABLE products; --",
        "a AND OR NOT",
        "{name}:drop",
        "^drop",
        "drop:*A",
        "!!",
        "%",
        "\\",
    ] {
        let page = client.get(&format!("/products?q={}", urlencode(q)));
        assert_eq!(page.status, 200, "{q}");
    }
    assert_eq!(
        client
            .get(&format!("/products?q={}", urlencode("'; DROP")))
            .product_names(),
        ["Drop Spindle"]
    );
    assert_eq!(
        client
            .get(&format!("/products?q={}", urlencode("\"NEAR\"")))
            .product_names(),
        ["Drop Spindle"]
    );
    assert_eq!(
        app.client().get("/products").product_names(),
        ["Drop Spindle"],
        "the table is still there"
    );
}

#[test]
fn search_within_a_category_and_in_other_orders() {
    let app = TestApp::spawn();
    let kitchen = app.category("kitchen", "Kitchen");
    let garden = app.category("garden", "Garden");
    app.product(ProductSpec {
        category_id: kitchen,
        name: "Steel Kettle",
        price_cents: 3000,
        ..Default::default()
    });
    app.product(ProductSpec {
        category_id: kitchen,
        name: "Copper Kettle",
        price_cents: 5000,
        ..Default::default()
    });
    app.product(ProductSpec {
        category_id: garden,
        name: "Steel Trowel",
        price_cents: 1000,
        ..Default::default()
    });
    let client = app.client();
    assert_eq!(
        client
            .get("/products?q=steel&category=garden")
            .product_names(),
        ["Steel Trowel"]
    );
    assert_eq!(
        client
            .get("/products?q=kettle&sort=price_desc")
            .product_names(),
        ["Copper Kettle", "Steel Kettle"]
    );
    assert_eq!(
        client
            .get("/products?q=kettle&sort=price_asc")
            .product_names(),
        ["Steel Kettle", "Copper Kettle"]
    );
    let page = client.get("/products?q=steel&category=kitchen");
    assert_eq!(page.h1(), "“steel” in Kitchen");
}

#[test]
fn search_results_are_paged() {
    let app = TestApp::spawn();
    let cat = app.category("misc", "Misc");
    app.products(cat, "Lamp", 30);
    let client = app.client();
    let first = client.get("/products?q=lamp");
    assert_eq!(first.product_names().len(), 24);
    assert_eq!(
        first.attrs("a[rel=next]", "href"),
        ["/products?q=lamp&page=2"]
    );
    let second = client.get("/products?q=lamp&page=2");
    assert_eq!(second.product_names().len(), 6);
    assert_eq!(client.get("/products?q=lamp&page=3").status, 400);
}

#[test]
fn archived_products_are_not_listed_but_keep_their_page() {
    let app = TestApp::spawn();
    let cat = app.category("misc", "Misc");
    let id = app.product(ProductSpec {
        category_id: cat,
        name: "Old Lantern",
        archived: true,
        ..Default::default()
    });
    app.product(ProductSpec {
        category_id: cat,
        name: "New Lantern",
        ..Default::default()
    });
    let client = app.client();
    assert_eq!(client.get("/products").product_names(), ["New Lantern"]);
    assert_eq!(
        client.get("/products?q=lantern").product_names(),
        ["New Lantern"]
    );
    assert_eq!(client.get("/").product_names(), ["New Lantern"]);
    let page = client.get(&format!("/products/{id}"));
    assert_eq!(page.status, 200);
    assert!(page
        .visible_text()
        .contains("This product is no longer sold."));
    assert!(!page.visible_text().contains("In stock"));

    // Back on sale, renamed while archived: the search indexes follow the status.
    app.db(|conn| {
        use diesel::prelude::*;
        use shopfront::schema::products;
        diesel::update(products::table.find(id))
            .set(products::name.eq("Old Brass Lantern"))
            .execute(conn)
            .unwrap();
        diesel::update(products::table.find(id))
            .set(products::status.eq("active"))
            .execute(conn)
            .unwrap();
    });
    assert_eq!(
        client.get("/products?q=brass+lantern").product_names(),
        ["Old Brass Lantern"]
    );
    app.db(|conn| {
        use diesel::prelude::*;
        use shopfront::schema::products;
        diesel::update(products::table.find(id))
            .set(products::status.eq("archived"))
            .execute(conn)
            .unwrap();
    });
    assert!(client.get("/products?q=brass").product_names().is_empty());
}

#[test]
fn the_product_page_shows_name_category_price_stock_and_description() {
    let app = TestApp::spawn();
    let cat = app.category("kitchen", "Kitchen");
    let plenty = app.product(ProductSpec {
        category_id: cat,
        name: "Dutch Oven",
        description: "Heavy enamelled cast iron.\n\nOven safe to 250 °C.",
        price_cents: 123_456,
        stock: 40,
        ..Default::default()
    });
    let few = app.product(ProductSpec {
        category_id: cat,
        name: "Few",
        stock: 3,
        ..Default::default()
    });
    let none = app.product(ProductSpec {
        category_id: cat,
        name: "None",
        stock: 0,
        ..Default::default()
    });
    let client = app.client();

    let page = client.get(&format!("/products/{plenty}"));
    assert_eq!(page.status, 200);
    assert_eq!(page.h1(), "Dutch Oven");
    assert!(page.title().starts_with("Dutch Oven"));
    assert_eq!(page.text(".price").as_deref(), Some("$1,234.56"));
    assert_eq!(page.text(".stock").as_deref(), Some("In stock"));
    assert_eq!(
        page.texts(".description p"),
        ["Heavy enamelled cast iron.", "Oven safe to 250 °C."]
    );
    assert!(page
        .attrs(".breadcrumbs a", "href")
        .contains(&"/products?category=kitchen".to_string()));
    assert_eq!(
        client
            .get(&format!("/products/{few}"))
            .text(".stock")
            .as_deref(),
        Some("Only 3 left")
    );
    assert_eq!(
        client
            .get(&format!("/products/{none}"))
            .text(".stock")
            .as_deref(),
        Some("Sold out")
    );
    // Lists show the same states.
    let list = client.get("/products?sort=name");
    assert_eq!(
        list.texts(".card .stock"),
        ["In stock", "Only 3 left", "Sold out"]
    );
}

#[test]
fn unknown_or_malformed_product_ids_are_404_pages() {
    let app = TestApp::spawn();
    let client = app.client();
    for path in [
        "/products/999999",
        "/products/abc",
        "/products/0",
        "/products/-1",
        "/products/99999999999999999999",
        "/products/1.5",
        "/products/%00",
    ] {
        let page = client.get(path);
        assert_eq!(page.status, 404, "{path}");
        assert_eq!(page.h1(), "Page not found", "{path}");
    }
}

#[test]
fn markup_in_product_text_is_shown_as_text() {
    let app = TestApp::spawn();
    let cat = app.category("misc", "Misc");
    let id = app.product(ProductSpec {
        category_id: cat,
        name: "<script>alert(1)</script>",
        description: "\"><img src=x onerror=alert(1)> {{ 7*7 }}",
        ..Default::default()
    });
    let page = app.client().get(&format!("/products/{id}"));
    assert!(!page.body.contains("<script>alert"));
    assert!(!page.body.contains("<img src=x"));
    assert_eq!(page.h1(), "<script>alert(1)</script>");
    assert!(page
        .visible_text()
        .contains("\"><img src=x onerror=alert(1)> {{ 7*7 }}"));
    let list = app
        .client()
        .get(&format!("/products?q={}", urlencode("<script>")));
    assert!(!list.body.contains("<script>"));
}

#[test]
fn prices_use_the_configured_currency_symbol() {
    let app = TestApp::spawn_with(&[("CURRENCY_SYMBOL", "€")]);
    let cat = app.category("misc", "Misc");
    let id = app.product(ProductSpec {
        category_id: cat,
        price_cents: 1_000_050,
        ..Default::default()
    });
    assert_eq!(
        app.client()
            .get(&format!("/products/{id}"))
            .text(".price")
            .as_deref(),
        Some("€10,000.50")
    );
}

#[test]
fn the_demo_catalogue_fills_an_empty_shop_once() {
    let app = TestApp::spawn();
    let summary = app.db(shopfront::ops::demo::seed_demo).expect("seed");
    assert!(summary.categories >= 6);
    assert!(summary.products >= 120);
    assert!(
        app.db(shopfront::ops::demo::seed_demo).is_err(),
        "refuses a non-empty shop"
    );
    assert_eq!(
        app.db(shopfront::ops::demo::seed_if_empty)
            .expect("no error"),
        None
    );
    app.state.categories.invalidate();

    let client = app.client();
    let books = client.get("/products?category=books");
    assert!(books.text(".count").unwrap().contains("of 36 products"));
    let all = client.get("/products");
    let stock_states = client.get("/products?page=2").texts(".card .stock");
    let mut seen: Vec<String> = all.texts(".card .stock");
    seen.extend(stock_states);
    assert!(seen.iter().any(|s| s == "Sold out"));
    assert!(seen.iter().any(|s| s.starts_with("Only ")));
    assert!(seen.iter().any(|s| s == "In stock"));
}

fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .unwrap()
        .trim_start_matches('=')
        .to_string()
}

#[test]
fn the_search_index_follows_inserts_updates_and_deletes() {
    use diesel::prelude::*;
    use shopfront::schema::products;

    let app = TestApp::spawn();
    let cat = app.category("misc", "Misc");
    let id = app.product(ProductSpec {
        category_id: cat,
        name: "Brass Compass",
        description: "Points north.",
        ..Default::default()
    });
    let client = app.client();
    assert_eq!(
        client.get("/products?q=compass").product_names(),
        ["Brass Compass"]
    );

    app.db(|conn| {
        diesel::update(products::table.find(id))
            .set((
                products::name.eq("Brass Sextant"),
                products::description.eq("Measures angles."),
            ))
            .execute(conn)
    })
    .unwrap();
    assert!(client.get("/products?q=compass").product_names().is_empty());
    assert!(client.get("/products?q=north").product_names().is_empty());
    assert_eq!(
        client.get("/products?q=sextant+angles").product_names(),
        ["Brass Sextant"]
    );

    // A stock change leaves the index as it was.
    app.db(|conn| {
        diesel::update(products::table.find(id))
            .set(products::stock.eq(3))
            .execute(conn)
    })
    .unwrap();
    assert_eq!(
        client.get("/products?q=sextant").product_names(),
        ["Brass Sextant"]
    );

    app.db(|conn| diesel::delete(products::table.find(id)).execute(conn))
        .unwrap();
    assert!(client.get("/products?q=sextant").product_names().is_empty());
}

#[test]
fn the_kept_counts_follow_every_change_to_products() {
    use diesel::prelude::*;
    use shopfront::models::catalog;
    use shopfront::schema::products;

    let app = TestApp::spawn();
    let a = app.category("a", "A");
    let b = app.category("b", "B");
    let ids = app.products(a, "Thing", 6);
    app.product(ProductSpec {
        category_id: b,
        name: "Old",
        archived: true,
        ..Default::default()
    });
    let check = |app: &TestApp| {
        app.db(|conn| {
            for filter in [None, Some(a), Some(b)] {
                let kept = catalog::count(conn, filter).unwrap();
                let mut real = products::table
                    .filter(products::status.eq("active"))
                    .into_boxed();
                if let Some(id) = filter {
                    real = real.filter(products::category_id.eq(id));
                }
                let real: i64 = real.count().get_result(conn).unwrap();
                assert_eq!(kept, real, "category {filter:?}");
            }
        })
    };
    check(&app);
    app.db(|conn| {
        diesel::update(products::table.find(ids[0]))
            .set(products::status.eq("archived"))
            .execute(conn)
            .unwrap();
        diesel::update(products::table.find(ids[1]))
            .set(products::category_id.eq(b))
            .execute(conn)
            .unwrap();
        diesel::update(
            products::table
                .filter(products::status.eq("archived"))
                .filter(products::category_id.eq(b)),
        )
        .set(products::status.eq("active"))
        .execute(conn)
        .unwrap();
        diesel::update(products::table.find(ids[2]))
            .set(products::stock.eq(0))
            .execute(conn)
            .unwrap();
        diesel::delete(products::table.find(ids[3]))
            .execute(conn)
            .unwrap();
    });
    check(&app);
    assert!(app
        .client()
        .get("/products?category=a")
        .text(".count")
        .unwrap()
        .contains("of 3 products"));
    assert!(app
        .client()
        .get("/products?category=b")
        .text(".count")
        .unwrap()
        .contains("of 2 products"));
}

/// Follows `rel` links from `start` to the end, returning the names of every page in turn.
fn walk(client: &Client, start: &str, rel: &str) -> Vec<Vec<String>> {
    let mut pages = Vec::new();
    let mut url = Some(start.to_string());
    while let Some(path) = url {
        let page = client.get(&path);
        assert_eq!(page.status, 200, "{path}");
        pages.push(page.product_names());
        url = page
            .attrs(&format!("a[rel={rel}]"), "href")
            .into_iter()
            .next();
        assert!(pages.len() < 50, "the links loop");
    }
    pages
}

/// Fills the shop with `n` products in "misc" (and every seventh in "other") with ties
/// everywhere: prices repeat, ages repeat, names differ only in case, ratings repeat; some
/// are archived. Returns the two categories' ids.
fn seed_ties(app: &TestApp, n: i64) -> (i32, i32) {
    use diesel::prelude::*;
    use shopfront::schema::products;

    let cat = app.category("misc", "Misc");
    let other = app.category("other", "Other");
    for i in 0..n {
        let name = format!("{} {:02}", if i % 2 == 0 { "item" } else { "Item" }, i % 30);
        let id = app.product(ProductSpec {
            category_id: if i % 7 == 0 { other } else { cat },
            name: &name,
            price_cents: 100 * (i % 5),
            minutes_old: i % 4,
            archived: i % 11 == 0,
            ..Default::default()
        });
        let (sum, count) = [(0, 0), (4, 1), (9, 2), (8, 2), (5, 1)][(i % 5) as usize];
        app.db(|conn| {
            diesel::update(products::table.find(id))
                .set((
                    products::rating_sum.eq(sum),
                    products::rating_count.eq(count),
                ))
                .execute(conn)
                .unwrap();
        });
    }
    (cat, other)
}

#[test]
fn every_order_pages_forward_and_back_through_links_as_by_page_number() {
    let app = TestApp::spawn();
    seed_ties(&app, 560);
    let client = app.client();
    for base in ["/products?", "/products?category=misc&"] {
        for sort in ["newest", "price_asc", "price_desc", "name", "rating"] {
            let start = format!("{base}sort={sort}");
            let total: usize = {
                let count = client.get(&start).text(".count").unwrap();
                let words: Vec<&str> = count.split_whitespace().collect();
                words[words.len() - 2].parse().unwrap()
            };
            let by_number: Vec<Vec<String>> = (1..=total.div_ceil(24))
                .map(|n| client.get(&format!("{start}&page={n}")).product_names())
                .collect();
            assert_eq!(by_number.concat().len(), total, "{start}");

            let forward = walk(&client, &start, "next");
            assert_eq!(forward, by_number, "{start}: next links");

            let last = format!("{start}&page={}", by_number.len());
            let mut backward = walk(&client, &last, "prev");
            backward.reverse();
            assert_eq!(backward, by_number, "{start}: previous links");
        }
    }
}

/// The products on `page`'s cards, in order.
fn card_ids(page: &Page) -> Vec<i32> {
    page.attrs(".card a.card-name", "href")
        .iter()
        .map(|href| href.trim_start_matches("/products/").parse().unwrap())
        .collect()
}

#[test]
fn pages_by_number_hold_the_rows_of_the_plain_offset_query_however_deep() {
    use diesel::prelude::*;
    use shopfront::models::catalog::RATING_KEY_SQL;

    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        id: i32,
    }

    let app = TestApp::spawn();
    // Deep enough that later pages start from marks made one walk at a time.
    let (misc, _) = seed_ties(&app, 700);
    let orders = [
        ("newest", "created_at DESC, id DESC".to_string()),
        ("price_asc", "price_cents ASC, id ASC".to_string()),
        ("price_desc", "price_cents DESC, id DESC".to_string()),
        ("name", "lower(name) ASC, id ASC".to_string()),
        (
            "rating",
            format!("{RATING_KEY_SQL} DESC, rating_count DESC, id DESC"),
        ),
    ];
    let offset_query = |category: Option<i32>, order: &str, page: usize| -> Vec<i32> {
        let within = category.map_or(String::new(), |id| format!(" AND category_id = {id}"));
        let sql = format!(
            "SELECT id FROM products WHERE status = 'active'{within} ORDER BY {order} \
             LIMIT 24 OFFSET {}",
            (page - 1) * 24
        );
        let rows: Vec<Row> = app.db(|conn| diesel::sql_query(sql).load(conn).unwrap());
        rows.into_iter().map(|row| row.id).collect()
    };
    let client = app.client();
    let compare = |round: &str| {
        for (base, category) in [
            ("/products?", None),
            ("/products?category=misc&", Some(misc)),
        ] {
            for (sort, order) in &orders {
                let count = client.get(&format!("{base}sort={sort}")).text(".count");
                let count = count.unwrap();
                let words: Vec<&str> = count.split_whitespace().collect();
                let pages = words[words.len() - 2]
                    .parse::<usize>()
                    .unwrap()
                    .div_ceil(24);
                assert!(pages > 20, "{base}: {pages} pages");
                // The last page first: its marks are walked in one go, the rest reuse them.
                for n in std::iter::once(pages).chain(1..=pages) {
                    let page = client.get(&format!("{base}sort={sort}&page={n}"));
                    assert_eq!(
                        card_ids(&page),
                        offset_query(category, order, n),
                        "{round}: {base}sort={sort}&page={n}"
                    );
                }
            }
        }
    };
    compare("as seeded");

    // Writes move rows between pages: the marks of the version before must not be used.
    let newest = app.product(ProductSpec {
        category_id: misc,
        name: "Newest arrival",
        price_cents: 250,
        ..Default::default()
    });
    app.db(|conn| {
        use shopfront::schema::products;
        let oldest: i32 = products::table
            .filter(products::status.eq("active"))
            .order(products::id.asc())
            .select(products::id)
            .first(conn)
            .unwrap();
        diesel::update(products::table.filter(products::id.eq_any([oldest, newest - 300])))
            .set(products::price_cents.eq(150))
            .execute(conn)
            .unwrap();
        diesel::update(products::table.find(newest - 200))
            .set(products::status.eq("archived"))
            .execute(conn)
            .unwrap();
    });
    compare("after writes");
}

#[test]
fn a_page_link_to_a_product_gone_falls_back_to_the_page_number() {
    let app = TestApp::spawn();
    let books = app.category("books", "Books");
    let ids = app.products(books, "Book", 30);
    let client = app.client();
    let gone = ids[0];
    app.db(|conn| {
        use diesel::prelude::*;
        diesel::delete(shopfront::schema::products::table.find(gone))
            .execute(conn)
            .unwrap();
    });
    let page = client.get(&format!("/products?category=books&page=2&after={gone}"));
    assert_eq!(page.status, 200);
    assert_eq!(
        page.product_names(),
        client
            .get("/products?category=books&page=2")
            .product_names()
    );
    assert_eq!(client.get("/products?page=2").status, 200);
    for bad in ["after=abc", "after=0", "before=-1", "after=1&before=2"] {
        let page = client.get(&format!("/products?page=2&{bad}"));
        assert_eq!(page.status, 400, "{bad}");
    }
}

#[test]
fn search_ranks_every_match_and_pages_through_all_of_them() {
    use std::collections::HashSet;

    let app = TestApp::spawn();
    let cat = app.category("misc", "Misc");
    // The oldest product is named exactly by the words; a thousand newer ones mention them
    // in their descriptions only.
    app.product(ProductSpec {
        category_id: cat,
        name: "Durable Mug",
        minutes_old: 100_000,
        ..Default::default()
    });
    let described = 1_000;
    for i in 0..described {
        app.product(ProductSpec {
            category_id: cat,
            name: &format!("Thing {i}"),
            description: "A durable mug for the road, and other things besides.",
            minutes_old: described - i,
            ..Default::default()
        });
    }
    let client = app.client();
    for words in ["durable", "durable+mug"] {
        let first = client.get(&format!("/products?q={words}"));
        assert_eq!(first.status, 200);
        let names = first.product_names();
        assert_eq!(names[0], "Durable Mug", "{words}: the name match leads");
        assert_eq!(
            names[1],
            format!("Thing {}", described - 1),
            "{words}: equal matches come newest first"
        );
        assert!(first.text(".count").unwrap().contains("of 1,001 products"));

        // Every match is on some page, once.
        let pages = (described as usize + 1).div_ceil(24);
        let mut seen = Vec::new();
        for n in 1..=pages {
            seen.extend(
                client
                    .get(&format!("/products?q={words}&page={n}"))
                    .product_names(),
            );
        }
        assert_eq!(seen.len(), described as usize + 1, "{words}");
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len());
        assert_eq!(
            client
                .get(&format!("/products?q={words}&page={}", pages + 1))
                .status,
            400
        );
    }

    // A product renamed to match ranks at once: kept rankings go with the catalogue's version.
    let renamed = client.get("/products?q=durable&page=2").product_names()[0].clone();
    app.db(|conn| {
        use diesel::prelude::*;
        use shopfront::schema::products;
        diesel::update(products::table.filter(products::name.eq(&renamed)))
            .set(products::name.eq("Durable Flask"))
            .execute(conn)
            .unwrap();
    });
    let mut names = client.get("/products?q=durable").product_names();
    names.truncate(2);
    names.sort();
    assert_eq!(names, ["Durable Flask", "Durable Mug"]);
}

#[test]
fn long_words_match_whole_and_as_prefixes_only_when_that_finds_nothing() {
    let app = TestApp::spawn();
    let cat = app.category("misc", "Misc");
    for name in ["Lampshade", "Lamp", "Table"] {
        app.product(ProductSpec {
            category_id: cat,
            name,
            ..Default::default()
        });
    }
    let client = app.client();
    assert_eq!(client.get("/products?q=lamp").product_names(), ["Lamp"]);
    assert_eq!(
        client.get("/products?q=lamps").product_names(),
        ["Lamp"],
        "stemmed"
    );
    // Short words are prefixes; a long one is, when nothing has it whole.
    assert_eq!(
        client.get("/products?q=lam").product_names(),
        ["Lamp", "Lampshade"]
    );
    assert_eq!(
        client.get("/products?q=lampsh").product_names(),
        ["Lampshade"]
    );
}
