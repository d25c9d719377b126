//! The database: one connection type for both engines, the pool, embedded migrations, and
//! `run`, which takes a pooled connection and does its work off the async workers.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use diesel::connection::{Instrumentation, InstrumentationEvent, SimpleConnection};
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection, Pool};
use diesel::result::DatabaseErrorKind;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use tokio::sync::{AcquireError, OwnedSemaphorePermit, Semaphore};

use crate::config::{Config, Engine};
use crate::error::AppError;

/// Runs `$body` with `$c` bound to the engine's own connection inside a `&mut DbConn`, for
/// queries on hot paths. Through the `DbConn` wrapper, diesel writes a statement's SQL out
/// twice on every run (to ask whether it may be cached, then to collect its binds) before it
/// finds the prepared statement; on the engine's connection it finds it by type alone.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Sqlite($c) => $body,
            $crate::db::DbConn::Pg($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// The SQLite schema history, embedded in the binary.
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// The PostgreSQL schema history, embedded in the binary.
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a writer waits for SQLite's lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 5_000;
/// How long a request waits for a free pooled connection before the shop answers 503.
const POOL_CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);
/// Key of the PostgreSQL advisory lock that serialises migrations between instances.
const MIGRATION_LOCK_KEY: i64 = 0x73686f7066726f6e; // "shopfron"

/// A connection to either engine; queries written with diesel's DSL run on both.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    /// The embedded SQLite database.
    Sqlite(SqliteConnection),
    /// A PostgreSQL server.
    Pg(PgConnection),
}

/// The pool every request borrows its connection from, with the turns [`run`] and [`read`]
/// hand out in arrival order: one per connection, of which [`read`] may hold only some.
#[derive(Clone)]
pub struct DbPool {
    connections: Pool<Manager>,
    turns: Arc<Semaphore>,
    reads: Arc<Semaphore>,
}

impl DbPool {
    /// Hands out the connections of `connections`, a pool of `engine`.
    ///
    /// On PostgreSQL at most half of them read at once. A read keeps a server core busy from
    /// start to end, and the two-core benchmark box served pages fastest, with a p99 of
    /// 10–15 ms instead of 400 ms, at four busy connections; a write spends most of its
    /// time waiting for the disk to flush its commit, so the other half keep writes moving
    /// while the reads hold the cores. SQLite's reads run in this process and share no
    /// server, so they may use every connection.
    pub fn new(connections: Pool<Manager>, engine: Engine) -> DbPool {
        let size = usize::try_from(connections.max_size())
            .unwrap_or(Semaphore::MAX_PERMITS)
            .min(Semaphore::MAX_PERMITS);
        let reads = match engine {
            Engine::Sqlite => size,
            Engine::Postgres => size.div_ceil(2),
        };
        DbPool {
            turns: Arc::new(Semaphore::new(size)),
            reads: Arc::new(Semaphore::new(reads)),
            connections,
        }
    }
}

impl std::ops::Deref for DbPool {
    type Target = Pool<Manager>;

    fn deref(&self) -> &Pool<Manager> {
        &self.connections
    }
}

/// Opens connections of the engine the configuration names (diesel's own manager would try
/// each engine in turn, and SQLite accepts any text as a file name).
#[derive(Debug, Clone)]
pub struct Manager {
    engine: Engine,
    url: String,
}

impl Manager {
    /// A manager for `url` on `engine`.
    pub fn new(engine: Engine, url: impl Into<String>) -> Manager {
        Manager {
            engine,
            url: url.into(),
        }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        match self.engine {
            Engine::Sqlite => {
                let mut conn =
                    SqliteConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
                conn.batch_execute(&format!(
                    "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; \
                     PRAGMA foreign_keys = ON; \
                     PRAGMA synchronous = NORMAL;"
                ))
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConn::Sqlite(conn))
            }
            Engine::Postgres => {
                let mut conn =
                    PgConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
                conn.set_instrumentation(Health::default());
                Ok(DbConn::Pg(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    /// Called on every return to the pool, so it asks the connection's own record rather
    /// than the server: a connection that lost its server, or comes back inside a
    /// transaction, is dropped and the pool opens a fresh one.
    fn has_broken(&self, conn: &mut DbConn) -> bool {
        match conn {
            DbConn::Sqlite(_) => false,
            DbConn::Pg(pg) => {
                let lost = pg
                    .instrumentation()
                    .downcast_ref::<Health>()
                    .is_some_and(|health| health.lost);
                lost || r2d2::R2D2Connection::is_broken(pg)
            }
        }
    }
}

/// What a PostgreSQL connection has seen of its server: whether a statement failed because
/// the connection was gone. The pool checks connections on error, not with a `SELECT 1` on
/// every check-out (a round trip per request).
#[derive(Debug, Default)]
struct Health {
    lost: bool,
}

impl Instrumentation for Health {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        if let InstrumentationEvent::FinishQuery {
            error: Some(error), ..
        } = event
        {
            self.lost |= connection_lost(error);
        }
    }
}

/// Whether `error` says the connection to the server is gone (rather than the statement
/// being refused).
pub fn connection_lost(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
            _
        )
    )
}

/// Opens the database the configuration names, migrates it and builds the pool.
///
/// SQLite switches to WAL on one connection before the pool opens the rest, so that the
/// pool's connections do not race for the journal-mode change.
pub fn connect(config: &Config) -> Result<DbPool, String> {
    migrate(config)?;
    Pool::builder()
        .max_size(config.db_pool_size)
        .min_idle(Some(1))
        // Testing each connection on check-out costs a round trip per request; a connection
        // that lost its server fails one statement and is dropped on return (`has_broken`).
        .test_on_check_out(false)
        .connection_timeout(POOL_CHECKOUT_TIMEOUT)
        .build(Manager::new(config.engine, config.database_url.clone()))
        .map(|connections| DbPool::new(connections, config.engine))
        .map_err(|e| format!("cannot open the database pool: {e}"))
}

/// Opens one migrated connection, for a command-line task.
///
/// A pool would open connections on a background thread; a command that exits while one is
/// being opened can crash in libpq's Kerberos probe, so one-shot commands use one connection.
pub fn connect_once(config: &Config) -> Result<DbConn, String> {
    migrate(config)?;
    Manager::new(config.engine, config.database_url.clone())
        .connect()
        .map_err(|e| format!("cannot open the database: {e}"))
}

/// Creates the SQLite file if needed, switches it to WAL, and runs pending migrations (on
/// PostgreSQL under an advisory lock); returns the versions it applied. Refuses a database
/// migrated by a newer shopfront.
pub fn migrate(config: &Config) -> Result<Vec<String>, String> {
    match config.engine {
        Engine::Sqlite => {
            if let Some(parent) = std::path::Path::new(&config.database_url).parent() {
                if !parent.as_os_str().is_empty() {
                    std::fs::create_dir_all(parent).map_err(|e| {
                        format!("DATABASE_URL: cannot create {}: {e}", parent.display())
                    })?;
                }
            }
            // Processes starting together take turns: switching to WAL and migrating both
            // need the file to themselves. Released when `_turn` is dropped.
            let _turn = setup_lock(&config.database_url)?;
            let mut conn = SqliteConnection::establish(&config.database_url)
                .map_err(|e| format!("DATABASE_URL: cannot open the SQLite database: {e}"))?;
            conn.batch_execute(&format!(
                "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL;"
            ))
            .map_err(|e| format!("cannot switch SQLite to WAL mode: {e}"))?;
            migrate_known(&mut conn, SQLITE_MIGRATIONS, "SQLite")
        }
        Engine::Postgres => {
            let mut conn = PgConnection::establish(&config.database_url)
                .map_err(|e| format!("DATABASE_URL: cannot connect to PostgreSQL: {e}"))?;
            migrate_postgres(&mut conn)
        }
    }
}

/// Waits for an exclusive lock on a file beside the SQLite database, held while it is set
/// up and migrated (PostgreSQL has its advisory lock for this).
fn setup_lock(database: &str) -> Result<std::fs::File, String> {
    let path = format!("{database}-migrate.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("cannot open {path}: {e}"))?;
    file.lock()
        .map_err(|e| format!("cannot lock {path}: {e}"))?;
    Ok(file)
}

/// Migrates under an advisory lock, so instances starting together migrate once.
fn migrate_postgres(conn: &mut PgConnection) -> Result<Vec<String>, String> {
    conn.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))
        .map_err(|e| format!("cannot take the migration lock: {e}"))?;
    let result = migrate_known(conn, POSTGRES_MIGRATIONS, "PostgreSQL");
    let unlock = conn.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"));
    let applied = result?;
    unlock.map_err(|e| format!("cannot release the migration lock: {e}"))?;
    Ok(applied)
}

/// Runs the migrations of `source` that `conn` lacks and returns their versions, after
/// checking that the database holds none this binary does not know: a newer shopfront
/// migrated it, and this one would misread or damage what that one wrote.
fn migrate_known<DB, C>(
    conn: &mut C,
    source: EmbeddedMigrations,
    engine: &str,
) -> Result<Vec<String>, String>
where
    DB: diesel::backend::Backend,
    C: MigrationHarness<DB>,
    EmbeddedMigrations: diesel::migration::MigrationSource<DB>,
{
    use diesel::migration::MigrationSource;
    let cannot = |e: Box<dyn std::error::Error + Send + Sync>| {
        format!("cannot migrate the {engine} database: {e}")
    };
    let known: std::collections::HashSet<String> = source
        .migrations()
        .map_err(cannot)?
        .iter()
        .map(|m| m.name().version().to_string())
        .collect();
    let unknown: Vec<String> = conn
        .applied_migrations()
        .map_err(cannot)?
        .iter()
        .map(ToString::to_string)
        .filter(|version| !known.contains(version))
        .collect();
    if !unknown.is_empty() {
        return Err(format!(
            "the {engine} database has a newer schema than this shopfront knows (migrations {}): \
             run the shopfront version that migrated it, or a newer one",
            unknown.join(", ")
        ));
    }
    Ok(conn
        .run_pending_migrations(source)
        .map_err(cannot)?
        .iter()
        .map(ToString::to_string)
        .collect())
}

/// Runs `work` in one transaction, committed when it returns `Ok`, rolled back otherwise.
///
/// On SQLite the outermost transaction begins IMMEDIATE: it takes the write lock (waiting up
/// to the busy timeout) before reading, so a transaction that reads and then writes never
/// fails with "database is locked" when another writer got there in between. Nested calls
/// are savepoints, as with diesel's own `transaction`.
pub fn transaction<T, E, F>(conn: &mut DbConn, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    if let DbConn::Sqlite(inner) = conn {
        let outermost = AnsiTransactionManager::transaction_manager_status_mut(inner)
            .transaction_depth()?
            .is_none();
        if outermost {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
            // The multi-connection's transaction state is the inner connection's, so the
            // commit and rollback below (and savepoints inside `work`) see this transaction.
            return match work(conn) {
                Ok(value) => {
                    <DbConn as Connection>::TransactionManager::commit_transaction(conn)?;
                    Ok(value)
                }
                Err(e) => {
                    let _ = <DbConn as Connection>::TransactionManager::rollback_transaction(conn);
                    Err(e)
                }
            };
        }
    }
    conn.transaction(work)
}

/// Runs `work` with a pooled connection on the blocking thread pool.
///
/// The request waits for its turn here, on the async worker, and takes the connection inside
/// the closure, so a busy pool never stalls an async worker.
pub async fn run<T, F>(pool: &DbPool, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let turn = wait_for_turn(pool).await?;
    run_in_turn(pool, turn, work).await
}

/// Runs `work`, a short read, with a pooled connection: on SQLite right here on the async
/// worker when a connection is idle, else as [`run`] does, within the pool's limit of reads.
///
/// A read in WAL mode never waits for a lock and takes microseconds on a warm cache, less
/// than the hop to the blocking pool and back, which perf showed to be the largest cost of a
/// catalogue page. PostgreSQL reads wait on the network, so they always take the hop.
pub async fn read<T, F>(pool: &DbPool, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    // Only free places are taken here: requests already waiting keep theirs. Bound to a
    // name, so that a place held for a moment is given back before this read waits.
    let free = Arc::clone(&pool.reads)
        .try_acquire_owned()
        .ok()
        .and_then(|reading| Some((reading, Arc::clone(&pool.turns).try_acquire_owned().ok()?)));
    let Some(turn) = free else {
        let turn = wait_for(pool, async {
            let reading = Arc::clone(&pool.reads).acquire_owned().await?;
            Ok((reading, Arc::clone(&pool.turns).acquire_owned().await?))
        })
        .await?;
        return run_in_turn(pool, turn, work).await;
    };
    match pool.try_get() {
        Some(conn) if matches!(*conn, DbConn::Sqlite(_)) => in_turn(conn, turn, work),
        Some(conn) => web::block(move || in_turn(conn, turn, work)).await?,
        None => run_in_turn(pool, turn, work).await,
    }
}

/// Waits, first come first served, until one of the pool's connections is free for this
/// request.
///
/// r2d2 hands a returned connection to whichever thread asks first, so under load a request
/// that waited could lose it again and again to later ones (a `read` on the async worker
/// always asked first); the semaphore queues them in arrival order, and waiting here holds
/// no blocking thread.
async fn wait_for_turn(pool: &DbPool) -> Result<OwnedSemaphorePermit, AppError> {
    wait_for(pool, Arc::clone(&pool.turns).acquire_owned()).await
}

/// Waits for `places` up to the pool's check-out timeout, then tells the client the shop is
/// busy.
async fn wait_for<P>(
    pool: &DbPool,
    places: impl std::future::Future<Output = Result<P, AcquireError>>,
) -> Result<P, AppError> {
    match tokio::time::timeout(pool.connection_timeout(), places).await {
        Ok(Ok(places)) => Ok(places),
        Ok(Err(_closed)) => Err(AppError::Unavailable("the database pool is closed".into())),
        Err(_elapsed) => Err(AppError::Unavailable(
            "no database connection: timed out waiting for one".into(),
        )),
    }
}

/// Runs `work` on the blocking thread pool with a connection taken in `turn`, which ends once
/// the connection is back in the pool.
async fn run_in_turn<T, F>(pool: &DbPool, turn: impl Send + 'static, work: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    web::block(move || in_turn(pool.get()?, turn, work)).await?
}

/// Runs `work` with `conn`, then gives the connection back to the pool before `turn` (the
/// places held for it), so the next request in line finds it idle.
fn in_turn<T, F, H>(
    mut conn: r2d2::PooledConnection<Manager>,
    turn: H,
    work: F,
) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConn) -> Result<T, AppError>,
{
    let done = work(&mut conn);
    drop(conn);
    drop(turn);
    done
}

/// Whether the database answers a trivial query.
pub fn ping(conn: &mut DbConn) -> bool {
    conn.batch_execute("SELECT 1").is_ok()
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::rc::Rc;
    use std::sync::{mpsc, Mutex};

    use super::*;

    /// A pool of `size` connections to private in-memory SQLite databases, with the read
    /// limit of `engine`.
    fn pool_of(size: u32, engine: Engine, checkout_timeout: Duration) -> DbPool {
        let connections = Pool::builder()
            .max_size(size)
            .connection_timeout(checkout_timeout)
            .build(Manager::new(Engine::Sqlite, ":memory:"))
            .expect("an in-memory pool");
        DbPool::new(connections, engine)
    }

    /// A pool of one connection to a private in-memory SQLite database.
    fn pool_of_one(checkout_timeout: Duration) -> DbPool {
        pool_of(1, Engine::Sqlite, checkout_timeout)
    }

    /// Starts `run` on one of the pool's connections, held until the returned sender is used,
    /// and waits until it has the connection.
    async fn hold(pool: &DbPool) -> (mpsc::Sender<()>, actix_web::rt::task::JoinHandle<()>) {
        let (release, released) = mpsc::channel::<()>();
        let (taken, is_taken) = mpsc::channel::<()>();
        let pool = pool.clone();
        let holder = actix_web::rt::spawn(async move {
            let work = move |_: &mut DbConn| {
                let _ = taken.send(());
                let _ = released.recv();
                Ok(())
            };
            run(&pool, work).await.expect("the holder's work");
        });
        while is_taken.try_recv().is_err() {
            actix_web::rt::task::yield_now().await;
        }
        (release, holder)
    }

    #[actix_web::test]
    async fn a_request_that_waits_is_served_before_a_later_read() {
        let pool = pool_of_one(Duration::from_secs(5));
        let (release, holder) = hold(&pool).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let queued = Rc::new(Cell::new(false));
        let earlier = {
            let (pool, order, queued) = (pool.clone(), Arc::clone(&order), Rc::clone(&queued));
            actix_web::rt::spawn(async move {
                queued.set(true);
                run(&pool, move |_| {
                    order.lock().expect("order").push("earlier");
                    Ok(())
                })
                .await
            })
        };
        while !queued.get() {
            actix_web::rt::task::yield_now().await;
        }
        release.send(()).expect("the holder waits");
        // Without yielding to the runtime, so the earlier request cannot take the connection
        // yet: wait until it is back in the pool, idle.
        while pool.state().idle_connections == 0 {
            std::thread::yield_now();
        }
        let later = Arc::clone(&order);
        read(&pool, move |_| {
            later.lock().expect("order").push("later");
            Ok(())
        })
        .await
        .expect("the later read");
        holder.await.expect("the holder finished");
        earlier.await.expect("spawned").expect("the earlier run");
        assert_eq!(*order.lock().expect("order"), ["earlier", "later"]);
    }

    #[actix_web::test]
    async fn a_request_that_waits_too_long_for_a_connection_is_told_the_shop_is_busy() {
        let pool = pool_of_one(Duration::from_millis(50));
        let (release, holder) = hold(&pool).await;
        let waited = read(&pool, |_| Ok(())).await;
        assert!(
            matches!(waited, Err(AppError::Unavailable(_))),
            "{waited:?}"
        );
        release.send(()).expect("the holder waits");
        holder.await.expect("the holder finished");
        read(&pool, |_| Ok(()))
            .await
            .expect("served once the connection is free");
    }

    #[actix_web::test]
    async fn reads_on_postgresql_leave_half_the_connections_to_writes() {
        let pool = pool_of(2, Engine::Postgres, Duration::from_millis(50));
        let reading = Arc::clone(&pool.reads)
            .try_acquire_owned()
            .expect("one read may run");
        let waited = read(&pool, |_| Ok(())).await;
        assert!(
            matches!(waited, Err(AppError::Unavailable(_))),
            "{waited:?}"
        );
        run(&pool, |_| Ok(()))
            .await
            .expect("a write takes the connection the reads leave");
        drop(reading);
        read(&pool, |_| Ok(()))
            .await
            .expect("served once the read before it is done");
    }

    #[actix_web::test]
    async fn a_read_with_room_among_the_reads_waits_only_for_a_connection() {
        let pool = pool_of(2, Engine::Postgres, Duration::from_secs(5));
        let (release_first, first) = hold(&pool).await;
        let (release_second, second) = hold(&pool).await;
        let queued = {
            let pool = pool.clone();
            actix_web::rt::spawn(async move { read(&pool, |_| Ok("read")).await })
        };
        release_first.send(()).expect("the first holder waits");
        let read = queued.await.expect("spawned");
        assert_eq!(read.expect("served by the connection given back"), "read");
        release_second.send(()).expect("the second holder waits");
        first.await.expect("the first holder finished");
        second.await.expect("the second holder finished");
    }
}
