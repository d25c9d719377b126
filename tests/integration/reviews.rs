//! Reviews: only verified customers post, everyone reads, markup is text, hidden reviews
//! count nowhere, and lists show and sort by the average.

use shopfront::domain::account::Role;

use crate::support::client::Page;
use crate::support::{Client, TestApp};

fn post_review(client: &Client, product_id: i32, rating: &str, body: &str) -> Page {
    client.submit(
        &format!("/products/{product_id}"),
        &format!("/products/{product_id}/reviews"),
        &[("rating", rating), ("body", body)],
    )
}

#[test]
fn anonymous_visitors_are_sent_to_log_in_and_back_to_the_product() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let client = app.client();
    let page = client.get(&format!("/products/{lamp}"));
    assert!(
        page.form_values(&format!("/products/{lamp}/reviews"))
            .is_none(),
        "no form for anonymous visitors"
    );
    assert_eq!(
        page.attrs("#reviews a[href^='/login']", "href"),
        [format!("/login?next=/products/{lamp}")]
    );
    // A post without a login (token from the product page) goes to the login page.
    let token = page.attrs("input[name=csrf_token]", "value").remove(0);
    let response = client.post_form(
        &format!("/products/{lamp}/reviews"),
        &[("csrf_token", &token), ("rating", "5"), ("body", "Great")],
    );
    assert_eq!(response.status, 303);
    assert_eq!(
        response.location(),
        Some(format!("/login?next=%2Fproducts%2F{lamp}"))
    );
}

#[test]
fn an_unverified_user_is_told_why_and_offered_the_link_again() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    app.user("new@example.com", Role::Customer, false);
    let client = app.logged_in("new@example.com");
    let page = client.get(&format!("/products/{lamp}"));
    assert!(page
        .visible_text()
        .contains("Verify your e-mail address to write a review."));
    assert!(page.form_values("/account/verify-email").is_some());

    let token = page.attrs("input[name=csrf_token]", "value").remove(0);
    let refused = client.post_form(
        &format!("/products/{lamp}/reviews"),
        &[("csrf_token", &token), ("rating", "5"), ("body", "Great")],
    );
    assert_eq!(refused.status, 403);
    assert_eq!(refused.h1(), "Verify your address to write a review");
    assert!(
        refused.form_values("/account/verify-email").is_some(),
        "offers the link again"
    );
    let resent = client.submit_on(&refused, "/account/verify-email", &[]);
    assert_eq!(resent.status, 303);
    assert_eq!(app.mails_to("new@example.com").len(), 1);
    assert!(app
        .client()
        .get(&format!("/products/{lamp}"))
        .visible_text()
        .contains("No reviews yet"));
}

#[test]
fn a_verified_user_reviews_and_a_second_post_edits_the_review() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let client = app.customer("ada@example.com");
    let response = post_review(&client, lamp, "4", "Bright and steady.\nGood value.");
    assert_eq!(response.status, 303);
    assert_eq!(
        response.location(),
        Some(format!("/products/{lamp}#reviews"))
    );
    let page = client.follow(response);
    assert_eq!(page.flashes(), ["Thank you for your review."]);
    assert_eq!(
        page.texts(".review .review-body"),
        ["Bright and steady.\nGood value."]
            .map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
    );
    assert!(
        page.body.contains("Bright and steady.\nGood value."),
        "shown exactly as typed"
    );
    assert_eq!(page.texts(".review .stars"), ["★★★★☆"]);
    // The date the review was stored with (a date taken here could be tomorrow's).
    let posted: chrono::NaiveDateTime = app
        .db(|conn| {
            use diesel::prelude::*;
            shopfront::schema::reviews::table
                .select(shopfront::schema::reviews::created_at)
                .first(conn)
        })
        .unwrap();
    assert_eq!(
        page.text(".byline").unwrap(),
        format!("A. · {}", posted.format("%-d %B %Y"))
    );
    assert!(
        !page.body.contains("ada@example.com\" ")
            && !page.visible_text().contains("ada@example.com ·"),
        "the address is not shown"
    );
    assert_eq!(
        page.text(".rating-summary").as_deref(),
        Some("★ 4.0 out of 5 · 1 review")
    );
    // The form now edits the review, prefilled.
    assert_eq!(
        page.text(".review-form ~ h3, #reviews h3").as_deref(),
        Some("Edit your review")
    );
    assert_eq!(
        page.attrs(".review-form input[name=rating][checked]", "value"),
        ["4"]
    );

    let edited = post_review(&client, lamp, "2", "Flickers after a week.");
    assert_eq!(client.follow(edited).flashes(), ["Your review is updated."]);
    let page = app.client().get(&format!("/products/{lamp}"));
    assert_eq!(
        page.texts(".review .review-body"),
        ["Flickers after a week."]
    );
    assert_eq!(
        page.text(".rating-summary").as_deref(),
        Some("★ 2.0 out of 5 · 1 review")
    );
    assert!(page.text(".byline").unwrap().ends_with("edited"));
}

#[test]
fn bad_reviews_re_render_the_product_page_with_the_text_kept() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let client = app.customer("ada@example.com");
    let long = "x".repeat(2001);
    for (rating, body, field, message) in [
        ("0", "Fine", "rating", "from 1 to 5"),
        ("6", "Fine", "rating", "from 1 to 5"),
        ("4.5", "Fine", "rating", "from 1 to 5"),
        ("", "Fine", "rating", "from 1 to 5"),
        ("5", "", "body", "Write a few words"),
        ("5", "   \n ", "body", "Write a few words"),
        ("5", long.as_str(), "body", "at most 2000 characters"),
    ] {
        let page = post_review(&client, lamp, rating, body);
        assert_eq!(page.status, 400, "{rating:?} {}", body.len());
        assert_eq!(page.h1(), "Desk Lamp");
        let errors = page.texts(&format!("#{field}-error")).join(" ");
        assert!(errors.contains(message), "{rating:?}: {errors}");
        assert_eq!(
            page.text("textarea[name=body]").unwrap_or_default(),
            body.split_whitespace().collect::<Vec<_>>().join(" "),
            "the text is kept"
        );
    }
    assert!(page_text(&app, lamp).contains("No reviews yet"));
    let exactly = "y".repeat(2000);
    assert_eq!(
        post_review(&client, lamp, "5", &exactly).status,
        303,
        "2,000 characters is fine"
    );
}

fn page_text(app: &TestApp, product_id: i32) -> String {
    app.client()
        .get(&format!("/products/{product_id}"))
        .visible_text()
}

#[test]
fn markup_in_a_review_is_shown_as_text() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let nasty =
        "<script>alert('x')</script> \"><img src=x onerror=alert(1)> {{ 7*7 }} {% if true %}";
    let client = app.customer("ada@example.com");
    assert_eq!(post_review(&client, lamp, "1", nasty).status, 303);
    let page = app.client().get(&format!("/products/{lamp}"));
    assert!(!page.body.contains("<script>alert"));
    assert!(!page.body.contains("<img src=x"));
    assert!(page
        .html()
        .select(&scraper::Selector::parse(".review img, .review script").unwrap())
        .next()
        .is_none());
    assert_eq!(
        page.text(".review-body").as_deref(),
        Some(
            nasty
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .as_str()
        )
    );
    assert!(page.visible_text().contains("{{ 7*7 }}"), "not evaluated");
}

#[test]
fn hidden_reviews_disappear_from_counts_and_lists() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    post_review(&app.customer("ada@example.com"), lamp, "5", "Lovely.");
    post_review(
        &app.customer("bob@example.com"),
        lamp,
        "1",
        "Spam spam spam.",
    );
    let listing = app.client().get("/products");
    assert_eq!(listing.text(".card .rating").as_deref(), Some("★ 3.0 (2)"));

    let admin = app.admin("boss@example.com");
    let page = admin.get(&format!("/products/{lamp}"));
    let spam = page
        .attrs(".review form[action$='/hide']", "action")
        .into_iter()
        .next()
        .expect("admins see hide buttons");
    // The newest review comes first: Bob's.
    let response = admin.submit_on(&page, &spam, &[]);
    assert_eq!(response.status, 303);

    let public = app.client().get(&format!("/products/{lamp}"));
    assert_eq!(public.texts(".review .review-body"), ["Lovely."]);
    assert_eq!(
        public.text(".rating-summary").as_deref(),
        Some("★ 5.0 out of 5 · 1 review")
    );
    assert_eq!(
        app.client()
            .get("/products")
            .text(".card .rating")
            .as_deref(),
        Some("★ 5.0 (1)")
    );
    let for_admin = admin.get(&format!("/products/{lamp}"));
    assert_eq!(
        for_admin.texts(".review.is-hidden .review-body"),
        ["Spam spam spam."]
    );

    // Editing a hidden review does not bring it back.
    post_review(&app.logged_in("bob@example.com"), lamp, "1", "Still spam.");
    assert_eq!(
        app.client()
            .get(&format!("/products/{lamp}"))
            .texts(".review .review-body"),
        ["Lovely."]
    );

    // Shown again, it counts again.
    let show = for_admin
        .attrs(".review form[action$='/show']", "action")
        .remove(0);
    assert_eq!(admin.submit_on(&for_admin, &show, &[]).status, 303);
    assert_eq!(
        app.client()
            .get(&format!("/products/{lamp}"))
            .text(".rating-summary")
            .as_deref(),
        Some("★ 3.0 out of 5 · 2 reviews")
    );

    // Customers cannot hide.
    let customer = app.logged_in("ada@example.com");
    let token = customer
        .get("/account")
        .attrs("input[name=csrf_token]", "value")
        .remove(0);
    assert_eq!(
        customer
            .post_form(&show.replace("/show", "/hide"), &[("csrf_token", &token)])
            .status,
        403
    );
    let admin_token = for_admin.attrs("input[name=csrf_token]", "value").remove(0);
    assert_eq!(
        admin
            .post_form(
                "/admin/reviews/999999/hide",
                &[("csrf_token", &admin_token)]
            )
            .status,
        404
    );
}

#[test]
fn no_reviews_means_no_average() {
    let app = TestApp::spawn();
    let lamp = app.product_on_sale("Desk Lamp", 2_500, 10);
    let page = app.client().get(&format!("/products/{lamp}"));
    assert_eq!(
        page.text(".rating-summary").as_deref(),
        Some("No reviews yet")
    );
    assert!(app
        .client()
        .get("/products")
        .text(".card .rating")
        .is_none());
}

#[test]
fn lists_sort_by_rating_and_reviews_are_paged() {
    let app = TestApp::spawn();
    let good = app.product_on_sale("Good Lamp", 2_500, 10);
    let fair = app.product_on_sale("Fair Lamp", 2_500, 10);
    app.product_on_sale("Unrated Lamp", 2_500, 10);
    for i in 0..12 {
        let client = app.customer(&format!("reader{i}@example.com"));
        post_review(&client, good, "5", &format!("Review number {i}"));
        if i < 2 {
            post_review(&client, fair, "3", "It is fine.");
        }
    }
    let sorted = app.client().get("/products?sort=rating");
    assert_eq!(
        sorted.product_names(),
        ["Good Lamp", "Fair Lamp", "Unrated Lamp"]
    );
    let searched = app.client().get("/products?q=lamp&sort=rating");
    assert_eq!(
        searched.product_names(),
        ["Good Lamp", "Fair Lamp", "Unrated Lamp"]
    );

    let first = app.client().get(&format!("/products/{good}"));
    assert_eq!(first.texts(".review").len(), 10);
    assert_eq!(
        first.texts(".review .review-body")[0],
        "Review number 11",
        "newest first"
    );
    let next = first.attrs("a[rel=next]", "href").remove(0);
    assert_eq!(next, format!("/products/{good}?reviews_page=2#reviews"));
    let second = app.client().get(&next);
    assert_eq!(
        second.texts(".review .review-body"),
        ["Review number 1", "Review number 0"]
    );
    assert_eq!(
        app.client()
            .get(&format!("/products/{good}?reviews_page=3"))
            .status,
        400
    );
    assert_eq!(
        app.client()
            .get(&format!("/products/{good}?reviews_page=x"))
            .status,
        400
    );
}
