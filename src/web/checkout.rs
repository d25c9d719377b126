//! Checkout: `GET /checkout` shows the order as it will be placed and the address form;
//! `POST /checkout` places it. The form carries a one-time key (a double submit finds the
//! same order) and the lines as shown (a changed price or cart places nothing).

use actix_session::SessionExt;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::TimeDelta;
use serde::Deserialize;

use crate::db::{self, DbConn};
use crate::domain::account::random_token;
use crate::domain::payment::{CreditProblem, PaymentMethod};
use crate::domain::shipping::parse_country;
use crate::domain::tax::Breakdown;
use crate::domain::{AddressInput, Money, ShippingAddress, Totals};
use crate::mail::compose::tax_sentences;
use crate::models::address::{self, Address};
use crate::models::cart::{self, CartLine, CartOwner};
use crate::models::credit;
use crate::models::now;
use crate::models::shipping;
use crate::services::checkout::{self, CheckoutProblem, CheckoutRequest, Placed, ShownLine};
use crate::services::coupons::CartCoupon;
use crate::services::payments::{self, CardStart};
use crate::services::pricing::{self, ShippingProblem};
use crate::web::auth::CurrentUser;
use crate::web::cart::{describe_discount, totals_of, CouponView};
use crate::web::error::AppError;
use crate::web::flash::{self, see_other, FlashKind};
use crate::web::forms::FormErrors;
use crate::web::page::{render, PageContext};
use crate::web::state::AppState;
use crate::web::visit::{Reply, Visit};

#[derive(Template)]
#[template(path = "checkout/checkout.html")]
struct CheckoutPage {
    page: PageContext,
    lines: Vec<CartLine>,
    totals: Totals,
    /// "Discount (10%)" or "Coupon SPRING-10".
    discount_label: String,
    /// The coupon the cart holds, and what it does.
    coupon: Option<CouponView>,
    /// The code of the coupon giving the discount as shown (empty for none).
    shown_coupon: String,
    price: Option<Breakdown>,
    taxes: Vec<String>,
    countries: Vec<(&'static str, &'static str)>,
    shipping_methods: Vec<MethodChoice>,
    saved: Vec<Address>,
    address_choice: String,
    save_address: bool,
    shipping_problem: Option<&'static str>,
    summary: String,
    checkout_key: String,
    address: AddressInput,
    errors: FormErrors,
    notices: Vec<String>,
    blocked: bool,
    methods: Vec<PaymentMethod>,
    payment: PaymentMethod,
    credit_cents: i64,
    unpaid_link: bool,
}

/// A shipping method as checkout offers it, with what it costs this order.
struct MethodChoice {
    id: i32,
    name: String,
    cost: Money,
    chosen: bool,
}

/// What the page needs besides the cart.
struct Shown {
    checkout_key: String,
    shipping_method: Option<i32>,
    payment: Option<PaymentMethod>,
    address: AddressInput,
    errors: FormErrors,
    notices: Vec<String>,
    /// Whether to point at the unpaid orders (the cap on them was reached).
    unpaid_link: bool,
    /// The saved address chosen: `None` until the customer chose (the last used is then
    /// pre-selected), `Some(None)` for a new address.
    address_id: Option<Option<i32>>,
    /// Whether to save a new address.
    save_address: bool,
}

/// The lines of the user's cart (none without a cart).
fn cart_lines(conn: &mut DbConn, user_id: i32) -> Result<Vec<CartLine>, AppError> {
    match cart::find(conn, &CartOwner::User(user_id))? {
        Some(cart_id) => Ok(cart::lines(conn, cart_id)?),
        None => Ok(Vec::new()),
    }
}

/// The checkout page for the cart as it is now.
async fn checkout_page(
    state: &AppState,
    page: PageContext,
    user_id: i32,
    shown: Shown,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let methods = state.config.payment_methods.clone();
    let shows_credit = methods.contains(&PaymentMethod::StoreCredit);
    let settings = state.settings().await?;
    let priced_settings = settings.clone();
    let mut shown = shown;
    let today = now().date();
    let (summary, credit_cents, all_methods, saved) = db::run(&state.pool, move |conn| {
        let owner = CartOwner::User(user_id);
        let summary = pricing::cart_summary(conn, &owner, None, &priced_settings, today)?;
        let credit = match shows_credit {
            true => credit::balance(conn, user_id)?.unwrap_or(0),
            false => 0,
        };
        Ok((
            summary,
            credit,
            shipping::all(conn)?,
            address::for_user(conn, user_id)?,
        ))
    })
    .await?;
    let countries = pricing::offered_countries(&all_methods);
    // The last used address is pre-selected until the customer chooses.
    let chosen = match shown.address_id {
        None => saved.first().map(|a| a.id),
        Some(choice) => choice,
    };
    let chosen_address = chosen.and_then(|id| saved.iter().find(|a| a.id == id));
    let address_choice = chosen_address.map_or("new".to_string(), |a| a.id.to_string());
    // With methods, a country some method serves is always chosen (the first, until the
    // customer picks another); without, the customer chooses one.
    let destination = chosen_address.map_or(shown.address.country.as_str(), |a| a.country.as_str());
    let country = parse_country(destination)
        .filter(|c| countries.iter().any(|(code, _)| code == c))
        .or_else(|| {
            (!all_methods.is_empty())
                .then(|| countries.first().map(|(c, _)| *c))
                .flatten()
        })
        .unwrap_or("");
    if chosen_address.is_none() {
        shown.address.country = country.to_string();
    }
    let offered = pricing::methods_for(&all_methods, country);
    let shipping_method = shown
        .shipping_method
        .filter(|id| offered.iter().any(|m| m.id == *id))
        .or(offered.first().map(|m| m.id));
    let lines = summary.lines;
    let quoted_lines = lines.clone();
    let quoted_country = country.to_string();
    let terms = summary
        .coupon
        .as_ref()
        .and_then(CartCoupon::applicable_terms);
    let quote_settings = settings.clone();
    let quote = db::run(&state.pool, move |conn| {
        let destination = (quoted_country.as_str(), shipping_method);
        pricing::quote(
            conn,
            &quoted_lines,
            destination,
            (&quote_settings, terms.as_ref()),
        )
    })
    .await?;
    let threshold_discount = totals_of(settings.discount_rule(), &lines)?.discount;
    let (discount_label, coupon) = describe_discount(
        summary.coupon.as_ref(),
        (summary.source, threshold_discount),
        settings.discount_percent,
        &state.config.currency_symbol,
    );
    let shown_coupon = coupon
        .as_ref()
        .filter(|c| c.applied)
        .map_or(String::new(), |c| c.code.clone());
    let goods = quote
        .as_ref()
        .ok()
        .map(|q| q.breakdown.subtotal.cents() - q.breakdown.discount.cents());
    let shipping_methods = offered
        .iter()
        .map(|m| MethodChoice {
            id: m.id,
            name: m.name.clone(),
            cost: m.rate().cost(Money::from_cents(goods.unwrap_or(0))),
            chosen: Some(m.id) == shipping_method,
        })
        .collect();
    let (price, shipping_problem) = match quote {
        Ok(quote) => (Some(quote.breakdown), None),
        Err(problem) => (None, Some(problem.message())),
    };
    let taxes = price
        .as_ref()
        .map(|p| tax_sentences(p, &state.config.currency_symbol))
        .unwrap_or_default();
    let totals = summary.totals;
    let blocked = lines.iter().any(|l| l.problem().is_some());
    let mut response = render(
        status,
        &CheckoutPage {
            page,
            summary: ShownLine::encode(&ShownLine::from_cart(&lines)),
            discount_label,
            coupon,
            shown_coupon,
            lines,
            totals,
            price,
            taxes,
            countries,
            shipping_methods,
            saved,
            address_choice,
            save_address: shown.save_address,
            shipping_problem: shipping_problem.filter(|_| !country.is_empty()),
            checkout_key: shown.checkout_key,
            address: shown.address,
            errors: shown.errors,
            notices: shown.notices,
            blocked,
            payment: shown
                .payment
                .or(methods.first().copied())
                .unwrap_or(PaymentMethod::BankTransfer),
            methods,
            credit_cents,
            unpaid_link: shown.unpaid_link,
        },
    )?;
    state.allow_payment_redirects(&mut response);
    Ok(response)
}

/// `GET /checkout`.
pub async fn show(v: Visit, CurrentUser(user): CurrentUser) -> Reply {
    let (req, state, page) = v.into_parts();
    let user_id = user.id;
    if db::run(&state.pool, move |conn| cart_lines(conn, user_id))
        .await?
        .is_empty()
    {
        return Ok(flash::info(
            &req,
            "Your cart is empty: add something before checking out.",
            "/cart",
        ));
    }
    let shown = Shown {
        checkout_key: random_token(),
        shipping_method: None,
        payment: None,
        address: AddressInput::default(),
        errors: FormErrors::new(),
        notices: Vec::new(),
        unpaid_link: false,
        address_id: None,
        save_address: false,
    };
    checkout_page(&state, page, user.id, shown, StatusCode::OK).await
}

/// The checkout form as posted. Prices and totals are not among its fields: extra fields
/// such as `price` or `discount` are ignored.
#[derive(Debug, Deserialize)]
pub struct CheckoutForm {
    name: String,
    address_line1: String,
    #[serde(default)]
    address_line2: String,
    postcode: String,
    city: String,
    #[serde(default)]
    country: String,
    checkout_key: String,
    summary: String,
    #[serde(default)]
    payment_method: String,
    #[serde(default)]
    shipping_method: String,
    /// A saved address's id, or `new` (absent when there are none).
    #[serde(default)]
    address_id: String,
    /// Ticked: save the new address.
    #[serde(default)]
    save_address: Option<String>,
    /// Set by the "Update shipping" button: show the page again for the country chosen.
    #[serde(default)]
    update: Option<String>,
    /// The coupon the page showed as giving the discount (empty for none).
    #[serde(default)]
    coupon: String,
}

fn plausible_key(key: &str) -> bool {
    key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `POST /checkout`: places the order in one transaction, then 303 to it.
pub async fn place(
    v: Visit,
    CurrentUser(user): CurrentUser,
    form: web::Form<CheckoutForm>,
) -> Reply {
    let (req, state, page) = v.into_parts();
    let form = form.into_inner();
    if !plausible_key(&form.checkout_key) {
        return Err(AppError::BadRequest(
            "This checkout form is incomplete. Open the checkout page again and place the order from there.".into(),
        ));
    }
    let typed = AddressInput {
        name: form.name.trim().to_string(),
        address_line1: form.address_line1.trim().to_string(),
        address_line2: form.address_line2.trim().to_string(),
        postcode: form.postcode.trim().to_string(),
        city: form.city.trim().to_string(),
        country: form.country.trim().to_string(),
    };
    let save_address = form.save_address.is_some();
    let address_choice = Some(form.address_id.trim().parse::<i32>().ok());
    let saved = match address_choice.flatten() {
        Some(address_id) => {
            let user_id = user.id;
            let found = db::run(&state.pool, move |conn| {
                Ok(address::find_for_user(conn, address_id, user_id)?)
            })
            .await?;
            Some(found.ok_or(AppError::NotFound)?)
        }
        None => None,
    };
    // A saved address ships the order; the new-address fields stay as typed for the page.
    let ship_to = saved.as_ref().map_or_else(|| typed.clone(), |a| a.input());
    let saved_id = saved.as_ref().map(|a| a.id);
    let payment = PaymentMethod::parse(form.payment_method.trim())
        .filter(|m| state.config.payment_methods.contains(m));
    let chosen_method = form.shipping_method.trim().parse::<i32>().ok();
    if form.update.is_some() {
        let shown = Shown {
            checkout_key: form.checkout_key,
            shipping_method: chosen_method,
            payment,
            address: typed,
            errors: FormErrors::new(),
            notices: Vec::new(),
            unpaid_link: false,
            address_id: address_choice,
            save_address,
        };
        return checkout_page(&state, page, user.id, shown, StatusCode::OK).await;
    }
    let address = match (ShippingAddress::parse(&ship_to), payment) {
        (Ok(address), Some(_)) => address,
        (parsed, _) => {
            let mut errors = FormErrors::new();
            for (field, message) in parsed.err().unwrap_or_default() {
                errors.add(field, message);
            }
            if payment.is_none() {
                errors.add("payment_method", "Choose how to pay.");
            }
            let shown = Shown {
                checkout_key: form.checkout_key,
                shipping_method: chosen_method,
                payment,
                address: typed,
                errors,
                notices: Vec::new(),
                unpaid_link: false,
                address_id: address_choice,
                save_address,
            };
            return checkout_page(&state, page, user.id, shown, StatusCode::BAD_REQUEST).await;
        }
    };

    let shown_lines = ShownLine::decode(&form.summary);
    let key = form.checkout_key.clone();
    let placed_address = address.clone();
    let worker_state = state.clone();
    let (user_id, email) = (user.id, user.email.clone());
    let payment = payment.unwrap_or(PaymentMethod::BankTransfer);
    let settings = state.settings().await?;
    let shown_coupon = Some(form.coupon.trim().to_string()).filter(|c| !c.is_empty());
    let result = db::run(&state.pool, move |conn| {
        let config = &worker_state.config;
        let request = CheckoutRequest {
            user_id,
            email: &email,
            checkout_key: &key,
            shown: &shown_lines,
            address: &placed_address,
            shipping_method: chosen_method,
            address_id: saved_id,
            save_address,
            settings: &settings,
            currency: &worker_state.config.currency_symbol,
            links: &worker_state.links,
            payment,
            credit_daily_limit: Money::from_cents(config.store_credit_daily_limit_cents),
            payment_window: match payment {
                PaymentMethod::BankTransfer => TimeDelta::days(config.bank_transfer_days),
                _ => TimeDelta::minutes(config.order_payment_minutes),
            },
            max_unpaid: config.max_unpaid_orders,
            shown_coupon: shown_coupon.as_deref(),
        };
        checkout::place_order(conn, &request, now())
    })
    .await?;

    let session = req.get_session();
    match result {
        Ok(Placed::New(id)) => {
            state.wake_mailer();
            log::info!("order {id} placed by user {}", user.id);
            if payment == PaymentMethod::Card {
                return pay_by_card(&req, &state, id, user.id).await;
            }
            flash::push(
                &session,
                FlashKind::Success,
                format!("Thank you! Your order #{id} is placed."),
            );
            Ok(see_other(&format!("/orders/{id}")))
        }
        Ok(placed @ Placed::Earlier(_)) if payment == PaymentMethod::Card => {
            pay_by_card(&req, &state, placed.id(), user.id).await
        }
        Ok(placed @ Placed::Earlier(_)) => Ok(see_other(&format!("/orders/{}", placed.id()))),
        Err(CheckoutProblem::Shipping(problem)) => {
            let mut errors = FormErrors::new();
            let field = match problem {
                ShippingProblem::NoMethod => "country",
                ShippingProblem::Choose => "shipping_method",
            };
            errors.add(field, problem.message());
            let shown = Shown {
                checkout_key: form.checkout_key,
                shipping_method: chosen_method,
                payment: Some(payment),
                address: typed,
                errors,
                notices: vec!["Nothing was ordered.".to_string()],
                unpaid_link: false,
                address_id: address_choice,
                save_address,
            };
            checkout_page(&state, page, user.id, shown, StatusCode::BAD_REQUEST).await
        }
        Err(CheckoutProblem::TooManyUnpaid(count)) => {
            let mut errors = FormErrors::new();
            errors.add(
                "payment_method",
                format!(
                    "You have {count} unpaid orders, the most we hold at once: pay or cancel one of them first (see Your orders), or pay this one with store credit."
                ),
            );
            let shown = Shown {
                checkout_key: form.checkout_key,
                shipping_method: chosen_method,
                payment: Some(payment),
                address: typed,
                errors,
                notices: vec!["Nothing was ordered.".to_string()],
                unpaid_link: true,
                address_id: address_choice,
                save_address,
            };
            checkout_page(&state, page, user.id, shown, StatusCode::BAD_REQUEST).await
        }
        Err(CheckoutProblem::EmptyCart) => {
            flash::push(
                &session,
                FlashKind::Info,
                "Your cart is empty: add something before checking out.",
            );
            Ok(see_other("/cart"))
        }
        Err(
            problem @ (CheckoutProblem::Changed(_)
            | CheckoutProblem::SoldOut(_)
            | CheckoutProblem::Coupon(_)),
        ) => {
            let mut notices = match problem {
                CheckoutProblem::Changed(notices) | CheckoutProblem::SoldOut(notices) => notices,
                CheckoutProblem::Coupon(problem) => {
                    vec![problem.message(&state.config.currency_symbol)]
                }
                _ => Vec::new(),
            };
            notices
                .push("Nothing was ordered. Check the order below and place it again.".to_string());
            let shown = Shown {
                checkout_key: form.checkout_key,
                shipping_method: chosen_method,
                payment: Some(payment),
                address: typed,
                errors: FormErrors::new(),
                notices,
                unpaid_link: false,
                address_id: address_choice,
                save_address,
            };
            checkout_page(&state, page, user.id, shown, StatusCode::CONFLICT).await
        }
        Err(CheckoutProblem::Credit(problem)) => {
            let message = match problem {
                CreditProblem::Short { balance, total } => format!(
                    "Your store credit is {}, this order is {}: choose another way to pay.",
                    page.money(balance),
                    page.money(total)
                ),
                CreditProblem::OverDailyLimit { remaining } => format!(
                    "Store credit can pay at most {} more today: choose another way to pay.",
                    page.money(remaining)
                ),
            };
            let mut errors = FormErrors::new();
            errors.add("payment_method", message);
            let shown = Shown {
                checkout_key: form.checkout_key,
                shipping_method: chosen_method,
                payment: Some(payment),
                address: typed,
                errors,
                notices: vec!["Nothing was ordered.".to_string()],
                unpaid_link: false,
                address_id: address_choice,
                save_address,
            };
            checkout_page(&state, page, user.id, shown, StatusCode::BAD_REQUEST).await
        }
    }
}

/// Sends the customer to Stripe's payment page for order `id` (303), or, when Stripe cannot
/// be reached or refuses, to the order's page with a message and its "Pay now" button.
pub async fn pay_by_card(
    req: &actix_web::HttpRequest,
    state: &AppState,
    id: i32,
    user_id: i32,
) -> Reply {
    let Some(stripe) = state.stripe.clone() else {
        return Ok(flash::error(
            req,
            "Card payments are not available right now. Your order is saved.",
            &format!("/orders/{id}"),
        ));
    };
    let worker_state = state.clone();
    let started = web::block(move || {
        payments::start_card_payment(
            &worker_state.pool,
            &stripe,
            worker_state.shop(),
            (id, user_id),
            now(),
        )
    })
    .await??;
    let page = format!("/orders/{id}");
    match started {
        None => Err(AppError::NotFound),
        Some(CardStart::Redirect(url)) => Ok(see_other(&url)),
        Some(CardStart::Settled(status)) => {
            state.wake_mailer();
            Ok(flash::info(
                req,
                format!(
                    "Order #{id} is {}: there is nothing to pay.",
                    status.label().to_lowercase()
                ),
                &page,
            ))
        }
        Some(CardStart::Failed(e)) => {
            log::warn!("order {id}: no card payment page: {e}");
            Ok(flash::error(
                req,
                format!("We could not open the card payment page just now. Your order #{id} is saved and nothing was charged: press \"Pay now\" to try again."),
                &page,
            ))
        }
    }
}
