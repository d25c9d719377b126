//! Password hashing with bcrypt, off the async workers and bounded: at most one hash per
//! core runs at a time, so a flood of login attempts queues here instead of starving pages.

use std::sync::Arc;

use actix_web::web;
use tokio::sync::Semaphore;

use crate::domain::account::PASSWORD_MAX_BYTES;
use crate::web::error::AppError;

/// Hashes and checks passwords at the configured cost.
pub struct Hasher {
    cost: u32,
    permits: Arc<Semaphore>,
    /// A hash of nothing anyone knows, checked when the e-mail is unknown.
    dummy: Arc<str>,
}

impl Hasher {
    /// A hasher at bcrypt `cost`, allowing one hash per available core at once. Computes the
    /// dummy hash now (a quarter second at cost 12), so no request pays for it.
    pub fn new(cost: u32) -> Hasher {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        let dummy = bcrypt::hash(crate::domain::account::random_token(), cost).unwrap_or_default();
        Hasher {
            cost,
            permits: Arc::new(Semaphore::new(cores)),
            dummy: Arc::from(dummy),
        }
    }

    /// The bcrypt hash of `password`.
    pub async fn hash(&self, password: String) -> Result<String, AppError> {
        let cost = self.cost;
        let _permit = self.permit().await?;
        web::block(move || bcrypt::hash(password, cost))
            .await?
            .map_err(|e| AppError::internal("bcrypt hash", e))
    }

    /// Whether `password` matches `hash`. Without a hash (an unknown e-mail) it still pays
    /// for one check against a dummy, so the answer takes as long either way.
    ///
    /// bcrypt compares only the first 72 bytes; no password we accept is longer, so a longer
    /// one never matches (it would otherwise open an account with any suffix added).
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, AppError> {
        let dummy = Arc::clone(&self.dummy);
        let _permit = self.permit().await?;
        web::block(move || {
            let fits = password.len() <= PASSWORD_MAX_BYTES;
            let known = hash.is_some() && fits;
            let hash = hash.filter(|_| fits).unwrap_or_else(|| dummy.to_string());
            // A malformed stored hash counts as a mismatch, not an error page.
            Ok::<bool, AppError>(bcrypt::verify(password, &hash).unwrap_or(false) && known)
        })
        .await?
    }

    async fn permit(&self) -> Result<tokio::sync::SemaphorePermit<'_>, AppError> {
        self.permits
            .acquire()
            .await
            .map_err(|e| AppError::internal("password hasher closed", e))
    }
}

/// Hashes on the current thread, for the command line.
pub fn hash_blocking(password: &str, cost: u32) -> Result<String, bcrypt::BcryptError> {
    bcrypt::hash(password, cost)
}
