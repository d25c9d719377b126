//! The schema: every migration applies, reverts and applies again on the engine under test.

use diesel::prelude::*;
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::MigrationHarness;
use shopfront::db::{DbConn, POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};
use shopfront::domain::account::Role;

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

/// A fresh, empty database on every engine here: SQLite always, PostgreSQL when
/// `TEST_DATABASE_URL` names one.
fn every_engine() -> Vec<TestDb> {
    let mut dbs = vec![TestDb::sqlite()];
    if postgres_url().is_some() {
        dbs.push(TestDb::new());
    }
    dbs
}

#[test]
fn every_migration_reverts_and_applies_again() {
    for db in every_engine() {
        if db.is_postgres() {
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
}

/// The version of the migration that limited the search indexes to products on sale; its
/// down.sql puts the others back into the index.
const SEARCH_ON_SALE: &str = "20261126000008";

/// Ids the search index finds for `word`, read straight from the engine's index table.
fn indexed(conn: &mut DbConn, word: &str) -> Vec<i32> {
    #[derive(diesel::QueryableByName)]
    struct Found {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        id: i32,
    }
    let sql = match conn {
        DbConn::Sqlite(_) => {
            "SELECT CAST(rowid AS INTEGER) AS id FROM products_fts WHERE products_fts MATCH ? ORDER BY rowid"
        }
        DbConn::Pg(_) => {
            "SELECT product_id AS id FROM product_search \
             WHERE document @@ to_tsquery('shopfront', $1) ORDER BY product_id"
        }
    };
    diesel::sql_query(sql)
        .bind::<diesel::sql_types::Text, _>(word)
        .load::<Found>(conn)
        .expect("read the search index")
        .into_iter()
        .map(|f| f.id)
        .collect()
}

/// A little of everything, so every down.sql meets rows: products on sale and not, a user, a
/// review, a cart line, a session, an image, login failures, throttle events, a reset request.
fn fill(conn: &mut DbConn) -> (i32, i32) {
    use shopfront::schema::*;
    let now = shopfront::models::now();
    let category = crate::support::fixtures::insert_category(conn, "kitchen", "Kitchen");
    let spec = |name, archived| crate::support::fixtures::ProductSpec {
        category_id: category,
        name,
        archived,
        ..Default::default()
    };
    let lamp = crate::support::fixtures::insert_product(conn, spec("Brass Lamp", false));
    let kettle = crate::support::fixtures::insert_product(conn, spec("Iron Kettle", true));
    let user = crate::support::accounts::insert_user(conn, "ada@example.com", Role::Customer, true);
    diesel::insert_into(reviews::table)
        .values((
            reviews::product_id.eq(lamp),
            reviews::user_id.eq(user),
            reviews::rating.eq(5),
            reviews::body.eq("Bright."),
            reviews::created_at.eq(now),
            reviews::updated_at.eq(now),
        ))
        .execute(conn)
        .unwrap();
    let cart: i32 = diesel::insert_into(carts::table)
        .values((
            carts::user_id.eq(user),
            carts::created_at.eq(now),
            carts::updated_at.eq(now),
        ))
        .returning(carts::id)
        .get_result(conn)
        .unwrap();
    diesel::insert_into(cart_items::table)
        .values((
            cart_items::cart_id.eq(cart),
            cart_items::product_id.eq(lamp),
            cart_items::quantity.eq(2),
            cart_items::added_at.eq(now),
        ))
        .execute(conn)
        .unwrap();
    shopfront::models::session::insert(conn, "hash", "{}", now, now).unwrap();
    shopfront::models::image::insert(conn, "0123.png", b"png", now).unwrap();
    shopfront::models::login_failure::record(conn, "ada@example.com", Some("203.0.113.9"), now)
        .unwrap();
    diesel::insert_into(throttle_events::table)
        .values((
            throttle_events::bucket.eq("mail:ada@example.com"),
            throttle_events::happened_at.eq(now),
        ))
        .execute(conn)
        .unwrap();
    shopfront::models::reset_request::insert(conn, "ada@example.com", now).unwrap();
    (lamp, kettle)
}

#[test]
fn migrations_revert_and_apply_again_with_data_present() {
    for db in every_engine() {
        let engine = if db.is_postgres() {
            "PostgreSQL"
        } else {
            "SQLite"
        };
        let mut conn = db.conn();
        macro_rules! harness {
            ($body:expr) => {
                match &mut conn {
                    DbConn::Sqlite(c) => $body(c, SQLITE_MIGRATIONS),
                    DbConn::Pg(c) => $body(c, POSTGRES_MIGRATIONS),
                }
            };
        }
        harness!(|c: &mut _, m| { MigrationHarness::run_pending_migrations(c, m).map(|_| ()) })
            .expect("migrate up");
        let (lamp, kettle) = fill(&mut conn);
        assert_eq!(indexed(&mut conn, "lamp"), [lamp], "{engine}");
        assert!(
            indexed(&mut conn, "kettle").is_empty(),
            "{engine}: not on sale"
        );

        // Down to before the search indexes held only products on sale: the archived
        // kettle is back in the index.
        loop {
            let applied: Vec<String> = harness!(|c: &mut _, _m| {
                MigrationHarness::applied_migrations(c)
                    .map(|v| v.iter().map(ToString::to_string).collect())
            })
            .expect("applied migrations");
            if !applied.iter().any(|v| v == SEARCH_ON_SALE) {
                break;
            }
            harness!(|c: &mut _, m| MigrationHarness::revert_last_migration(c, m).map(|_| ()))
                .unwrap_or_else(|e| panic!("{engine}: a down.sql failed with rows present: {e}"));
        }
        assert_eq!(
            indexed(&mut conn, "kettle"),
            [kettle],
            "{engine}: refilled by the down.sql"
        );
        assert_eq!(indexed(&mut conn, "lamp"), [lamp], "{engine}");

        // Up again: the rows are kept and the index holds what is on sale.
        harness!(|c: &mut _, m| { MigrationHarness::run_pending_migrations(c, m).map(|_| ()) })
            .expect("migrate up again");
        assert_eq!(indexed(&mut conn, "lamp"), [lamp], "{engine}");
        assert!(indexed(&mut conn, "kettle").is_empty(), "{engine}");
        let products: i64 = shopfront::schema::products::table
            .count()
            .get_result(&mut conn)
            .unwrap();
        assert_eq!(products, 2, "{engine}");

        // And all the way down and up, every table holding rows.
        fill_again_and_revert_all(&mut conn, engine);
    }
}

/// Adds rows to every table again (new names), reverts every migration and applies them all.
fn fill_again_and_revert_all(conn: &mut DbConn, engine: &str) {
    use shopfront::schema::*;
    diesel::delete(reset_requests::table).execute(conn).unwrap();
    diesel::delete(throttle_events::table)
        .execute(conn)
        .unwrap();
    diesel::delete(login_failures::table).execute(conn).unwrap();
    diesel::delete(images::table).execute(conn).unwrap();
    diesel::delete(sessions::table).execute(conn).unwrap();
    diesel::delete(cart_items::table).execute(conn).unwrap();
    diesel::delete(carts::table).execute(conn).unwrap();
    diesel::delete(reviews::table).execute(conn).unwrap();
    diesel::delete(users::table).execute(conn).unwrap();
    diesel::delete(products::table).execute(conn).unwrap();
    diesel::delete(categories::table).execute(conn).unwrap();
    fill(conn);
    let reverted = match conn {
        DbConn::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConn::Pg(c) => c
            .revert_all_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
    };
    let reverted = reverted.unwrap_or_else(|e| panic!("{engine}: reverting with rows: {e}"));
    let applied = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
        DbConn::Pg(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
    };
    assert_eq!(applied.expect("up again"), reverted, "{engine}");
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

    // SQLite's pragmas, whatever engine the suite runs on.
    let sqlite = tempfile::tempdir().expect("a temporary directory");
    let path = sqlite.path().join("shop.db");
    let app = crate::support::TestApp::spawn_with(&[("DATABASE_URL", path.to_str().unwrap())]);
    assert!(!app.is_postgres());
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
