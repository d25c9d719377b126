//! The schema: every migration applies, reverts and applies again on the engine under test.

use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::MigrationHarness;
use shopfront::db::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

use crate::support::{postgres_url, TestDb};

/// Up, all the way down, and up again; `$migrations` is a const, copied at each use.
macro_rules! round_trip {
    ($conn:expr, $migrations:expr) => {{
        let conn = $conn;
        let applied = conn
            .run_pending_migrations($migrations)
            .expect("migrate up")
            .len();
        assert!(applied >= 1);
        let reverted = conn
            .revert_all_migrations($migrations)
            .expect("migrate down")
            .len();
        assert_eq!(reverted, applied, "every migration has a working down.sql");
        assert!(conn.has_pending_migration($migrations).expect("pending"));
        let again = conn
            .run_pending_migrations($migrations)
            .expect("migrate up again")
            .len();
        assert_eq!(again, applied);
    }};
}

#[test]
fn every_migration_reverts_and_applies_again() {
    let db = TestDb::new();
    if postgres_url().is_some() {
        round_trip!(
            &mut PgConnection::establish(&db.url()).expect("connect"),
            POSTGRES_MIGRATIONS
        );
    } else {
        round_trip!(
            &mut SqliteConnection::establish(&db.url()).expect("open"),
            SQLITE_MIGRATIONS
        );
    }
}

#[test]
fn every_pooled_sqlite_connection_uses_wal_foreign_keys_and_a_busy_timeout() {
    use diesel::sql_types::{BigInt, Text};
    use diesel::RunQueryDsl;

    #[derive(diesel::QueryableByName)]
    struct Mode {
        #[diesel(sql_type = Text)]
        journal_mode: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Flag {
        #[diesel(sql_type = BigInt)]
        foreign_keys: i64,
    }
    #[derive(diesel::QueryableByName)]
    struct Timeout {
        #[diesel(sql_type = BigInt)]
        timeout: i64,
    }

    let app = crate::support::TestApp::spawn();
    if app.is_postgres() {
        return; // SQLite pragmas only.
    }
    // Hold several connections at once so the check covers more than the first one.
    let mut held: Vec<_> = (0..3)
        .map(|_| app.state.pool.get().expect("connection"))
        .collect();
    for conn in held.iter_mut() {
        let shopfront::db::DbConn::Sqlite(conn) = &mut **conn else {
            unreachable!()
        };
        let mode: Mode = diesel::sql_query("PRAGMA journal_mode")
            .get_result(conn)
            .unwrap();
        assert_eq!(mode.journal_mode, "wal");
        let fk: Flag = diesel::sql_query("PRAGMA foreign_keys")
            .get_result(conn)
            .unwrap();
        assert_eq!(fk.foreign_keys, 1);
        let busy: Timeout = diesel::sql_query("PRAGMA busy_timeout")
            .get_result(conn)
            .unwrap();
        assert!(busy.timeout >= 1000, "{}", busy.timeout);
    }
}
