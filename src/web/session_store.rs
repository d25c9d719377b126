//! Sessions kept in the database behind actix-session's `SessionStore`: the cookie carries
//! only a random key, the state lives in the `sessions` table (shared by every instance on
//! PostgreSQL), and deleting the row ends the session for good.

use std::collections::HashMap;

use actix_session::storage::{
    generate_session_key, LoadError, SaveError, SessionKey, SessionStore, UpdateError,
};
use actix_web::cookie::time::Duration;
use chrono::{NaiveDateTime, TimeDelta};

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

fn expires_at(ttl: &Duration, now: NaiveDateTime) -> NaiveDateTime {
    now + TimeDelta::seconds(ttl.whole_seconds())
}

fn encode(state: &HashMap<String, String>) -> Result<String, anyhow::Error> {
    Ok(serde_json::to_string(state)?)
}

impl SessionStore for DbSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<HashMap<String, String>>, LoadError> {
        let key_hash = hash_token(key.as_ref());
        let state = db::run(&self.pool, move |conn| {
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
        let key_hash = hash_token(key.as_ref());
        let ttl = *ttl;
        db::run(&self.pool, move |conn| {
            let now = now();
            Ok(session::insert(
                conn,
                &key_hash,
                &text,
                expires_at(&ttl, now),
                now,
            )?)
        })
        .await
        .map_err(|e| SaveError::Other(anyhow::anyhow!("{e}")))?;
        Ok(key)
    }

    async fn update(
        &self,
        key: SessionKey,
        state: HashMap<String, String>,
        ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let text = encode(&state).map_err(UpdateError::Serialization)?;
        let key_hash = hash_token(key.as_ref());
        let ttl = *ttl;
        let updated = db::run(&self.pool, move |conn| {
            let now = now();
            Ok(session::update(
                conn,
                &key_hash,
                &text,
                expires_at(&ttl, now),
                now,
            )?)
        })
        .await
        .map_err(|e| UpdateError::Other(anyhow::anyhow!("{e}")))?;
        if updated == 1 {
            return Ok(key);
        }
        // The row is gone (expired or logged out elsewhere): start a new session rather than
        // bring the old key back to life.
        self.save(state, &ttl).await.map_err(|e| match e {
            SaveError::Serialization(e) => UpdateError::Serialization(e),
            SaveError::Other(e) => UpdateError::Other(e),
        })
    }

    async fn update_ttl(&self, key: &SessionKey, ttl: &Duration) -> Result<(), anyhow::Error> {
        let key_hash = hash_token(key.as_ref());
        let ttl = *ttl;
        db::run(&self.pool, move |conn| {
            let now = now();
            Ok(session::touch(conn, &key_hash, expires_at(&ttl, now), now)?)
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
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
