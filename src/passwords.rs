//! Password hashing with bcrypt, off the async workers, bounded and at low priority.
//!
//! At most one hash per core runs at a time, on threads the kernel runs only when no page
//! work wants the CPU, and only a bounded number wait: a flood of login attempts is answered 429 at once
//! instead of queueing without end or taking the CPU that pages need.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use crate::domain::account::PASSWORD_MAX_BYTES;
use crate::web::error::AppError;

/// How many hashes may wait per running one before new ones are turned away: at cost 12
/// (a quarter second each) the last in line waits about four seconds.
const WAITING_PER_THREAD: usize = 16;

/// Seconds a turned-away visitor is asked to wait.
const BUSY_RETRY_AFTER: u64 = 5;

/// Hashes and checks passwords at the configured cost.
pub struct Hasher {
    cost: u32,
    /// One permit per hash allowed to run at once.
    running: Arc<Semaphore>,
    /// One permit per hash allowed in the building at once (running or waiting).
    admitted: Arc<Semaphore>,
    /// A hash of nothing anyone knows, checked when the e-mail is unknown.
    dummy: Arc<str>,
    /// Whether the last request for a place was turned away (logged once per flood, not
    /// once per attempt).
    shedding: AtomicBool,
}

impl Hasher {
    /// A hasher at bcrypt `cost`, allowing one hash per available core at once. Computes the
    /// dummy hash now (a quarter second at cost 12), so no request pays for it.
    pub fn new(cost: u32) -> Hasher {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Hasher::with_threads(cost, cores)
    }

    fn with_threads(cost: u32, threads: usize) -> Hasher {
        let dummy = bcrypt::hash(crate::domain::account::random_token(), cost).unwrap_or_default();
        Hasher {
            cost,
            running: Arc::new(Semaphore::new(threads)),
            admitted: Arc::new(Semaphore::new(threads * (1 + WAITING_PER_THREAD))),
            dummy: Arc::from(dummy),
            shedding: AtomicBool::new(false),
        }
    }

    /// A place in the line of password checks, or [`AppError::TooManyRequests`] at once when
    /// the line is full. A login takes it before any other work, so a flood is turned away
    /// before it costs a database read.
    pub fn admit(&self) -> Result<Admission, AppError> {
        match Arc::clone(&self.admitted).try_acquire_owned() {
            Ok(permit) => {
                if self.shedding.swap(false, Ordering::Relaxed) {
                    log::warn!("password checks have room again");
                }
                Ok(Admission(permit))
            }
            Err(_) => {
                if !self.shedding.swap(true, Ordering::Relaxed) {
                    log::warn!("password checks are full: answering 429 until there is room");
                }
                Err(AppError::TooManyRequests {
                    retry_after: BUSY_RETRY_AFTER,
                })
            }
        }
    }

    /// The bcrypt hash of `password`.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let cost = self.cost;
        self.run(self.admit()?, move || bcrypt::hash(password, cost))
            .await?
            .map_err(|e| AppError::internal("bcrypt hash", e))
    }

    /// Whether `password` matches `hash`. Without a hash (an unknown e-mail) it still pays
    /// for one check against a dummy, so the answer takes as long either way.
    ///
    /// bcrypt compares only the first 72 bytes; no password we accept is longer, so a longer
    /// one never matches (it would otherwise open an account with any suffix added).
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AppError> {
        self.verify_admitted(self.admit()?, password, hash).await
    }

    /// [`Hasher::verify`] with a place in line taken earlier by [`Hasher::admit`].
    pub async fn verify_admitted(
        &self,
        admission: Admission,
        password: String,
        hash: Option<String>,
    ) -> Result<bool, AppError> {
        let dummy = Arc::clone(&self.dummy);
        self.run(admission, move || {
            let fits = password.len() <= PASSWORD_MAX_BYTES;
            let known = hash.is_some() && fits;
            let hash = hash.filter(|_| fits).unwrap_or_else(|| dummy.to_string());
            // A malformed stored hash counts as a mismatch, not an error page.
            bcrypt::verify(password, &hash).unwrap_or(false) && known
        })
        .await
    }

    /// Runs `work` on a low-priority thread of its own once a hashing slot is free.
    async fn run<T, F>(&self, admission: Admission, work: F) -> Result<T, AppError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let running = Arc::clone(&self.running)
            .acquire_owned()
            .await
            .map_err(|e| AppError::internal("password hasher closed", e))?;
        // A thread per hash: spawning costs microseconds next to a hash's milliseconds, and
        // its priority is its own, so the async workers and the database pool keep theirs.
        let (done, result) = oneshot::channel();
        std::thread::Builder::new()
            .name("bcrypt".to_string())
            .spawn(move || {
                lower_this_threads_priority();
                // The permits live as long as the hash, even when the visitor has left.
                let _permits = (admission, running);
                // The receiver is gone only if the request was dropped; nothing to tell.
                let _ = done.send(work());
            })
            .map_err(|e| AppError::internal("spawn a hashing thread", e))?;
        result
            .await
            .map_err(|e| AppError::internal("hashing thread ended early", e))
    }
}

/// A place in the line of password checks, held until the check is done.
pub struct Admission(#[allow(dead_code)] OwnedSemaphorePermit);

/// Puts the calling thread in Linux's SCHED_IDLE class: it runs when no other thread wants
/// the CPU, and a page worker that wakes up takes the core from it at once. A lower nice
/// value was not enough: a hashing thread still held the core for whole time slices, which
/// nearly doubled the p99 of catalogue pages during a login flood.
#[cfg(target_os = "linux")]
fn lower_this_threads_priority() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: param is a valid sched_param for the call; pid 0 names the calling thread.
    let changed = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) };
    if changed != 0 {
        log::debug!("could not lower the priority of a hashing thread");
    }
}

#[cfg(not(target_os = "linux"))]
fn lower_this_threads_priority() {}

/// Hashes on the current thread, for the command line.
pub fn hash_blocking(password: &str, cost: u32) -> Result<String, bcrypt::BcryptError> {
    bcrypt::hash(password, cost)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn checks_passwords_and_hashes_them() {
        let hasher = Hasher::with_threads(4, 1);
        let hash = hasher.hash("correct horse".to_string()).await.unwrap();
        assert!(hasher
            .verify("correct horse".to_string(), Some(hash.clone()))
            .await
            .unwrap());
        assert!(!hasher
            .verify("wrong horse".to_string(), Some(hash))
            .await
            .unwrap());
        assert!(!hasher.verify("anything".to_string(), None).await.unwrap());
    }

    #[actix_web::test]
    async fn turns_away_checks_beyond_the_waiting_line() {
        let hasher = Hasher::with_threads(4, 1);
        // Everyone allowed in is already inside (running or waiting).
        let line = Arc::clone(&hasher.admitted)
            .try_acquire_many_owned(1 + WAITING_PER_THREAD as u32)
            .unwrap();
        let shed = hasher.verify("password".to_string(), None).await;
        assert!(matches!(
            shed,
            Err(AppError::TooManyRequests {
                retry_after: BUSY_RETRY_AFTER
            })
        ));
        drop(line);
        assert!(!hasher.verify("password".to_string(), None).await.unwrap());
    }

    #[cfg(target_os = "linux")]
    #[actix_web::test]
    async fn hashes_at_low_priority() {
        let hasher = Hasher::with_threads(4, 1);
        // SAFETY: sched_getscheduler takes a plain integer; 0 names the calling thread.
        let policy = hasher
            .run(hasher.admit().unwrap(), || unsafe {
                libc::sched_getscheduler(0)
            })
            .await
            .unwrap();
        assert_eq!(policy, libc::SCHED_IDLE);
    }
}
