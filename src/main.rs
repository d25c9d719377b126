//! The `shopfront` command: parses the command line and dispatches to the library.
//!
//! Exit codes: 0 done, 1 failed while running, 2 bad command line or configuration.

use std::net::TcpListener;
use std::process::ExitCode;

use shopfront::{config::Config, db, demo, AppState};

const USAGE: &str = "\
shopfront: a server-rendered web shop

Usage:
  shopfront [serve]     serve the shop on BIND (default 127.0.0.1:8080)
  shopfront seed-demo   load the demo catalogue into an empty database
  shopfront --help      show this help

Configuration comes from environment variables (BIND, DATA_DIR, DATABASE_URL, SECRET_KEY,
DEMO_DATA, DB_POOL_SIZE, CURRENCY_SYMBOL, RUST_LOG); see README.md.
";

/// What the command line asks for.
enum Command {
    Serve,
    SeedDemo,
    Help,
}

fn parse(args: &[String]) -> Result<Command, String> {
    match args {
        [] => Ok(Command::Serve),
        [one] => match one.as_str() {
            "serve" => Ok(Command::Serve),
            "seed-demo" => Ok(Command::SeedDemo),
            "-h" | "--help" | "help" => Ok(Command::Help),
            other => Err(format!("unknown command {other:?}")),
        },
        [first, ..] => Err(format!("{first:?} takes no further arguments")),
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
    if let Err(e) = config.prepare() {
        eprintln!("shopfront: {e}");
        return ExitCode::from(2);
    }
    let pool = match db::connect(&config) {
        Ok(pool) => pool,
        Err(e) => {
            eprintln!("shopfront: {e}");
            return ExitCode::from(1);
        }
    };
    match command {
        Command::Serve => serve(config, pool),
        Command::SeedDemo => seed_demo(&pool),
        Command::Help => ExitCode::SUCCESS,
    }
}

fn seed_demo(pool: &db::DbPool) -> ExitCode {
    let result = pool
        .get()
        .map_err(|e| e.to_string())
        .and_then(|mut conn| demo::seed_demo(&mut conn).map_err(|e| e.to_string()));
    match result {
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
    let result = actix_web::rt::System::new()
        .block_on(async move { shopfront::serve(state, listener, workers)?.await });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("shopfront: the server stopped with an error: {e}");
            ExitCode::from(1)
        }
    }
}
