//! The `shopfront` command: parses the command line and dispatches to the library.
//!
//! Exit codes: 0 done, 1 failed while running, 2 bad command line or configuration.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shopfront::config::Config;
use shopfront::ops::{self, backup, bench_data, copy_to, create_admin, demo, serve, CommandError};

/// The command line: one subcommand, `serve` when none is given.
#[derive(Parser)]
#[command(
    name = "shopfront",
    version,
    about,
    after_help = "Configuration comes from environment variables (BIND, DATA_DIR, DATABASE_URL, \
                  SECRET_KEY, PUBLIC_URL, SMTP_URL, ...); `shopfront check-config` prints every \
                  setting in effect. See README.md."
)]
struct Cli {
    /// What to do; without one, serve the shop.
    #[command(subcommand)]
    command: Option<Command>,
}

/// What the command line asks for.
#[derive(Subcommand)]
enum Command {
    /// Serve the shop on BIND (default 127.0.0.1:8080); the default command.
    Serve,
    /// Load the demo catalogue into an empty database (exit 1 if it is not empty).
    SeedDemo,
    /// Fill an empty database with N benchmark products (deterministic).
    SeedBench {
        /// How many products, 1 to 10,000,000.
        #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
        products: u32,
    },
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Copy the SQLite database to PATH, consistently, while it serves (PATH must not exist).
    Backup {
        /// Where to write the copy.
        #[arg(value_name = "PATH")]
        path: String,
    },
    /// Print the settings in effect, secrets masked; writes nothing.
    CheckConfig,
    /// Copy every row into the empty database at URL (a SQLite path or a postgres:// URL).
    CopyTo {
        /// The database to copy into.
        #[arg(value_name = "URL")]
        url: String,
    },
    /// Create a verified admin, or promote the account of EMAIL; the password is read as one
    /// line from standard input.
    CreateAdmin {
        /// The admin's e-mail address.
        #[arg(long, value_name = "EMAIL")]
        email: String,
    },
}

fn main() -> ExitCode {
    // Help and version exit 0; a bad command line prints clap's message and exits 2.
    let command = Cli::parse().command.unwrap_or(Command::Serve);
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let done = Config::from_env()
        .map_err(|e| CommandError::Usage(e.to_string()))
        .and_then(|mut config| match command {
            // Before `prepare`: checking writes nothing, not even a new key.
            Command::CheckConfig => ops::check_config(&config),
            Command::Backup { path } => backup::backup(&config, &path),
            Command::CopyTo { url } => copy_to::run(&config, &url),
            Command::Migrate => ops::migrate(&config),
            Command::Serve => serve::serve(config),
            Command::SeedDemo => ops::with_connection(&mut config, demo::run),
            Command::SeedBench { products } => {
                ops::with_connection(&mut config, |conn| bench_data::run(conn, products))
            }
            Command::CreateAdmin { email } => {
                let cost = config.bcrypt_cost;
                ops::with_connection(&mut config, |conn| create_admin::run(conn, cost, &email))
            }
        });
    match done {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shopfront: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
