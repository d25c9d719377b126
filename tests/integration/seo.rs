//! What search engines read: canonical addresses, descriptions, a product's Open Graph tags
//! and JSON-LD, the sitemap and robots.txt.

use diesel::prelude::*;
use shopfront::schema::products;

use crate::support::fixtures::ProductSpec;
use crate::support::TestApp;

#[test]
fn product_pages_carry_canonical_open_graph_and_a_product_block() {
    let app = TestApp::spawn();
    let lamps = app.category("lamps", "Lamps");
    let lamp = app.product(ProductSpec {
        category_id: lamps,
        name: "Brass lamp </script><b>",
        description: "A warm light.\n\nSolid brass & linen shade.",
        price_cents: 7_950,
        stock: 3,
        ..ProductSpec::default()
    });
    let page = app.client().get(&format!("/products/{lamp}"));
    assert_eq!(
        page.attrs("link[rel=canonical]", "href"),
        [format!("{}/products/{lamp}", app.base)]
    );
    assert_eq!(
        page.attrs("meta[name=description]", "content"),
        ["A warm light. Solid brass & linen shade."]
    );
    assert_eq!(
        page.attrs("meta[property='og:type']", "content"),
        ["product"]
    );
    assert_eq!(
        page.attrs("meta[property='og:title']", "content"),
        ["Brass lamp </script><b>"]
    );
    let blocks = page.texts("script[type='application/ld+json']");
    assert_eq!(blocks.len(), 1, "{}", page.body);
    assert!(
        !page.body.contains("</script><b>"),
        "the name cannot end the block"
    );
    let block: serde_json::Value = serde_json::from_str(&blocks[0]).unwrap();
    assert_eq!(block["@type"], "Product");
    assert_eq!(block["name"], "Brass lamp </script><b>");
    assert_eq!(block["sku"], format!("P{lamp}"));
    assert_eq!(block["offers"]["price"], "79.50");
    assert_eq!(block["offers"]["priceCurrency"], "USD");
    assert_eq!(
        block["offers"]["availability"],
        "https://schema.org/InStock"
    );
}

#[test]
fn list_pages_name_their_canonical_address_without_cursors_tracking_or_defaults() {
    let app = TestApp::spawn();
    let lamps = app.category("lamps", "Lamps");
    app.products(lamps, "Lamp", 30);
    let client = app.client();
    let canonical = |path: &str| client.get(path).attrs("link[rel=canonical]", "href");
    let base = &app.base;
    assert_eq!(
        canonical("/products?category=lamps&utm_source=mail&sort=newest"),
        [format!("{base}/products?category=lamps")]
    );
    assert_eq!(
        canonical("/products?category=lamps&sort=price_asc&page=2&after=3&min_price=1"),
        [format!(
            "{base}/products?category=lamps&sort=price_asc&min_price=1.00&page=2"
        )]
    );
    assert_eq!(canonical("/"), [format!("{base}/")]);
    let list = client.get("/products?category=lamps");
    assert_eq!(list.attrs("meta[name=description]", "content").len(), 1);
}

#[test]
fn the_sitemap_lists_what_is_on_sale_and_robots_txt_names_it() {
    let app = TestApp::spawn();
    let lamps = app.category("lamps", "Lamps");
    app.category("empty", "Empty");
    let lamp = app.product(ProductSpec {
        category_id: lamps,
        name: "Lamp",
        ..ProductSpec::default()
    });
    let gone = app.product(ProductSpec {
        category_id: lamps,
        name: "Old lamp",
        archived: true,
        ..ProductSpec::default()
    });
    let client = app.client();
    let sitemap = client.get("/sitemap.xml");
    assert_eq!(sitemap.status, 200);
    assert!(sitemap
        .header("content-type")
        .unwrap()
        .starts_with("application/xml"));
    let base = &app.base;
    for listed in [
        format!("<loc>{base}/</loc>"),
        format!("<loc>{base}/products</loc>"),
        format!("<loc>{base}/products?category=lamps</loc>"),
        format!("<loc>{base}/products/{lamp}</loc>"),
    ] {
        assert!(sitemap.body.contains(&listed), "{listed}: {}", sitemap.body);
    }
    assert!(!sitemap.body.contains(&format!("/products/{gone}<")));
    assert!(!sitemap.body.contains("category=empty"));
    let updated: chrono::NaiveDateTime = app.db(|conn| {
        products::table
            .find(lamp)
            .select(products::updated_at)
            .first(conn)
            .unwrap()
    });
    let lastmod = format!(
        "<lastmod>{}</lastmod>",
        updated.format("%Y-%m-%dT%H:%M:%SZ")
    );
    assert!(sitemap.body.contains(&lastmod), "{}", sitemap.body);
    assert_eq!(client.get("/sitemap-2.xml").status, 404);
    let robots = client.get("/robots.txt");
    assert!(robots
        .body
        .contains(&format!("Sitemap: {base}/sitemap.xml")));
}
