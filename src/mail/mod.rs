//! Mail: what each mail says (`compose`), how it leaves (`transport`: SMTP when `SMTP_URL` is
//! set, otherwise `.eml` files in `MAIL_DIR`), and the outbox `worker` that delivers queued
//! mail with retries and backoff.
//!
//! A mail is written to the `outbox` table in the transaction of the change that causes it,
//! so it is never lost; the worker claims one at a time under a lease, so with several
//! instances each mail is delivered by one of them.

pub mod compose;
pub mod transport;
pub mod worker;

pub use compose::Links;
pub use transport::Mailer;
pub use worker::{backoff, deliver_due, handle_reset_requests, Worker};
