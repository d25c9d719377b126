//! `shopfront backup PATH`: a consistent copy of the SQLite database while the shop serves.

use diesel::r2d2::ManageConnection;
use diesel::RunQueryDsl;

use crate::config::{Config, Engine};
use crate::db;
use crate::ops::{CommandError, CommandResult};

/// Copies the SQLite database to `path` with `VACUUM INTO`: one read transaction, so the
/// copy is consistent while the server keeps serving and writing. A usage error on
/// PostgreSQL, whose own tool does this.
pub fn backup(config: &Config, path: &str) -> CommandResult {
    if config.engine == Engine::Postgres {
        return Err(CommandError::Usage(
            "backup copies a SQLite database; for PostgreSQL use pg_dump, e.g. \
             pg_dump --format=custom --file=shop.dump \"$DATABASE_URL\" (see README.md)"
                .to_string(),
        ));
    }
    if !std::path::Path::new(&config.database_url).exists() {
        return Err(CommandError::Failed(format!(
            "backup: there is no database at {}",
            config.database_url
        )));
    }
    if std::path::Path::new(path).exists() {
        return Err(CommandError::Failed(format!(
            "backup: {path} exists; name a new file"
        )));
    }
    // Without migrating: a backup copies the database as it is.
    db::Manager::new(config.engine, config.database_url.clone())
        .connect()
        .map_err(|e| e.to_string())
        .and_then(|mut conn| {
            diesel::sql_query("VACUUM INTO ?")
                .bind::<diesel::sql_types::Text, _>(path)
                .execute(&mut conn)
                .map_err(|e| e.to_string())
        })
        .map_err(|e| CommandError::Failed(format!("backup: {e}")))?;
    println!("copied {} to {path}", config.database_url);
    Ok(())
}
