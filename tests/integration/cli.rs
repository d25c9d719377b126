//! The `shopfront` command line, run as the real binary.

use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Client, TestDb};

fn shopfront(db: &TestDb, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shopfront"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DATA_DIR", db.data_dir())
        .env("DATABASE_URL", db.url())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    for (key, value) in env {
        command.env(key, value);
    }
    command
}

fn run(db: &TestDb, env: &[(&str, &str)], args: &[&str]) -> Output {
    shopfront(db, env, args).output().expect("run shopfront")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

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
fn an_unknown_command_is_refused_with_exit_code_2() {
    let db = TestDb::new();
    let output = run(&db, &[], &["frobnicate"]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown command"));
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

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `shopfront serve` and waits until /healthz answers.
fn serve(db: &TestDb, env: &[(&str, &str)]) -> (Running, Client) {
    let bind = format!("127.0.0.1:{}", free_port());
    let mut all_env = vec![("BIND", bind.as_str())];
    all_env.extend_from_slice(env);
    let child = shopfront(db, &all_env, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start");
    let running = Running(child);
    let client = Client::new(&format!("http://{bind}"));
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(&bind).is_ok() && client.get("/healthz").status == 200 {
            return (running, client);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("shopfront did not start on {bind}");
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
