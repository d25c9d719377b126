//! Operator commands: what `shopfront <command>` does besides serving. Each prints what it
//! did and returns a [`CommandError`] that says which exit code a failure leaves with.

pub mod backup;
pub mod bench_data;
pub mod copy_to;
pub mod create_admin;
pub mod demo;
pub mod serve;

use std::fmt;

use crate::config::Config;
use crate::db::{self, DbConn};

/// Why a command failed: the command line or the configuration was wrong (exit 2), or the
/// command failed while running (exit 1). The text is printed after `shopfront: `.
#[derive(Debug)]
pub enum CommandError {
    /// Bad command line, input or configuration.
    Usage(String),
    /// Failed while running.
    Failed(String),
}

impl CommandError {
    /// The process exit code for this failure.
    pub fn exit_code(&self) -> u8 {
        match self {
            CommandError::Usage(_) => 2,
            CommandError::Failed(_) => 1,
        }
    }
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::Usage(text) | CommandError::Failed(text) => f.write_str(text),
        }
    }
}

/// A command's result.
pub type CommandResult = Result<(), CommandError>;

/// Prints every setting, secrets masked, and warns on stderr about risky combinations.
pub fn check_config(config: &Config) -> CommandResult {
    for (name, value) in config.describe() {
        println!("{name}={value}");
    }
    for warning in config.warnings() {
        eprintln!("shopfront: warning: {warning}");
    }
    Ok(())
}

/// Brings the database schema up to date.
pub fn migrate(config: &Config) -> CommandResult {
    let applied = db::migrate(config).map_err(CommandError::Failed)?;
    if applied.is_empty() {
        println!("the database schema is up to date");
    } else {
        println!("applied migrations {}", applied.join(", "));
    }
    Ok(())
}

/// Runs a one-shot command on one migrated connection, the data directory prepared.
pub fn with_connection(
    config: &mut Config,
    work: impl FnOnce(&mut DbConn) -> CommandResult,
) -> CommandResult {
    config
        .prepare()
        .map_err(|e| CommandError::Usage(e.to_string()))?;
    let mut conn = db::connect_once(config).map_err(CommandError::Failed)?;
    work(&mut conn)
}
