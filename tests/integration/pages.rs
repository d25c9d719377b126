//! What every response shares: headers, the error pages, health, static files, compression.

use actix_web::test as actix_test;
use actix_web::{web, App, HttpResponse};
use diesel::r2d2::Pool;
use shopfront::config::{Config, Engine};
use shopfront::db::{DbPool, Manager};
use shopfront::web::catch_panic::CatchPanic;
use shopfront::AppState;

use crate::support::{raw, TestApp};

const SECURITY_HEADERS: [&str; 4] = [
    "content-security-policy",
    "x-content-type-options",
    "referrer-policy",
    "x-frame-options",
];

#[test]
fn every_response_carries_the_security_headers() {
    let app = TestApp::spawn();
    app.category("books", "Books");
    let client = app.client();
    let css = client
        .get("/")
        .attrs("link[rel=stylesheet]", "href")
        .remove(0);
    for path in [
        "/",
        "/products",
        "/products?page=0",
        "/products/1",
        "/nope",
        "/healthz",
        css.as_str(),
        "/robots.txt",
    ] {
        let page = client.get(path);
        for header in SECURITY_HEADERS {
            assert!(page.header(header).is_some(), "{path} lacks {header}");
        }
        let csp = page.header("content-security-policy").unwrap();
        for directive in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "form-action 'self'",
            "base-uri 'none'",
        ] {
            assert!(csp.contains(directive), "{path}: {csp}");
        }
        assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(page.header("referrer-policy"), Some("same-origin"));
        assert_eq!(page.header("x-frame-options"), Some("DENY"));
    }
}

#[test]
fn unknown_paths_and_methods_get_a_page_not_a_stack_trace() {
    let app = TestApp::spawn();
    let client = app.client();
    let page = client.get("/no/such/page");
    assert_eq!(page.status, 404);
    assert_eq!(page.h1(), "Page not found");
    assert!(page.title().contains("Page not found"));
    assert!(
        !page.attrs("a[href='/']", "href").is_empty(),
        "the layout links home"
    );
    // HEAD works like GET, headers and all, without the body.
    let get = client.get("/products");
    let head = client.request("HEAD", "/products", &[], Vec::new());
    assert_eq!(head.status, 200);
    assert!(head.bytes.is_empty(), "{} bytes of body", head.bytes.len());
    assert_eq!(head.header("content-type"), get.header("content-type"));
    assert_eq!(
        head.header("content-security-policy"),
        get.header("content-security-policy")
    );
    // Unsafe methods meet the CSRF check before routing, as in Django.
    let delete = client.request("DELETE", "/products", &[], Vec::new());
    assert_eq!(delete.status, 403);
    assert!(delete
        .visible_text()
        .contains("This form could not be accepted"));
    assert!(delete.header("content-security-policy").is_some());
    // A safe method on a POST-only address names nothing: the 404 page.
    let wrong = client.get("/logout");
    assert_eq!(wrong.status, 404);
    assert_eq!(wrong.h1(), "Page not found");
}

#[test]
fn pages_have_unique_titles_and_one_main_heading() {
    let app = TestApp::spawn();
    let cat = app.category("books", "Books");
    let id = app.product(crate::support::fixtures::ProductSpec {
        category_id: cat,
        name: "Atlas",
        ..Default::default()
    });
    let client = app.client();
    let paths = [
        "/".to_string(),
        "/products".into(),
        "/products?category=books".into(),
        "/products?q=atlas".into(),
        format!("/products/{id}"),
    ];
    let mut titles = Vec::new();
    for path in &paths {
        let page = client.get(path);
        assert!(page.body.starts_with("<!doctype html>"), "{path}");
        assert_eq!(page.attrs("html", "lang"), ["en"], "{path}");
        assert_eq!(page.texts("h1").len(), 1, "{path}");
        assert_eq!(page.texts("main").len(), 1, "{path}");
        // The only script element is the product's JSON-LD data block, which runs nothing.
        let scripts = page.body.matches("<script").count();
        let data = page
            .body
            .matches("<script type=\"application/ld+json\">")
            .count();
        assert_eq!(scripts, data, "{path}: no JavaScript");
        titles.push(page.title());
    }
    let mut unique = titles.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), titles.len(), "{titles:?}");
}

#[test]
fn healthz_answers_ok_when_the_database_answers() {
    let app = TestApp::spawn();
    let page = app.client().get("/healthz");
    assert_eq!(page.status, 200);
    assert_eq!(page.body.trim(), "ok");
    assert_eq!(page.header("cache-control"), Some("no-store"));
}

#[actix_web::test]
async fn healthz_answers_503_when_the_database_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config::from_lookup(|name| match name {
        "DATA_DIR" => Some(dir.path().to_string_lossy().into_owned()),
        "SECRET_KEY" => Some("k".repeat(64)),
        _ => None,
    })
    .unwrap();
    config.prepare().unwrap();
    // A database in a directory that does not exist: every connection attempt fails.
    let broken = dir
        .path()
        .join("missing")
        .join("shop.db")
        .to_string_lossy()
        .into_owned();
    let pool = Pool::builder()
        .connection_timeout(std::time::Duration::from_millis(200))
        .build_unchecked(Manager::new(Engine::Sqlite, broken));
    let service = actix_test::init_service(shopfront::app(AppState::new(
        config,
        DbPool::new(pool, Engine::Sqlite),
    )))
    .await;
    let response = actix_test::call_service(
        &service,
        actix_test::TestRequest::get().uri("/healthz").to_request(),
    )
    .await;
    assert_eq!(response.status(), 503);
    // A page that needs the database says the shop is busy, with a hint when to retry.
    let response = actix_test::call_service(
        &service,
        actix_test::TestRequest::get().uri("/products").to_request(),
    )
    .await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().contains_key("retry-after"));
    let body = actix_test::read_body(response).await;
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("The shop is busy"));
    assert!(!body.contains("missing"), "no internals on the page");
}

#[actix_web::test]
async fn a_panicking_handler_answers_the_500_page() {
    async fn boom() -> HttpResponse {
        panic!("deliberate test panic")
    }
    let service = actix_test::init_service(
        App::new()
            .route("/boom", web::get().to(boom))
            .wrap(CatchPanic),
    )
    .await;
    // The panic comes back as an error, which the HTTP dispatcher turns into its response.
    let error = actix_test::try_call_service(
        &service,
        actix_test::TestRequest::get().uri("/boom").to_request(),
    )
    .await
    .expect_err("the panic becomes an error");
    let response = error.error_response();
    assert_eq!(response.status(), 500);
    assert!(response.headers().contains_key("content-security-policy"));
    let body = actix_web::body::to_bytes(response.into_body())
        .await
        .unwrap();
    let body = String::from_utf8_lossy(&body);
    assert!(body.contains("Something went wrong"));
    assert!(
        !body.contains("deliberate test panic"),
        "no internals on the page"
    );
}

#[test]
fn a_real_internal_error_answers_the_500_page_without_internals() {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;

    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 5);
    // A product page reads its reviews when it has some; then the table is gone.
    app.db(|conn| {
        diesel::update(shopfront::schema::products::table.find(lamp))
            .set(shopfront::schema::products::rating_count.eq(1))
            .execute(conn)
            .unwrap();
        conn.batch_execute("DROP TABLE reviews").unwrap();
    });
    let page = app.client().get(&format!("/products/{lamp}"));
    assert_eq!(page.status, 500);
    assert_eq!(page.h1(), "Something went wrong");
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(page.header("content-security-policy").is_some());
    let text = page.body.to_lowercase();
    for internal in [
        "reviews",
        "no such table",
        "relation",
        "diesel",
        "database error",
    ] {
        assert!(
            !text.contains(internal),
            "the page shows {internal:?}: {}",
            page.body
        );
    }
    // Pages that need no reviews go on.
    assert_eq!(app.client().get("/products").status, 200);
}

#[test]
fn the_stylesheet_is_fingerprinted_and_cached_for_a_year() {
    let app = TestApp::spawn();
    let client = app.client();
    let href = client
        .get("/")
        .attrs("link[rel=stylesheet]", "href")
        .remove(0);
    assert!(href.starts_with("/static/style.css?v="), "{href}");
    let css = client.get(&href);
    assert_eq!(css.status, 200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(css
        .header("cache-control")
        .unwrap()
        .contains("max-age=31536000"));
    let etag = css.header("etag").unwrap().to_string();
    let again = client.request("GET", &href, &[("If-None-Match", &etag)], Vec::new());
    assert_eq!(again.status, 304);
    assert_eq!(client.get("/static/nope.css").status, 404);
    assert_eq!(client.get("/static/../Cargo.toml").status, 404);
}

#[test]
fn pages_are_compressed_when_the_client_asks() {
    let app = TestApp::spawn();
    let client = app.client();
    let gzip = client.request(
        "GET",
        "/products",
        &[("Accept-Encoding", "gzip")],
        Vec::new(),
    );
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    let plain = client.get("/products");
    assert_eq!(plain.header("content-encoding"), None);
}

#[test]
fn an_http_1_0_client_gets_a_whole_body_framed_by_its_length() {
    let app = TestApp::spawn();
    app.product_on_sale("Teapot", 2500, 3);
    let request = b"GET /products HTTP/1.0\r\nHost: shop\r\nAccept-Encoding: gzip\r\n\r\n";
    let response = raw::exchange(&app.base, request);
    assert_eq!(response.status(), 200, "{}", response.head);
    assert!(response.head.starts_with("HTTP/1.0 200") || response.head.starts_with("HTTP/1.1 200"));
    assert_eq!(
        response.header("transfer-encoding"),
        None,
        "{}",
        response.head
    );
    let length: usize = response
        .header("content-length")
        .unwrap_or_else(|| panic!("no Content-Length: {}", response.head))
        .parse()
        .unwrap();
    assert_eq!(response.body.len(), length);
    let page = String::from_utf8(response.body).expect("a page, not gzip or chunk sizes");
    assert!(page.starts_with("<!doctype html>"), "{page}");
    assert!(page.contains("Teapot"));

    // HTTP/1.1 clients still get gzip.
    let request = b"GET /products HTTP/1.1\r\nHost: shop\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n";
    let response = raw::exchange(&app.base, request);
    assert_eq!(response.header("content-encoding"), Some("gzip"));
}

#[test]
fn https_only_shops_send_strict_transport_security_on_every_response() {
    let plain = TestApp::spawn();
    assert_eq!(
        plain.client().get("/").header("strict-transport-security"),
        None
    );
    let https = TestApp::spawn_with(&[("COOKIE_SECURE", "on")]);
    let client = https.client();
    for path in ["/", "/nope", "/login", "/healthz"] {
        assert_eq!(
            client.get(path).header("strict-transport-security"),
            Some("max-age=63072000; includeSubDomains"),
            "{path}"
        );
    }
    let refused = client.post_form("/logout", &[]);
    assert_eq!(refused.status, 403);
    assert!(refused.header("strict-transport-security").is_some());
}

#[test]
fn robots_txt_keeps_crawlers_out_of_private_pages() {
    let app = TestApp::spawn();
    let page = app.client().get("/robots.txt");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Disallow: /admin"));
    assert!(page.body.contains("Disallow: /cart"));
}
