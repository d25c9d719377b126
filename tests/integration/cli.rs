//! The `shopfront` command line, run as the real binary.

use std::process::{Output, Stdio};

use crate::support::process::{run, serve, serve_logging, shopfront, stderr};
use crate::support::TestDb;
use shopfront::domain::account::Role;

#[test]
fn help_lists_the_commands() {
    let db = TestDb::new();
    let output = run(&db, &[], &["--help"]);
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    for command in ["serve", "seed-demo", "--help"] {
        assert!(text.contains(command), "{text}");
    }
}

#[test]
fn an_unknown_command_or_flag_is_refused_with_exit_code_2() {
    let db = TestDb::new();
    for (args, says) in [
        (vec!["frobnicate"], "unrecognized subcommand 'frobnicate'"),
        (vec!["serve", "--port", "9"], "unexpected argument '--port'"),
        (vec!["backup"], "<PATH>"),
        (vec!["backup", "a.db", "b.db"], "unexpected argument 'b.db'"),
        (vec!["seed-bench", "--products", "0"], "1..=10000000"),
        (vec!["copy-to"], "<URL>"),
    ] {
        let output = run(&db, &[], &args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains(says),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert!(
        std::fs::read_dir(db.data_dir()).unwrap().next().is_none(),
        "a refused command line writes nothing"
    );
}

#[test]
fn every_command_has_its_own_help_and_writes_nothing_for_it() {
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    for command in [
        "serve",
        "seed-demo",
        "seed-bench",
        "migrate",
        "backup",
        "check-config",
        "copy-to",
        "create-admin",
    ] {
        let output = shopfront(&db, &[], &[command, "--help"])
            .current_dir(dir.path())
            .output()
            .expect("run shopfront");
        assert!(output.status.success(), "{command} --help");
        let text = String::from_utf8_lossy(&output.stdout);
        assert!(
            text.contains(&format!("Usage: shopfront {command}")),
            "{text}"
        );
    }
    assert!(
        std::fs::read_dir(dir.path()).unwrap().next().is_none(),
        "no file named --help, nothing else either"
    );
    assert!(std::fs::read_dir(db.data_dir()).unwrap().next().is_none());

    let version = run(&db, &[], &["--version"]);
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("shopfront {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_it() {
    let db = TestDb::new();
    for (var, value) in [
        ("SECRET_KEY", "too-short"),
        ("BIND", "not-an-address"),
        ("DEMO_DATA", "perhaps"),
        ("DB_POOL_SIZE", "0"),
        ("DATABASE_URL", "mysql://nope"),
    ] {
        let output = run(&db, &[(var, value)], &["serve"]);
        assert_eq!(output.status.code(), Some(2), "{var}={value}");
        let message = stderr(&output);
        assert_eq!(message.trim().lines().count(), 1, "{message}");
        assert!(message.contains(var), "{message}");
    }
}

#[test]
fn seed_demo_fills_an_empty_database_and_refuses_a_second_time() {
    let db = TestDb::new();
    let first = run(&db, &[], &["seed-demo"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(String::from_utf8_lossy(&first.stdout).contains("products"));
    let second = run(&db, &[], &["seed-demo"]);
    assert_eq!(
        second.status.code(),
        Some(1),
        "{:?}: {}",
        second.status,
        stderr(&second)
    );
    assert!(stderr(&second).contains("not empty"));
}

#[test]
fn seed_bench_fills_an_empty_database_that_serves_lists_and_search() {
    let db = TestDb::new();
    let seeded = run(&db, &[], &["seed-bench", "--products", "600"]);
    assert!(seeded.status.success(), "{}", stderr(&seeded));
    assert!(String::from_utf8_lossy(&seeded.stdout).contains("loaded 600 products"));

    let again = run(&db, &[], &["seed-bench", "--products", "600"]);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    let zero = run(&db, &[], &["seed-bench", "--products", "0"]);
    assert_eq!(zero.status.code(), Some(2), "{}", stderr(&zero));

    let (_server, client) = serve(&db, &[("DEMO_DATA", "off")]);
    let list = client.get("/products");
    assert_eq!(list.status, 200);
    assert_eq!(list.product_names().len(), 24);
    let rare = client.get(&format!(
        "/products?q={}",
        shopfront::ops::bench_data::RARE_WORD
    ));
    let names = rare.product_names();
    assert!(!names.is_empty());
    assert!(names.iter().all(|name| name
        .to_lowercase()
        .contains(shopfront::ops::bench_data::RARE_WORD)));
    // The common word is in a third of the products: a full page.
    let common = client.get(&format!(
        "/products?q={}",
        shopfront::ops::bench_data::COMMON_WORD
    ));
    assert_eq!(common.product_names().len(), 24);
}

#[test]
fn serve_fills_an_empty_shop_with_demo_data_and_keeps_a_private_key() {
    let db = TestDb::new();
    let (_server, client) = serve(&db, &[]);
    let books = client.get("/products?category=books");
    assert_eq!(books.status, 200);
    assert_eq!(books.product_names().len(), 24);
    assert!(books.text(".count").unwrap().contains("of 36 products"));
    let key = db.data_dir().join("secret_key");
    assert!(std::fs::read_to_string(&key).unwrap().len() >= 64);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[test]
fn demo_data_off_leaves_the_shop_empty() {
    let db = TestDb::new();
    let (_server, client) = serve(&db, &[("DEMO_DATA", "off")]);
    let page = client.get("/products");
    assert_eq!(page.status, 200);
    assert!(page.product_names().is_empty());
}

fn run_with_stdin(db: &TestDb, args: &[&str], stdin: &str) -> Output {
    use std::io::Write as _;
    let mut child = shopfront(db, &[("BCRYPT_COST", "4")], args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start shopfront");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stored_user(db: &TestDb, email: &str) -> Option<shopfront::models::user::User> {
    shopfront::models::user::find_by_email(&mut db.conn(), email).unwrap()
}

#[test]
fn migrate_brings_the_schema_up_to_date_once() {
    let db = TestDb::new();
    let first = run(&db, &[], &["migrate"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(String::from_utf8_lossy(&first.stdout).contains("applied migrations"));
    let second = run(&db, &[], &["migrate"]);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(String::from_utf8_lossy(&second.stdout).contains("up to date"));
}

#[test]
fn a_schema_newer_than_the_binary_is_refused_with_a_clear_message() {
    use diesel::connection::SimpleConnection;

    let db = TestDb::new();
    assert!(run(&db, &[], &["migrate"]).status.success());
    db.conn()
        .batch_execute("INSERT INTO __diesel_schema_migrations (version) VALUES ('20990101000000')")
        .unwrap();

    for args in [&["migrate"][..], &["serve"][..]] {
        let refused = run(&db, &[("BIND", "127.0.0.1:0")], args);
        assert_eq!(
            refused.status.code(),
            Some(1),
            "{args:?}: {}",
            stderr(&refused)
        );
        let message = stderr(&refused);
        assert!(message.contains("newer schema"), "{message}");
        assert!(message.contains("20990101000000"), "{message}");
    }
}

#[test]
fn backup_copies_the_sqlite_database_while_the_server_runs() {
    use diesel::r2d2::ManageConnection;

    let db = TestDb::new();
    let engine = shopfront::config::engine_of(&db.url()).unwrap();
    let target = db.data_dir().join("copy.db");
    let target = target.to_str().unwrap();
    if engine == shopfront::config::Engine::Postgres {
        let refused = run(&db, &[], &["backup", target]);
        assert_eq!(refused.status.code(), Some(2));
        assert!(stderr(&refused).contains("pg_dump"));
        return;
    }
    let (mut server, client) = serve(&db, &[("BCRYPT_COST", "4")]);
    assert!(!client.get("/products").product_names().is_empty());
    // Rows in more than the catalogue: an account, its mail, a cart.
    let signed_up = client.submit(
        "/signup",
        "/signup",
        &[
            ("email", "ada@example.com"),
            ("password", "violet tractor moonlight"),
            ("password_confirm", "violet tractor moonlight"),
        ],
    );
    assert_eq!(signed_up.status, 303);
    let product = client
        .get("/products")
        .attrs(".card a.card-name", "href")
        .remove(0);
    assert_eq!(
        client
            .submit(&product, "/cart/items", &[("quantity", "1")])
            .status,
        303
    );
    crate::support::eventually("the sign-up mail to be sent", || {
        let mails = shopfront::models::outbox::all(&mut db.conn()).unwrap();
        mails.iter().all(|m| m.sent_at.is_some()).then_some(())
    });

    let copied = run(&db, &[], &["backup", target]);
    assert!(copied.status.success(), "{}", stderr(&copied));
    server.signal(libc::SIGTERM);
    server.wait_for_exit(crate::support::DEADLINE);
    let mut copy = shopfront::db::Manager::new(engine, target.to_string())
        .connect()
        .unwrap();
    // Every table, row for row and column for column.
    let differences = shopfront::ops::copy_to::differences(&mut db.conn(), &mut copy).unwrap();
    assert!(differences.is_empty(), "{differences:?}");
    let counts = shopfront::ops::copy_to::row_counts(&mut copy).unwrap();
    for table in [
        "users",
        "products",
        "categories",
        "outbox",
        "sessions",
        "carts",
        "cart_items",
    ] {
        assert!(
            counts
                .iter()
                .any(|(name, rows)| *name == table && *rows > 0),
            "{table} is empty: {counts:?}"
        );
    }

    let again = run(&db, &[], &["backup", target]);
    assert_eq!(again.status.code(), Some(1));
    assert!(stderr(&again).contains("exists"));
}

#[test]
fn check_config_prints_the_settings_with_secrets_masked_and_writes_nothing() {
    let db = TestDb::new();
    let output = run(
        &db,
        &[("SMTP_URL", "smtp://mailer:s3cret-pw@smtp.example:587")],
        &["check-config"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("BCRYPT_COST=12"), "{text}");
    assert!(text.contains("SMTP_URL=***"), "{text}");
    assert!(!text.contains("s3cret-pw"), "{text}");
    assert!(!db.data_dir().join("secret_key").exists());
}

#[test]
fn check_config_warns_about_risky_combinations_and_still_exits_0() {
    let db = TestDb::sqlite();
    let quiet = run(&db, &[], &["check-config"]);
    assert!(quiet.status.success());
    assert!(!stderr(&quiet).contains("warning"), "{}", stderr(&quiet));

    let https_without_secure_cookies = run(
        &db,
        &[("PUBLIC_URL", "https://shop.example")],
        &["check-config"],
    );
    assert!(https_without_secure_cookies.status.success());
    let warned = stderr(&https_without_secure_cookies);
    assert!(
        warned.contains("warning: PUBLIC_URL is https://"),
        "{warned}"
    );
    assert!(warned.contains("COOKIE_SECURE=on"), "{warned}");

    // check-config connects to nothing, so any PostgreSQL URL will do.
    let postgres = run(
        &db,
        &[("DATABASE_URL", "postgres://shop@db.invalid/shop")],
        &["check-config"],
    );
    assert!(postgres.status.success());
    let warned = stderr(&postgres);
    assert!(
        warned.contains("warning: DEMO_DATA is on with PostgreSQL"),
        "{warned}"
    );
    assert!(
        warned.contains("warning: SMTP_URL is unset with PostgreSQL"),
        "{warned}"
    );
    let live = run(
        &db,
        &[
            ("DATABASE_URL", "postgres://shop@db.invalid/shop"),
            ("DEMO_DATA", "off"),
            ("SMTP_URL", "smtp://mail.invalid:587"),
            ("PUBLIC_URL", "https://shop.example"),
            ("COOKIE_SECURE", "on"),
        ],
        &["check-config"],
    );
    assert!(live.status.success());
    assert!(!stderr(&live).contains("warning"), "{}", stderr(&live));
}

#[test]
fn create_admin_reads_the_password_from_stdin_and_creates_or_promotes() {
    let db = TestDb::new();
    let created = run_with_stdin(
        &db,
        &["create-admin", "--email", "Boss@Example.com"],
        "violet tractor moonlight\n",
    );
    assert!(created.status.success(), "{}", stderr(&created));
    assert!(String::from_utf8_lossy(&created.stdout).contains("created the admin boss@example.com"));
    let boss = stored_user(&db, "boss@example.com").expect("created");
    assert_eq!(boss.role, shopfront::domain::account::Role::Admin);
    assert!(boss.is_verified());
    assert!(bcrypt::verify("violet tractor moonlight", &boss.password_hash).unwrap());

    let promoted = run_with_stdin(
        &db,
        &["create-admin", "--email=boss@example.com"],
        "amber lantern harbour\r\n",
    );
    assert!(promoted.status.success(), "{}", stderr(&promoted));
    assert!(String::from_utf8_lossy(&promoted.stdout).contains("promoted boss@example.com"));
    let boss = stored_user(&db, "boss@example.com").unwrap();
    assert!(
        bcrypt::verify("amber lantern harbour", &boss.password_hash).unwrap(),
        "the new password, without the line ending"
    );
    // Each run left an audit row, like any other role change.
    let audited: Vec<(Option<i32>, String, i32, String)> = {
        use diesel::prelude::*;
        use shopfront::schema::audit_log;
        audit_log::table
            .select((
                audit_log::admin_id,
                audit_log::action,
                audit_log::entity_id,
                audit_log::note,
            ))
            .order(audit_log::id.asc())
            .load(&mut db.conn())
            .unwrap()
    };
    let expected = (
        Some(boss.id),
        "user.create_admin".to_string(),
        boss.id,
        "create-admin on the command line".to_string(),
    );
    assert_eq!(audited, [expected.clone(), expected]);
}

#[test]
fn create_admin_refuses_bad_input_with_exit_code_2() {
    let db = TestDb::new();
    for (args, stdin, says) in [
        (
            vec!["create-admin"],
            "violet tractor moonlight\n",
            "--email",
        ),
        (
            vec!["create-admin", "--email", "not-an-address"],
            "violet tractor moonlight\n",
            "--email",
        ),
        (
            vec!["create-admin", "--email", "boss@example.com"],
            "short\n",
            "password",
        ),
        (
            vec!["create-admin", "--email", "boss@example.com"],
            "",
            "password",
        ),
    ] {
        let output = run_with_stdin(&db, &args, stdin);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains(says),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    assert!(stored_user(&db, "boss@example.com").is_none());
}

#[test]
fn logs_name_logins_and_resets_but_never_a_password_token_or_cookie() {
    let db = TestDb::new();
    let log_path = db.data_dir().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let env = [
        ("RUST_LOG", "debug"),
        ("DEMO_DATA", "off"),
        ("BCRYPT_COST", "4"),
    ];
    let (server, client) = serve_logging(&db, &env, Stdio::from(log));
    let password = "violet tractor moonlight";
    client.submit(
        "/signup",
        "/signup",
        &[
            ("email", "ada@example.com"),
            ("password", password),
            ("password_confirm", password),
        ],
    );
    let mail_dir = db.data_dir().join("mail");
    let read_link = |path: &str| -> String {
        crate::support::eventually(&format!("a mail file with {path}"), || {
            std::fs::read_dir(&mail_dir).ok().and_then(|entries| {
                entries.filter_map(Result::ok).find_map(|e| {
                    let text = std::fs::read_to_string(e.path()).ok()?;
                    let start = text.find(path)?;
                    Some(text[start..].split_whitespace().next()?.to_string())
                })
            })
        })
    };
    let verify = read_link("/verify-email?token=");
    assert_eq!(client.get(&verify).status, 200);
    client.submit(
        "/login",
        "/login",
        &[
            ("email", "ada@example.com"),
            ("password", "a wrong password"),
        ],
    );
    client.submit(
        "/login",
        "/login",
        &[("email", "ada@example.com"), ("password", password)],
    );
    client.submit(
        "/password/forgot",
        "/password/forgot",
        &[("email", "ada@example.com")],
    );
    let reset = read_link("/password/reset?token=");
    let form = client.get(&reset);
    client.submit_on(
        &form,
        "/password/reset",
        &[
            ("password", "amber lantern harbour"),
            ("password_confirm", "amber lantern harbour"),
        ],
    );
    let cookies: Vec<String> = client.cookies().into_values().collect();
    drop(server);

    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(log.contains("logged in"), "logins are logged:\n{log}");
    assert!(log.contains("failed login"), "failures are logged");
    assert!(log.contains("password reset"), "resets are logged");
    for secret in [password, "a wrong password", "amber lantern harbour"] {
        assert!(!log.contains(secret), "a password reached the log");
    }
    for link in [&verify, &reset] {
        let token = link.split("token=").nth(1).unwrap();
        assert!(!log.contains(token), "a token reached the log");
    }
    for cookie in cookies {
        assert!(!log.contains(&cookie), "a cookie reached the log");
    }
}

#[test]
fn copy_to_moves_every_row_and_every_login_into_an_empty_database() {
    use crate::support::accounts::{insert_user, log_in};
    use crate::support::shop::{add_to_cart, check_out};
    use diesel::prelude::*;
    use shopfront::schema::products;

    // From SQLite, where a shop starts, to the engine under test (PostgreSQL in CI's second run).
    let source = TestDb::sqlite();
    let target = TestDb::new();
    let key = shopfront::config::random_hex(32);
    let env = [("BCRYPT_COST", "4"), ("SECRET_KEY", key.as_str())];
    let (mut server, first) = serve(&source, &env);
    insert_user(&mut source.conn(), "ada@example.com", Role::Customer, true);
    let mut customer = crate::support::Client::new(first.base());
    // A failed login and a sign-up leave rows in login_failures and throttle_events.
    let failed = customer.submit(
        "/login",
        "/login",
        &[
            ("email", "nobody@example.com"),
            ("password", "not the password at all"),
        ],
    );
    assert_eq!(failed.status, 400);
    let signed_up = crate::support::Client::new(first.base()).submit(
        "/signup",
        "/signup",
        &[
            ("email", "bob@example.com"),
            ("password", "amber lantern harbour"),
            ("password_confirm", "amber lantern harbour"),
        ],
    );
    assert_eq!(signed_up.status, 303);
    log_in(&customer, "ada@example.com");
    let product: i32 = products::table
        .filter(products::stock.gt(0))
        .select(products::id)
        .first(&mut source.conn())
        .unwrap();
    assert_eq!(add_to_cart(&customer, product, "1").status, 303);
    let order = check_out(&customer).location().expect("the order's page");
    server.signal(libc::SIGTERM);
    server.wait_for_exit(crate::support::DEADLINE);
    let copied = run(&source, &env, &["copy-to", &target.url()]);
    assert!(copied.status.success(), "{}", stderr(&copied));
    assert!(String::from_utf8_lossy(&copied.stdout).contains("copied"));
    // Row for row, column for column (typed: ids, timestamps, prices, hashes), the copy
    // holds what the source holds.
    let differences =
        shopfront::ops::copy_to::differences(&mut source.conn(), &mut target.conn()).unwrap();
    assert_eq!(differences, [], "{differences:?}");
    let counts = shopfront::ops::copy_to::row_counts(&mut source.conn()).unwrap();
    let rows_of = |name: &str| counts.iter().find(|(table, _)| *table == name).map(|c| c.1);
    for table in [
        "users",
        "products",
        "orders",
        "order_items",
        "sessions",
        "outbox",
        "login_failures",
        "throttle_events",
    ] {
        assert!(
            rows_of(table) > Some(0),
            "nothing in {table} to copy: {counts:?}"
        );
    }

    // The copy serves the same shop: the login goes on, the order is there, the category
    // counts and the search index were rebuilt.
    let (_copy, second) = serve(&target, &env);
    customer.set_base(second.base());
    assert_eq!(customer.get("/account").status, 200);
    assert_eq!(customer.get(&order).status, 200);
    // The password (its bcrypt hash) came over: a new login with it works on the copy.
    log_in(
        &crate::support::Client::new(second.base()),
        "ada@example.com",
    );
    let books = second.get("/products?category=books");
    assert!(books.text(".count").unwrap().contains("of 36 products"));
    let name: String = products::table
        .find(product)
        .select(products::name)
        .first(&mut source.conn())
        .unwrap();
    let word = name.split_whitespace().max_by_key(|w| w.len()).unwrap();
    assert!(!second
        .get(&format!("/products?q={word}"))
        .product_names()
        .is_empty());
    // New rows take new ids.
    assert_eq!(add_to_cart(&customer, product, "1").status, 303);
    let next = check_out(&customer).location().expect("a new order");
    assert_ne!(next, order);

    let again = run(&source, &env, &["copy-to", &target.url()]);
    assert_eq!(again.status.code(), Some(1), "{}", stderr(&again));
    assert!(stderr(&again).contains("not empty"));
}

#[test]
fn copy_to_carries_every_column_of_every_table_in_schema_rs() {
    // `diesel print-schema` output: `name (key) {` opens a table, `column -> Type,` lines follow.
    let schema = include_str!("../../src/schema.rs");
    let mut tables: Vec<(String, Vec<String>)> = Vec::new();
    let mut inside = false;
    for line in schema.lines().map(str::trim) {
        if let Some((name, _key)) = line.strip_suffix(") {").and_then(|o| o.split_once(" (")) {
            tables.push((name.to_string(), Vec::new()));
            inside = true;
        } else if line == "}" {
            inside = false;
        } else if let Some((column, _type)) = line.split_once(" -> ").filter(|_| inside) {
            tables
                .last_mut()
                .expect("a column inside a table")
                .1
                .push(column.to_string());
        }
    }
    assert!(tables.len() >= 17, "{tables:?}");
    let copied = shopfront::ops::copy_to::copied_columns();
    for (table, columns) in &tables {
        if shopfront::ops::copy_to::DERIVED_TABLES.contains(&table.as_str()) {
            continue;
        }
        let carried = copied
            .iter()
            .find(|(name, _)| name == table)
            .unwrap_or_else(|| panic!("copy-to leaves out the table {table}"));
        let mut carried: Vec<&str> = carried.1.clone();
        let mut declared: Vec<&str> = columns.iter().map(String::as_str).collect();
        carried.sort_unstable();
        declared.sort_unstable();
        assert_eq!(
            carried, declared,
            "the columns of {table} that copy-to carries"
        );
    }
    for (name, _) in &copied {
        assert!(
            tables.iter().any(|(table, _)| table == name),
            "copy-to copies {name}, which schema.rs does not declare"
        );
    }
}
