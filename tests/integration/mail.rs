//! The mail outbox: files in MAIL_DIR, SMTP, retries, and one delivery per mail however many
//! workers race for it.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;

use chrono::TimeDelta;
use diesel::prelude::*;
use shopfront::config::Config;
use shopfront::mail::{self, Mailer};
use shopfront::models::now;
use shopfront::models::outbox::{self, NewMail};
use shopfront::schema::outbox as outbox_table;

use crate::support::accounts::PASSWORD;
use crate::support::{eventually, TestApp, TestDb};

/// Waits (briefly polling) until `ready` holds; the worker runs on its own schedule.
fn eml_files(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    files.sort();
    files
}

#[test]
fn the_worker_writes_each_mail_as_an_eml_file() {
    let app = TestApp::spawn();
    let client = app.client();
    client.submit(
        "/signup",
        "/signup",
        &[
            ("email", "ada@example.com"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    );
    let mail_dir = app.data_dir().join("mail");
    let file = eventually("the .eml file", || eml_files(&mail_dir).into_iter().next());
    let text = std::fs::read_to_string(&file).unwrap();
    let (headers, body) = text
        .split_once("\r\n\r\n")
        .expect("headers, a blank line, the body");
    for header in [
        "From: ",
        "To: ada@example.com",
        "Subject: Confirm your e-mail address",
        "Date: ",
        "Message-ID: <outbox.",
    ] {
        assert!(
            headers.lines().any(|l| l.starts_with(header)),
            "{header} in:\n{headers}"
        );
    }
    assert!(body.contains("/verify-email?token="), "{body}");
    eventually("marked sent", || {
        app.mails_to("ada@example.com")[0].sent_at.map(|_| ())
    });
    assert_eq!(app.mails_to("ada@example.com").len(), 1);
    assert!(!mail_dir.read_dir().unwrap().any(|e| e
        .unwrap()
        .file_name()
        .to_string_lossy()
        .ends_with(".partial")));
}

fn mailer_config(app: &TestApp, mail_dir: &Path, smtp: Option<&str>) -> Config {
    let data_dir = app.data_dir().to_string_lossy().into_owned();
    let mail_dir = mail_dir.to_string_lossy().into_owned();
    let mut config = Config::from_lookup(|name| match name {
        "DATA_DIR" => Some(data_dir.clone()),
        "MAIL_DIR" => Some(mail_dir.clone()),
        "SMTP_URL" => smtp.map(str::to_string),
        "SECRET_KEY" => Some("k".repeat(64)),
        _ => None,
    })
    .unwrap();
    config.prepare().unwrap();
    config
}

fn queue_mails(app: &TestApp, n: usize) {
    app.db(|conn| {
        for i in 0..n {
            let mail = NewMail {
                recipient: format!("reader{i}@example.com"),
                subject: format!("Mail {i}"),
                body: "Hello.".to_string(),
            };
            outbox::enqueue(conn, &mail, now()).unwrap();
        }
    });
}

#[actix_web::test]
async fn racing_workers_deliver_each_mail_exactly_once() {
    let app = TestApp::spawn();
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    // Three more workers with pools of their own, as other instances would have.
    let workers: Vec<(shopfront::db::DbPool, Arc<Mailer>)> = dirs
        .iter()
        .map(|dir| {
            let mut config = mailer_config(&app, dir.path(), None);
            config.database_url = app.state.config.database_url.clone();
            config.engine = app.state.config.engine;
            let pool = shopfront::db::connect(&config).unwrap();
            (pool, Arc::new(Mailer::from_config(&config).unwrap()))
        })
        .collect();
    queue_mails(&app, 40);
    app.state.wake_mailer();
    let results = futures_util::future::join_all(
        workers
            .iter()
            .map(|(pool, mailer)| mail::deliver_due(pool, mailer)),
    )
    .await;
    for result in results {
        result.expect("a worker ran");
    }
    let all_sent = || {
        let mails = app.db(outbox::all).unwrap();
        mails.iter().all(|m| m.sent_at.is_some()).then_some(mails)
    };
    let mails = eventually("every mail sent", all_sent);
    assert_eq!(mails.len(), 40);
    assert!(
        mails.iter().all(|m| m.attempts == 1),
        "no mail was delivered twice"
    );
    let mut files: Vec<String> = dirs
        .iter()
        .map(|d| d.path().to_path_buf())
        .chain(std::iter::once(app.data_dir().join("mail")))
        .flat_map(|d| eml_files(&d))
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let total = files.len();
    files.sort();
    files.dedup();
    assert_eq!(
        (total, files.len()),
        (40, 40),
        "each mail in exactly one place"
    );
}

/// A tiny SMTP server: accepts every mail and reports each message's DATA.
fn smtp_sink() -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let tx = tx.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let _ = stream.write_all(b"220 sink ESMTP\r\n");
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap_or(0) > 0 {
                    let command = line.trim_end().to_ascii_uppercase();
                    line.clear();
                    if command.starts_with("EHLO") || command.starts_with("HELO") {
                        let _ = stream.write_all(b"250 sink\r\n");
                    } else if command == "DATA" {
                        let _ = stream.write_all(b"354 go ahead\r\n");
                        let mut data = String::new();
                        loop {
                            let mut part = String::new();
                            if reader.read_line(&mut part).unwrap_or(0) == 0 || part == ".\r\n" {
                                break;
                            }
                            data.push_str(&part);
                        }
                        let _ = tx.send(data);
                        let _ = stream.write_all(b"250 queued\r\n");
                    } else if command == "QUIT" {
                        let _ = stream.write_all(b"221 bye\r\n");
                        return;
                    } else {
                        let _ = stream.write_all(b"250 ok\r\n");
                    }
                }
            });
        }
    });
    (port, rx)
}

#[test]
fn with_smtp_url_mail_goes_to_the_smtp_server() {
    let (port, received) = smtp_sink();
    let url = format!("smtp://127.0.0.1:{port}");
    let app = TestApp::spawn_with(&[("SMTP_URL", &url)]);
    app.client().submit(
        "/signup",
        "/signup",
        &[
            ("email", "ada@example.com"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    );
    let data = received
        .recv_timeout(crate::support::DEADLINE)
        .expect("the sink got a mail");
    assert!(
        data.contains("Subject: Confirm your e-mail address"),
        "{data}"
    );
    assert!(data.contains("To: ada@example.com"), "{data}");
    assert!(data.contains("/verify-email?token="), "{data}");
    eventually("marked sent", || {
        app.mails_to("ada@example.com")[0].sent_at.map(|_| ())
    });
    assert!(
        eml_files(&app.data_dir().join("mail")).is_empty(),
        "no files when SMTP is used"
    );
}

fn queue_one(conn: &mut shopfront::db::DbConn) {
    let mail = NewMail {
        recipient: "ada@example.com".into(),
        subject: "Hello".into(),
        body: "Hi.".into(),
    };
    outbox::enqueue(conn, &mail, now()).unwrap();
}

/// A migrated database with no server and no worker, so only the test delivers.
fn bare_database() -> (TestDb, Config, shopfront::db::DbPool) {
    let db = TestDb::new();
    let data_dir = db.data_dir().to_string_lossy().into_owned();
    let url = db.url();
    let mut config = Config::from_lookup(|name| match name {
        "DATA_DIR" => Some(data_dir.clone()),
        "DATABASE_URL" => Some(url.clone()),
        "SECRET_KEY" => Some("k".repeat(64)),
        _ => None,
    })
    .unwrap();
    config.prepare().unwrap();
    let pool = shopfront::db::connect(&config).unwrap();
    (db, config, pool)
}

#[actix_web::test]
async fn a_failed_delivery_is_kept_and_retried_later() {
    let (_db, config, pool) = bare_database();
    let mut conn = pool.get().unwrap();
    queue_one(&mut conn);
    drop(conn);

    // A port nobody listens on.
    let closed = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut down = config.clone();
    down.smtp_url = Config::from_lookup(|name| {
        (name == "SMTP_URL").then(|| format!("smtp://127.0.0.1:{closed}"))
    })
    .unwrap()
    .smtp_url;
    let down = Arc::new(Mailer::from_config(&down).unwrap());
    assert_eq!(mail::deliver_due(&pool, &down).await.unwrap(), 0);

    let mut conn = pool.get().unwrap();
    let kept = outbox::all(&mut conn).unwrap().remove(0);
    assert!(kept.sent_at.is_none(), "not lost, not marked sent");
    assert_eq!(kept.attempts, 1);
    assert!(kept.last_error.as_deref().is_some_and(|e| !e.is_empty()));
    let next: chrono::NaiveDateTime = outbox_table::table
        .select(outbox_table::next_attempt_at)
        .first(&mut conn)
        .unwrap();
    assert!(next > now() + TimeDelta::seconds(20), "backed off");
    // Not due yet: nothing happens.
    assert_eq!(mail::deliver_due(&pool, &down).await.unwrap(), 0);
    assert_eq!(outbox::all(&mut conn).unwrap()[0].attempts, 1);

    // Once due again, a working transport delivers it.
    diesel::update(outbox_table::table)
        .set(outbox_table::next_attempt_at.eq(now()))
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    let up = Arc::new(Mailer::from_config(&config).unwrap());
    assert_eq!(mail::deliver_due(&pool, &up).await.unwrap(), 1);
    let mut conn = pool.get().unwrap();
    let delivered = outbox::all(&mut conn).unwrap().remove(0);
    assert!(delivered.sent_at.is_some());
    assert_eq!(delivered.attempts, 2);
    assert_eq!(eml_files(&config.mail_dir).len(), 1);
}

#[actix_web::test]
async fn a_mail_claimed_by_an_instance_that_died_is_delivered_after_its_lease() {
    let (_db, config, pool) = bare_database();
    let mut conn = pool.get().unwrap();
    queue_one(&mut conn);
    // Another instance claims it, then dies before delivering.
    let claimed = outbox::claim_next(&mut conn, now(), TimeDelta::seconds(120)).unwrap();
    assert!(claimed.is_some());
    drop(conn);
    let mailer = Arc::new(Mailer::from_config(&config).unwrap());
    assert_eq!(
        mail::deliver_due(&pool, &mailer).await.unwrap(),
        0,
        "held while the lease runs"
    );
    // The lease runs out.
    let mut conn = pool.get().unwrap();
    diesel::update(outbox_table::table)
        .set(outbox_table::locked_until.eq(Some(now() - TimeDelta::seconds(1))))
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    assert_eq!(mail::deliver_due(&pool, &mailer).await.unwrap(), 1);
    assert_eq!(eml_files(&config.mail_dir).len(), 1);
}

#[actix_web::test]
async fn the_sweep_deletes_what_has_expired_and_keeps_the_rest() {
    use shopfront::domain::account::{Role, TokenPurpose};
    use shopfront::models::{email_token, login_failure, session};
    use shopfront::schema::{carts, email_tokens, login_failures, sessions, throttle_events};
    let (_db, _config, pool) = bare_database();
    let mut conn = pool.get().unwrap();
    let now = now();
    let ago = |days: i64| now - TimeDelta::days(days);
    session::insert(&mut conn, "expired", "{}", now - TimeDelta::seconds(1), now).unwrap();
    session::insert(&mut conn, "live", "{}", now + TimeDelta::days(1), now).unwrap();
    let user =
        crate::support::accounts::insert_user(&mut conn, "ada@example.com", Role::Customer, true);
    // Tokens are kept a week past their expiry (the page can still say "expired").
    email_token::insert(&mut conn, user, TokenPurpose::Reset, "old", ago(8)).unwrap();
    email_token::insert(&mut conn, user, TokenPurpose::Reset, "recent", ago(2)).unwrap();
    login_failure::record(&mut conn, "ada@example.com", None, ago(2)).unwrap();
    login_failure::record(&mut conn, "ada@example.com", None, now).unwrap();
    for (bucket, at) in [("mail:old", ago(2)), ("mail:new", now)] {
        diesel::insert_into(throttle_events::table)
            .values((
                throttle_events::bucket.eq(bucket),
                throttle_events::happened_at.eq(at),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    // Guest carts outlive their 30-day sessions by a day; users' carts stay.
    for (user_id, token, touched) in [
        (None, Some("stale"), ago(32)),
        (None, Some("fresh"), ago(1)),
        (Some(user), None, ago(400)),
    ] {
        diesel::insert_into(carts::table)
            .values((
                carts::user_id.eq(user_id),
                carts::token.eq(token),
                carts::created_at.eq(touched),
                carts::updated_at.eq(touched),
            ))
            .execute(&mut conn)
            .unwrap();
    }
    drop(conn);
    shopfront::housekeeping::sweep(&pool).await.unwrap();
    let mut conn = pool.get().unwrap();
    let keys: Vec<String> = sessions::table
        .select(sessions::key_hash)
        .load(&mut conn)
        .unwrap();
    assert_eq!(keys, ["live"]);
    let tokens: Vec<String> = email_tokens::table
        .select(email_tokens::token_hash)
        .load(&mut conn)
        .unwrap();
    assert_eq!(tokens, ["recent"]);
    let failures: i64 = login_failures::table.count().get_result(&mut conn).unwrap();
    assert_eq!(failures, 1, "the one within a day");
    let buckets: Vec<String> = throttle_events::table
        .select(throttle_events::bucket)
        .load(&mut conn)
        .unwrap();
    assert_eq!(buckets, ["mail:new"]);
    let mut kept: Vec<(Option<i32>, Option<String>)> = carts::table
        .select((carts::user_id, carts::token))
        .load(&mut conn)
        .unwrap();
    kept.sort();
    assert_eq!(
        kept,
        [(None, Some("fresh".to_string())), (Some(user), None)]
    );
}
