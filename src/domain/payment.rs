//! Payment rules: the ways an order can be paid, how a card provider's webhook proves it
//! came from the provider (Stripe's `Stripe-Signature` scheme), and the limits on store
//! credit and refunds. Nothing here reaches the network or the database.

use std::fmt;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::domain::account::{constant_time_eq, hex};
use crate::domain::money::MoneyError;
use crate::domain::Money;

/// How long a signed webhook stays acceptable, either side of now (Stripe's default).
pub const SIGNATURE_TOLERANCE_SECONDS: i64 = 300;

/// A way to pay for an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentMethod {
    /// A card, on the provider's hosted payment page.
    Card,
    /// The customer's store-credit balance, debited at checkout.
    StoreCredit,
    /// A bank transfer the shop marks paid by hand.
    BankTransfer,
}

impl PaymentMethod {
    /// Every method, in the order checkout offers them.
    pub const ALL: [PaymentMethod; 3] = [
        PaymentMethod::Card,
        PaymentMethod::StoreCredit,
        PaymentMethod::BankTransfer,
    ];

    /// The value stored and posted (`payment_method`).
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentMethod::Card => "card",
            PaymentMethod::StoreCredit => "store_credit",
            PaymentMethod::BankTransfer => "bank_transfer",
        }
    }

    /// Reads a stored or posted method.
    pub fn parse(value: &str) -> Option<PaymentMethod> {
        PaymentMethod::ALL.into_iter().find(|m| m.as_str() == value)
    }

    /// How people read it.
    pub fn label(self) -> &'static str {
        match self {
            PaymentMethod::Card => "Card",
            PaymentMethod::StoreCredit => "Store credit",
            PaymentMethod::BankTransfer => "Bank transfer",
        }
    }

    /// The methods a comma-separated list names (`bank_transfer,store_credit`), each once,
    /// in the list's order; an unknown or empty list says what it accepts.
    pub fn parse_list(list: &str) -> Result<Vec<PaymentMethod>, String> {
        let mut methods = Vec::new();
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let method = PaymentMethod::parse(name).ok_or_else(|| {
                format!("expected card, store_credit or bank_transfer, got {name:?}")
            })?;
            if !methods.contains(&method) {
                methods.push(method);
            }
        }
        if methods.is_empty() {
            return Err("expected at least one of card, store_credit, bank_transfer".into());
        }
        Ok(methods)
    }
}

impl fmt::Display for PaymentMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a webhook's signature was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureProblem {
    /// No `t=` timestamp, or not a number.
    Malformed,
    /// No `v1=` signature matches the body.
    Mismatch,
    /// The timestamp is further than the tolerance from now.
    Stale,
}

impl fmt::Display for SignatureProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignatureProblem::Malformed => "the signature header is malformed",
            SignatureProblem::Mismatch => "no signature matches the body",
            SignatureProblem::Stale => "the signature's timestamp is too far from now",
        })
    }
}

/// The `v1` signature of `payload` sent at `timestamp` (Unix seconds): HMAC-SHA256 over
/// `{timestamp}.{payload}` keyed with the endpoint's secret, in lower-case hex. (HMAC takes a
/// key of any length, so the `None` of a refused key does not happen.)
pub fn webhook_signature(secret: &str, timestamp: i64, payload: &[u8]) -> Option<String> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).ok()?;
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    Some(hex(&mac.finalize().into_bytes()))
}

/// Checks a `Stripe-Signature` header (`t=…,v1=…[,v1=…][,v0=…]`) against the raw body, as
/// Stripe documents it: any one `v1` may match (constant-time), other schemes are ignored,
/// and the timestamp must be within [`SIGNATURE_TOLERANCE_SECONDS`] of `now` (Unix seconds).
/// Returns the signed timestamp.
pub fn verify_webhook(
    header: &str,
    payload: &[u8],
    secret: &str,
    now: i64,
) -> Result<i64, SignatureProblem> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => timestamp = Some(value),
            Some(("v1", value)) => signatures.push(value),
            _ => {}
        }
    }
    let timestamp: i64 = timestamp
        .and_then(|t| t.parse().ok())
        .ok_or(SignatureProblem::Malformed)?;
    let expected =
        webhook_signature(secret, timestamp, payload).ok_or(SignatureProblem::Mismatch)?;
    if !signatures.iter().any(|s| constant_time_eq(s, &expected)) {
        return Err(SignatureProblem::Mismatch);
    }
    if (now - timestamp).abs() > SIGNATURE_TOLERANCE_SECONDS {
        return Err(SignatureProblem::Stale);
    }
    Ok(timestamp)
}

/// Why store credit cannot pay an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreditProblem {
    /// The balance is smaller than the order.
    Short {
        /// The balance.
        balance: Money,
        /// The order's total.
        total: Money,
    },
    /// The day's store-credit payments would pass the daily limit.
    OverDailyLimit {
        /// What may still be paid today.
        remaining: Money,
    },
}

/// Whether a balance of `balance` may pay `total` when `spent_today` was already paid with
/// store credit today and at most `daily_limit` may be: no overdraft, no passing the cap.
pub fn check_credit_payment(
    balance: Money,
    total: Money,
    spent_today: Money,
    daily_limit: Money,
) -> Result<(), CreditProblem> {
    if total.cents() > balance.cents() {
        return Err(CreditProblem::Short { balance, total });
    }
    let remaining = Money::from_cents((daily_limit.cents() - spent_today.cents()).max(0));
    if total.cents() > remaining.cents() {
        return Err(CreditProblem::OverDailyLimit { remaining });
    }
    Ok(())
}

/// A store-credit change as an admin types it: `25.00` grants, `-5.00` takes away.
pub fn parse_credit_amount(typed: &str) -> Result<Money, String> {
    let typed = typed.trim();
    let (sign, magnitude) = match typed.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, typed.strip_prefix('+').unwrap_or(typed)),
    };
    let amount = Money::parse_price(magnitude).map_err(|e| match e {
        MoneyError::TooPrecise | MoneyError::TooLarge => e.to_string().replace("price", "amount"),
        _ => "Enter an amount like 25.00, or -5.00 to take credit away.".to_string(),
    })?;
    if amount.cents() == 0 {
        return Err("Enter an amount other than zero.".to_string());
    }
    Ok(Money::from_cents(sign * amount.cents()))
}

/// Why a refund was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundProblem {
    /// Nothing, or less than nothing, was asked for.
    NotPositive,
    /// More than is still refundable.
    OverRefundable {
        /// What may still be refunded.
        refundable: Money,
    },
}

/// Whether `amount` may be refunded of an order that was paid `paid` and has had `refunded`
/// paid back already: the refunds together never exceed what was paid.
pub fn check_refund(amount: Money, paid: Money, refunded: Money) -> Result<(), RefundProblem> {
    if amount.cents() <= 0 {
        return Err(RefundProblem::NotPositive);
    }
    let refundable = Money::from_cents((paid.cents() - refunded.cents()).max(0));
    if amount.cents() > refundable.cents() {
        return Err(RefundProblem::OverRefundable { refundable });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_test_secret";

    fn header(t: i64, signatures: &[&str]) -> String {
        let mut parts = vec![format!("t={t}")];
        parts.extend(signatures.iter().map(|s| format!("v1={s}")));
        parts.join(",")
    }

    #[test]
    fn a_signature_is_hmac_sha256_over_timestamp_dot_body() {
        // Computed independently: printf '%s' '1700000000.{"id":"evt_1"}' |
        //   openssl dgst -sha256 -hmac whsec_test_secret
        assert_eq!(
            webhook_signature(SECRET, 1_700_000_000, br#"{"id":"evt_1"}"#).as_deref(),
            Some("248a374f50f943a28b0f6ab50faf9a7e7e29b710fa26df9fb1618b9bf8ea9c9a")
        );
    }

    #[test]
    fn a_webhook_is_accepted_only_when_signed_recently_with_the_secret() {
        let body = br#"{"id":"evt_1","type":"checkout.session.completed"}"#;
        let now = 1_700_000_000;
        let good = webhook_signature(SECRET, now, body).unwrap();
        assert_eq!(
            verify_webhook(&header(now, &[&good]), body, SECRET, now),
            Ok(now)
        );
        // Any one v1 may match; v0 and unknown parts are ignored.
        let several = format!("{},v0=abc,x=1", header(now, &["deadbeef", &good]));
        assert_eq!(verify_webhook(&several, body, SECRET, now + 299), Ok(now));
        let other_secret = webhook_signature("whsec_other", now, body).unwrap();
        for (h, problem) in [
            (header(now, &[&other_secret]), SignatureProblem::Mismatch),
            (header(now, &[]), SignatureProblem::Mismatch),
            (format!("v1={good}"), SignatureProblem::Malformed),
            (format!("t=soon,v1={good}"), SignatureProblem::Malformed),
            (String::new(), SignatureProblem::Malformed),
        ] {
            assert_eq!(verify_webhook(&h, body, SECRET, now), Err(problem), "{h}");
        }
        // A changed body, or a signature older (or newer) than five minutes.
        assert_eq!(
            verify_webhook(&header(now, &[&good]), b"{}", SECRET, now),
            Err(SignatureProblem::Mismatch)
        );
        assert_eq!(
            verify_webhook(&header(now, &[&good]), body, SECRET, now + 301),
            Err(SignatureProblem::Stale)
        );
        assert_eq!(
            verify_webhook(&header(now, &[&good]), body, SECRET, now - 301),
            Err(SignatureProblem::Stale)
        );
    }

    #[test]
    fn payment_methods_read_from_a_list() {
        assert_eq!(
            PaymentMethod::parse_list("bank_transfer, store_credit,bank_transfer"),
            Ok(vec![
                PaymentMethod::BankTransfer,
                PaymentMethod::StoreCredit
            ])
        );
        assert!(PaymentMethod::parse_list("cash").is_err());
        assert!(PaymentMethod::parse_list(" , ").is_err());
        for method in PaymentMethod::ALL {
            assert_eq!(PaymentMethod::parse(method.as_str()), Some(method));
        }
    }

    #[test]
    fn store_credit_never_overdraws_nor_passes_the_daily_limit() {
        let m = Money::from_cents;
        assert_eq!(
            check_credit_payment(m(5000), m(5000), m(0), m(50000)),
            Ok(())
        );
        assert_eq!(
            check_credit_payment(m(4999), m(5000), m(0), m(50000)),
            Err(CreditProblem::Short {
                balance: m(4999),
                total: m(5000)
            })
        );
        assert_eq!(
            check_credit_payment(m(90000), m(5000), m(46000), m(50000)),
            Err(CreditProblem::OverDailyLimit { remaining: m(4000) })
        );
        assert_eq!(
            check_credit_payment(m(90000), m(4000), m(46000), m(50000)),
            Ok(())
        );
    }

    #[test]
    fn a_credit_amount_grants_or_takes_away_but_is_never_zero() {
        assert_eq!(parse_credit_amount(" 25.00 "), Ok(Money::from_cents(2500)));
        assert_eq!(parse_credit_amount("-5"), Ok(Money::from_cents(-500)));
        assert_eq!(parse_credit_amount("+$1.50"), Ok(Money::from_cents(150)));
        for bad in ["", "0", "-0.00", "abc", "--5", "1.234"] {
            assert!(parse_credit_amount(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn refunds_never_pass_what_was_paid() {
        let m = Money::from_cents;
        assert_eq!(check_refund(m(1000), m(4990), m(3990)), Ok(()));
        assert_eq!(
            check_refund(m(1001), m(4990), m(3990)),
            Err(RefundProblem::OverRefundable {
                refundable: m(1000)
            })
        );
        assert_eq!(
            check_refund(m(0), m(4990), m(0)),
            Err(RefundProblem::NotPositive)
        );
        assert_eq!(
            check_refund(m(-5), m(4990), m(0)),
            Err(RefundProblem::NotPositive)
        );
    }
}
