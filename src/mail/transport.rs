//! How a mail leaves: SMTP when `SMTP_URL` is set, otherwise `.eml` files in `MAIL_DIR`.

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, Message};
use lettre::{SmtpTransport, Transport as _};

use crate::config::Config;
use crate::models::outbox::OutboxMail;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
