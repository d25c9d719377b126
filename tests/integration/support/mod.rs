//! Test support: spawn the real server on a fresh database, a cookie-keeping client that
//! reads pages the way a browser does, and helpers to create data directly.
//!
//! Every test gets its own database: a SQLite file in a temporary directory, or, when
//! `TEST_DATABASE_URL` names a PostgreSQL server, a database of its own that is dropped after.

#![allow(dead_code)]

pub mod accounts;
pub mod client;
#[path = "../../support/fake_stripe.rs"]
pub mod fake_stripe;
pub mod fixtures;
pub mod process;
pub mod raw;
pub mod shop;

use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;

use actix_web::dev::ServerHandle;
use diesel::{Connection, PgConnection, RunQueryDsl};
use shopfront::config::Config;
use shopfront::db::{self, DbConn};
use shopfront::AppState;

pub use client::Client;

/// The longest a test waits for something the server does in the background (a mail
/// queued by the worker, a process starting); past it, the test fails saying what it awaited.
pub const DEADLINE: std::time::Duration = std::time::Duration::from_secs(20);

/// One side of a race: what it does once released.
pub type Contender<'a, T> = Box<dyn FnOnce() -> T + Send + 'a>;

/// Runs `contenders` closures on threads of their own, released together by a barrier, and
/// returns what each gave, in order: how the races the shop defends are started.
pub fn at_once<T: Send>(contenders: Vec<Contender<'_, T>>) -> Vec<T> {
    let start = std::sync::Barrier::new(contenders.len());
    std::thread::scope(|scope| {
        let running: Vec<_> = contenders
            .into_iter()
            .map(|contender| {
                let start = &start;
                scope.spawn(move || {
                    start.wait();
                    contender()
                })
            })
            .collect();
        running
            .into_iter()
            .map(|r| r.join().expect("a contender panicked"))
            .collect()
    })
}

/// Polls `ready` until it gives a value, at most [`DEADLINE`].
pub fn eventually<T>(what: &str, mut ready: impl FnMut() -> Option<T>) -> T {
    let deadline = std::time::Instant::now() + DEADLINE;
    loop {
        if let Some(value) = ready() {
            return value;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "waited {DEADLINE:?} for {what}"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

/// One running shopfront on a database of its own.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`
    pub base: String,
    /// The state the server runs with (same pool, same caches).
    pub state: AppState,
    handle: ServerHandle,
    thread: Option<JoinHandle<()>>,
    db: TestDb,
}

/// A database and data directory of a test's own, removed when dropped.
pub enum TestDb {
    /// A SQLite file in a temporary directory.
    Sqlite(tempfile::TempDir),
    /// A PostgreSQL database created for the test, with a temporary data directory.
    Postgres {
        admin_url: String,
        name: String,
        data_dir: tempfile::TempDir,
    },
}

impl TestDb {
    /// A fresh, empty database on the engine the tests run on.
    pub fn new() -> TestDb {
        fresh_database()
    }

    /// A fresh, empty SQLite database, whatever engine the tests run on.
    pub fn sqlite() -> TestDb {
        TestDb::Sqlite(tempfile::tempdir().expect("temp dir"))
    }

    /// The data directory to run with.
    pub fn data_dir(&self) -> &std::path::Path {
        match self {
            TestDb::Sqlite(dir) => dir.path(),
            TestDb::Postgres { data_dir, .. } => data_dir.path(),
        }
    }

    /// A connection of its own to the database, as it is (not migrated here).
    pub fn conn(&self) -> DbConn {
        use diesel::r2d2::ManageConnection;
        let engine = shopfront::config::engine_of(&self.url()).expect("a known engine");
        db::Manager::new(engine, self.url())
            .connect()
            .expect("connect to the test database")
    }

    /// Whether the database is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        matches!(self, TestDb::Postgres { .. })
    }

    /// The `DATABASE_URL` of the database.
    pub fn url(&self) -> String {
        match self {
            TestDb::Sqlite(dir) => dir.path().join("shop.db").to_string_lossy().into_owned(),
            // No Kerberos probe: libpq's can abort a process that exits while the pool's
            // background thread is connecting (the test binary does, after the last test).
            TestDb::Postgres {
                admin_url, name, ..
            } => {
                let url = with_database(admin_url, name);
                let separator = if url.contains('?') { '&' } else { '?' };
                format!("{url}{separator}gssencmode=disable")
            }
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres {
            admin_url, name, ..
        } = self
        {
            if let Ok(mut conn) = PgConnection::establish(admin_url) {
                let _ =
                    diesel::sql_query(format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .execute(&mut conn);
            }
        }
    }
}

/// The PostgreSQL server to test on, if any.
pub fn postgres_url() -> Option<String> {
    std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|url| url.starts_with("postgres://") || url.starts_with("postgresql://"))
}

/// `url` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (before_query, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_end = before_query
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| before_query[start..].find('/').map(|j| start + j))
        .unwrap_or(before_query.len());
    let mut out = format!("{}/{name}", &before_query[..authority_end]);
    if let Some(query) = query {
        out.push('?');
        out.push_str(query);
    }
    out
}

fn fresh_database() -> TestDb {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let data_dir = tempfile::tempdir().expect("temp dir");
    match postgres_url() {
        None => TestDb::Sqlite(data_dir),
        Some(admin_url) => {
            let name = format!(
                "shopfront_test_{}_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed),
                shopfront::config::random_hex(4)
            );
            let mut conn = PgConnection::establish(&admin_url)
                .unwrap_or_else(|e| panic!("TEST_DATABASE_URL: cannot connect: {e}"));
            diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .expect("create the test database");
            TestDb::Postgres {
                admin_url,
                name,
                data_dir,
            }
        }
    }
}

impl TestApp {
    /// A server with an empty catalogue.
    pub fn spawn() -> TestApp {
        TestApp::spawn_with(&[])
    }

    /// A server with extra environment settings (`("CURRENCY_SYMBOL", "€")`, …).
    pub fn spawn_with(settings: &[(&str, &str)]) -> TestApp {
        // The server's log, captured with the test's output and shown when it fails.
        let _ = env_logger::builder()
            .is_test(true)
            .filter_level(log::LevelFilter::Warn)
            .try_init();
        let db = fresh_database();
        let data_dir = db.data_dir().to_string_lossy().into_owned();
        let database_url = db.url();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let mut env: Vec<(String, String)> = vec![
            // Links in mails and Stripe's return addresses lead back to this server.
            ("PUBLIC_URL".into(), base.clone()),
            ("DATA_DIR".into(), data_dir),
            ("DATABASE_URL".into(), database_url),
            ("DEMO_DATA".into(), "off".into()),
            ("DB_POOL_SIZE".into(), "4".into()),
            ("SECRET_KEY".into(), "test-secret-".repeat(8)),
            ("BCRYPT_COST".into(), "4".into()),
        ];
        for (key, value) in settings {
            env.retain(|(k, _)| k != key);
            env.push((key.to_string(), value.to_string()));
        }
        let mut config =
            Config::from_lookup(|name| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()))
                .expect("test configuration");
        config.prepare().expect("prepare the data dir");
        let pool = db::connect(&config).expect("open the test database");
        let state = AppState::new(config, pool);

        let (tx, rx) = mpsc::channel();
        let server_state = state.clone();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let shop = shopfront::serve(server_state, listener, 1).expect("start the server");
                tx.send(shop.handle()).expect("report the handle");
                let _ = shop.run().await;
            });
        });
        let handle = rx.recv().expect("the server started");
        TestApp {
            base,
            state,
            handle,
            thread: Some(thread),
            db,
        }
    }

    /// A new browser with no cookies.
    pub fn client(&self) -> Client {
        Client::new(&self.base)
    }

    /// Runs `work` on a connection of the app's pool (for fixtures and checks), as a write
    /// of this instance: the server reads the catalogue's version again on its next page.
    pub fn db<T>(&self, work: impl FnOnce(&mut DbConn) -> T) -> T {
        let mut conn = self.state.pool.get().expect("a pooled connection");
        let done = work(&mut conn);
        self.state.catalog_version.invalidate();
        done
    }

    /// A connection of the test's own, as another instance or a command writes through: the
    /// server learns of its writes only from the database.
    pub fn elsewhere(&self) -> DbConn {
        self.db.conn()
    }

    /// Whether the tests run on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.state.config.engine == shopfront::config::Engine::Postgres
    }

    /// The data directory the server runs with.
    pub fn data_dir(&self) -> &std::path::Path {
        self.db.data_dir()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // The stop command is sent at once; the returned future only reports completion.
        drop(self.handle.stop(false));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
