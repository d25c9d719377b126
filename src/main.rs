//! The `shopfront` command: parses the command line and dispatches to the library.
//!
//! Exit codes: 0 done, 1 failed while running, 2 bad command line or configuration.

use std::io::{BufRead, IsTerminal};
use std::net::TcpListener;
use std::process::ExitCode;

use shopfront::domain::account::{check_new_password, Email};
use shopfront::{accounts, config::Config, db, demo, mail, models, passwords, AppState};

const USAGE: &str = "\
shopfront: a server-rendered web shop

Usage:
  shopfront [serve]                 serve the shop on BIND (default 127.0.0.1:8080)
  shopfront seed-demo               load the demo catalogue into an empty database
  shopfront seed-bench --products N fill an empty database with N benchmark products
  shopfront migrate                 bring the database schema up to date and exit
  shopfront backup PATH             copy the SQLite database to PATH, consistently, while it serves
  shopfront check-config            print the settings in effect, secrets masked
  shopfront copy-to URL             copy every row into the empty database at URL (SQLite path or
                                    postgres:// URL), e.g. to move a shop to PostgreSQL
  shopfront create-admin --email E  create a verified admin, or promote the account of E;
                                    the password is read as one line from standard input
  shopfront --help                  show this help

Configuration comes from environment variables (BIND, DATA_DIR, DATABASE_URL, SECRET_KEY,
SECRET_KEY_PREVIOUS, DEMO_DATA, DB_POOL_SIZE, CURRENCY_SYMBOL, BCRYPT_COST, PUBLIC_URL,
COOKIE_SECURE, MAIL_DIR, SMTP_URL, MAIL_FROM, SHUTDOWN_TIMEOUT, TRUSTED_PROXIES, RUST_LOG);
see README.md.
";

/// What the command line asks for.
enum Command {
    Serve,
    SeedDemo,
    CreateAdmin { email: String },
    SeedBench { products: u32 },
    Migrate,
    CheckConfig,
    Backup { path: String },
    CopyTo { url: String },
    Help,
}

fn parse(args: &[String]) -> Result<Command, String> {
    let words: Vec<&str> = args.iter().map(String::as_str).collect();
    match words.as_slice() {
        [] | ["serve"] => Ok(Command::Serve),
        ["seed-demo"] => Ok(Command::SeedDemo),
        ["migrate"] => Ok(Command::Migrate),
        ["check-config"] => Ok(Command::CheckConfig),
        ["-h" | "--help" | "help"] => Ok(Command::Help),
        ["create-admin", "--email", email] => Ok(Command::CreateAdmin {
            email: email.to_string(),
        }),
        ["create-admin", flag] if flag.starts_with("--email=") => Ok(Command::CreateAdmin {
            email: flag["--email=".len()..].to_string(),
        }),
        ["create-admin", ..] => Err("create-admin needs --email ADDRESS".to_string()),
        ["seed-bench", "--products", n] => match n.parse::<u32>() {
            Ok(products) if (1..=10_000_000).contains(&products) => {
                Ok(Command::SeedBench { products })
            }
            _ => Err(format!(
                "--products takes a whole number from 1 to 10000000, not {n:?}"
            )),
        },
        ["seed-bench", ..] => Err("seed-bench needs --products N".to_string()),
        ["backup", path] => Ok(Command::Backup {
            path: path.to_string(),
        }),
        ["backup", ..] => Err("backup needs one PATH to write the copy to".to_string()),
        ["copy-to", url] => Ok(Command::CopyTo {
            url: url.to_string(),
        }),
        ["copy-to", ..] => Err("copy-to needs the URL of the database to copy into".to_string()),
        [command @ ("serve" | "seed-demo" | "migrate" | "check-config"), ..] => {
            Err(format!("{command} takes no arguments"))
        }
        [other, ..] => Err(format!("unknown command {other:?}")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse(&args) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("shopfront: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Command::Help = command {
        print!("{USAGE}");
        return ExitCode::SUCCESS;
    }
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let mut config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("shopfront: {e}");
            return ExitCode::from(2);
        }
    };
    if let Command::CheckConfig = command {
        // Before `prepare`: checking writes nothing, not even a new key.
        for (name, value) in config.describe() {
            println!("{name}={value}");
        }
        return ExitCode::SUCCESS;
    }
    if let Command::Backup { path } = &command {
        return backup(&config, path);
    }
    if let Command::CopyTo { url } = &command {
        return copy_to(&config, url);
    }
    if let Command::Migrate = command {
        return match db::migrate(&config) {
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
        };
    }
    if let Err(e) = config.prepare() {
        eprintln!("shopfront: {e}");
        return ExitCode::from(2);
    }
    if let Command::Serve = command {
        if let Err(e) = mail::Mailer::from_config(&config) {
            eprintln!("shopfront: {e}");
            return ExitCode::from(2);
        }
    }
    if let Command::Serve = command {
        return match db::connect(&config) {
            Ok(pool) => serve(config, pool),
            Err(e) => {
                eprintln!("shopfront: {e}");
                ExitCode::from(1)
            }
        };
    }
    let mut conn = match db::connect_once(&config) {
        Ok(conn) => conn,
        Err(e) => {
            eprintln!("shopfront: {e}");
            return ExitCode::from(1);
        }
    };
    match command {
        Command::SeedDemo => seed_demo(&mut conn),
        Command::CreateAdmin { email } => create_admin(&config, &mut conn, &email),
        Command::SeedBench { products } => seed_bench(&mut conn, products),
        Command::Serve
        | Command::Migrate
        | Command::CheckConfig
        | Command::Backup { .. }
        | Command::CopyTo { .. }
        | Command::Help => ExitCode::SUCCESS,
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

fn create_admin(config: &Config, conn: &mut db::DbConn, email: &str) -> ExitCode {
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
    let hash = match passwords::hash_blocking(&password, config.bcrypt_cost) {
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
    let listener = match TcpListener::bind(config.bind) {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("shopfront: BIND: cannot listen on {}: {e}", config.bind);
            return ExitCode::from(1);
        }
    };
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    log::info!(
        "serving http://{} ({:?}, {} workers)",
        config.bind,
        config.engine,
        workers
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
