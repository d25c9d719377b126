//! The whole journey in a real browser with JavaScript off: headless Chromium, driven through
//! Debian's chromedriver, against the real `shopfront` binary on a fresh SQLite database.
//!
//! Customer: home, search, category, product, guest cart, sign-up, the mailed link, login
//! (the cart is still there), quantities, checkout above the discount threshold, a review,
//! logout; the order is paid by card on the (fake) Stripe hosted page, through the checkout
//! page's `form-action` policy. Admin: `create-admin`, a category, a product with an image,
//! the shop, a price edit, shipping the order, store credit for the customer, the audit log;
//! then the customer pays a second order with that store credit. Attacks: forms on another origin are refused,
//! markup in a review stays text. Screenshots of the main pages at 390 and 1280 px go to
//! `target/screenshots/`.
//!
//! The suite has its own harness (libtest-mimic): without Chromium the journey is reported
//! as *ignored*, never as passed, and with `CI=true` a missing browser is a failure.

#[path = "../support/fake_stripe.rs"]
mod fake_stripe;
mod harness;

use fantoccini::Locator;
use libtest_mimic::{Arguments, Trial};

use harness::{attacker_page, Browser, Harness, PASSWORD};

fn main() {
    let args = Arguments::from_args();
    let browser = Browser::find();
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if browser.is_none() && !ci {
        println!(
            "no Chromium here: the browser journeys are ignored \
             (apt-get install chromium chromium-driver, or set CHROMIUM and CHROMEDRIVER)"
        );
    }
    let ignored = browser.is_none() && !ci;
    let journeys = Trial::test("journeys_in_a_browser_with_javascript_off", move || {
        let browser = browser.ok_or(
            "CI needs Chromium and chromedriver (Debian: apt-get install chromium chromium-driver)",
        )?;
        actix_web::rt::System::new().block_on(journeys_in_a_browser_with_javascript_off(browser));
        Ok(())
    })
    .with_ignored_flag(ignored);
    libtest_mimic::run(&args, vec![journeys]).exit();
}

async fn journeys_in_a_browser_with_javascript_off(browser: Browser) {
    let h = Harness::start(browser).await;
    let ordered = customer_journey(&h).await;
    attack_journey(&h, &ordered).await;
    review_and_logout(&h, &ordered).await;
    admin_journey(&h, &ordered).await;
    store_credit_journey(&h, &ordered).await;
    guest_journey(&h, &ordered).await;
    h.finish().await;
}

/// What the customer bought, for the later journeys.
struct Ordered {
    product_path: String,
    product_name: String,
    order_id: String,
}

async fn customer_journey(h: &Harness) -> Ordered {
    // Home: categories, newest products, a search box.
    h.open("/").await;
    assert_eq!(h.h1().await, "Good things, sold simply");
    assert!(h
        .texts(".category-grid a")
        .await
        .contains(&"Kitchen".to_string()));
    assert!(!h.texts(".card .card-name").await.is_empty());
    h.screenshots("home").await;

    // Search from the home page's box.
    h.fill("#home-search", "kettle").await;
    h.click(".hero form button").await;
    assert_eq!(h.h1().await, "Search: “kettle”");
    let found = h.texts(".card .card-name").await;
    assert!(found[0].contains("Kettle"), "{found:?}");
    h.screenshots("list").await;

    // A category from the navigation, sorted by price.
    h.click("nav.categories a[href='/products?category=kitchen']")
        .await;
    assert_eq!(h.h1().await, "Kitchen");
    h.client
        .find(Locator::Css("#sort"))
        .await
        .expect("the sort menu")
        .select_by_value("price_desc")
        .await
        .expect("choose a sort");
    h.click("form.sort button").await;
    assert!(h.current_path().await.contains("sort=price_desc"));

    // The dearest product in stock: its page.
    let cards = h
        .client
        .find_all(Locator::Css(".card"))
        .await
        .expect("cards");
    let mut product_path = None;
    for card in cards {
        let stock = card
            .find(Locator::Css(".stock"))
            .await
            .expect("stock")
            .text()
            .await
            .expect("text");
        if stock == "In stock" {
            let link = card.find(Locator::Css(".card-name")).await.expect("link");
            product_path = link.attr("href").await.expect("href");
            break;
        }
    }
    let product_path = product_path.expect("a product in stock");
    h.click(&format!(".card .card-name[href='{product_path}']"))
        .await;
    let product_name = h.h1().await;
    let price = h.text(".product .price").await;
    assert!(h.text(".product .stock").await == "In stock");
    h.screenshots("product").await;

    // Into the cart as a guest.
    h.fill("form.add-to-cart input[name=quantity]", "1").await;
    h.click("form.add-to-cart button").await;
    assert_eq!(h.h1().await, "Your cart");
    assert!(h
        .text(".flash")
        .await
        .starts_with(&format!("Added {product_name}")));
    assert_eq!(h.text(".cart-link").await, "Cart (1)");

    // Sign up, read the mail, follow its link.
    let email = "ada@example.com";
    h.open("/signup").await;
    h.fill("#email", email).await;
    h.fill("#password", PASSWORD).await;
    h.fill("#password_confirm", PASSWORD).await;
    h.click("form[action='/signup'] button").await;
    assert_eq!(h.h1().await, "Log in");
    assert!(h
        .text(".flash")
        .await
        .contains("We have sent a message to ada@example.com"));
    let link = h.mailed_link(email, "/verify-email?token=").await;
    h.client.goto(&link).await.expect("follow the mailed link");
    assert_eq!(h.h1().await, "Thank you: your address is verified");

    // Log in: the guest cart is still there.
    h.log_in(email, PASSWORD).await;
    assert_eq!(h.h1().await, "Your account");
    assert_eq!(h.text(".verified").await, "Verified");
    assert_eq!(h.text(".cart-link").await, "Cart (1)");
    h.open("/cart").await;
    assert_eq!(
        h.texts("table.lines tbody td a").await,
        std::slice::from_ref(&product_name)
    );

    // Change the quantity, then try a negative one.
    h.fill("form.quantity input[name=quantity]", "2").await;
    h.click("form.quantity button").await;
    assert_eq!(h.text(".flash").await, "Your cart is updated.");
    let unit = harness::cents(&price);
    assert_eq!(
        harness::cents(&h.texts("table.lines tbody td.num").await[1]),
        2 * unit
    );
    h.fill("form.quantity input[name=quantity]", "-1").await;
    h.click("form.quantity button").await;
    assert!(h
        .text("table.lines .field-error")
        .await
        .contains("The quantity cannot be negative."));
    assert_eq!(
        h.client
            .find(Locator::Css("form.quantity input[name=quantity]"))
            .await
            .expect("field")
            .prop("value")
            .await
            .expect("value")
            .as_deref(),
        Some("2"),
        "unchanged"
    );
    h.open("/cart").await;
    h.screenshots("cart").await;

    // Check out above the discount threshold.
    assert!(2 * unit > 10_000, "the test product is above the threshold");
    h.click("a.button[href='/checkout']").await;
    assert_eq!(h.h1().await, "Checkout");
    let discount = h.text(".totals .discount").await;
    assert_eq!(
        harness::cents(&discount),
        -(2 * unit / 10),
        "10% off, rounded down"
    );
    h.screenshots("checkout").await;
    h.fill("#name", "Ada Lovelace").await;
    h.fill("#address_line1", "12 St James's Square").await;
    h.fill("#postcode", "SW1Y 4JH").await;
    h.fill("#city", "London").await;
    h.select("#country", "GB").await;
    h.choose("input[name=save_address]").await;
    let card = h
        .client
        .find(Locator::Css("input[name=payment_method][value=card]"))
        .await
        .expect("the card choice");
    assert!(
        card.prop("checked").await.expect("checked").as_deref() == Some("true"),
        "card is pre-selected"
    );
    h.click("form[action='/checkout'] button.place-order").await;

    // The browser follows the 303 to Stripe's page: the checkout page's form-action allows it.
    assert!(
        h.client
            .current_url()
            .await
            .expect("the url")
            .as_str()
            .starts_with(&format!("{}/pay/cs_", h.fake.base)),
        "on the hosted payment page"
    );
    assert_eq!(h.h1().await, "Fake Stripe Checkout");
    h.screenshots("stripe-hosted-page").await;
    h.click("form button").await;

    let heading = h.h1().await;
    assert!(heading.starts_with("Order #"), "{heading}");
    let order_id = heading.trim_start_matches("Order #").to_string();
    assert_eq!(
        h.text(".flash").await,
        "Thank you! Your payment is confirmed."
    );
    assert_eq!(h.fake.deliveries().len(), 1, "the signed event came first");
    assert_eq!(h.text(".totals .discount").await, discount);
    assert_eq!(
        harness::cents(&h.text(".totals .total").await),
        2 * unit - 2 * unit / 10
    );
    assert_eq!(h.text("dd.status").await, "Paid");
    assert_eq!(h.text("dd.payment-method").await, "Card");
    h.screenshots("order-paid-by-card").await;
    Ordered {
        product_path,
        product_name,
        order_id,
    }
}

async fn attack_journey(h: &Harness, ordered: &Ordered) {
    // A page on another origin with forms aimed at the shop. With JavaScript off nothing
    // submits itself, so the test clicks, as a tricked visitor would.
    let product_id = ordered.product_path.trim_start_matches("/products/");
    let evil = attacker_page(&h.base, product_id);
    h.client.goto(&evil.url).await.expect("open the other site");
    h.click("#claim").await;
    assert!(
        h.text("main")
            .await
            .contains("This form could not be accepted"),
        "the add to cart is refused"
    );
    h.client.goto(&evil.url).await.expect("open the other site");
    h.click("#leave").await;
    assert!(
        h.text("main")
            .await
            .contains("This form could not be accepted"),
        "the logout is refused"
    );
    h.open("/cart").await;
    assert!(
        h.text("main").await.contains("Your cart is empty."),
        "nothing was added"
    );
    assert_eq!(
        h.text(".user-menu .who").await,
        "ada@example.com",
        "still logged in"
    );
}

async fn review_and_logout(h: &Harness, ordered: &Ordered) {
    let text = "<script>alert('boo')</script> Solid, heavy & worth it.";
    h.open(&ordered.product_path).await;
    h.choose(".review-form input[name=rating][value='5']").await;
    h.fill("#body", text).await;
    h.click(".review-form button").await;
    assert_eq!(h.text(".flash").await, "Thank you for your review.");
    assert_eq!(
        h.h1().await,
        ordered.product_name,
        "back on the product's page"
    );
    assert_eq!(
        h.text(".review .review-body").await,
        text,
        "markup shown as text"
    );
    assert!(h
        .client
        .find_all(Locator::Css(".review script"))
        .await
        .expect("query")
        .is_empty());
    assert_eq!(h.text(".rating-summary").await, "★ 5.0 out of 5 · 1 review");

    h.click(".user-menu form[action='/logout'] button").await;
    assert_eq!(h.text(".flash").await, "You have logged out.");
    assert_eq!(
        h.texts(".user-menu a:not(.cart-link)").await,
        ["Log in", "Sign up"]
    );
}

async fn admin_journey(h: &Harness, ordered: &Ordered) {
    let admin = "boss@example.com";
    h.create_admin(admin, PASSWORD);
    h.log_in(admin, PASSWORD).await;
    h.open("/admin").await;
    assert_eq!(h.h1().await, "Admin");

    // A category.
    h.open("/admin/categories/new").await;
    h.fill("#name", "Lamps & Lights").await;
    h.click("form[action='/admin/categories'] button").await;
    assert!(h
        .texts("table.lines tbody td a")
        .await
        .contains(&"lamps-lights".to_string()));

    // A product with an image.
    h.open("/admin/products/new").await;
    h.fill("#name", "Brass Desk Lamp").await;
    h.fill(
        "#description",
        "A heavy brass lamp with a green glass shade.",
    )
    .await;
    h.fill("#price", "89.00").await;
    h.fill("#stock", "12").await;
    h.client
        .find(Locator::Css("#category_id"))
        .await
        .expect("the category menu")
        .select_by_label("Lamps & Lights")
        .await
        .expect("choose the category");
    let image = h.write_image();
    h.client
        .find(Locator::Css("#image"))
        .await
        .expect("the file field")
        .send_keys(&image)
        .await
        .expect("choose the file");
    h.click("form[action='/products'][method='post'] button")
        .await;
    assert_eq!(h.h1().await, "Edit Brass Desk Lamp");
    let thumb = h
        .client
        .find(Locator::Css(".photo-list img"))
        .await
        .expect("the stored photo");
    let src = thumb.attr("src").await.expect("src").expect("an image URL");
    assert!(
        src.starts_with("/uploads/") && src.ends_with(".jpg"),
        "re-encoded: {src}"
    );

    // In the shop.
    h.open("/products?q=brass+desk+lamp").await;
    assert_eq!(h.texts(".card .card-name").await[0], "Brass Desk Lamp");
    let alt = h
        .client
        .find(Locator::Css(".card img"))
        .await
        .expect("a picture")
        .attr("alt")
        .await
        .expect("alt");
    assert_eq!(alt.as_deref(), Some("Brass Desk Lamp"));
    h.click(".card .card-name").await;
    assert_eq!(h.text(".product .price").await, "$89.00");
    let shop_path = h.current_path().await;

    // A new price.
    let id = shop_path.trim_start_matches("/products/");
    h.open(&format!("/admin/products/{id}/edit")).await;
    h.fill("#price", "79.50").await;
    h.click(&format!("form[action='/products/{id}'] button"))
        .await;
    assert_eq!(h.text(".flash").await, "Saved.");
    h.open(&shop_path).await;
    assert_eq!(h.text(".product .price").await, "$79.50");

    // Ship the customer's order, paid by card.
    for (status, shown) in [("shipped", "Shipped")] {
        h.open(&format!("/admin/orders/{}", ordered.order_id)).await;
        h.client
            .find(Locator::Css("#status"))
            .await
            .expect("the status menu")
            .select_by_value(status)
            .await
            .expect("choose the status");
        h.click("form[action$='/status'] button").await;
        assert_eq!(h.text("dd.status").await, shown);
    }
    h.open("/admin/products").await;
    assert!(h
        .texts(".admin-products tbody td a")
        .await
        .contains(&"Brass Desk Lamp".to_string()));
    h.screenshots("admin-products").await;

    // Every step is in the audit log.
    h.open("/admin/audit").await;
    let rows = h.texts(".audit tbody tr").await;
    let has = |action: &str, detail: &str| {
        rows.iter()
            .any(|r| r.contains(action) && r.contains(detail))
    };
    assert!(has("category.create", "lamps-lights"), "{rows:#?}");
    assert!(has("product.create", "Brass Desk Lamp"), "{rows:#?}");
    assert!(has("product.update", "89.00 → 79.50"), "{rows:#?}");
    assert!(has("order.status", "paid → shipped"), "{rows:#?}");
    assert!(rows.iter().all(|r| r.contains(admin)), "{rows:#?}");
    h.screenshots("admin-audit").await;

    // The shop's name, a shipping method and tax rates for the customer's country.
    h.open("/admin/settings").await;
    h.fill("#shop_name", "Shopfront Lisbon").await;
    h.fill("#vat_id", "PT123456789").await;
    h.click("form[action='/admin/settings'] button").await;
    assert_eq!(h.text(".flash").await, "Settings saved.");
    assert_eq!(h.text(".brand").await, "Shopfront Lisbon");
    h.screenshots("admin-settings").await;
    h.open("/admin/shipping").await;
    h.fill("#name", "Standard parcel").await;
    h.fill("#countries", "GB").await;
    h.fill("#price", "4.90").await;
    h.fill("#free_above", "50.00").await;
    h.click("form.new-method button").await;
    assert_eq!(h.text(".flash").await, "Shipping method added.");
    h.screenshots("admin-shipping").await;
    h.open("/admin/taxes").await;
    h.fill("#country", "GB").await;
    h.fill("#standard", "20").await;
    h.fill("#reduced", "5").await;
    h.click("form.set-rates button").await;
    assert!(h
        .texts(".tax-rates tbody td")
        .await
        .contains(&"20 %".to_string()));
    h.screenshots("admin-taxes").await;

    // A coupon for newcomers.
    h.open("/admin/coupons/new").await;
    h.fill("#code", "welcome-15").await;
    h.fill("#value", "15").await;
    h.click("form.coupon button").await;
    assert_eq!(h.text(".flash").await, "Coupon WELCOME-15 added.");
    assert!(h
        .texts(".coupons td.code")
        .await
        .contains(&"WELCOME-15".to_string()));
    h.screenshots("admin-coupons").await;

    // Nested categories: Lamps & Lights › Reading Lights › Desk Lamps, and the lamp moves in.
    for (name, parent) in [
        ("Reading Lights", "Lamps & Lights"),
        ("Desk Lamps", "— Reading Lights"),
    ] {
        h.open("/admin/categories/new").await;
        h.fill("#name", name).await;
        h.client
            .find(Locator::Css("#parent_id"))
            .await
            .expect("the parent menu")
            .select_by_label(parent)
            .await
            .expect("choose the parent");
        h.click("form[action='/admin/categories'] button").await;
        assert_eq!(h.text(".flash").await, "The category is created.");
    }
    let lamp_id = shop_path.trim_start_matches("/products/");
    h.open(&format!("/admin/products/{lamp_id}/edit")).await;
    h.client
        .find(Locator::Css("#category_id"))
        .await
        .expect("the category menu")
        .select_by_label("Desk Lamps")
        .await
        .expect("choose the category");
    h.click(&format!("form[action='/products/{lamp_id}'] button"))
        .await;
    assert_eq!(h.text(".flash").await, "Saved.");
    h.open("/products?category=lamps-lights").await;
    assert_eq!(h.texts(".subcategories li").await, ["Reading Lights (1)"]);
    assert!(h
        .texts(".card .card-name")
        .await
        .contains(&"Brass Desk Lamp".to_string()));
    h.click(".subcategories a").await;
    h.click(".subcategories a").await;
    assert_eq!(h.h1().await, "Desk Lamps");
    assert_eq!(
        h.text(".breadcrumbs").await,
        "Home › Lamps & Lights › Reading Lights › Desk Lamps"
    );
    h.screenshots("nested-category").await;
    h.click(".card .card-name").await;
    assert_eq!(
        h.text(".breadcrumbs").await,
        "Home › Lamps & Lights › Reading Lights › Desk Lamps"
    );

    // Store credit for the customer, then log out.
    h.open("/admin/users?q=ada%40example.com").await;
    h.fill("form.credit input[name=amount]", "500.00").await;
    h.fill("form.credit input[name=reason]", "Welcome gift")
        .await;
    h.click("form.credit button").await;
    assert!(h.text(".flash").await.contains("$500.00"));
    h.click(".user-menu form[action='/logout'] button").await;
}

/// The customer pays a second order with the store credit an admin granted.
async fn store_credit_journey(h: &Harness, ordered: &Ordered) {
    h.log_in("ada@example.com", PASSWORD).await;
    h.open(&ordered.product_path).await;
    h.fill("form.add-to-cart input[name=quantity]", "1").await;
    h.click("form.add-to-cart button").await;
    h.click("a.button[href='/checkout']").await;
    assert!(h.text("fieldset.payment").await.contains("$500.00"));
    // The address saved with the first order is offered and pre-selected.
    let saved = h.texts(".saved-addresses label").await;
    assert!(saved[0].contains("12 St James's Square"), "{saved:?}");
    assert!(h.texts("fieldset.shipping label").await[0].contains("Standard parcel"));
    assert!(h.text(".tax-lines").await.contains("incl. 20 % VAT"));
    h.screenshots("checkout-saved-address").await;
    h.choose("input[name=payment_method][value=store_credit]")
        .await;
    h.click("form[action='/checkout'] button.place-order").await;
    let heading = h.h1().await;
    assert!(heading.starts_with("Order #"), "{heading}");
    assert_ne!(heading, format!("Order #{}", ordered.order_id));
    assert_eq!(h.text("dd.status").await, "Paid", "paid at once");
    assert_eq!(h.text("dd.payment-method").await, "Store credit");
    let total = harness::cents(&h.text(".totals .total").await);
    assert!(h.text(".tax-lines").await.contains("incl. 20 % VAT"));
    h.screenshots("order-paid-by-store-credit").await;
    // Paid at once, so it has an invoice.
    h.click("a.invoice-link").await;
    assert!(h.h1().await.starts_with("Invoice 20"), "{}", h.h1().await);
    assert!(h.text(".seller").await.contains("PT123456789"));
    assert_eq!(harness::cents(&h.text(".totals .total").await), total);
    h.screenshots("invoice").await;
    h.open("/account/credit").await;
    assert_eq!(
        harness::cents(&h.text(".credit-balance").await),
        50_000 - total
    );
}

/// A visitor without an account applies a coupon, checks out as a guest, pays by card and
/// lands on the order's private link.
async fn guest_journey(h: &Harness, ordered: &Ordered) {
    h.click(".user-menu form[action='/logout'] button").await;
    h.open(&ordered.product_path).await;
    h.fill("form.add-to-cart input[name=quantity]", "1").await;
    h.click("form.add-to-cart button").await;

    // A product sold in sizes: one chosen from the page's menu, no JavaScript needed.
    h.open("/products?q=merino").await;
    h.click(".card .card-name").await;
    assert_eq!(h.h1().await, "Merino Hiking Socks");
    let on_sale = h
        .client
        .find_all(Locator::Css("#variant_id option:not([disabled])"))
        .await
        .expect("the variant menu");
    let last = on_sale.last().expect("a size on sale");
    let value = last.attr("value").await.expect("value").expect("an id");
    let label = last.text().await.expect("its label");
    let size = label.split(" — ").next().expect("a name").to_string();
    h.select("#variant_id", &value).await;
    h.screenshots("variant").await;
    h.click("form.add-to-cart button").await;
    let bought = format!("Merino Hiking Socks — {size}");
    assert!(h.text(".flash").await.contains(&bought), "{bought}");
    assert!(h.text("table.lines").await.contains(&bought));

    h.fill("#code", "nope").await;
    h.click("form.coupon-form button").await;
    assert!(h
        .text("#code-error")
        .await
        .contains("We do not know this code"));
    h.fill("#code", "welcome-15").await;
    h.click("form.coupon-form button").await;
    assert!(h.text(".coupon-state.applied").await.contains("WELCOME-15"));
    let discount = harness::cents(&h.text(".totals .discount").await);
    assert!(discount < 0, "the coupon takes something off");
    h.screenshots("cart-with-coupon").await;

    h.click("a.button[href='/checkout']").await;
    assert!(h.text(".guest-choice").await.contains("Log in"));
    assert_eq!(harness::cents(&h.text(".totals .discount").await), discount);
    h.fill("#email", "gus@example.com").await;
    h.fill("#name", "Gus Guest").await;
    h.fill("#address_line1", "1 Downing Street").await;
    h.fill("#postcode", "SW1A 2AA").await;
    h.fill("#city", "London").await;
    h.select("#country", "GB").await;
    h.choose("input[name=payment_method][value=card]").await;
    h.screenshots("guest-checkout").await;
    h.click("form[action='/checkout'] button.place-order").await;
    assert_eq!(h.h1().await, "Fake Stripe Checkout");
    h.click("form button").await;

    let heading = h.h1().await;
    assert!(heading.starts_with("Order #"), "{heading}");
    let url = h.client.current_url().await.expect("the url");
    assert!(
        url.query().is_some_and(|q| q.starts_with("key=")),
        "the private link: {url}"
    );
    assert_eq!(h.text("dd.status").await, "Paid");
    assert!(h.text(".totals").await.contains("Coupon WELCOME-15"));
    assert!(h.text(".guest-note").await.contains("Keep the link"));
    assert!(
        h.text("main").await.contains(&bought),
        "the variant is on the order"
    );
    h.screenshots("guest-order").await;
    let link = h.mailed_link("gus@example.com", "/orders/").await;
    assert!(link.contains("?key="), "{link}");
}
