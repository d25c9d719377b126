//! The outbox worker: delivers queued mail one at a time under a lease, with retries and
//! backoff, turns queued reset requests into mail, and runs the housekeeping sweep.

use std::sync::Arc;
use std::time::Duration;

use chrono::TimeDelta;
use tokio::sync::{watch, Notify};

use crate::db::{self, DbPool};
use crate::error::AppError;
use crate::housekeeping::sweep;
use crate::mail::{Links, Mailer};
use crate::models::{now, outbox};
use crate::services;

/// How long a claimed mail is held before another worker may retry it.
const CLAIM_LEASE: TimeDelta = TimeDelta::seconds(120);
/// How often the worker looks for due mail when nobody wakes it.
const POLL_INTERVAL: Duration = Duration::from_secs(5);
/// How often expired sessions, tokens and old login failures are deleted.
const SWEEP_INTERVAL: Duration = Duration::from_secs(600);
/// The longest wait between two attempts at one mail.
const MAX_BACKOFF_SECONDS: i64 = 3600;

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

/// Turns every queued "forgot password" request into a reset mail (for addresses that have
/// an account); returns how many requests were handled.
pub async fn handle_reset_requests(pool: &DbPool, links: &Links) -> Result<usize, AppError> {
    let mut handled = 0;
    loop {
        let links = links.clone();
        let more = db::run(pool, move |conn| {
            services::password::handle_reset_request(conn, &links, now())
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
}
