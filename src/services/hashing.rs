//! Password hashing with bcrypt, off the async workers, bounded and at low priority.
//!
//! Two lines of work, each with its own threads and its own bounded queue: checks (a login,
//! the current password on the account page) and new hashes (sign-up, reset, change). A
//! flood of sign-ups fills only its own line, so logins go on being checked. In each line
//! at most a few hashes run at a time, on threads the kernel runs only when no page work
//! wants the CPU, and only a bounded number wait: a flood is answered 429 instead of
//! queueing without end or taking the CPU that pages need. A login turned away waits
//! [`SHED_DELAY`] for its 429 (a tarpit): flooders wait for their answers, so a flood of them
//! arrives at a few hundred attempts a second instead of as fast as the server can refuse.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};

use crate::domain::account::PASSWORD_MAX_BYTES;
use crate::error::AppError;

/// How many hashes may wait per running one before new ones are turned away: at cost 12
/// (a quarter second each) the last in line waits about four seconds.
const WAITING_PER_THREAD: usize = 16;

/// Seconds a turned-away visitor is asked to wait.
const BUSY_RETRY_AFTER: u64 = 5;

/// How long a login the line of password checks has no room for waits for its 429. Each
/// refusal was as cheap as a cached page, so a flood at the server's full speed halved the
/// pages' share of the CPU (measured: `/products` p99 2-3x during a flood); waiting costs a
/// timer, and the customer asked to retry in [`BUSY_RETRY_AFTER`] seconds hardly notices.
/// This is the mean: each waits between half and one and a half times it (see
/// [`Hasher::admit_login`]).
pub const SHED_DELAY: Duration = Duration::from_millis(500);

/// One line of bcrypt work: how many run at once, how many may be inside (running or
/// waiting).
struct Line {
    /// What the line does, for the log.
    name: &'static str,
    /// One permit per hash allowed to run at once.
    running: Arc<Semaphore>,
    /// One permit per hash allowed in the line at once (running or waiting).
    admitted: Arc<Semaphore>,
    /// Whether the last request for a place was turned away (logged once per flood, not
    /// once per attempt).
    shedding: AtomicBool,
}

impl Line {
    fn new(name: &'static str, threads: usize) -> Line {
        Line {
            name,
            running: Arc::new(Semaphore::new(threads)),
            admitted: Arc::new(Semaphore::new(threads * (1 + WAITING_PER_THREAD))),
            shedding: AtomicBool::new(false),
        }
    }

    /// A place in the line, or [`AppError::TooManyRequests`] at once when it is full.
    fn admit(&self) -> Result<Admission, AppError> {
        match Arc::clone(&self.admitted).try_acquire_owned() {
            Ok(permit) => {
                if self.shedding.swap(false, Ordering::Relaxed) {
                    log::warn!("{} have room again", self.name);
                }
                Ok(Admission {
                    _place: permit,
                    running: Arc::clone(&self.running),
                })
            }
            Err(_) => {
                if !self.shedding.swap(true, Ordering::Relaxed) {
                    log::warn!("{} are full: answering 429 until there is room", self.name);
                }
                Err(AppError::TooManyRequests {
                    retry_after: BUSY_RETRY_AFTER,
                })
            }
        }
    }
}

/// Hashes and checks passwords at the configured cost.
pub struct Hasher {
    cost: u32,
    /// Checks of a password against its hash (logins): one thread per core.
    checks: Line,
    /// New hashes (sign-up, reset, change): half the cores, so they never take them all.
    hashes: Line,
    /// A hash of nothing anyone knows, checked when the e-mail is unknown.
    dummy: Arc<str>,
    /// How long a login turned away waits for its answer.
    shed_delay: Duration,
}

impl Hasher {
    /// A hasher at bcrypt `cost`: checks may use every available core, new hashes half of
    /// them. Computes the dummy hash now (a quarter second at cost 12), so no request pays.
    pub fn new(cost: u32) -> Hasher {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Hasher::with_threads(cost, cores)
    }

    fn with_threads(cost: u32, threads: usize) -> Hasher {
        let dummy = bcrypt::hash(crate::domain::account::random_token(), cost).unwrap_or_default();
        Hasher {
            cost,
            checks: Line::new("password checks", threads),
            hashes: Line::new("new password hashes", threads.div_ceil(2)),
            dummy: Arc::from(dummy),
            shed_delay: SHED_DELAY,
        }
    }

    /// A place in the line of password checks, or [`AppError::TooManyRequests`] at once when
    /// the line is full. A login takes it before any other work, so a flood is turned away
    /// before it costs a database read.
    pub fn admit(&self) -> Result<Admission, AppError> {
        self.checks.admit()
    }

    /// [`Hasher::admit`] for a login: one turned away gets its
    /// [`AppError::TooManyRequests`] only after about [`SHED_DELAY`].
    ///
    /// The wait is drawn at random around it: with one fixed wait, a flood's connections,
    /// refused together, came back together and were answered together, a burst of work
    /// every half second that held up the pages queued behind it.
    pub async fn admit_login(&self) -> Result<Admission, AppError> {
        use rand::Rng;
        let refused = match self.checks.admit() {
            Ok(admission) => return Ok(admission),
            Err(refused) => refused,
        };
        let wait = self.shed_delay.mul_f64(rand::rng().random_range(0.5..1.5));
        tokio::time::sleep(wait).await;
        Err(refused)
    }

    /// The bcrypt hash of `password`, made in the line of new hashes.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let cost = self.cost;
        self.run(self.hashes.admit()?, move || bcrypt::hash(password, cost))
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

    /// Runs `work` on a low-priority thread of its own once a slot of its line is free.
    async fn run<T, F>(&self, admission: Admission, work: F) -> Result<T, AppError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let running = Arc::clone(&admission.running)
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

/// A place in a line of bcrypt work, held until the work is done.
pub struct Admission {
    _place: OwnedSemaphorePermit,
    /// The line's running slots, to wait for one.
    running: Arc<Semaphore>,
}

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
    async fn a_full_line_of_new_hashes_leaves_logins_their_own() {
        let hasher = Hasher::with_threads(4, 2);
        let flood = Arc::clone(&hasher.hashes.admitted)
            .try_acquire_many_owned(1 + WAITING_PER_THREAD as u32)
            .unwrap();
        assert!(matches!(
            hasher.hash("violet tractor moonlight".to_string()).await,
            Err(AppError::TooManyRequests { .. })
        ));
        assert!(!hasher.verify("password".to_string(), None).await.unwrap());
        drop(flood);
        assert!(hasher
            .hash("violet tractor moonlight".to_string())
            .await
            .is_ok());
    }

    #[actix_web::test]
    async fn turns_away_checks_beyond_the_waiting_line() {
        let hasher = Hasher::with_threads(4, 1);
        // Everyone allowed in is already inside (running or waiting).
        let line = Arc::clone(&hasher.checks.admitted)
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

    #[actix_web::test]
    async fn a_login_turned_away_waits_for_its_answer() {
        let mut hasher = Hasher::with_threads(4, 1);
        hasher.shed_delay = Duration::from_millis(40);
        let started = std::time::Instant::now();
        let admitted = hasher.admit_login().await;
        assert!(admitted.is_ok());
        assert!(
            started.elapsed() < hasher.shed_delay,
            "a place is given at once"
        );
        drop(admitted);

        let line = Arc::clone(&hasher.checks.admitted)
            .try_acquire_many_owned(1 + WAITING_PER_THREAD as u32)
            .unwrap();
        let started = std::time::Instant::now();
        let shed = hasher.admit_login().await;
        assert!(matches!(shed, Err(AppError::TooManyRequests { .. })));
        assert!(
            started.elapsed() >= hasher.shed_delay / 2,
            "the refusal waits"
        );
        drop(line);
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
