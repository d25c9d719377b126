//! What each mail says, rendered from `templates/mail/`, and the absolute links it carries.

use std::sync::{Arc, RwLock};

use askama::Template;

use crate::error::AppError;
use crate::models::outbox::NewMail;

/// The absolute links mails carry, always built on `PUBLIC_URL`, never on a request's Host,
/// and the shop's name they are signed with (shared, so a changed setting reaches every
/// mail composed after it).
#[derive(Debug, Clone)]
pub struct Links {
    base: String,
    shop_name: Arc<RwLock<String>>,
}

impl Links {
    /// Links under `public_url`, for a shop called "shopfront" until told otherwise.
    pub fn new(public_url: &str) -> Links {
        Links {
            base: public_url.trim_end_matches('/').to_string(),
            shop_name: Arc::new(RwLock::new("shopfront".to_string())),
        }
    }

    /// The shop's name, as mails are signed.
    pub fn shop_name(&self) -> String {
        self.shop_name
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Signs mails composed from now on with `name`.
    pub fn set_shop_name(&self, name: &str) {
        let mut current = self
            .shop_name
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if *current != name {
            *current = name.to_string();
        }
    }

    /// The e-mail verification link for `token`.
    pub fn verify(&self, token: &str) -> String {
        format!("{}/verify-email?token={token}", self.base)
    }

    /// The password reset link for `token`.
    pub fn reset(&self, token: &str) -> String {
        format!("{}/password/reset?token={token}", self.base)
    }

    /// The login page.
    pub fn login(&self) -> String {
        format!("{}/login", self.base)
    }

    /// The forgotten-password page.
    pub fn forgot(&self) -> String {
        format!("{}/password/forgot", self.base)
    }

    /// The page of order `id`.
    pub fn order(&self, id: i32) -> String {
        format!("{}/orders/{id}", self.base)
    }

    /// The private link to a guest's order `id`: the page, opened with its key.
    pub fn guest_order(&self, id: i32, key: &str) -> String {
        format!("{}/orders/{id}?key={key}", self.base)
    }
}

/// The text of each mail the shop sends.

#[derive(Template)]
#[template(path = "mail/verify.txt")]
struct Verify<'a> {
    email: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/signup_attempt.txt")]
struct SignupAttempt<'a> {
    email: &'a str,
    login_link: &'a str,
    forgot_link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/reset.txt")]
struct Reset<'a> {
    email: &'a str,
    link: &'a str,
}

#[derive(Template)]
#[template(path = "mail/password_changed.txt")]
struct PasswordChanged<'a> {
    email: &'a str,
    forgot_link: &'a str,
}

/// A mail to `recipient`, signed with the shop's name.
fn mail(
    links: &Links,
    recipient: &str,
    subject: &str,
    body: Result<String, askama::Error>,
) -> Result<NewMail, AppError> {
    let mut body = body?.trim_end().to_string();
    body.push_str(&format!("\n\n-- {}\n", links.shop_name()));
    Ok(NewMail {
        recipient: recipient.to_string(),
        subject: subject.to_string(),
        body,
    })
}

/// "Confirm your address", with the verification link.
pub fn verify(links: &Links, email: &str, token: &str) -> Result<NewMail, AppError> {
    let link = links.verify(token);
    mail(
        links,
        email,
        "Confirm your e-mail address",
        Verify { email, link: &link }.render(),
    )
}

/// To the owner of an address someone tried to sign up with again.
pub fn signup_attempt(links: &Links, email: &str) -> Result<NewMail, AppError> {
    let (login_link, forgot_link) = (links.login(), links.forgot());
    mail(
        links,
        email,
        "Someone tried to sign up with your address",
        SignupAttempt {
            email,
            login_link: &login_link,
            forgot_link: &forgot_link,
        }
        .render(),
    )
}

/// "Set a new password", with the reset link.
pub fn reset(links: &Links, email: &str, token: &str) -> Result<NewMail, AppError> {
    let link = links.reset(token);
    mail(
        links,
        email,
        "Set a new password",
        Reset { email, link: &link }.render(),
    )
}

struct MailLine {
    quantity: i32,
    name: String,
    total: String,
}

#[derive(Template)]
#[template(path = "mail/order_placed.txt")]
struct OrderPlaced<'a> {
    order_id: i32,
    lines: Vec<MailLine>,
    subtotal: String,
    has_discount: bool,
    discount_label: String,
    discount: String,
    shipping: String,
    taxes: Vec<String>,
    total: String,
    link: &'a str,
    instructions: Option<&'a str>,
}

/// "Thank you for your order", with its lines, totals (naming the coupon that gave the
/// discount, if one did), how to pay (`instructions`, for a bank transfer) and a link to it.
pub fn order_placed(
    links: &Links,
    (email, link): (&str, &str),
    order_id: i32,
    lines: &[crate::models::cart::CartLine],
    (price, coupon): (&crate::domain::tax::Breakdown, Option<&str>),
    (currency, instructions): (&str, Option<&str>),
) -> Result<NewMail, AppError> {
    let money = |cents: i64| crate::domain::Money::from_cents(cents).display(currency);
    let page = OrderPlaced {
        order_id,
        lines: lines
            .iter()
            .map(|l| MailLine {
                quantity: l.quantity,
                name: l.name.clone(),
                total: money(l.line_total_cents()),
            })
            .collect(),
        subtotal: money(price.subtotal.cents()),
        has_discount: price.discount.cents() > 0,
        discount_label: coupon.map_or("Discount".to_string(), |code| format!("Coupon {code}")),
        discount: money(price.discount.cents()),
        shipping: money(price.shipping.cents()),
        taxes: tax_sentences(price, currency),
        total: money(price.total.cents()),
        link,
        instructions,
    };
    mail(
        links,
        email,
        &format!("Your order #{order_id}"),
        page.render(),
    )
}

#[derive(Template)]
#[template(path = "mail/order_news.txt")]
struct OrderNewsMail<'a> {
    paragraphs: Vec<String>,
    link: &'a str,
}

/// What happened to an order, for its customer; amounts already formatted.
#[derive(Debug, Clone)]
pub enum OrderNews<'a> {
    /// The payment arrived: a receipt.
    Paid {
        /// What was paid.
        amount: String,
        /// How, for people ("Card").
        method: &'a str,
    },
    /// It left the warehouse.
    Shipped {
        /// The parcel's tracking number, if an admin gave one.
        tracking_number: Option<&'a str>,
    },
    /// An admin or the customer called it off.
    Cancelled,
    /// It was not paid in time.
    Expired,
    /// Money went back.
    Refunded {
        /// This refund.
        amount: String,
        /// All refunds so far.
        refunded: String,
        /// What was paid.
        paid: String,
        /// Why, as the shop wrote it.
        reason: &'a str,
        /// Where the money goes ("to your card").
        way: &'a str,
    },
}

/// A mail about order `order_id`: paid, shipped, cancelled, expired or refunded.
pub fn order_news(
    links: &Links,
    (email, guest): (&str, bool),
    order_id: i32,
    news: &OrderNews<'_>,
) -> Result<NewMail, AppError> {
    // A guest's private link holds a key the shop keeps only as a hash: it was in the
    // confirmation mail, and the shop cannot write it again.
    let link = match guest {
        false => links.order(order_id),
        true => "the private link in your order confirmation mail".to_string(),
    };
    let (subject, paragraphs) = match news {
        OrderNews::Paid { amount, method } => (
            format!("Receipt for your order #{order_id}"),
            vec![
                format!("We received your payment of {amount} ({method}) for order #{order_id}. Thank you!"),
                "We will let you know when it ships.".to_string(),
            ],
        ),
        OrderNews::Shipped { tracking_number } => (
            format!("Your order #{order_id} is on its way"),
            match tracking_number {
                Some(number) => vec![
                    format!("Your order #{order_id} has shipped."),
                    format!("Tracking number: {number}"),
                ],
                None => vec![format!("Your order #{order_id} has shipped.")],
            },
        ),
        OrderNews::Cancelled => (
            format!("Your order #{order_id} is cancelled"),
            vec![format!(
                "Your order #{order_id} is cancelled. If you paid for it, we will refund you."
            )],
        ),
        OrderNews::Expired => (
            format!("Your order #{order_id} expired"),
            vec![
                format!("We did not receive the payment for order #{order_id} in time, so it is cancelled and nothing will be charged."),
                "The products are back in the shop if you still want them.".to_string(),
            ],
        ),
        OrderNews::Refunded { amount, refunded, paid, reason, way } => (
            format!("Refund for your order #{order_id}"),
            vec![
                format!("We refunded {amount} of order #{order_id} {way}. Reason: {reason}"),
                format!("Refunded so far: {refunded} of {paid}."),
            ],
        ),
    };
    let page = OrderNewsMail {
        paragraphs,
        link: &link,
    };
    mail(links, email, &subject, page.render())
}

/// The tax lines as an order shows them: "incl. 19 % VAT: $17.24" when prices include it,
/// "19 % VAT: $17.24" when it comes on top; rates that charge nothing are left out.
pub fn tax_sentences(price: &crate::domain::tax::Breakdown, currency: &str) -> Vec<String> {
    let taxes: Vec<_> = price.tax_lines.iter().map(|l| (l.rate, l.tax)).collect();
    tax_sentence_list(&taxes, price.prices_include_tax, currency)
}

/// The sentences of taxes given as (rate, tax), as [`tax_sentences`] writes them.
pub fn tax_sentence_list(
    taxes: &[(crate::domain::tax::TaxRate, crate::domain::Money)],
    included: bool,
    currency: &str,
) -> Vec<String> {
    taxes
        .iter()
        .filter(|(_, tax)| tax.cents() > 0)
        .map(|(rate, tax)| {
            let amount = tax.display(currency);
            match included {
                true => format!("incl. {} VAT: {amount}", rate.display()),
                false => format!("{} VAT: {amount}", rate.display()),
            }
        })
        .collect()
}

/// "Your password was changed".
pub fn password_changed(links: &Links, email: &str) -> Result<NewMail, AppError> {
    let forgot_link = links.forgot();
    mail(
        links,
        email,
        "Your password was changed",
        PasswordChanged {
            email,
            forgot_link: &forgot_link,
        }
        .render(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mails_are_signed_with_the_shop_name_in_force() {
        let links = Links::new("https://shop.example");
        let before = verify(&links, "ada@example.com", "abc").unwrap();
        assert!(
            before.body.ends_with(".\n\n-- shopfront\n"),
            "{:?}",
            before.body
        );
        links.clone().set_shop_name("Kaffeehaus");
        let after = verify(&links, "ada@example.com", "abc").unwrap();
        assert!(
            after.body.ends_with("\n\n-- Kaffeehaus\n"),
            "{:?}",
            after.body
        );
    }

    #[test]
    fn links_use_the_public_url() {
        let links = Links::new("https://shop.example/");
        assert_eq!(
            links.verify("abc"),
            "https://shop.example/verify-email?token=abc"
        );
        assert_eq!(
            links.reset("abc"),
            "https://shop.example/password/reset?token=abc"
        );
    }
}
