//! Sessions kept in the database behind actix-session's `SessionStore`: the cookie carries
//! only a random key, the state lives in the `sessions` table (shared by every instance on
//! PostgreSQL), and deleting the row ends the session for good: a request that loaded the
//! session before its row was deleted (a logout elsewhere) cannot write it back.
//!
//! A state larger than [`limits::SESSION_STATE_BYTES`] is not stored (and logged): no client
//! can make its row grow without bound.

use std::collections::HashMap;

use actix_session::storage::{
    generate_session_key, LoadError, SaveError, SessionKey, SessionStore, UpdateError,
};
use actix_web::cookie::time::Duration;
use chrono::{NaiveDateTime, TimeDelta};

use crate::config::limits;
use crate::db::{self, DbPool};
use crate::domain::account::hash_token;
use crate::models::{now, session};

/// A session store on the shop's database.
#[derive(Clone)]
pub struct DbSessionStore {
    pool: DbPool,
}

impl DbSessionStore {
    /// A store on `pool`.
    pub fn new(pool: DbPool) -> DbSessionStore {
        DbSessionStore { pool }
    }
}

/// What a write does to a session's row.
enum Write {
    /// Inserts the row with this state.
    New(String),
    /// Replaces the state of the live row and extends it.
    Replace(String),
    /// Only extends the live row.
    Extend,
}

impl DbSessionStore {
    /// Writes the row of session `key`, to expire after `ttl`; returns the rows written.
    async fn write(
        &self,
        key: &SessionKey,
        ttl: &Duration,
        write: Write,
    ) -> Result<usize, anyhow::Error> {
        let key_hash = hash_token(key.as_ref());
        let ttl = *ttl;
        db::run(&self.pool, move |conn| {
            let now = now();
            let expires = expires_at(&ttl, now);
            Ok(match &write {
                Write::New(state) => session::insert(conn, &key_hash, state, expires, now)?,
                Write::Replace(state) => {
                    session::update(conn, &key_hash, Some(state), expires, now)?
                }
                Write::Extend => session::update(conn, &key_hash, None, expires, now)?,
            })
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
    }
}

fn expires_at(ttl: &Duration, now: NaiveDateTime) -> NaiveDateTime {
    now + TimeDelta::seconds(ttl.whole_seconds())
}

fn encode(state: &HashMap<String, String>) -> Result<String, anyhow::Error> {
    Ok(serde_json::to_string(state)?)
}

/// Whether an encoded state fits; logs the refusal when it does not.
fn fits(text: &str) -> bool {
    if text.len() <= limits::SESSION_STATE_BYTES {
        return true;
    }
    log::warn!(
        "a session state of {} bytes was not stored (at most {})",
        text.len(),
        limits::SESSION_STATE_BYTES
    );
    false
}

impl SessionStore for DbSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        let key_hash = hash_token(key.as_ref());
        let state = db::read(&self.pool, move |conn| {
            Ok(session::load(conn, &key_hash, now())?)
        })
        .await
        .map_err(|e| LoadError::Other(anyhow::anyhow!("{e}")))?;
        match state {
            None => Ok(None),
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| LoadError::Deserialization(e.into())),
        }
    }

    async fn save(
        &self,
        state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, SaveError> {
        let text = encode(&state).map_err(SaveError::Serialization)?;
        let key = generate_session_key();
        if !fits(&text) {
            // The cookie names no row: the next request starts an empty session.
            return Ok(key);
        }
        self.write(&key, ttl, Write::New(text))
            .await
            .map_err(SaveError::Other)?;
        Ok(key)
    }

    async fn update(
        &self,
        key: SessionKey,
        state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let text = encode(&state).map_err(UpdateError::Serialization)?;
        if !fits(&text) {
            // What is stored stays as it was.
            return Ok(key);
        }
        let updated = self
            .write(&key, ttl, Write::Replace(text))
            .await
            .map_err(UpdateError::Other)?;
        if updated == 1 {
            return Ok(key);
        }
        // The row is gone: the session expired or was logged out while this request ran.
        // Writing `state` again would bring that login back, so the browser gets a key to an
        // empty session instead (no row until something is stored in it).
        log::info!("a session ended while a request used it; its changes were dropped");
        Ok(generate_session_key())
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        self.write(key, ttl, Write::Extend).await?;
        Ok(())
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let key_hash = hash_token(key.as_ref());
        db::run(&self.pool, move |conn| {
            Ok(session::delete(conn, &key_hash)?)
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
        Ok(())
    }
}
