//! The cart over HTTP: `GET /cart`, `POST /cart/items` (add), `POST /cart/items/{id}` (set,
//! 0 removes). Guests have carts too; the session holds only their cart's random token.

use actix_session::{Session, SessionExt};
use actix_web::http::StatusCode;

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::domain::account::random_token;
use crate::domain::coupon::DiscountSource;
use crate::domain::{DiscountRule, LineChange, Money, Quantity, Totals};
use crate::mail::compose::tax_sentences;
use crate::models::cart::{CartLine, CartOwner, LineKey};
use crate::models::{now, variant};
use crate::services;
use crate::services::cart::CartProblem;
use crate::services::coupons::CartCoupon;
use crate::services::pricing;
use crate::web::auth::{current_user, SessionUser};
use crate::web::catalog;
use crate::web::error::AppError;
use crate::web::flash::{self, see_other, FlashKind};
use crate::web::new_sessions;
use crate::web::page::{render, PageContext};
use crate::web::state::AppState;
use crate::web::visit::{Reply, Visit};

/// Where the session keeps a guest's cart token.
const GUEST_CART_KEY: &str = "cart";

/// The cart a request means, if it has one: the user's when logged in, else the guest's.
pub fn owner_of(session: &Session, user: Option<&SessionUser>) -> Option<CartOwner> {
    match user {
        Some(user) => Some(CartOwner::User(user.id)),
        None => session
            .get::<String>(GUEST_CART_KEY)
            .ok()
            .flatten()
            .map(CartOwner::Guest),
    }
}

/// Whose cart a request works on, worked out once: the logged-in user's, else the guest's
/// the session names (`None` for a guest without a cart yet).
pub struct Shopper {
    /// The cart's owner, if there is a cart to speak of.
    pub cart: Option<CartOwner>,
    /// The request's session, which holds a guest's cart token.
    pub session: Session,
}

extract_async!(Shopper, |req| {
    let user = current_user(&req).await?;
    let session = req.get_session();
    Ok(Shopper {
        cart: owner_of(&session, user.as_ref()),
        session,
    })
});

/// Takes the guest cart token out of the session (at login, to merge the cart).
pub fn take_guest_token(session: &Session) -> Option<String> {
    if !session.entries().contains_key(GUEST_CART_KEY) {
        return None;
    }
    session
        .remove_as::<String>(GUEST_CART_KEY)
        .and_then(Result::ok)
}

/// A problem shown on the cart page: for one line, or for the cart as a whole.
struct CartMessage {
    line: Option<LineKey>,
    text: String,
}

#[derive(Template)]
#[template(path = "cart/cart.html")]
struct CartPage {
    page: PageContext,
    lines: Vec<CartLine>,
    totals: Totals,
    discount_percent: u32,
    messages: Vec<CartMessage>,
    can_check_out: bool,
    /// The goods' tax lines ("incl. 19 % VAT: $17.24") for the country below.
    tax_lines: Vec<String>,
    /// Which country the tax is for, and that shipping comes at checkout.
    tax_note: Option<String>,
    /// The total with the tax added, when prices do not include it.
    total_with_tax: Option<Money>,
    /// "Discount (10%)" or "Coupon SPRING-10".
    discount_label: String,
    /// The coupon the cart holds.
    coupon: Option<CouponView>,
    /// A refused code, as typed.
    coupon_typed: String,
    /// Why it was refused.
    coupon_error: Option<String>,
}

impl CartPage {
    fn message_for(&self, line: LineKey) -> Option<&str> {
        self.messages
            .iter()
            .find(|m| m.line == Some(line))
            .map(|m| m.text.as_str())
    }

    fn general_messages(&self) -> Vec<&str> {
        self.messages
            .iter()
            .filter(|m| m.line.is_none())
            .map(|m| m.text.as_str())
            .collect()
    }
}

/// The totals of cart lines under the shop's discount rule.
pub fn totals_of(rule: DiscountRule, lines: &[CartLine]) -> Result<Totals, AppError> {
    let priced: Vec<_> = lines.iter().map(|l| (l.unit_price(), l.quantity)).collect();
    rule.totals(&priced)
        .map_err(|_| AppError::BadRequest("This cart is too large to price.".into()))
}

/// The coupon box of the cart and checkout pages: the code held and what it does.
pub struct CouponView {
    /// The code.
    pub code: String,
    /// Whether it is what this order is discounted by.
    pub applied: bool,
    /// What it does, or why it does not.
    pub note: String,
}

/// How the pages name the discount, and what the coupon in the cart does.
pub fn describe_discount(
    summary_coupon: Option<&CartCoupon>,
    (source, discount): (DiscountSource, Money),
    percent: u32,
    currency: &str,
) -> (String, Option<CouponView>) {
    let label = match (source, summary_coupon) {
        (DiscountSource::Coupon, Some(c)) => format!("Coupon {}", c.code),
        _ => format!("Discount ({percent}%)"),
    };
    let view = summary_coupon.map(|c| {
        let applied = source == DiscountSource::Coupon;
        let note = match (&c.problem, &c.coupon) {
            (Some(problem), _) => format!("Not applied: {}", problem.message(currency)),
            (None, Some(coupon)) if applied => {
                format!("{} applied.", coupon.terms().kind.describe(currency))
            }
            (None, _) => format!(
                "Not applied: the shop's {percent}% discount ({}) takes off at least as much, and discounts do not add up.",
                discount.display(currency)
            ),
        };
        CouponView {
            code: c.code.clone(),
            applied,
            note,
        }
    });
    (label, view)
}

/// What the coupon form shows again after a refused code.
#[derive(Default)]
struct CouponForm {
    typed: String,
    error: Option<String>,
}

async fn cart_page(
    state: &AppState,
    page: PageContext,
    owner: Option<CartOwner>,
    messages: Vec<CartMessage>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    cart_page_with(
        state,
        page,
        owner,
        (messages, CouponForm::default()),
        status,
    )
    .await
}

async fn cart_page_with(
    state: &AppState,
    page: PageContext,
    owner: Option<CartOwner>,
    (messages, coupon_form): (Vec<CartMessage>, CouponForm),
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let settings = state.settings().await?;
    let summary = match owner {
        None => None,
        Some(owner) => {
            let settings = settings.clone();
            let today = now().date();
            let summary = db::read(&state.pool, move |conn| {
                pricing::cart_summary(conn, &owner, None, &settings, today)
            })
            .await?;
            Some(summary)
        }
    };
    let (lines, totals, source, coupon, tax) = match summary {
        Some(s) => (s.lines, s.totals, s.source, s.coupon, s.tax),
        None => (
            Vec::new(),
            totals_of(settings.discount_rule(), &[])?,
            DiscountSource::Nothing,
            None,
            None,
        ),
    };
    let currency = &state.config.currency_symbol;
    let tax_lines = tax
        .as_ref()
        .map(|t| tax_sentences(&t.breakdown, currency))
        .unwrap_or_default();
    let tax_note = tax.as_ref().filter(|_| !tax_lines.is_empty()).map(|t| {
        format!(
            "Tax for delivery to {}; shipping is added at checkout.",
            t.country
        )
    });
    let total_with_tax = tax
        .as_ref()
        .filter(|t| !t.breakdown.prices_include_tax && t.breakdown.tax.cents() > 0)
        .map(|t| t.breakdown.total);
    let threshold_discount = totals_of(settings.discount_rule(), &lines)?.discount;
    let (discount_label, coupon) = describe_discount(
        coupon.as_ref(),
        (source, threshold_discount),
        settings.discount_percent,
        currency,
    );
    let can_check_out = !lines.is_empty() && lines.iter().all(|l| l.problem().is_none());
    render(
        status,
        &CartPage {
            page,
            totals,
            discount_percent: settings.discount_percent,
            discount_label,
            coupon,
            coupon_typed: coupon_form.typed,
            coupon_error: coupon_form.error,
            can_check_out,
            lines,
            messages,
            tax_lines,
            tax_note,
            total_with_tax,
        },
    )
}

/// `GET /cart`: lines, unit prices, line totals, subtotal, discount, total, and how much more
/// would earn the discount.
pub async fn show(v: Visit, shopper: Shopper) -> Reply {
    let Visit { state, page, .. } = v;
    cart_page(&state, page, shopper.cart, Vec::new(), StatusCode::OK).await
}

/// The add-to-cart form as posted: `product_id`, or `variant_id` for a product sold through
/// variants (with or without its `product_id`).
#[derive(Debug, Deserialize)]
pub struct AddForm {
    #[serde(default)]
    product_id: String,
    #[serde(default)]
    variant_id: String,
    quantity: String,
}

fn parse_id(text: &str) -> Option<i32> {
    text.trim().parse::<i32>().ok().filter(|id| *id > 0)
}

/// The line an add-to-cart form means, if it names one that exists.
async fn line_of(state: &AppState, form: &AddForm) -> Result<Option<LineKey>, AppError> {
    let product_id = parse_id(&form.product_id);
    if form.variant_id.trim().is_empty() {
        return Ok(product_id.map(LineKey::product));
    }
    let Some(variant_id) = parse_id(&form.variant_id) else {
        return Ok(None);
    };
    let owner = db::run(&state.pool, move |conn| {
        variant::product_of(conn, variant_id).map_err(AppError::from)
    })
    .await?;
    Ok(owner
        .filter(|owner| product_id.is_none_or(|id| id == *owner))
        .map(|product_id| LineKey {
            product_id,
            variant_id: Some(variant_id),
        }))
}

/// `POST /cart/items`: adds `quantity` of `product_id` (or of `variant_id`). A bad quantity,
/// too many, an archived or unknown product, no variant chosen: 400 with the page re-rendered
/// and the message, cart unchanged.
pub async fn add(v: Visit, shopper: Shopper, form: web::Form<AddForm>) -> Reply {
    let (req, state, page) = v.into_parts();
    let form = form.into_inner();
    let Some(key) = line_of(&state, &form).await? else {
        let message = CartMessage {
            line: None,
            text: CartProblem::UnknownProduct.message(),
        };
        return cart_page(
            &state,
            page,
            shopper.cart,
            vec![message],
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let quantity = match Quantity::parse(&form.quantity) {
        Ok(quantity) => quantity,
        Err(e) => {
            return refused_on_product_page(&state, page, key, &form.quantity, e.to_string()).await
        }
    };
    let Shopper { cart, session } = shopper;
    let (owner, new_token) = match cart.clone() {
        Some(owner) => (owner, None),
        None => {
            // A new guest cart, and with it a new session: within the client's hourly cap.
            if let Some(retry_after) = new_sessions::wait_for_new_session(&req, &state).await? {
                return Err(AppError::TooManyRequests { retry_after });
            }
            let token = random_token();
            (CartOwner::Guest(token.clone()), Some(token))
        }
    };
    let max_lines = state.config.cart_max_lines;
    let added = db::run(&state.pool, move |conn| {
        services::cart::add(conn, &owner, key, quantity, max_lines, now())
    })
    .await?;
    match added {
        Ok(added) => {
            if let Some(token) = new_token {
                session
                    .insert(GUEST_CART_KEY, token)
                    .map_err(|e| AppError::Internal(format!("cannot keep the cart token: {e}")))?;
            }
            flash::push(
                &session,
                FlashKind::Success,
                format!(
                    "Added {} to your cart (now {}).",
                    added.name, added.quantity
                ),
            );
            Ok(see_other("/cart"))
        }
        Err(problem @ (CartProblem::UnknownProduct | CartProblem::TooManyLines(_))) => {
            let message = CartMessage {
                line: None,
                text: problem.message(),
            };
            cart_page(&state, page, cart, vec![message], StatusCode::BAD_REQUEST).await
        }
        Err(problem) => {
            refused_on_product_page(&state, page, key, &form.quantity, problem.message()).await
        }
    }
}

/// The product page again, with the refused quantity and why.
async fn refused_on_product_page(
    state: &AppState,
    page: PageContext,
    key: LineKey,
    quantity: &str,
    message: String,
) -> Result<HttpResponse, AppError> {
    let view = catalog::ProductPageState {
        quantity: quantity.to_string(),
        variant_id: key.variant_id,
        add_error: Some(message),
        ..catalog::ProductPageState::default()
    };
    catalog::product_page(state, page, key.product_id, view, StatusCode::BAD_REQUEST).await
}

/// The set-quantity form as posted; `variant_id` names a variant line.
#[derive(Debug, Deserialize)]
pub struct SetForm {
    quantity: String,
    #[serde(default)]
    variant_id: String,
}

/// `POST /cart/items/{product_id}`: sets the line's quantity (of the variant `variant_id`, for
/// a variant line); 0 removes it.
pub async fn set(
    v: Visit,
    shopper: Shopper,
    product_id: web::Path<String>,
    form: web::Form<SetForm>,
) -> Reply {
    let Visit { state, page, .. } = v;
    let product_id = parse_id(&product_id).ok_or(AppError::NotFound)?;
    let variant_id = match form.variant_id.trim() {
        "" => None,
        text => Some(parse_id(text).ok_or(AppError::NotFound)?),
    };
    let key = LineKey {
        product_id,
        variant_id,
    };
    let Shopper {
        cart: owner,
        session,
    } = shopper;
    let refuse = |text: String| CartMessage {
        line: Some(key),
        text,
    };
    let change = match LineChange::parse(&form.quantity) {
        Ok(change) => change,
        Err(e) => {
            return cart_page(
                &state,
                page,
                owner,
                vec![refuse(e.to_string())],
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    };
    let Some(cart_owner) = owner.clone() else {
        let message = refuse(CartProblem::NotInCart.message());
        return cart_page(&state, page, None, vec![message], StatusCode::BAD_REQUEST).await;
    };
    let changed = db::run(&state.pool, move |conn| {
        services::cart::change(conn, &cart_owner, key, change, now())
    })
    .await?;
    match changed {
        Ok(()) => {
            let text = match change {
                LineChange::Remove => "Removed from your cart.",
                LineChange::Set(_) => "Your cart is updated.",
            };
            flash::push(&session, FlashKind::Success, text);
            Ok(see_other("/cart"))
        }
        Err(problem) => {
            cart_page(
                &state,
                page,
                owner,
                vec![refuse(problem.message())],
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

/// The coupon form as posted.
#[derive(Debug, Deserialize)]
pub struct CouponFormFields {
    #[serde(default)]
    code: String,
}

/// `POST /cart/coupon`: puts the coupon `code` names into the cart when it applies to the
/// cart as it is; otherwise 400 with the cart page and why.
pub async fn apply_coupon(v: Visit, shopper: Shopper, form: web::Form<CouponFormFields>) -> Reply {
    let (req, state, page) = v.into_parts();
    let typed = form.into_inner().code;
    let refused = |error: String| CouponForm {
        typed: typed.trim().chars().take(64).collect(),
        error: Some(error),
    };
    let Some(owner) = shopper.cart.clone() else {
        let form = refused("Add something to your cart before entering a coupon.".into());
        return cart_page_with(
            &state,
            page,
            None,
            (Vec::new(), form),
            StatusCode::BAD_REQUEST,
        )
        .await;
    };
    let text = typed.clone();
    let worker_owner = owner.clone();
    let applied = db::run(&state.pool, move |conn| {
        services::coupons::apply_to_cart(conn, &worker_owner, &text, now())
    })
    .await?;
    let currency = state.config.currency_symbol.clone();
    match applied {
        Ok(code) => Ok(flash::success(
            &req,
            format!("Coupon {code} is in your cart."),
            "/cart",
        )),
        Err(problem) => {
            let form = refused(problem.message(&currency));
            cart_page_with(
                &state,
                page,
                Some(owner),
                (Vec::new(), form),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

/// `POST /cart/coupon/remove`: takes the coupon off the cart.
pub async fn remove_coupon(v: Visit, shopper: Shopper) -> Reply {
    let (req, state, _) = v.into_parts();
    if let Some(owner) = shopper.cart {
        db::run(&state.pool, move |conn| {
            services::coupons::remove_from_cart(conn, &owner, now())
        })
        .await?;
    }
    Ok(flash::info(&req, "The coupon is off your cart.", "/cart"))
}
