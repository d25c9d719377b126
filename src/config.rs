//! Every setting, read from environment variables, with defaults that need nothing set.
//!
//! Parsing is pure (`Config::from_lookup`) so it can be tested without touching the process
//! environment; `Config::prepare` does the one-time file-system work (data dir, secret key).

use std::fmt;
use std::fs;
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use crate::domain::account::LOGIN_WINDOW_MINUTES;
use crate::domain::payment::PaymentMethod;
use crate::domain::throttle::Limit;

/// The minimum length of `SECRET_KEY`, in characters.
pub const SECRET_KEY_MIN_LEN: usize = 64;

/// Database connections per process when `DB_POOL_SIZE` does not say.
pub const DEFAULT_POOL_SIZE: u32 = 8;

/// Bounds on what a request may hold, checked before it is parsed. The ones a shop may want
/// to tune are settings below (`CART_MAX_LINES`, `SIGNUP_MAX_PER_HOUR`, …); these are fixed.
pub mod limits {
    /// Largest url-encoded form body accepted, in bytes.
    pub const FORM_BYTES: usize = 64 * 1024;
    /// What a multipart body may hold beyond its one file (`UPLOAD_MAX_BYTES`): the fields.
    pub const MULTIPART_FIELDS_BYTES: usize = 1024 * 1024;
    /// Largest text field of a multipart form, in bytes (a 10,000-character description).
    pub const MULTIPART_TEXT_BYTES: usize = 64 * 1024;
    /// Longest multipart boundary, in characters (RFC 2046 allows 1 to 70).
    pub const MULTIPART_BOUNDARY_CHARS: usize = 70;
    /// Flash messages kept for the next page; older ones are dropped.
    pub const FLASH_MESSAGES: usize = 5;
    /// Largest state a session may store, in bytes of JSON; a bigger write is not stored.
    pub const SESSION_STATE_BYTES: usize = 4096;
}

/// Which database engine a `DATABASE_URL` selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// An embedded SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

/// A secret that never shows up in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret text itself; call only where the secret is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The effective configuration of one shopfront process.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address the HTTP server listens on (`BIND`).
    pub bind: SocketAddr,
    /// Directory for the SQLite file, the generated secret key and mail (`DATA_DIR`).
    pub data_dir: PathBuf,
    /// Database location (`DATABASE_URL`): a SQLite file path or a `postgres://` URL.
    pub database_url: String,
    /// The engine `database_url` selects.
    pub engine: Engine,
    /// Key material for cookies (`SECRET_KEY`); `None` until `prepare` loads or generates it.
    pub secret_key: Option<Secret>,
    /// The key before the last rotation (`SECRET_KEY_PREVIOUS`): cookies it signed still count.
    pub secret_key_previous: Option<Secret>,
    /// Fill an empty catalogue with the demo data on start (`DEMO_DATA`).
    pub demo_data: bool,
    /// Connections in the database pool (`DB_POOL_SIZE`).
    pub db_pool_size: u32,
    /// Shown before every price (`CURRENCY_SYMBOL`).
    pub currency_symbol: String,
    /// The shop's name until an admin changes it (`SHOP_NAME`).
    pub shop_name: String,
    /// bcrypt work factor for new password hashes (`BCRYPT_COST`).
    pub bcrypt_cost: u32,
    /// The shop's address as visitors reach it, used in mailed links (`PUBLIC_URL`).
    pub public_url: String,
    /// Cookies only over HTTPS, with the `__Host-` prefix (`COOKIE_SECURE`).
    pub cookie_secure: bool,
    /// Whether visitors may check out without an account (`GUEST_CHECKOUT`, on by default).
    pub guest_checkout: bool,
    /// Where mail goes as `.eml` files when there is no SMTP server (`MAIL_DIR`).
    pub mail_dir: PathBuf,
    /// SMTP server for outgoing mail, e.g. `smtp://user:pass@host:587?tls=required` (`SMTP_URL`).
    pub smtp_url: Option<Secret>,
    /// Sender of every mail (`MAIL_FROM`).
    pub mail_from: String,
    /// Percent off an order whose subtotal is above the threshold (`DISCOUNT_PERCENT`).
    pub discount_percent: u32,
    /// The subtotal, in cents, an order must be strictly above (`DISCOUNT_THRESHOLD_CENTS`).
    pub discount_threshold_cents: i64,
    /// Seconds a stopping server gives requests in flight to finish (`SHUTDOWN_TIMEOUT`).
    pub shutdown_timeout: u64,
    /// Reverse proxies whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Failed logins one client may have on one account in 15 minutes (`LOGIN_MAX_FAILURES`).
    pub login_max_failures: usize,
    /// Failed logins one client may have on any accounts in 15 minutes
    /// (`LOGIN_CLIENT_MAX_FAILURES`).
    pub login_client_max_failures: usize,
    /// Failed logins one account may have from all clients in 15 minutes
    /// (`LOGIN_ACCOUNT_MAX_FAILURES`).
    pub login_account_max_failures: usize,
    /// Sign-ups one client may make in an hour (`SIGNUP_MAX_PER_HOUR`).
    pub signup_max_per_hour: usize,
    /// Mails (sign-up notices, verification and reset links) one address may be sent in an
    /// hour (`MAILS_PER_ADDRESS_PER_HOUR`).
    pub mails_per_address_per_hour: usize,
    /// Lines one cart may hold (`CART_MAX_LINES`).
    pub cart_max_lines: usize,
    /// The largest photo or CSV file accepted, in bytes (`UPLOAD_MAX_BYTES`, 10 MB).
    pub upload_max_bytes: usize,
    /// Sessions one client may start in an hour (`GUEST_SESSIONS_PER_HOUR`).
    pub guest_sessions_per_hour: usize,
    /// The signing secret of the Stripe webhook endpoint (`STRIPE_WEBHOOK_SECRET`); without
    /// it every webhook is refused.
    pub stripe_webhook_secret: Option<Secret>,
    /// ISO 4217 code of the shop's currency, lower case as Stripe writes it (`CURRENCY`).
    pub currency: String,
    /// The ways checkout offers to pay, in order (`PAYMENT_METHODS`).
    pub payment_methods: Vec<PaymentMethod>,
    /// What a bank-transfer customer is told to pay to (`BANK_TRANSFER_DETAILS`).
    pub bank_transfer_details: String,
    /// The most an account may pay with store credit in one UTC day, in cents
    /// (`STORE_CREDIT_DAILY_LIMIT_CENTS`).
    pub store_credit_daily_limit_cents: i64,
    /// The secret API key of the Stripe account (`STRIPE_SECRET_KEY`); card payments need it.
    pub stripe_secret_key: Option<Secret>,
    /// Where Stripe's API answers (`STRIPE_API_BASE`), without a trailing slash.
    pub stripe_api_base: String,
    /// Minutes a card order has to be paid (`ORDER_PAYMENT_MINUTES`).
    pub order_payment_minutes: i64,
    /// Days a bank-transfer order has to be paid (`BANK_TRANSFER_DAYS`).
    pub bank_transfer_days: i64,
    /// Unpaid orders one account may hold at once (`MAX_UNPAID_ORDERS`).
    pub max_unpaid_orders: i64,
}

/// The limits on failed logins, from the configuration.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// One client on one account.
    pub per_account_and_client: Limit,
    /// One client on any accounts.
    pub per_client: Limit,
    /// One account from every client together.
    pub per_account: Limit,
}

/// A setting that was present but unusable: names the variable and what it accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// The environment variable at fault.
    pub var: &'static str,
    /// What it accepts.
    pub expected: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.var, self.expected)
    }
}

impl std::error::Error for ConfigError {}

fn invalid(var: &'static str, expected: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        expected: expected.into(),
    }
}

/// Parses an on/off switch the way people write one.
pub fn parse_switch(var: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" => Ok(true),
        "off" | "false" | "no" | "0" => Ok(false),
        _ => Err(invalid(var, format!("expected on or off, got {value:?}"))),
    }
}

/// Parses an integer setting within an inclusive range.
pub fn parse_in_range<T>(var: &'static str, value: &str, min: T, max: T) -> Result<T, ConfigError>
where
    T: std::str::FromStr + PartialOrd + fmt::Display + Copy,
{
    match value.trim().parse::<T>() {
        Ok(n) if n >= min && n <= max => Ok(n),
        _ => Err(invalid(
            var,
            format!("expected a whole number from {min} to {max}, got {value:?}"),
        )),
    }
}

/// The payment methods checkout offers. Card payments go through Stripe, so `card` needs
/// `STRIPE_SECRET_KEY`.
fn parse_payment_methods(value: &str, has_stripe: bool) -> Result<Vec<PaymentMethod>, ConfigError> {
    let methods = PaymentMethod::parse_list(value).map_err(|e| invalid("PAYMENT_METHODS", e))?;
    if methods.contains(&PaymentMethod::Card) && !has_stripe {
        return Err(invalid(
            "PAYMENT_METHODS",
            "card payments need STRIPE_SECRET_KEY: set it, or leave card out",
        ));
    }
    Ok(methods)
}

/// Reads `STRIPE_API_BASE`: an http(s) origin without a trailing slash.
fn parse_api_base(value: &str) -> Result<String, ConfigError> {
    let base = value.trim().trim_end_matches('/');
    let rest = base
        .strip_prefix("https://")
        .or_else(|| base.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(['/', '?', '#', ' ']) => {
            Ok(base.to_string())
        }
        _ => Err(invalid(
            "STRIPE_API_BASE",
            format!("expected an origin like https://api.stripe.com, got {value:?}"),
        )),
    }
}

/// A currency code as ISO 4217 writes it (`usd`, `EUR`), kept in lower case.
fn parse_currency(value: &str) -> Result<String, ConfigError> {
    let code = value.trim().to_ascii_lowercase();
    if code.len() == 3 && code.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(code)
    } else {
        Err(invalid(
            "CURRENCY",
            format!("expected a three-letter ISO 4217 code like usd or eur, got {value:?}"),
        ))
    }
}

/// Reads `PUBLIC_URL`: an http(s) origin, optionally with a path prefix, without a trailing slash.
/// A key of at least [`SECRET_KEY_MIN_LEN`] characters, if set.
fn parse_secret_key(
    var: &'static str,
    value: Option<String>,
) -> Result<Option<Secret>, ConfigError> {
    match value {
        Some(v) if v.chars().count() < SECRET_KEY_MIN_LEN => Err(invalid(
            var,
            format!(
                "expected at least {SECRET_KEY_MIN_LEN} characters, got {}",
                v.chars().count()
            ),
        )),
        Some(v) => Ok(Some(Secret(v))),
        None => Ok(None),
    }
}

/// A comma-separated list of addresses (`10.0.0.5`, `::1`) and networks (`10.0.0.0/8`).
fn parse_networks(var: &'static str, value: &str) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    value
        .split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    invalid(
                        var,
                        format!(
                            "expected addresses or networks separated by commas, like \
                             10.0.0.5,10.1.0.0/16, got {item:?}"
                        ),
                    )
                })
        })
        .collect()
}

fn parse_public_url(value: &str) -> Result<String, ConfigError> {
    let url = value.trim().trim_end_matches('/');
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    match rest {
        Some(host) if !host.is_empty() && !host.contains(char::is_whitespace) => {
            Ok(url.to_string())
        }
        _ => Err(invalid(
            "PUBLIC_URL",
            format!(
                "expected an http:// or https:// address like https://shop.example, got {value:?}"
            ),
        )),
    }
}

/// Reads `MAIL_FROM`: `name <address>` or a bare address.
fn parse_mailbox(value: &str) -> Result<String, ConfigError> {
    match value.trim().parse::<lettre::message::Mailbox>() {
        Ok(mailbox) => Ok(mailbox.to_string()),
        Err(_) => Err(invalid(
            "MAIL_FROM",
            format!("expected an address like shop <noreply@shop.example>, got {value:?}"),
        )),
    }
}

/// Tells the engine from a `DATABASE_URL`.
pub fn engine_of(url: &str) -> Result<Engine, ConfigError> {
    let lower = url.to_ascii_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") {
        Ok(Engine::Postgres)
    } else if url.trim().is_empty() || lower.contains("://") && !lower.starts_with("sqlite://") {
        Err(invalid(
            "DATABASE_URL",
            format!("expected a postgres:// URL or a SQLite file path, got {url:?}"),
        ))
    } else {
        Ok(Engine::Sqlite)
    }
}

impl Config {
    /// Largest multipart body accepted: one upload and the form's fields.
    pub fn multipart_bytes(&self) -> usize {
        self.upload_max_bytes + limits::MULTIPART_FIELDS_BYTES
    }

    /// Reads the configuration from the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the configuration through `lookup` (the environment, or a map in tests).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let bind = match lookup("BIND") {
            Some(v) => v.trim().parse::<SocketAddr>().map_err(|_| {
                invalid(
                    "BIND",
                    format!("expected an address and port like 127.0.0.1:8080, got {v:?}"),
                )
            })?,
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let data_dir = match lookup("DATA_DIR") {
            Some(v) if v.trim().is_empty() => {
                return Err(invalid(
                    "DATA_DIR",
                    "expected a directory path, got nothing",
                ))
            }
            Some(v) => PathBuf::from(v),
            None => PathBuf::from("./data"),
        };
        let database_url = match lookup("DATABASE_URL") {
            Some(v) => v,
            None => data_dir.join("shopfront.db").to_string_lossy().into_owned(),
        };
        let engine = engine_of(&database_url)?;
        let database_url = match database_url.strip_prefix("sqlite://") {
            Some(path) => path.to_string(),
            None => database_url,
        };
        let secret_key = parse_secret_key("SECRET_KEY", lookup("SECRET_KEY"))?;
        let secret_key_previous =
            parse_secret_key("SECRET_KEY_PREVIOUS", lookup("SECRET_KEY_PREVIOUS"))?;
        let demo_data = match lookup("DEMO_DATA") {
            Some(v) => parse_switch("DEMO_DATA", &v)?,
            None => true,
        };
        let db_pool_size = match lookup("DB_POOL_SIZE") {
            Some(v) => parse_in_range("DB_POOL_SIZE", &v, 1u32, 256)?,
            None => DEFAULT_POOL_SIZE,
        };
        let currency_symbol = match lookup("CURRENCY_SYMBOL") {
            Some(v) if v.trim().is_empty() || v.chars().count() > 8 => {
                return Err(invalid(
                    "CURRENCY_SYMBOL",
                    format!("expected 1 to 8 characters, got {v:?}"),
                ))
            }
            Some(v) => v.trim().to_string(),
            None => "$".to_string(),
        };
        let shop_name = match lookup("SHOP_NAME") {
            Some(v) if v.trim().is_empty() || v.trim().chars().count() > 60 => {
                return Err(invalid(
                    "SHOP_NAME",
                    format!("expected 1 to 60 characters, got {v:?}"),
                ))
            }
            Some(v) => v.trim().to_string(),
            None => "shopfront".to_string(),
        };
        let bcrypt_cost = match lookup("BCRYPT_COST") {
            Some(v) => parse_in_range("BCRYPT_COST", &v, 4u32, 31)?,
            None => 12,
        };
        let public_url = match lookup("PUBLIC_URL") {
            Some(v) => parse_public_url(&v)?,
            None => format!("http://{bind}"),
        };
        let cookie_secure = match lookup("COOKIE_SECURE") {
            Some(v) => parse_switch("COOKIE_SECURE", &v)?,
            None => false,
        };
        let guest_checkout = match lookup("GUEST_CHECKOUT") {
            Some(v) => parse_switch("GUEST_CHECKOUT", &v)?,
            None => true,
        };
        let mail_dir = match lookup("MAIL_DIR") {
            Some(v) if v.trim().is_empty() => {
                return Err(invalid(
                    "MAIL_DIR",
                    "expected a directory path, got nothing",
                ))
            }
            Some(v) => PathBuf::from(v),
            None => data_dir.join("mail"),
        };
        let smtp_url = match lookup("SMTP_URL") {
            Some(v) if v.trim().is_empty() => None,
            Some(v) if v.starts_with("smtp://") || v.starts_with("smtps://") => Some(Secret(v)),
            Some(_) => return Err(invalid(
                "SMTP_URL",
                "expected an smtp:// or smtps:// URL, e.g. smtp://user:pass@host:587?tls=required",
            )),
            None => None,
        };
        let mail_from = match lookup("MAIL_FROM") {
            Some(v) => parse_mailbox(&v)?,
            None => "shopfront <noreply@localhost>".to_string(),
        };
        let discount_percent = match lookup("DISCOUNT_PERCENT") {
            Some(v) => parse_in_range("DISCOUNT_PERCENT", &v, 0u32, 100)?,
            None => 10,
        };
        let discount_threshold_cents = match lookup("DISCOUNT_THRESHOLD_CENTS") {
            Some(v) => parse_in_range("DISCOUNT_THRESHOLD_CENTS", &v, 0i64, 100_000_000_000)?,
            None => 10_000,
        };
        let shutdown_timeout = match lookup("SHUTDOWN_TIMEOUT") {
            Some(v) => parse_in_range("SHUTDOWN_TIMEOUT", &v, 0u64, 3600)?,
            None => 30,
        };
        let trusted_proxies = match lookup("TRUSTED_PROXIES") {
            Some(v) => parse_networks("TRUSTED_PROXIES", &v)?,
            None => Vec::new(),
        };
        let count = |var: &'static str, default: usize, max: usize| match lookup(var) {
            Some(v) => parse_in_range(var, &v, 1usize, max),
            None => Ok(default),
        };
        let login_max_failures = count("LOGIN_MAX_FAILURES", 5, 1_000)?;
        let login_client_max_failures = count("LOGIN_CLIENT_MAX_FAILURES", 30, 100_000)?;
        let login_account_max_failures = count("LOGIN_ACCOUNT_MAX_FAILURES", 100, 1_000_000)?;
        let signup_max_per_hour = count("SIGNUP_MAX_PER_HOUR", 10, 100_000)?;
        let mails_per_address_per_hour = count("MAILS_PER_ADDRESS_PER_HOUR", 3, 1_000)?;
        let cart_max_lines = count("CART_MAX_LINES", 100, 10_000)?;
        let upload_max_bytes = count("UPLOAD_MAX_BYTES", 10 * 1024 * 1024, 100 * 1024 * 1024)?;
        let guest_sessions_per_hour = count("GUEST_SESSIONS_PER_HOUR", 200, 1_000_000)?;
        let stripe_webhook_secret = lookup("STRIPE_WEBHOOK_SECRET")
            .filter(|v| !v.trim().is_empty())
            .map(|v| Secret(v.trim().to_string()));
        let currency = match lookup("CURRENCY") {
            Some(v) => parse_currency(&v)?,
            None => "usd".to_string(),
        };
        let stripe_secret_key = lookup("STRIPE_SECRET_KEY")
            .filter(|v| !v.trim().is_empty())
            .map(|v| Secret(v.trim().to_string()));
        let stripe_api_base = match lookup("STRIPE_API_BASE") {
            Some(v) => parse_api_base(&v)?,
            None => "https://api.stripe.com".to_string(),
        };
        let payment_methods = match lookup("PAYMENT_METHODS") {
            Some(v) => parse_payment_methods(&v, stripe_secret_key.is_some())?,
            None if stripe_secret_key.is_some() => vec![
                PaymentMethod::Card,
                PaymentMethod::BankTransfer,
                PaymentMethod::StoreCredit,
            ],
            None => vec![PaymentMethod::BankTransfer, PaymentMethod::StoreCredit],
        };
        let order_payment_minutes = match lookup("ORDER_PAYMENT_MINUTES") {
            Some(v) => parse_in_range("ORDER_PAYMENT_MINUTES", &v, 1i64, 1440)?,
            None => 30,
        };
        let bank_transfer_days = match lookup("BANK_TRANSFER_DAYS") {
            Some(v) => parse_in_range("BANK_TRANSFER_DAYS", &v, 1i64, 90)?,
            None => 7,
        };
        let max_unpaid_orders = match lookup("MAX_UNPAID_ORDERS") {
            Some(v) => parse_in_range("MAX_UNPAID_ORDERS", &v, 1i64, 1000)?,
            None => 3,
        };
        let bank_transfer_details = lookup("BANK_TRANSFER_DETAILS")
            .map(|v| v.trim().to_string())
            .unwrap_or_default();
        let store_credit_daily_limit_cents = match lookup("STORE_CREDIT_DAILY_LIMIT_CENTS") {
            Some(v) => parse_in_range("STORE_CREDIT_DAILY_LIMIT_CENTS", &v, 0i64, 100_000_000_000)?,
            None => 50_000,
        };
        Ok(Config {
            bind,
            data_dir,
            database_url,
            engine,
            secret_key,
            secret_key_previous,
            demo_data,
            db_pool_size,
            currency_symbol,
            shop_name,
            bcrypt_cost,
            public_url,
            cookie_secure,
            guest_checkout,
            mail_dir,
            smtp_url,
            mail_from,
            discount_percent,
            discount_threshold_cents,
            shutdown_timeout,
            trusted_proxies,
            login_max_failures,
            login_client_max_failures,
            login_account_max_failures,
            signup_max_per_hour,
            mails_per_address_per_hour,
            cart_max_lines,
            upload_max_bytes,
            guest_sessions_per_hour,
            stripe_webhook_secret,
            currency,
            payment_methods,
            bank_transfer_details,
            store_credit_daily_limit_cents,
            stripe_secret_key,
            stripe_api_base,
            order_payment_minutes,
            bank_transfer_days,
            max_unpaid_orders,
        })
    }

    /// Creates the data directory and loads or generates the secret key kept in it.
    pub fn prepare(&mut self) -> Result<(), String> {
        fs::create_dir_all(&self.data_dir).map_err(|e| {
            format!(
                "DATA_DIR: cannot create {}: {e}",
                self.data_dir.to_string_lossy()
            )
        })?;
        if self.secret_key.is_none() {
            if self.engine == Engine::Postgres {
                // Instances that share a database must sign cookies alike, or a login made
                // on one is unknown to the next.
                log::warn!(
                    "SECRET_KEY is not set: cookies are signed with the key in {}; give every \
                     instance of this shop the same SECRET_KEY",
                    self.data_dir.join("secret_key").display()
                );
            }
            self.secret_key = Some(load_or_create_secret(&self.data_dir)?);
        }
        Ok(())
    }

    /// Every setting as `(VARIABLE, value)`, secrets masked: the secret key, the SMTP URL
    /// and a database URL's password show as `***`.
    pub fn describe(&self) -> Vec<(&'static str, String)> {
        let on_off = |on: bool| if on { "on" } else { "off" }.to_string();
        // Before `prepare`, a key is only present when SECRET_KEY set it.
        let secret_key = match &self.secret_key {
            Some(_) => "*** (set)".to_string(),
            None => format!("(kept in {})", self.data_dir.join("secret_key").display()),
        };
        vec![
            ("BIND", self.bind.to_string()),
            ("DATA_DIR", self.data_dir.display().to_string()),
            ("DATABASE_URL", mask_password(&self.database_url)),
            ("SECRET_KEY", secret_key),
            (
                "SECRET_KEY_PREVIOUS",
                self.secret_key_previous
                    .as_ref()
                    .map_or("(none)".to_string(), |_| "*** (set)".to_string()),
            ),
            ("DEMO_DATA", on_off(self.demo_data)),
            ("DB_POOL_SIZE", self.db_pool_size.to_string()),
            ("CURRENCY_SYMBOL", self.currency_symbol.clone()),
            ("SHOP_NAME", self.shop_name.clone()),
            ("CURRENCY", self.currency.clone()),
            (
                "PAYMENT_METHODS",
                self.payment_methods
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ),
            ("BANK_TRANSFER_DETAILS", self.bank_transfer_details.clone()),
            (
                "STORE_CREDIT_DAILY_LIMIT_CENTS",
                self.store_credit_daily_limit_cents.to_string(),
            ),
            ("BCRYPT_COST", self.bcrypt_cost.to_string()),
            ("PUBLIC_URL", self.public_url.clone()),
            ("COOKIE_SECURE", on_off(self.cookie_secure)),
            ("GUEST_CHECKOUT", on_off(self.guest_checkout)),
            ("MAIL_DIR", self.mail_dir.display().to_string()),
            (
                "SMTP_URL",
                self.smtp_url
                    .as_ref()
                    .map_or("(none: mail goes to MAIL_DIR)".to_string(), |_| {
                        "***".to_string()
                    }),
            ),
            ("MAIL_FROM", self.mail_from.clone()),
            ("DISCOUNT_PERCENT", self.discount_percent.to_string()),
            (
                "DISCOUNT_THRESHOLD_CENTS",
                self.discount_threshold_cents.to_string(),
            ),
            ("SHUTDOWN_TIMEOUT", self.shutdown_timeout.to_string()),
            (
                "TRUSTED_PROXIES",
                if self.trusted_proxies.is_empty() {
                    "(none: X-Forwarded-For is ignored)".to_string()
                } else {
                    let nets: Vec<String> = self
                        .trusted_proxies
                        .iter()
                        .map(ToString::to_string)
                        .collect();
                    nets.join(",")
                },
            ),
            ("LOGIN_MAX_FAILURES", self.login_max_failures.to_string()),
            (
                "LOGIN_CLIENT_MAX_FAILURES",
                self.login_client_max_failures.to_string(),
            ),
            (
                "LOGIN_ACCOUNT_MAX_FAILURES",
                self.login_account_max_failures.to_string(),
            ),
            ("SIGNUP_MAX_PER_HOUR", self.signup_max_per_hour.to_string()),
            (
                "MAILS_PER_ADDRESS_PER_HOUR",
                self.mails_per_address_per_hour.to_string(),
            ),
            ("CART_MAX_LINES", self.cart_max_lines.to_string()),
            ("UPLOAD_MAX_BYTES", self.upload_max_bytes.to_string()),
            (
                "GUEST_SESSIONS_PER_HOUR",
                self.guest_sessions_per_hour.to_string(),
            ),
            (
                "STRIPE_WEBHOOK_SECRET",
                self.stripe_webhook_secret
                    .as_ref()
                    .map_or("(none: webhooks are refused)".to_string(), |_| {
                        "***".to_string()
                    }),
            ),
            (
                "STRIPE_SECRET_KEY",
                self.stripe_secret_key
                    .as_ref()
                    .map_or("(none: no card payments)".to_string(), |_| {
                        "***".to_string()
                    }),
            ),
            ("STRIPE_API_BASE", self.stripe_api_base.clone()),
            (
                "ORDER_PAYMENT_MINUTES",
                self.order_payment_minutes.to_string(),
            ),
            ("BANK_TRANSFER_DAYS", self.bank_transfer_days.to_string()),
            ("MAX_UNPAID_ORDERS", self.max_unpaid_orders.to_string()),
        ]
    }

    /// The limits on failed logins, each over [`LOGIN_WINDOW_MINUTES`].
    pub fn login_limits(&self) -> LoginLimits {
        let limit = |max| Limit::per_minutes(max, LOGIN_WINDOW_MINUTES);
        LoginLimits {
            per_account_and_client: limit(self.login_max_failures),
            per_client: limit(self.login_client_max_failures),
            per_account: limit(self.login_account_max_failures),
        }
    }

    /// Combinations that work but are probably not what a live shop wants, one sentence each.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if self.public_url.starts_with("https://") && !self.cookie_secure {
            warnings.push(
                "PUBLIC_URL is https:// but COOKIE_SECURE is off: cookies would also travel \
                 over plain HTTP; set COOKIE_SECURE=on"
                    .to_string(),
            );
        }
        if self.engine == Engine::Postgres && self.demo_data {
            warnings.push(
                "DEMO_DATA is on with PostgreSQL: an empty catalogue is filled with demo \
                 products at start; set DEMO_DATA=off for a live shop"
                    .to_string(),
            );
        }
        if self.engine == Engine::Postgres && self.smtp_url.is_none() {
            warnings.push(format!(
                "SMTP_URL is unset with PostgreSQL: mail is only written as files to {}, \
                 nobody receives it; set SMTP_URL",
                self.mail_dir.display()
            ));
        }
        warnings
    }

    /// The first value of the shop's settings, from the environment (`SHOP_NAME`, the discount,
    /// `BANK_TRANSFER_DETAILS`); admins change them at run time.
    pub fn seed_settings(&self) -> crate::domain::settings::ShopSettings {
        crate::domain::settings::ShopSettings {
            shop_name: self.shop_name.clone(),
            shop_address: String::new(),
            vat_id: String::new(),
            contact_email: String::new(),
            prices_include_tax: true,
            discount_percent: self.discount_percent,
            discount_threshold: crate::domain::Money::from_cents(self.discount_threshold_cents),
            bank_transfer_details: self.bank_transfer_details.clone(),
        }
    }

    /// The discount rule the environment names (the first value of the shop's setting).
    pub fn discount_rule(&self) -> crate::domain::DiscountRule {
        crate::domain::DiscountRule {
            percent: self.discount_percent,
            threshold: crate::domain::Money::from_cents(self.discount_threshold_cents),
        }
    }

    /// The secret key; `prepare` must have run.
    pub fn secret(&self) -> &Secret {
        self.secret_key
            .as_ref()
            .expect("Config::prepare loads the secret key before the server starts")
    }
}

/// `url` with the password of its `user:password@` part replaced by `***`.
fn mask_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.split_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{scheme}://{user}:***@{host}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

/// Reads `DATA_DIR/secret_key`, or writes a fresh random one there with mode 0600.
fn load_or_create_secret(dir: &Path) -> Result<Secret, String> {
    let path = dir.join("secret_key");
    match fs::read_to_string(&path) {
        Ok(text) => {
            let key = text.trim().to_string();
            if key.chars().count() < SECRET_KEY_MIN_LEN {
                return Err(format!(
                    "SECRET_KEY: the key in {} is shorter than {SECRET_KEY_MIN_LEN} characters; delete it to generate a new one",
                    path.display()
                ));
            }
            Ok(Secret(key))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = random_hex(64);
            let mut options = fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                options.mode(0o600);
            }
            match options.open(&path) {
                Ok(mut file) => {
                    file.write_all(key.as_bytes())
                        .and_then(|_| file.sync_all())
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                    log::info!("generated a new secret key in {}", path.display());
                    Ok(Secret(key))
                }
                // Another instance created it first: use theirs.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    load_or_create_secret(dir)
                }
                Err(e) => Err(format!("cannot create {}: {e}", path.display())),
            }
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// `bytes` random bytes from the OS generator, as lower-case hex.
pub fn random_hex(bytes: usize) -> String {
    use rand::Rng;
    let mut buf = vec![0u8; bytes];
    // ThreadRng is a CSPRNG seeded from the OS and reseeded periodically.
    rand::rng().fill(&mut buf[..]);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {

    use super::*;
    use std::collections::HashMap;

    fn parse(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_need_nothing_set() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.engine, Engine::Sqlite);
        assert!(c.database_url.ends_with("shopfront.db"));
        assert!(c.demo_data);
        assert_eq!(c.currency_symbol, "$");
        assert!(c.secret_key.is_none());
        assert_eq!(c.bcrypt_cost, 12);
        assert_eq!(c.public_url, "http://127.0.0.1:8080");
        assert!(!c.cookie_secure);
        assert_eq!(c.mail_dir, PathBuf::from("./data/mail"));
        assert!(c.smtp_url.is_none());
        assert_eq!(
            (c.discount_percent, c.discount_threshold_cents),
            (10, 10_000)
        );
        assert_eq!(c.shutdown_timeout, 30);
        assert!(c.trusted_proxies.is_empty());
        assert_eq!(
            (
                c.login_max_failures,
                c.login_client_max_failures,
                c.login_account_max_failures
            ),
            (5, 30, 100)
        );
        assert_eq!(
            (c.signup_max_per_hour, c.mails_per_address_per_hour),
            (10, 3)
        );
        assert_eq!((c.cart_max_lines, c.guest_sessions_per_hour), (100, 200));
    }

    #[test]
    fn the_pool_holds_eight_connections_unless_db_pool_size_says() -> Result<(), ConfigError> {
        assert_eq!(parse(&[])?.db_pool_size, 8);
        let pg = "postgres://shop@db.internal/shop";
        assert_eq!(parse(&[("DATABASE_URL", pg)])?.db_pool_size, 8);
        let set = parse(&[("DATABASE_URL", pg), ("DB_POOL_SIZE", "12")])?;
        assert_eq!(set.db_pool_size, 12);
        Ok(())
    }

    #[test]
    fn trusted_proxies_take_addresses_and_networks() -> Result<(), ConfigError> {
        let c = parse(&[("TRUSTED_PROXIES", " 10.0.0.5, 10.1.0.0/16,::1 ,")])?;
        let shown: Vec<String> = c.trusted_proxies.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.5/32", "10.1.0.0/16", "::1/128"]);
        Ok(())
    }

    #[test]
    fn public_url_follows_bind_and_loses_its_trailing_slash() {
        let c = parse(&[("BIND", "0.0.0.0:9000")]).unwrap();
        assert_eq!(c.public_url, "http://0.0.0.0:9000");
        let c = parse(&[("PUBLIC_URL", "https://shop.example/")]).unwrap();
        assert_eq!(c.public_url, "https://shop.example");
    }

    #[test]
    fn postgres_urls_select_postgres() {
        let c = parse(&[("DATABASE_URL", "postgres://u@h/db")]).unwrap();
        assert_eq!(c.engine, Engine::Postgres);
        let c = parse(&[("DATABASE_URL", "postgresql://u@h/db")]).unwrap();
        assert_eq!(c.engine, Engine::Postgres);
        let c = parse(&[("DATABASE_URL", "sqlite:///tmp/x.db")]).unwrap();
        assert_eq!(
            (c.engine, c.database_url.as_str()),
            (Engine::Sqlite, "/tmp/x.db")
        );
    }

    #[test]
    fn bad_values_name_the_variable() {
        for (var, value) in [
            ("BIND", "localhost"),
            ("DATABASE_URL", "mysql://x"),
            ("SECRET_KEY", "short"),
            ("SECRET_KEY_PREVIOUS", "short"),
            ("DEMO_DATA", "maybe"),
            ("DB_POOL_SIZE", "0"),
            ("DB_POOL_SIZE", "lots"),
            ("CURRENCY_SYMBOL", ""),
            ("BCRYPT_COST", "3"),
            ("BCRYPT_COST", "32"),
            ("SHUTDOWN_TIMEOUT", "-1"),
            ("SHUTDOWN_TIMEOUT", "3601"),
            ("TRUSTED_PROXIES", "10.0.0.0/33"),
            ("TRUSTED_PROXIES", "proxy.internal"),
            ("PUBLIC_URL", "shop.example"),
            ("COOKIE_SECURE", "sometimes"),
            ("SMTP_URL", "http://mail"),
            ("MAIL_FROM", "not an address"),
            ("DISCOUNT_PERCENT", "101"),
            ("DISCOUNT_THRESHOLD_CENTS", "-1"),
            ("DISCOUNT_THRESHOLD_CENTS", "99.5"),
            ("LOGIN_MAX_FAILURES", "0"),
            ("LOGIN_ACCOUNT_MAX_FAILURES", "many"),
            ("SIGNUP_MAX_PER_HOUR", "-3"),
            ("CART_MAX_LINES", "10001"),
            ("GUEST_SESSIONS_PER_HOUR", "0"),
            ("MAILS_PER_ADDRESS_PER_HOUR", "1.5"),
            ("CURRENCY", "dollars"),
            ("PAYMENT_METHODS", "cash"),
            ("PAYMENT_METHODS", "card,store_credit"),
            ("STORE_CREDIT_DAILY_LIMIT_CENTS", "-1"),
            ("CURRENCY", "u$d"),
            ("ORDER_PAYMENT_MINUTES", "0"),
            ("ORDER_PAYMENT_MINUTES", "1441"),
            ("BANK_TRANSFER_DAYS", "0"),
            ("MAX_UNPAID_ORDERS", "none"),
            ("STRIPE_API_BASE", "api.stripe.com"),
            ("STRIPE_API_BASE", "https://api.stripe.com/v1"),
            ("LOGIN_CLIENT_MAX_FAILURES", ""),
        ] {
            let err = parse(&[(var, value)]).unwrap_err();
            assert_eq!(err.var, var, "{value}");
            assert!(err.to_string().starts_with(var));
        }
    }

    #[test]
    fn card_payments_come_with_a_stripe_key() {
        let plain = parse(&[]).unwrap();
        assert!(!plain.payment_methods.contains(&PaymentMethod::Card));
        assert_eq!(plain.stripe_api_base, "https://api.stripe.com");
        assert_eq!(
            (
                plain.order_payment_minutes,
                plain.bank_transfer_days,
                plain.max_unpaid_orders
            ),
            (30, 7, 3)
        );
        let keyed = parse(&[
            ("STRIPE_SECRET_KEY", "sk_test_x"),
            ("STRIPE_API_BASE", "http://127.0.0.1:9/"),
        ])
        .unwrap();
        assert_eq!(keyed.payment_methods[0], PaymentMethod::Card);
        assert_eq!(keyed.stripe_api_base, "http://127.0.0.1:9");
        let shown = keyed.describe();
        assert!(shown.contains(&("STRIPE_SECRET_KEY", "***".to_string())));
        let card_only = parse(&[("STRIPE_SECRET_KEY", "sk"), ("PAYMENT_METHODS", "card")]);
        assert_eq!(card_only.unwrap().payment_methods, [PaymentMethod::Card]);
    }

    #[test]
    fn the_currency_is_an_iso_code_in_lower_case_and_the_webhook_secret_is_masked() {
        assert_eq!(parse(&[]).unwrap().currency, "usd");
        let eur = parse(&[("CURRENCY", " EUR "), ("STRIPE_WEBHOOK_SECRET", "whsec_x")]).unwrap();
        assert_eq!(eur.currency, "eur");
        assert_eq!(
            eur.stripe_webhook_secret.as_ref().map(Secret::expose),
            Some("whsec_x")
        );
        let described = eur.describe();
        assert!(described.contains(&("STRIPE_WEBHOOK_SECRET", "***".to_string())));
        assert!(!format!("{described:?}").contains("whsec_x"));
    }

    #[test]
    fn warnings_name_the_settings_a_live_shop_should_change() {
        assert!(parse(&[]).unwrap().warnings().is_empty());
        let https = parse(&[("PUBLIC_URL", "https://shop.example")]).unwrap();
        assert_eq!(https.warnings().len(), 1);
        assert!(https.warnings()[0].starts_with("PUBLIC_URL"));
        let pg = parse(&[("DATABASE_URL", "postgres://u@h/db")]).unwrap();
        let said: Vec<String> = pg
            .warnings()
            .iter()
            .map(|w| w.split(' ').next().unwrap_or("").to_string())
            .collect();
        assert_eq!(said, ["DEMO_DATA", "SMTP_URL"]);
    }

    #[test]
    fn a_long_secret_is_accepted_and_hidden_from_debug() {
        let key = "k".repeat(64);
        let c = parse(&[("SECRET_KEY", key.as_str())]).unwrap();
        assert_eq!(c.secret().expose(), key);
        assert!(!format!("{c:?}").contains(&key));
    }

    #[test]
    fn switches_accept_common_spellings() {
        assert!(!parse(&[("DEMO_DATA", "off")]).unwrap().demo_data);
        assert!(!parse(&[("DEMO_DATA", "FALSE")]).unwrap().demo_data);
        assert!(parse(&[("DEMO_DATA", "On")]).unwrap().demo_data);
    }

    #[test]
    fn the_generated_secret_is_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let first = load_or_create_secret(dir.path()).unwrap();
        let second = load_or_create_secret(dir.path()).unwrap();
        assert_eq!(first, second);
        assert!(first.expose().len() >= SECRET_KEY_MIN_LEN);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(dir.path().join("secret_key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn describe_masks_every_secret() {
        let key = "k".repeat(SECRET_KEY_MIN_LEN);
        let previous = "p".repeat(SECRET_KEY_MIN_LEN);
        let env = [
            (
                "DATABASE_URL",
                "postgres://shop:hunter2@db.internal:5432/shop",
            ),
            ("SMTP_URL", "smtp://mailer:s3cret-pw@smtp.example:587"),
            ("SECRET_KEY", key.as_str()),
            ("SECRET_KEY_PREVIOUS", previous.as_str()),
        ];
        let config = parse(&env).unwrap();
        let text: String = config
            .describe()
            .iter()
            .map(|(name, value)| format!("{name}={value}\n"))
            .collect();
        for secret in [
            "hunter2",
            "s3cret-pw",
            "mailer",
            key.as_str(),
            previous.as_str(),
        ] {
            assert!(!text.contains(secret), "{secret} shown in\n{text}");
        }
        assert!(text.contains("DATABASE_URL=postgres://shop:***@db.internal:5432/shop"));
        assert!(text.contains("SMTP_URL=***"));
        assert!(text.contains("SECRET_KEY=*** (set)"));
        assert!(text.contains("SECRET_KEY_PREVIOUS=*** (set)"));
        assert!(text.contains("BCRYPT_COST=12"));
    }
}
