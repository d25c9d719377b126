//! The `shopfront` command: parses the command line and dispatches to the library.
//!
//! Exit codes: 0 done, 1 failed while running, 2 bad command line or configuration.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use shopfront::domain::account::{check_new_password, Email};
use shopfront::{accounts, config::Config, db, demo, mail, models, passwords, AppState};

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
    let mut config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("shopfront: {e}");
            return ExitCode::from(2);
        }
    };
    match command {
        // Before `prepare`: checking writes nothing, not even a new key.
        Command::CheckConfig => check_config(&config),
        Command::Backup { path } => backup(&config, &path),
        Command::CopyTo { url } => copy_to(&config, &url),
        Command::Migrate => migrate(&config),
        Command::Serve => {
            if let Err(e) = config.prepare() {
                eprintln!("shopfront: {e}");
                return ExitCode::from(2);
            }
            if let Err(e) = mail::Mailer::from_config(&config) {
                eprintln!("shopfront: {e}");
                return ExitCode::from(2);
            }
            match db::connect(&config) {
                Ok(pool) => serve(config, pool),
                Err(e) => {
                    eprintln!("shopfront: {e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::SeedDemo => with_connection(&mut config, seed_demo),
        Command::SeedBench { products } => {
            with_connection(&mut config, |conn| seed_bench(conn, products))
        }
        Command::CreateAdmin { email } => {
            let cost = config.bcrypt_cost;
            with_connection(&mut config, |conn| create_admin(cost, conn, &email))
        }
    }
}

/// Runs a one-shot command on one migrated connection, the data directory prepared.
fn with_connection(
    config: &mut Config,
    work: impl FnOnce(&mut db::DbConn) -> ExitCode,
) -> ExitCode {
    if let Err(e) = config.prepare() {
        eprintln!("shopfront: {e}");
        return ExitCode::from(2);
    }
    match db::connect_once(config) {
        Ok(mut conn) => work(&mut conn),
        Err(e) => {
            eprintln!("shopfront: {e}");
            ExitCode::from(1)
        }
    }
}

/// Prints every setting, secrets masked, and warns on stderr about risky combinations.
fn check_config(config: &Config) -> ExitCode {
    for (name, value) in config.describe() {
        println!("{name}={value}");
    }
    for warning in config.warnings() {
        eprintln!("shopfront: warning: {warning}");
    }
    ExitCode::SUCCESS
}

fn migrate(config: &Config) -> ExitCode {
    match db::migrate(config) {
        Ok(applied) if applied.is_empty() => {
            println!("the database schema is up to date");
            ExitCode::SUCCESS
        }
        Ok(applied) => {
            println!("applied migrations {}", applied.join(", "));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("shopfront: {e}");
            ExitCode::from(1)
        }
    }
}

/// Copies the SQLite database to `path` with `VACUUM INTO`: one read transaction, so the
/// copy is consistent while the server keeps serving and writing. Exit 2 on PostgreSQL,
/// whose own tool does this.
fn backup(config: &Config, path: &str) -> ExitCode {
    use diesel::r2d2::ManageConnection;
    use diesel::RunQueryDsl;

    if config.engine == shopfront::config::Engine::Postgres {
        eprintln!(
            "shopfront: backup copies a SQLite database; for PostgreSQL use pg_dump, e.g. \
             pg_dump --format=custom --file=shop.dump \"$DATABASE_URL\" (see README.md)"
        );
        return ExitCode::from(2);
    }
    if !std::path::Path::new(&config.database_url).exists() {
        eprintln!(
            "shopfront: backup: there is no database at {}",
            config.database_url
        );
        return ExitCode::from(1);
    }
    if std::path::Path::new(path).exists() {
        eprintln!("shopfront: backup: {path} exists; name a new file");
        return ExitCode::from(1);
    }
    // Without migrating: a backup copies the database as it is.
    let copied = db::Manager::new(config.engine, config.database_url.clone())
        .connect()
        .map_err(|e| e.to_string())
        .and_then(|mut conn| {
            diesel::sql_query("VACUUM INTO ?")
                .bind::<diesel::sql_types::Text, _>(path)
                .execute(&mut conn)
                .map_err(|e| e.to_string())
        });
    match copied {
        Ok(_) => {
            println!("copied {} to {path}", config.database_url);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("shopfront: backup: {e}");
            ExitCode::from(1)
        }
    }
}

/// Copies the shop at DATABASE_URL into the empty database at `url`, migrating it first.
fn copy_to(config: &Config, url: &str) -> ExitCode {
    let engine = match shopfront::config::engine_of(url) {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("shopfront: copy-to: {}", e.expected);
            return ExitCode::from(2);
        }
    };
    let mut target = config.clone();
    target.engine = engine;
    target.database_url = url.strip_prefix("sqlite://").unwrap_or(url).to_string();
    if target.database_url == config.database_url {
        eprintln!("shopfront: copy-to: that is the database being copied");
        return ExitCode::from(2);
    }
    let opened = db::connect_once(config).and_then(|from| Ok((from, db::connect_once(&target)?)));
    let (mut from, mut to) = match opened {
        Ok(pair) => pair,
        Err(e) => {
            eprintln!("shopfront: copy-to: {e}");
            return ExitCode::from(1);
        }
    };
    let started = std::time::Instant::now();
    let image_dir = shopfront::web::uploads::legacy_dir(&config.data_dir);
    match shopfront::copy::copy_all(&mut from, &mut to, &image_dir) {
        Ok(copied) => {
            for (what, rows) in &copied {
                println!("{what}: {rows}");
            }
            let total: usize = copied.iter().map(|(_, rows)| rows).sum();
            println!(
                "copied {total} rows in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("shopfront: copy-to: {e}");
            ExitCode::from(1)
        }
    }
}

fn seed_bench(conn: &mut db::DbConn, products: u32) -> ExitCode {
    let started = std::time::Instant::now();
    let result = shopfront::bench_data::seed_bench(conn, products, |done| {
        if done % 100_000 == 0 || done == products {
            eprintln!(
                "  {done} products ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    });
    match result {
        Ok(summary) => {
            println!(
                "loaded {} products, {} categories and {} reviews in {:.1} s",
                summary.products,
                summary.categories,
                summary.reviews,
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("shopfront: {e}");
            ExitCode::from(1)
        }
    }
}

/// Reads the password: without echo from a terminal, else one line from standard input.
fn read_password(email: &str) -> std::io::Result<String> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(format!("Password for {email}: "));
    }
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn create_admin(bcrypt_cost: u32, conn: &mut db::DbConn, email: &str) -> ExitCode {
    let email = match Email::parse(email) {
        Ok(email) => email,
        Err(message) => {
            eprintln!("shopfront: --email: {message}");
            return ExitCode::from(2);
        }
    };
    let password = match read_password(email.as_str()) {
        Ok(password) => password,
        Err(e) => {
            eprintln!("shopfront: cannot read the password from standard input: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(message) = check_new_password(&password, Some(&email)) {
        eprintln!("shopfront: password: {message}");
        return ExitCode::from(2);
    }
    let hash = match passwords::hash_blocking(&password, bcrypt_cost) {
        Ok(hash) => hash,
        Err(e) => {
            eprintln!("shopfront: cannot hash the password: {e}");
            return ExitCode::from(1);
        }
    };
    let result = accounts::create_admin(conn, &email, &hash, models::now());
    match result {
        Ok(accounts::AdminOutcome::Created) => {
            println!("created the admin {email}");
            ExitCode::SUCCESS
        }
        Ok(accounts::AdminOutcome::Promoted) => {
            println!("promoted {email} to admin (verified, with the new password)");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("shopfront: {e}");
            ExitCode::from(1)
        }
    }
}

fn seed_demo(conn: &mut db::DbConn) -> ExitCode {
    match demo::seed_demo(conn) {
        Ok(summary) => {
            println!(
                "loaded the demo catalogue: {} categories, {} products",
                summary.categories, summary.products
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("shopfront: {e}");
            ExitCode::from(1)
        }
    }
}

fn serve(config: Config, pool: db::DbPool) -> ExitCode {
    if config.demo_data {
        let seeded = pool
            .get()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| demo::seed_if_empty(&mut conn).map_err(|e| e.to_string()));
        match seeded {
            Ok(Some(summary)) => log::info!(
                "the catalogue was empty: loaded {} demo products (DEMO_DATA=off skips this)",
                summary.products
            ),
            Ok(None) => {}
            Err(e) => {
                eprintln!("shopfront: cannot load the demo catalogue: {e}");
                return ExitCode::from(1);
            }
        }
    }
    let listener = match shopfront::listener::open(&config) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("shopfront: {e}");
            return ExitCode::from(1);
        }
    };
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let address = listener
        .local_addr()
        .map_or_else(|_| config.bind.to_string(), |a| a.to_string());
    log::info!(
        "serving http://{address} ({:?}, {workers} workers)",
        config.engine
    );
    let state = AppState::new(config, pool);
    let result = actix_web::rt::System::new().block_on(async move {
        let signals =
            StopSignals::listen().map_err(|e| format!("cannot listen for SIGTERM: {e}"))?;
        let shop = shopfront::serve(state, listener, workers)?;
        actix_web::rt::spawn(stop_on_signals(signals, shop.handle()));
        shop.run()
            .await
            .map_err(|e| format!("the server stopped with an error: {e}"))
    });
    match result {
        Ok(()) => {
            log::info!("stopped");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("shopfront: {e}");
            ExitCode::from(1)
        }
    }
}

/// SIGTERM or Ctrl-C stops the server gracefully: no new connections, requests in flight
/// finish (within SHUTDOWN_TIMEOUT), then the mail worker finishes its mail. A second
/// signal stops at once.
async fn stop_on_signals(mut signals: StopSignals, server: actix_web::dev::ServerHandle) {
    let first = signals.next().await;
    log::info!(
        "{first}: finishing requests in flight, then stopping (a second signal stops at once)"
    );
    let graceful = server.clone();
    actix_web::rt::spawn(async move { graceful.stop(true).await });
    let second = signals.next().await;
    log::warn!("{second} again: stopping now");
    server.stop(false).await;
}

/// The signals that stop the server, listened for from before it accepts a connection.
#[cfg(unix)]
struct StopSignals {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl StopSignals {
    fn listen() -> std::io::Result<StopSignals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(StopSignals {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for the next SIGTERM or SIGINT and names it.
    async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "Ctrl-C",
        }
    }
}

#[cfg(not(unix))]
struct StopSignals;

#[cfg(not(unix))]
impl StopSignals {
    fn listen() -> std::io::Result<StopSignals> {
        Ok(StopSignals)
    }

    async fn next(&mut self) -> &'static str {
        match tokio::signal::ctrl_c().await {
            Ok(()) => "Ctrl-C",
            Err(_) => std::future::pending().await,
        }
    }
}
