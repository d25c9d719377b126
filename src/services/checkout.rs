//! Placing an order, in a single transaction: re-read the cart and
//! the prices, check them against what the shopper was shown, take the stock with
//! conditional updates, write the order and its lines with totals from the domain rules,
//! empty the cart and queue the confirmation, or change nothing at all.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::{self, DbConn};
use crate::domain::coupon::{CouponProblem, DiscountSource};
use crate::domain::payment::{check_credit_payment, CreditProblem, PaymentMethod};
use crate::domain::settings::ShopSettings;
use crate::domain::{Money, OrderStatus, ShippingAddress, Totals};
use crate::error::{AppError, Outcome};
use crate::mail::compose;
use crate::models::cart::{self, CartLine, CartOwner, LineKey};
use crate::models::credit::{self, NewCreditEntry};
use crate::models::order::{self, NewOrder, NewOrderItem};
use crate::models::{address, order_guest, order_tax, outbox};
use crate::services::coupons::{self, CartCoupon, Customer};
use crate::services::invoices;
use crate::services::pricing::{self, ShippingProblem};
use crate::services::stock::{self, Move};

/// One line as the checkout page showed it: the form sends these back, and the order is
/// placed only if the cart still matches them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShownLine {
    /// The product or variant.
    pub key: LineKey,
    /// The price shown.
    pub unit_price_cents: i64,
    /// The quantity shown.
    pub quantity: i32,
}

impl ShownLine {
    /// The lines of a cart as they are shown now.
    pub fn from_cart(lines: &[CartLine]) -> Vec<ShownLine> {
        lines
            .iter()
            .map(|l| ShownLine {
                key: l.key(),
                unit_price_cents: l.unit_price_cents,
                quantity: l.quantity,
            })
            .collect()
    }

    /// Packs lines into the checkout form's hidden `summary` field: `id:price:qty,…`, where
    /// the id of a variant line is `product.variant`.
    pub fn encode(lines: &[ShownLine]) -> String {
        lines
            .iter()
            .map(|l| {
                let id = match l.key.variant_id {
                    Some(variant_id) => format!("{}.{variant_id}", l.key.product_id),
                    None => l.key.product_id.to_string(),
                };
                format!("{id}:{}:{}", l.unit_price_cents, l.quantity)
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// Unpacks the `summary` field; anything malformed reads as an empty summary, which then
    /// does not match the cart.
    pub fn decode(text: &str) -> Vec<ShownLine> {
        let parse = |part: &str| -> Option<ShownLine> {
            let mut fields = part.split(':');
            let id = fields.next()?;
            let key = match id.split_once('.') {
                Some((product, variant)) => LineKey {
                    product_id: product.parse().ok()?,
                    variant_id: Some(variant.parse().ok()?),
                },
                None => LineKey::product(id.parse().ok()?),
            };
            let line = ShownLine {
                key,
                unit_price_cents: fields.next()?.parse().ok()?,
                quantity: fields.next()?.parse().ok()?,
            };
            fields.next().is_none().then_some(line)
        };
        text.split(',')
            .filter(|part| !part.is_empty())
            .map(parse)
            .collect::<Option<Vec<_>>>()
            .unwrap_or_default()
    }
}

/// Who checks out.
#[derive(Debug, Clone, Copy)]
pub enum Buyer<'a> {
    /// A logged-in customer.
    User(i32),
    /// A guest, with their cart's token, the key of the order's private link (only its
    /// hash is stored) and their client's address.
    Guest {
        /// The session's cart token.
        cart_token: &'a str,
        /// The private link's key, as it goes into the mail.
        link_key: &'a str,
        /// The client, for the cap on its unpaid orders.
        client_ip: &'a str,
    },
}

impl Buyer<'_> {
    /// The account, if any.
    pub fn user_id(&self) -> Option<i32> {
        match self {
            Buyer::User(id) => Some(*id),
            Buyer::Guest { .. } => None,
        }
    }

    fn cart_owner(&self) -> CartOwner {
        match self {
            Buyer::User(id) => CartOwner::User(*id),
            Buyer::Guest { cart_token, .. } => CartOwner::Guest(cart_token.to_string()),
        }
    }
}

/// What the checkout form asks for.
pub struct CheckoutRequest<'a> {
    /// Who orders.
    pub buyer: Buyer<'a>,
    /// Their address, for the confirmation mail.
    pub email: &'a str,
    /// The form's one-time key.
    pub checkout_key: &'a str,
    /// The lines the page showed.
    pub shown: &'a [ShownLine],
    /// Where it goes.
    pub address: &'a ShippingAddress,
    /// The shipping method chosen (none in a shop without methods).
    pub shipping_method: Option<i32>,
    /// The saved address it goes to (its last use is noted), if one was chosen.
    pub address_id: Option<i32>,
    /// Whether to save a new address for next time.
    pub save_address: bool,
    /// The shop's settings in force (discount, tax mode, bank details).
    pub settings: &'a ShopSettings,
    /// For the amounts in the mail.
    pub currency: &'a str,
    /// For the link in the mail.
    pub links: &'a crate::mail::Links,
    /// How the order is paid.
    pub payment: PaymentMethod,
    /// The most store credit may pay in a UTC day.
    pub credit_daily_limit: Money,
    /// How long an order paid later (card, bank transfer) may wait for its money.
    pub payment_window: TimeDelta,
    /// How many unpaid orders the customer may hold at once.
    pub max_unpaid: i64,
    /// The coupon the page showed as giving the discount (none if none did).
    pub shown_coupon: Option<&'a str>,
}

impl CheckoutRequest<'_> {
    /// Until when the order may be paid: none when it is paid at checkout.
    fn payment_deadline(&self, now: NaiveDateTime) -> Option<NaiveDateTime> {
        (self.payment != PaymentMethod::StoreCredit).then(|| now + self.payment_window)
    }
}

/// An order that went through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placed {
    /// A new order.
    New(i32),
    /// This form was submitted before: its order.
    Earlier(i32),
}

impl Placed {
    /// The order's id.
    pub fn id(self) -> i32 {
        match self {
            Placed::New(id) | Placed::Earlier(id) => id,
        }
    }
}

/// Why nothing was ordered; each message is for the shopper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckoutProblem {
    /// The cart is empty.
    EmptyCart,
    /// The cart, a price or a product changed since the page was shown.
    Changed(Vec<String>),
    /// Not enough stock left for these lines.
    SoldOut(Vec<String>),
    /// Store credit cannot pay this order.
    Credit(CreditProblem),
    /// The customer (or a guest's address) already holds this many unpaid orders, the most
    /// allowed.
    TooManyUnpaid(i64),
    /// The guest's client already placed as many unpaid orders as one client may hold.
    ClientOverLimit,
    /// The destination or the shipping method does not work.
    Shipping(ShippingProblem),
    /// The coupon the page showed no longer applies (used up meanwhile, expired, ...).
    Coupon(CouponProblem),
}

/// A failure inside the checkout transaction: either a problem to show (rolled back all
/// the same) or an error.
enum Failure {
    Problem(CheckoutProblem),
    Error(AppError),
}

impl From<DieselError> for Failure {
    fn from(e: DieselError) -> Failure {
        Failure::Error(AppError::from(e))
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Failure {
        Failure::Error(e)
    }
}

/// How the cart differs from what was shown, in words.
fn changes(shown: &[ShownLine], lines: &[CartLine], currency: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in lines {
        match shown.iter().find(|s| s.key == line.key()) {
            None => out.push(format!("{} was added to your cart.", line.name)),
            Some(s) if s.quantity != line.quantity => out.push(format!(
                "The quantity of {} changed from {} to {}.",
                line.name, s.quantity, line.quantity
            )),
            Some(s) if s.unit_price_cents != line.unit_price_cents => out.push(format!(
                "The price of {} changed from {} to {}.",
                line.name,
                Money::from_cents(s.unit_price_cents).display(currency),
                line.unit_price().display(currency)
            )),
            Some(_) => {}
        }
        if !line.on_sale() {
            out.push(format!("{} is no longer sold.", line.name));
        }
    }
    if shown
        .iter()
        .any(|s| !lines.iter().any(|l| l.key() == s.key))
    {
        out.push("A product was removed from your cart.".to_string());
    }
    out
}

fn place_in_transaction(
    conn: &mut DbConn,
    request: &CheckoutRequest<'_>,
    now: NaiveDateTime,
) -> Result<Placed, Failure> {
    let owner = request.buyer.cart_owner();
    let user_id = request.buyer.user_id();
    let cart_id = cart::find(conn, &owner)?;
    if let Some(cart_id) = cart_id {
        cart::lock(conn, cart_id, now)?;
    }
    // Checked with the cart locked: a twin submission of this form that held the lock first
    // has committed its order by now, and this one finds it instead of an emptied cart.
    if let Some(id) = order::find_by_checkout_key(conn, user_id, request.checkout_key)? {
        return Ok(Placed::Earlier(id));
    }
    let Some(cart_id) = cart_id else {
        return Err(Failure::Problem(CheckoutProblem::EmptyCart));
    };
    let lines = cart::lines(conn, cart_id)?;
    if lines.is_empty() {
        return Err(Failure::Problem(CheckoutProblem::EmptyCart));
    }
    let paid_now = request.payment == PaymentMethod::StoreCredit;
    if !paid_now {
        let unpaid = match request.buyer {
            Buyer::User(user_id) => order::count_unpaid(conn, user_id)?,
            Buyer::Guest { client_ip, .. } => {
                let for_address = order_guest::unpaid_for_email(conn, request.email)?;
                if for_address < request.max_unpaid
                    && order_guest::unpaid_from_client(conn, client_ip)? >= request.max_unpaid
                {
                    return Err(Failure::Problem(CheckoutProblem::ClientOverLimit));
                }
                for_address
            }
        };
        if unpaid >= request.max_unpaid {
            return Err(Failure::Problem(CheckoutProblem::TooManyUnpaid(unpaid)));
        }
    }
    let changed = changes(request.shown, &lines, request.currency);
    if !changed.is_empty() {
        return Err(Failure::Problem(CheckoutProblem::Changed(changed)));
    }
    let moves: Vec<Move> = lines
        .iter()
        .map(|l| Move {
            key: l.key(),
            quantity: l.quantity,
        })
        .collect();
    let short: Vec<String> = stock::take(conn, &moves, now)?
        .into_iter()
        .map(|(key, left)| {
            let name = lines
                .iter()
                .find(|l| l.key() == key)
                .map_or("a product", |l| l.name.as_str());
            if left <= 0 {
                format!("Sorry, {name} has just sold out.")
            } else {
                format!("Sorry, only {left} of {name} left.")
            }
        })
        .collect();
    if !short.is_empty() {
        return Err(Failure::Problem(CheckoutProblem::SoldOut(short)));
    }
    let customer = Customer {
        user_id,
        email: Some(request.email),
    };
    let subtotal = pricing::subtotal(&lines);
    let coupon = coupons::in_cart(conn, cart_id, customer, subtotal, now.date())?;
    let terms = coupon.as_ref().and_then(CartCoupon::applicable_terms);
    let destination = (request.address.country(), request.shipping_method);
    let quote = pricing::quote(
        conn,
        &lines,
        destination,
        (request.settings, terms.as_ref()),
    )?
    .map_err(|problem| Failure::Problem(CheckoutProblem::Shipping(problem)))?;
    // The coupon that discounts this order, checked against the page: one shown as applied
    // must still apply (else the price shown is not the price), and one shown as not applied
    // is not charged now either.
    let spent = match (&coupon, request.shown_coupon) {
        (Some(c), Some(shown)) if c.code == shown => {
            if let Some(problem) = &c.problem {
                return Err(Failure::Problem(CheckoutProblem::Coupon(problem.clone())));
            }
            match (&c.coupon, quote.discount_source) {
                (Some(found), DiscountSource::Coupon) => Some(found.clone()),
                _ => {
                    return Err(Failure::Problem(CheckoutProblem::Changed(vec![
                        "The discount changed since the page was shown.".to_string(),
                    ])))
                }
            }
        }
        (_, Some(_)) => {
            return Err(Failure::Problem(CheckoutProblem::Changed(vec![
                "The coupon in your cart changed since the page was shown.".to_string(),
            ])))
        }
        (_, None) if quote.discount_source == DiscountSource::Coupon => {
            return Err(Failure::Problem(CheckoutProblem::Changed(vec![
                "Your coupon applies now: check the new total.".to_string(),
            ])))
        }
        (_, None) => None,
    };
    let price = &quote.breakdown;
    let totals = Totals {
        subtotal: price.subtotal,
        discount: price.discount,
        total: price.total,
        to_earn_discount: None,
    };
    let credit_account = match (paid_now, user_id) {
        (false, _) => None,
        (true, Some(user_id)) => Some(user_id),
        (true, None) => {
            return Err(Failure::Error(AppError::BadRequest(
                "Store credit belongs to an account: log in to pay with it.".into(),
            )))
        }
    };
    if let Some(account) = credit_account {
        let balance = credit::lock_balance(conn, account)?;
        let today = now.date().and_time(chrono::NaiveTime::MIN);
        let spent = credit::spent_on_orders_since(conn, account, today)?;
        check_credit_payment(
            Money::from_cents(balance),
            totals.total,
            Money::from_cents(spent),
            request.credit_daily_limit,
        )
        .map_err(|problem| Failure::Problem(CheckoutProblem::Credit(problem)))?;
    }
    let status = if paid_now {
        OrderStatus::Paid
    } else {
        OrderStatus::Pending
    };
    let address = request.address;
    let order_id = order::insert(
        conn,
        &NewOrder {
            user_id,
            status: status.as_str(),
            subtotal_cents: totals.subtotal.cents(),
            discount_cents: totals.discount.cents(),
            total_cents: totals.total.cents(),
            ship_name: address.name(),
            ship_line1: address.address_line1(),
            ship_line2: address.address_line2(),
            ship_postcode: address.postcode(),
            ship_city: address.city(),
            ship_country: address.country(),
            checkout_key: request.checkout_key,
            created_at: now,
            updated_at: now,
            payment_method: request.payment.as_str(),
            pay_by: request.payment_deadline(now),
            paid_cents: if paid_now { totals.total.cents() } else { 0 },
            shipping_method: quote.method.as_ref().map(|m| m.name.as_str()),
            shipping_cents: price.shipping.cents(),
            tax_cents: price.tax.cents(),
            prices_include_tax: quote.prices_include_tax,
            coupon_code: spent.as_ref().map(|c| c.code.as_str()),
        },
    )?;
    let link = match request.buyer {
        Buyer::User(_) => request.links.order(order_id),
        Buyer::Guest {
            link_key,
            client_ip,
            ..
        } => {
            let hash = hash_link_key(link_key);
            order_guest::insert(conn, order_id, (request.email, &hash, client_ip), now)?;
            request.links.guest_order(order_id, link_key)
        }
    };
    if let Some(found) = &spent {
        let who = (user_id, request.email);
        coupons::spend(conn, found, order_id, who, now)?
            .map_err(|problem| Failure::Problem(CheckoutProblem::Coupon(problem)))?;
    }
    if let Some(account) = credit_account.filter(|_| totals.total.cents() > 0) {
        pay_with_credit(conn, account, order_id, totals.total, now)?;
    }
    if paid_now {
        invoices::assign(conn, order_id, now)?;
    }
    for (line, rate) in lines.iter().zip(&quote.line_rates) {
        order::insert_item(
            conn,
            &NewOrderItem {
                order_id,
                product_id: line.product_id,
                variant_id: line.variant_id,
                name: &line.name,
                unit_price_cents: line.unit_price_cents,
                quantity: line.quantity,
                tax_rate_bp: i32::try_from(rate.basis_points()).unwrap_or(0),
            },
        )?;
    }
    order_tax::insert(conn, order_id, &price.tax_lines)?;
    match (request.address_id, user_id) {
        (Some(id), Some(_)) => {
            address::touch(conn, id, now)?;
        }
        (None, Some(user_id))
            if request.save_address
                && address::count_for_user(conn, user_id)? < address::MAX_PER_ACCOUNT =>
        {
            address::insert(conn, user_id, request.address, now)?;
        }
        _ => {}
    }
    cart::clear(conn, cart_id)?;
    let instructions = (request.payment == PaymentMethod::BankTransfer)
        .then(|| bank_transfer_instructions(&request.settings.bank_transfer_details, order_id));
    let mail = compose::order_placed(
        request.links,
        (request.email, &link),
        order_id,
        &lines,
        (price, spent.as_ref().map(|c| c.code.as_str())),
        (request.currency, instructions.as_deref()),
    )?;
    outbox::enqueue(conn, &mail, now)?;
    Ok(Placed::New(order_id))
}

/// Debits `total` from the store credit of `user_id` for `order_id`, with its ledger entry.
/// Called with the account locked and the payment checked.
fn pay_with_credit(
    conn: &mut DbConn,
    user_id: i32,
    order_id: i32,
    total: Money,
    now: NaiveDateTime,
) -> Result<(), Failure> {
    let Some(balance) = credit::add(conn, user_id, -total.cents())? else {
        let balance = Money::from_cents(credit::balance(conn, user_id)?.unwrap_or(0));
        return Err(Failure::Problem(CheckoutProblem::Credit(
            CreditProblem::Short { balance, total },
        )));
    };
    let reason = format!("Order #{order_id}");
    credit::record(
        conn,
        &NewCreditEntry {
            user_id,
            amount_cents: -total.cents(),
            balance_cents: balance,
            reason: &reason,
            order_id: Some(order_id),
            admin_id: None,
            created_at: now,
        },
    )?;
    Ok(())
}

/// The stored form of a guest's private link key: its SHA-256, in hex.
pub fn hash_link_key(key: &str) -> String {
    crate::domain::account::hash_token(key)
}

/// What a bank-transfer customer is told: where to pay, and the reference to quote.
pub fn bank_transfer_instructions(details: &str, order_id: i32) -> String {
    let to = if details.is_empty() {
        "the bank account we will send you"
    } else {
        details
    };
    format!("Please pay by bank transfer to: {to}. Quote the reference \"Order {order_id}\".")
}

/// Places the order, or explains why nothing was ordered.
pub fn place_order(
    conn: &mut DbConn,
    request: &CheckoutRequest<'_>,
    now: NaiveDateTime,
) -> Outcome<Placed, CheckoutProblem> {
    match db::transaction(conn, |conn| place_in_transaction(conn, request, now)) {
        Ok(placed) => Ok(Ok(placed)),
        Err(Failure::Problem(problem)) => Ok(Err(problem)),
        // The same form, submitted twice at once: the other submission placed the order.
        Err(Failure::Error(AppError::Database(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _,
        )))) => {
            match order::find_by_checkout_key(conn, request.buyer.user_id(), request.checkout_key)?
            {
                Some(id) => Ok(Ok(Placed::Earlier(id))),
                None => Err(AppError::Internal(
                    "checkout key conflict without an order".into(),
                )),
            }
        }
        Err(Failure::Error(e)) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_round_trips_and_rejects_garbage() {
        let lines = [
            ShownLine {
                key: LineKey::product(3),
                unit_price_cents: 1999,
                quantity: 2,
            },
            ShownLine {
                key: LineKey {
                    product_id: 7,
                    variant_id: Some(12),
                },
                unit_price_cents: 0,
                quantity: 99,
            },
        ];
        assert_eq!(ShownLine::encode(&lines), "3:1999:2,7.12:0:99");
        assert_eq!(ShownLine::decode(&ShownLine::encode(&lines)), lines);
        assert!(ShownLine::decode("7.x:1:1").is_empty());
        assert!(ShownLine::decode("3:1999").is_empty());
        assert!(ShownLine::decode("3:1999:2:9").is_empty());
        assert!(ShownLine::decode("x:y:z").is_empty());
        assert!(ShownLine::decode("").is_empty());
    }
}
