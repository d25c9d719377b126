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
use crate::domain::account::Email;
use crate::domain::payment::{CreditProblem, PaymentMethod};
use crate::domain::shipping::parse_country;
use crate::domain::tax::Breakdown;
use crate::domain::{AddressInput, Money, ShippingAddress, Totals};
use crate::mail::compose::tax_sentences;
use crate::models::address::{self, Address};
use crate::models::cart::{CartLine, CartOwner};
use crate::models::credit;
use crate::models::now;
use crate::models::order::OrderAccess;
use crate::models::shipping;
use crate::services::checkout::{
    self, hash_link_key, Buyer, CheckoutProblem, CheckoutRequest, Placed, ShownLine,
};
use crate::services::coupons::CartCoupon;
use crate::services::payments::{self, CardStart};
use crate::services::pricing::{self, ShippingProblem};
use crate::web::auth::{current_user, login_required, SessionUser};
use crate::web::cart;
use crate::web::cart::{describe_discount, totals_of, CouponView};
use crate::web::error::AppError;
use crate::web::flash::{self, see_other, FlashKind};
use crate::web::forms::FormErrors;
use crate::web::orders::order_url;
use crate::web::page::{render, PageContext};
use crate::web::state::state_of;
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
    /// A guest checks out: the page asks for an e-mail address.
    guest: bool,
    /// The guest's address as typed.
    email: String,
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
    /// A guest's address, as typed.
    email: String,
}

/// Who is at the checkout: a logged-in customer, or (with `GUEST_CHECKOUT` on) a guest and
/// the cart their session names, if it names one.
pub enum Who {
    /// A logged-in customer.
    User(SessionUser),
    /// A guest, with their cart's token.
    Guest(Option<String>),
}

impl Who {
    fn user_id(&self) -> Option<i32> {
        match self {
            Who::User(user) => Some(user.id),
            Who::Guest(_) => None,
        }
    }

    fn cart_owner(&self) -> Option<CartOwner> {
        match self {
            Who::User(user) => Some(CartOwner::User(user.id)),
            Who::Guest(token) => token.clone().map(CartOwner::Guest),
        }
    }

    /// How this buyer may pay: a guest has no store credit.
    fn payment_methods(&self, config: &crate::config::Config) -> Vec<PaymentMethod> {
        let guest = matches!(self, Who::Guest(_));
        config
            .payment_methods
            .iter()
            .copied()
            .filter(|m| !(guest && *m == PaymentMethod::StoreCredit))
            .collect()
    }
}

extract_async!(Who, |req| {
    if let Some(user) = current_user(&req).await? {
        return Ok(Who::User(user));
    }
    if !state_of(&req)?.config.guest_checkout {
        return Err(login_required(&req));
    }
    let token = match cart::owner_of(&req.get_session(), None) {
        Some(CartOwner::Guest(token)) => Some(token),
        _ => None,
    };
    Ok(Who::Guest(token))
});

/// The lines of the buyer's cart (none without a cart).
fn cart_lines(conn: &mut DbConn, owner: Option<&CartOwner>) -> Result<Vec<CartLine>, AppError> {
    let Some(owner) = owner else {
        return Ok(Vec::new());
    };
    match crate::models::cart::find(conn, owner)? {
        Some(cart_id) => Ok(crate::models::cart::lines(conn, cart_id)?),
        None => Ok(Vec::new()),
    }
}

/// How long a client over its cap of unpaid guest orders is asked to wait.
const CLIENT_LIMIT_RETRY_SECONDS: u64 = 3600;

/// The key of a guest's private link to the order placed with `checkout_key`: made from the
/// shop's secret, so a second submission of the same form finds the same link, and nobody
/// can make it from what the database holds (it keeps only its hash).
fn guest_link_key(state: &AppState, checkout_key: &str) -> String {
    use hmac::{Hmac, Mac};
    let secret = state.config.secret();
    let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes a key of any length");
    mac.update(b"guest order link\0");
    mac.update(checkout_key.as_bytes());
    crate::domain::account::hex(&mac.finalize().into_bytes())
}

/// The checkout page for the cart as it is now.
async fn checkout_page(
    state: &AppState,
    page: PageContext,
    who: &Who,
    shown: Shown,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let methods = who.payment_methods(&state.config);
    let shows_credit = methods.contains(&PaymentMethod::StoreCredit);
    let settings = state.settings().await?;
    let priced_settings = settings.clone();
    let mut shown = shown;
    let today = now().date();
    let user_id = who.user_id();
    // A guest without a cart has an empty one: no cart has an empty token.
    let owner = who.cart_owner().unwrap_or(CartOwner::Guest(String::new()));
    let (summary, credit_cents, all_methods, saved) = db::run(&state.pool, move |conn| {
        let summary = pricing::cart_summary(conn, &owner, None, &priced_settings, today)?;
        let (credit, saved) = match user_id {
            Some(user_id) => (
                match shows_credit {
                    true => credit::balance(conn, user_id)?.unwrap_or(0),
                    false => 0,
                },
                address::for_user(conn, user_id)?,
            ),
            None => (0, Vec::new()),
        };
        Ok((summary, credit, shipping::all(conn)?, saved))
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
            guest: matches!(who, Who::Guest(_)),
            email: shown.email,
        },
    )?;
    state.allow_payment_redirects(&mut response);
    Ok(response)
}

/// `GET /checkout`.
pub async fn show(v: Visit, who: Who) -> Reply {
    let (req, state, page) = v.into_parts();
    let owner = who.cart_owner();
    if db::run(&state.pool, move |conn| cart_lines(conn, owner.as_ref()))
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
        email: String::new(),
    };
    checkout_page(&state, page, &who, shown, StatusCode::OK).await
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
    /// A guest's e-mail address.
    #[serde(default)]
    email: String,
}

fn plausible_key(key: &str) -> bool {
    key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit())
}

/// `POST /checkout`: places the order in one transaction, then 303 to it.
pub async fn place(v: Visit, who: Who, form: web::Form<CheckoutForm>) -> Reply {
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
    let typed_email = form.email.trim().chars().take(320).collect::<String>();
    let saved = match (address_choice.flatten(), who.user_id()) {
        (Some(_), None) => return Err(AppError::NotFound),
        (None, _) => None,
        (Some(address_id), Some(user_id)) => {
            let found = db::run(&state.pool, move |conn| {
                Ok(address::find_for_user(conn, address_id, user_id)?)
            })
            .await?;
            Some(found.ok_or(AppError::NotFound)?)
        }
    };
    // A saved address ships the order; the new-address fields stay as typed for the page.
    let ship_to = saved.as_ref().map_or_else(|| typed.clone(), |a| a.input());
    let saved_id = saved.as_ref().map(|a| a.id);
    let payment = PaymentMethod::parse(form.payment_method.trim())
        .filter(|m| who.payment_methods(&state.config).contains(m));
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
            email: typed_email.clone(),
        };
        return checkout_page(&state, page, &who, shown, StatusCode::OK).await;
    }
    let email = match &who {
        Who::User(user) => Ok(user.email.clone()),
        Who::Guest(_) => Email::parse(&typed_email)
            .map(|e| e.as_str().to_string())
            .map_err(|why| why.to_string()),
    };
    let address = match (ShippingAddress::parse(&ship_to), payment, &email) {
        (Ok(address), Some(_), Ok(_)) => address,
        (parsed, _, _) => {
            let mut errors = FormErrors::new();
            if let Err(why) = &email {
                errors.add("email", why.clone());
            }
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
                email: typed_email.clone(),
            };
            return checkout_page(&state, page, &who, shown, StatusCode::BAD_REQUEST).await;
        }
    };

    let shown_lines = ShownLine::decode(&form.summary);
    let key = form.checkout_key.clone();
    let placed_address = address.clone();
    let worker_state = state.clone();
    let email = email.unwrap_or_default();
    let payment = payment.unwrap_or(PaymentMethod::BankTransfer);
    let link_key = guest_link_key(&state, &form.checkout_key);
    let client_ip = crate::web::client_ip::of(&req, &state.config.trusted_proxies)
        .map_or("unknown".to_string(), |ip| ip.to_string());
    let guest_cart = match &who {
        Who::User(_) => None,
        Who::Guest(Some(token)) => Some(token.clone()),
        Who::Guest(None) => {
            return Ok(flash::info(
                &req,
                "Your cart is empty: add something before checking out.",
                "/cart",
            ))
        }
    };
    let user_id = who.user_id();
    let worker_link_key = link_key.clone();
    let settings = state.settings().await?;
    let shown_coupon = Some(form.coupon.trim().to_string()).filter(|c| !c.is_empty());
    let result = db::run(&state.pool, move |conn| {
        let config = &worker_state.config;
        let buyer = match (user_id, &guest_cart) {
            (Some(user_id), _) => Buyer::User(user_id),
            (None, token) => Buyer::Guest {
                cart_token: token.as_deref().unwrap_or_default(),
                link_key: &worker_link_key,
                client_ip: &client_ip,
            },
        };
        let request = CheckoutRequest {
            buyer,
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
    let access = match &who {
        Who::User(user) => OrderAccess::User(user.id),
        Who::Guest(_) => OrderAccess::GuestKey(hash_link_key(&link_key)),
    };
    let guest_key = matches!(who, Who::Guest(_)).then_some(link_key.as_str());
    let page_of = |id: i32| order_url(id, guest_key);
    match result {
        Ok(Placed::New(id)) => {
            state.wake_mailer();
            match &who {
                Who::User(user) => log::info!("order {id} placed by user {}", user.id),
                Who::Guest(_) => log::info!("order {id} placed by a guest"),
            }
            if payment == PaymentMethod::Card {
                return pay_by_card(&req, &state, id, (access, guest_key)).await;
            }
            flash::push(
                &session,
                FlashKind::Success,
                format!("Thank you! Your order #{id} is placed."),
            );
            Ok(see_other(&page_of(id)))
        }
        Ok(placed @ Placed::Earlier(_)) if payment == PaymentMethod::Card => {
            pay_by_card(&req, &state, placed.id(), (access, guest_key)).await
        }
        Ok(placed @ Placed::Earlier(_)) => Ok(see_other(&page_of(placed.id()))),
        Err(CheckoutProblem::ClientOverLimit) => Err(AppError::TooManyRequests {
            retry_after: CLIENT_LIMIT_RETRY_SECONDS,
        }),
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
                email: typed_email.clone(),
            };
            checkout_page(&state, page, &who, shown, StatusCode::BAD_REQUEST).await
        }
        Err(CheckoutProblem::TooManyUnpaid(count)) => {
            let mut errors = FormErrors::new();
            let message = match &who {
                Who::User(_) => format!(
                    "You have {count} unpaid orders, the most we hold at once: pay or cancel one of them first (see Your orders), or pay this one with store credit."
                ),
                Who::Guest(_) => format!(
                    "This address has {count} unpaid orders, the most we hold at once: pay or cancel one of them first, through the link in its order mail."
                ),
            };
            errors.add("payment_method", message);
            let shown = Shown {
                checkout_key: form.checkout_key,
                shipping_method: chosen_method,
                payment: Some(payment),
                address: typed,
                errors,
                notices: vec!["Nothing was ordered.".to_string()],
                unpaid_link: matches!(who, Who::User(_)),
                address_id: address_choice,
                save_address,
                email: typed_email.clone(),
            };
            checkout_page(&state, page, &who, shown, StatusCode::BAD_REQUEST).await
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
                email: typed_email.clone(),
            };
            checkout_page(&state, page, &who, shown, StatusCode::CONFLICT).await
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
                email: typed_email.clone(),
            };
            checkout_page(&state, page, &who, shown, StatusCode::BAD_REQUEST).await
        }
    }
}

/// Sends the customer to Stripe's payment page for order `id` (303), or, when Stripe cannot
/// be reached or refuses, to the order's page with a message and its "Pay now" button.
pub async fn pay_by_card(
    req: &actix_web::HttpRequest,
    state: &AppState,
    id: i32,
    (access, guest_key): (OrderAccess, Option<&str>),
) -> Reply {
    let page = order_url(id, guest_key);
    let guest_key = guest_key.map(str::to_string);
    let Some(stripe) = state.stripe.clone() else {
        return Ok(flash::error(
            req,
            "Card payments are not available right now. Your order is saved.",
            &page,
        ));
    };
    let worker_state = state.clone();
    let started = web::block(move || {
        payments::start_card_payment(
            &worker_state.pool,
            &stripe,
            worker_state.shop(),
            (id, &access, guest_key.as_deref()),
            now(),
        )
    })
    .await??;
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
