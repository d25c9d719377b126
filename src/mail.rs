//! Mail: what each mail says (`compose`), how it leaves (`Mailer`: SMTP when `SMTP_URL` is
//! set, otherwise `.eml` files in `MAIL_DIR`), and the outbox worker that delivers queued
//! mail with retries and backoff.
//!
//! A mail is written to the `outbox` table in the transaction of the change that causes it,
//! so it is never lost; the worker claims one at a time under a lease, so with several
//! instances each mail is delivered by one of them.

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use askama::Template;
use chrono::TimeDelta;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, Message};
use lettre::{SmtpTransport, Transport as _};
use tokio::sync::{watch, Notify};

use crate::config::Config;
use crate::db::{self, DbPool};
use crate::models::outbox::{self, NewMail, OutboxMail};
use crate::models::{cart, email_token, login_failure, now, session, throttle};
use crate::web::error::AppError;

/// How long a claimed mail is held before another worker may retry it.
const CLAIM_LEASE: TimeDelta = TimeDelta::seconds(120);
/// How often the worker looks for due mail when nobody wakes it.
const POLL_INTERVAL: Duration = Duration::from_secs(5);
/// How often expired sessions, tokens and old login failures are deleted.
const SWEEP_INTERVAL: Duration = Duration::from_secs(600);
/// A guest cart untouched this long has outlived its session (which lasts 30 days).
const GUEST_CART_DAYS: i64 = 31;
/// The longest wait between two attempts at one mail.
const MAX_BACKOFF_SECONDS: i64 = 3600;

/// The absolute links mails carry, always built on `PUBLIC_URL`, never on a request's Host.
#[derive(Debug, Clone)]
pub struct Links {
    base: String,
}

impl Links {
    /// Links under `public_url`.
    pub fn new(public_url: &str) -> Links {
        Links {
            base: public_url.trim_end_matches('/').to_string(),
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
}

/// The text of each mail the shop sends.
pub mod compose {
    use super::*;

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

    fn mail(
        recipient: &str,
        subject: &str,
        body: Result<String, askama::Error>,
    ) -> Result<NewMail, AppError> {
        Ok(NewMail {
            recipient: recipient.to_string(),
            subject: subject.to_string(),
            body: body?,
        })
    }

    /// "Confirm your address", with the verification link.
    pub fn verify(links: &Links, email: &str, token: &str) -> Result<NewMail, AppError> {
        let link = links.verify(token);
        mail(
            email,
            "Confirm your e-mail address",
            Verify { email, link: &link }.render(),
        )
    }

    /// To the owner of an address someone tried to sign up with again.
    pub fn signup_attempt(links: &Links, email: &str) -> Result<NewMail, AppError> {
        let (login_link, forgot_link) = (links.login(), links.forgot());
        mail(
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
        discount: String,
        total: String,
        link: &'a str,
    }

    /// "Thank you for your order", with its lines, totals and a link to it.
    pub fn order_placed(
        links: &Links,
        email: &str,
        order_id: i32,
        lines: &[crate::models::cart::CartLine],
        totals: &crate::domain::Totals,
        currency: &str,
    ) -> Result<NewMail, AppError> {
        let link = links.order(order_id);
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
            subtotal: money(totals.subtotal.cents()),
            has_discount: totals.discount.cents() > 0,
            discount: money(totals.discount.cents()),
            total: money(totals.total.cents()),
            link: &link,
        };
        mail(email, &format!("Your order #{order_id}"), page.render())
    }

    /// "Your password was changed".
    pub fn password_changed(links: &Links, email: &str) -> Result<NewMail, AppError> {
        let forgot_link = links.forgot();
        mail(
            email,
            "Your password was changed",
            PasswordChanged {
                email,
                forgot_link: &forgot_link,
            }
            .render(),
        )
    }
}

/// Where mail goes.
enum Transport {
    /// `.eml` files in a directory.
    Files(PathBuf),
    /// An SMTP server.
    Smtp(Box<SmtpTransport>),
}

/// Turns outbox rows into RFC 5322 messages and hands them to the transport.
pub struct Mailer {
    transport: Transport,
    from: Mailbox,
    message_id_domain: String,
}

impl Mailer {
    /// The mailer the configuration asks for; an unusable setting names its variable.
    pub fn from_config(config: &Config) -> Result<Mailer, String> {
        let from: Mailbox = config
            .mail_from
            .parse()
            .map_err(|e| format!("MAIL_FROM: {e}"))?;
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(Box::new(
                SmtpTransport::from_url(url.expose())
                    .map_err(|e| format!("SMTP_URL: {e}"))?
                    .timeout(Some(Duration::from_secs(20)))
                    .build(),
            )),
            None => {
                fs::create_dir_all(&config.mail_dir).map_err(|e| {
                    format!("MAIL_DIR: cannot create {}: {e}", config.mail_dir.display())
                })?;
                Transport::Files(config.mail_dir.clone())
            }
        };
        let message_id_domain = config
            .public_url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split(['/', ':']).next())
            .filter(|host| !host.is_empty())
            .unwrap_or("localhost")
            .to_string();
        Ok(Mailer {
            transport,
            from,
            message_id_domain,
        })
    }

    /// The message for an outbox row. Its Message-ID comes from the row, so a retry of the
    /// same mail is recognisably the same message.
    fn message(&self, mail: &OutboxMail) -> Result<Message, String> {
        let to: Mailbox = mail
            .recipient
            .parse()
            .map_err(|e| format!("bad recipient: {e}"))?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .message_id(Some(format!(
                "<outbox.{}.{}@{}>",
                mail.id,
                mail.created_at.and_utc().timestamp(),
                self.message_id_domain
            )))
            .header(ContentType::TEXT_PLAIN)
            .body(plain_body(&mail.body))
            .map_err(|e| format!("cannot build the message: {e}"))
    }

    /// Delivers one mail (blocking: run it off the async workers).
    pub fn deliver(&self, mail: &OutboxMail) -> Result<(), String> {
        let message = self.message(mail)?;
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(&message).map(|_| ()).map_err(|e| e.to_string()),
            Transport::Files(dir) => {
                // Written under a temporary name and renamed, so a reader never sees half a
                // mail; a retry overwrites the same file instead of adding a second one.
                let path = dir.join(format!("mail-{:08}.eml", mail.id));
                let partial = dir.join(format!(".mail-{:08}.eml.partial", mail.id));
                let mut file = fs::File::create(&partial).map_err(|e| e.to_string())?;
                file.write_all(&message.formatted())
                    .and_then(|_| file.sync_all())
                    .map_err(|e| e.to_string())?;
                fs::rename(&partial, &path).map_err(|e| e.to_string())
            }
        }
    }
}

/// The body as plain 7-bit (or 8-bit) text rather than quoted-printable, so that a link
/// stays whole for anyone reading the raw `.eml`. RFC 5322 allows lines of 998 bytes; lettre
/// would hold 7-bit text to 76 and fold the links, so the checked text is handed over as
/// already encoded. Anything unusual (NUL, very long lines) goes through lettre's encoder.
fn plain_body(text: &str) -> Body {
    let crlf = text.replace("\r\n", "\n").replace('\n', "\r\n");
    let plain = !crlf.contains('\0') && crlf.split("\r\n").all(|line| line.len() <= 998);
    if !plain {
        return Body::new(text.to_string());
    }
    let encoding = if crlf.is_ascii() {
        ContentTransferEncoding::SevenBit
    } else {
        ContentTransferEncoding::EightBit
    };
    Body::dangerous_pre_encoded(crlf.into_bytes(), encoding)
}

/// The wait before attempt `attempts + 1`: 30 s, doubling, at most an hour.
pub fn backoff(attempts: i32) -> TimeDelta {
    let exponent = u32::try_from(attempts.clamp(1, 12) - 1).unwrap_or(0);
    TimeDelta::seconds((30i64 << exponent).min(MAX_BACKOFF_SECONDS))
}

/// Delivers every mail that is due now; returns how many went out.
pub async fn deliver_due(pool: &DbPool, mailer: &Arc<Mailer>) -> Result<usize, AppError> {
    deliver_due_while(pool, mailer, || true).await
}

/// Delivers mail that is due, one at a time, while `go_on` says so: a mail once claimed is
/// always delivered (or failed) and recorded before `go_on` is asked again.
async fn deliver_due_while(
    pool: &DbPool,
    mailer: &Arc<Mailer>,
    go_on: impl Fn() -> bool,
) -> Result<usize, AppError> {
    let mut delivered = 0;
    while go_on() {
        let pool_for_claim = pool.clone();
        let Some(mail) = db::run(&pool_for_claim, |conn| {
            Ok(outbox::claim_next(conn, now(), CLAIM_LEASE)?)
        })
        .await?
        else {
            return Ok(delivered);
        };
        let sender = Arc::clone(mailer);
        let result = actix_web::web::block(move || {
            let result = sender.deliver(&mail);
            (mail, result)
        })
        .await?;
        let (mail, result) = result;
        match result {
            Ok(()) => {
                db::run(pool, move |conn| {
                    Ok(outbox::mark_sent(conn, mail.id, now())?)
                })
                .await?;
                log::info!("mail {} delivered: {:?}", mail.id, mail.subject);
                delivered += 1;
            }
            Err(error) => {
                let wait = backoff(mail.attempts);
                log::warn!(
                    "mail {} not delivered (attempt {}), retrying in {}s: {error}",
                    mail.id,
                    mail.attempts,
                    wait.num_seconds()
                );
                db::run(pool, move |conn| {
                    Ok(outbox::mark_failed(conn, mail.id, &error, now() + wait)?)
                })
                .await?;
            }
        }
    }
    Ok(delivered)
}

/// Deletes what has expired: sessions, mailed tokens, login failures and throttle events
/// past every window, and guest carts whose sessions are gone.
pub async fn sweep(pool: &DbPool) -> Result<(), AppError> {
    db::run(pool, |conn| {
        let now = now();
        let sessions = session::sweep(conn, now)?;
        let tokens = email_token::sweep(conn, now - TimeDelta::days(7))?;
        let failures = login_failure::sweep(conn, now - TimeDelta::days(1))?;
        let events = throttle::sweep(conn, now - TimeDelta::days(1))?;
        let carts = cart::sweep_guest_carts(conn, now - TimeDelta::days(GUEST_CART_DAYS))?;
        if sessions + tokens + failures + events + carts > 0 {
            log::info!(
                "swept {sessions} sessions, {tokens} tokens, {failures} login failures, \
                 {events} throttle events, {carts} guest carts"
            );
        }
        Ok(())
    })
    .await
}

/// Turns every queued "forgot password" request into a reset mail (for addresses that have
/// an account); returns how many requests were handled.
pub async fn handle_reset_requests(pool: &DbPool, links: &Links) -> Result<usize, AppError> {
    let mut handled = 0;
    loop {
        let links = links.clone();
        let more = db::run(pool, move |conn| {
            crate::accounts::handle_reset_request(conn, &links, now())
        })
        .await?;
        if !more {
            return Ok(handled);
        }
        handled += 1;
    }
}

/// The outbox worker, running beside the HTTP server: whenever it is woken or every few
/// seconds it turns queued reset requests into mail and delivers due mail; every ten
/// minutes it sweeps expired rows.
pub struct Worker {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Worker {
    /// Starts the worker on the current runtime.
    pub fn spawn(pool: DbPool, mailer: Arc<Mailer>, links: Links, wake: Arc<Notify>) -> Worker {
        let (stop, stopping) = watch::channel(false);
        let task = actix_web::rt::spawn(run_worker(pool, mailer, links, wake, stopping));
        Worker { stop, task }
    }

    /// Asks the worker to stop once the mail in hand is delivered and recorded, and waits
    /// for that at most `limit`.
    pub async fn stop(self, limit: Duration) {
        self.stop.send_replace(true);
        if tokio::time::timeout(limit, self.task).await.is_err() {
            log::warn!("mail worker: still delivering after {limit:?}; left it");
        }
    }
}

async fn run_worker(
    pool: DbPool,
    mailer: Arc<Mailer>,
    links: Links,
    wake: Arc<Notify>,
    mut stopping: watch::Receiver<bool>,
) {
    let mut sweep_timer = tokio::time::interval(SWEEP_INTERVAL);
    loop {
        if let Err(e) = handle_reset_requests(&pool, &links).await {
            log::warn!("reset requests: {e}");
        }
        let go_on = || !*stopping.borrow();
        if let Err(e) = deliver_due_while(&pool, &mailer, go_on).await {
            log::warn!("mail worker: {e}");
        }
        if *stopping.borrow() {
            return;
        }
        tokio::select! {
            // An error means the `Worker` was dropped: nobody is left to stop it.
            changed = stopping.changed() => if changed.is_err() { return },
            _ = wake.notified() => {}
            _ = tokio::time::sleep(POLL_INTERVAL) => {}
            _ = sweep_timer.tick() => {
                if let Err(e) = sweep(&pool).await {
                    log::warn!("sweep: {e}");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_an_hour() {
        assert_eq!(backoff(1).num_seconds(), 30);
        assert_eq!(backoff(2).num_seconds(), 60);
        assert_eq!(backoff(3).num_seconds(), 120);
        assert_eq!(backoff(20).num_seconds(), 3600);
        assert_eq!(backoff(0).num_seconds(), 30);
    }

    #[test]
    fn bodies_stay_readable_with_whole_links() {
        let link = format!("http://shop.example/verify-email?token={}", "a".repeat(64));
        let body = plain_body(&format!("Hello,\n\n{link}\n"));
        assert_eq!(body.encoding(), ContentTransferEncoding::SevenBit);
        let text = String::from_utf8(body.into_vec()).unwrap();
        assert!(text.contains(&link));
        assert!(text.contains("Hello,\r\n\r\n"));
        assert_eq!(
            plain_body("Grüße\n").encoding(),
            ContentTransferEncoding::EightBit
        );
        let huge = "x".repeat(2000);
        assert_ne!(
            plain_body(&huge).encoding(),
            ContentTransferEncoding::SevenBit
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
