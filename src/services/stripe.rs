//! Stripe's HTTP API, the four calls the shop makes: create, read and expire a Checkout
//! Session, and refund a payment. Bodies are form-encoded as Stripe expects, the secret key
//! goes as a bearer token, every POST that makes something carries an idempotency key, and
//! each call has timeouts. Calls block: run them in `web::block` (or the background job),
//! never inside a database transaction.

use std::time::Duration;

use serde_json::Value;

use crate::config::{Config, Secret};

/// The longest a connection to Stripe may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// The longest a whole call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// Why a call to Stripe did not give what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StripeError {
    /// No answer: the network, a timeout, or an answer that is not Stripe's JSON.
    Unreachable(String),
    /// Stripe answered with an error (`status` ≥ 400) and this message.
    Refused {
        /// The HTTP status.
        status: u16,
        /// Stripe's `error.message`.
        message: String,
    },
}

impl std::fmt::Display for StripeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StripeError::Unreachable(why) => write!(f, "Stripe could not be reached: {why}"),
            StripeError::Refused { status, message } => {
                write!(f, "Stripe refused ({status}): {message}")
            }
        }
    }
}

/// A client for one Stripe account.
#[derive(Clone)]
pub struct Stripe {
    base: String,
    key: Secret,
    agent: ureq::Agent,
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stripe").field("base", &self.base).finish()
    }
}

/// Whether `id` is shaped like a Stripe object id (`cs_test_a1B2…`), safe inside a URL path.
pub fn is_object_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 255 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl Stripe {
    /// The client for the configured account, if `STRIPE_SECRET_KEY` is set.
    pub fn from_config(config: &Config) -> Option<Stripe> {
        let key = config.stripe_secret_key.clone()?;
        let tls = ureq::tls::TlsConfig::builder()
            .provider(ureq::tls::TlsProvider::NativeTls)
            .root_certs(ureq::tls::RootCerts::PlatformVerifier)
            .build();
        let agent = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT))
            .timeout_global(Some(CALL_TIMEOUT))
            .http_status_as_error(false)
            .tls_config(tls)
            .user_agent("shopfront")
            .build()
            .into();
        Some(Stripe {
            base: config.stripe_api_base.clone(),
            key,
            agent,
        })
    }

    /// `POST /v1/checkout/sessions`: a new Checkout Session; a retry with the same
    /// `idempotency_key` gets the same session back.
    pub fn create_checkout_session(
        &self,
        form: &[(String, String)],
        idempotency_key: &str,
    ) -> Result<Value, StripeError> {
        self.post("/v1/checkout/sessions", form, Some(idempotency_key))
    }

    /// `GET /v1/checkout/sessions/{id}`.
    pub fn checkout_session(&self, id: &str) -> Result<Value, StripeError> {
        let url = format!("{}/v1/checkout/sessions/{}", self.base, checked_id(id)?);
        let answer = self
            .agent
            .get(&url)
            .header("Authorization", &self.bearer())
            .call();
        read(answer)
    }

    /// `POST /v1/checkout/sessions/{id}/expire`: nobody can pay through it any more. Stripe
    /// refuses when the session is not open (already complete or expired).
    pub fn expire_checkout_session(&self, id: &str) -> Result<Value, StripeError> {
        let path = format!("/v1/checkout/sessions/{}/expire", checked_id(id)?);
        self.post(&path, &[], None)
    }

    /// `POST /v1/refunds`: `amount_cents` of `payment_intent` back to the card it came from.
    pub fn refund(
        &self,
        payment_intent: &str,
        amount_cents: i64,
        idempotency_key: &str,
    ) -> Result<Value, StripeError> {
        let form = [
            ("payment_intent".to_string(), payment_intent.to_string()),
            ("amount".to_string(), amount_cents.to_string()),
        ];
        self.post("/v1/refunds", &form, Some(idempotency_key))
    }

    fn bearer(&self) -> String {
        format!("Bearer {}", self.key.expose())
    }

    fn post(
        &self,
        path: &str,
        form: &[(String, String)],
        idempotency_key: Option<&str>,
    ) -> Result<Value, StripeError> {
        let mut request = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("Authorization", &self.bearer());
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let pairs = form.iter().map(|(k, v)| (k.as_str(), v.as_str()));
        read(request.send_form(pairs))
    }
}

fn checked_id(id: &str) -> Result<&str, StripeError> {
    if is_object_id(id) {
        Ok(id)
    } else {
        Err(StripeError::Unreachable(format!("not a Stripe id: {id:?}")))
    }
}

/// Stripe's answer as JSON, or its error.
fn read(
    answer: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Value, StripeError> {
    let mut response = answer.map_err(|e| StripeError::Unreachable(e.to_string()))?;
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .with_config()
        .limit(1024 * 1024)
        .read_to_string()
        .map_err(|e| StripeError::Unreachable(e.to_string()))?;
    let json: Value = serde_json::from_str(&body)
        .map_err(|_| StripeError::Unreachable(format!("an answer that is not JSON ({status})")))?;
    if status >= 400 {
        let message = json
            .pointer("/error/message")
            .and_then(Value::as_str)
            .unwrap_or("no message")
            .to_string();
        return Err(StripeError::Refused { status, message });
    }
    Ok(json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_ids_go_into_paths() {
        assert!(is_object_id("cs_test_a1B2c3"));
        assert!(!is_object_id(""));
        assert!(!is_object_id("cs_1/../refunds"));
        assert!(!is_object_id("cs_1?expand=x"));
    }
}
