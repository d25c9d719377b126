//! Operating the real binary: a graceful stop and a crash in the middle of a burst of
//! checkouts, and two instances serving one shop from one database.

use std::process::Stdio;
use std::sync::{mpsc, Mutex};

use diesel::prelude::*;
use shopfront::db::DbConn;
use shopfront::domain::account::Role;
use shopfront::schema::{outbox, products};

use crate::admin::{new_product, PNG};
use crate::support::accounts::{insert_user, log_in, PASSWORD};
use crate::support::fixtures::{insert_category, insert_product, ProductSpec};
use crate::support::process::{run, serve, serve_logging, start, stderr, wait_until_serving};
use crate::support::shop::{order_ids, orders_without_items, stock_of, units_sold, ADDRESS};
use crate::support::{eventually, DEADLINE};
use crate::support::{Client, TestDb};

/// Enough stock that a burst never runs out.
const STOCK: i32 = 100_000;
/// Buyers checking out at once in a burst.
const BUYERS: usize = 8;
/// Orders acknowledged before the server is interrupted.
const ORDERS_BEFORE_INTERRUPT: usize = 12;

/// Each buyer places many orders, left unpaid: the cap on unpaid orders is lifted.
const SERVER_ENV: [(&str, &str); 3] = [
    ("DEMO_DATA", "off"),
    ("BCRYPT_COST", "4"),
    ("MAX_UNPAID_ORDERS", "1000"),
];

/// Why a buyer stopped buying.
enum Stopped {
    /// A request got no response: the server is stopping or gone.
    NoResponse,
    /// A response no buyer should ever get.
    Unexpected(String),
}

fn expect(
    page: Result<crate::support::client::Page, String>,
    status: u16,
    what: &str,
) -> Result<crate::support::client::Page, Stopped> {
    let page = page.map_err(|_| Stopped::NoResponse)?;
    if page.status == status {
        Ok(page)
    } else {
        Err(Stopped::Unexpected(format!(
            "{what}: {} instead of {status}: {}",
            page.status, page.body
        )))
    }
}

/// Adds one of `product_id` to the cart and checks out, as a browser does; the id of the
/// order the shop acknowledged.
fn buy_one(client: &Client, product_id: i32) -> Result<i32, Stopped> {
    let page = expect(
        client.try_get(&format!("/products/{product_id}")),
        200,
        "product page",
    )?;
    expect(
        client.try_submit_on(&page, "/cart/items", &[("quantity", "1")]),
        303,
        "add to cart",
    )?;
    let checkout = expect(client.try_get("/checkout"), 200, "checkout page")?;
    let placed = expect(
        client.try_submit_on(&checkout, "/checkout", &ADDRESS),
        303,
        "place the order",
    )?;
    placed
        .location()
        .and_then(|to| to.strip_prefix("/orders/")?.parse().ok())
        .ok_or_else(|| Stopped::Unexpected(format!("placed, but sent to {:?}", placed.location())))
}

/// A shop ready for a burst: one product with [`STOCK`] items, [`BUYERS`] verified accounts.
struct Prepared {
    product: i32,
    buyers: Vec<String>,
}

fn prepare(db: &TestDb) -> Prepared {
    let migrated = run(db, &[], &["migrate"]);
    assert!(migrated.status.success(), "{}", stderr(&migrated));
    let mut conn = db.conn();
    let category = insert_category(&mut conn, "tools", "Tools");
    let product = insert_product(
        &mut conn,
        ProductSpec {
            category_id: category,
            name: "Claw hammer",
            stock: STOCK,
            ..ProductSpec::default()
        },
    );
    let buyers = (0..BUYERS)
        .map(|i| {
            let email = format!("buyer{i}@example.com");
            insert_user(&mut conn, &email, Role::Customer, true);
            email
        })
        .collect();
    Prepared { product, buyers }
}

/// Logged-in clients of the server at `base`, one per buyer.
fn buyers_on(base: &str, prepared: &Prepared) -> Vec<Client> {
    prepared
        .buyers
        .iter()
        .map(|email| {
            let client = Client::new(base);
            log_in(&client, email);
            client
        })
        .collect()
}

/// Every buyer buys again and again until the server stops answering; `interrupt` runs once
/// [`ORDERS_BEFORE_INTERRUPT`] orders are acknowledged. Returns the acknowledged order ids.
fn burst(clients: &[Client], product: i32, interrupt: impl FnOnce()) -> Vec<i32> {
    let unexpected = Mutex::new(Vec::new());
    let (acknowledge, acknowledged) = mpsc::channel();
    let ids = std::thread::scope(|scope| {
        for client in clients {
            let acknowledge = acknowledge.clone();
            let unexpected = &unexpected;
            scope.spawn(move || loop {
                match buy_one(client, product) {
                    Ok(id) => {
                        if acknowledge.send(id).is_err() {
                            return;
                        }
                    }
                    Err(Stopped::NoResponse) => return,
                    Err(Stopped::Unexpected(what)) => {
                        unexpected.lock().unwrap().push(what);
                        return;
                    }
                }
            });
        }
        drop(acknowledge);
        let mut ids = Vec::new();
        let mut interrupt = Some(interrupt);
        for id in acknowledged.iter() {
            ids.push(id);
            if ids.len() == ORDERS_BEFORE_INTERRUPT {
                interrupt.take().expect("interrupts once")();
            }
        }
        ids
    });
    let unexpected = unexpected.into_inner().unwrap();
    assert!(unexpected.is_empty(), "{unexpected:#?}");
    assert!(
        ids.len() >= ORDERS_BEFORE_INTERRUPT,
        "the burst ended before the interruption: {ids:?}"
    );
    ids
}

/// Every item is either on hand or in an order, and every order has lines.
fn assert_stock_adds_up(conn: &mut DbConn, product: i32) {
    let remaining = stock_of(conn, product);
    let sold = units_sold(conn, product);
    assert_eq!(
        i64::from(remaining) + sold,
        i64::from(STOCK),
        "{remaining} on hand + {sold} sold"
    );
    assert_eq!(orders_without_items(conn), 0);
}

/// Stops a server with `signal` in the middle of a burst of checkouts, twice over: a
/// request cut off shows as an order nobody was told about, but only if one was in flight.
fn graceful_stop_during_a_burst(signal: libc::c_int) {
    let db = TestDb::new();
    let prepared = prepare(&db);
    let mut acknowledged = Vec::new();
    let mut clients: Vec<Client> = Vec::new();
    for _round in 0..2 {
        let (mut server, client) = serve(&db, &SERVER_ENV);
        if clients.is_empty() {
            clients = buyers_on(client.base(), &prepared);
        }
        for buyer in &mut clients {
            buyer.set_base(client.base());
        }
        acknowledged.extend(burst(&clients, prepared.product, || server.signal(signal)));
        let status = server.wait_for_exit(DEADLINE);
        assert_eq!(status.code(), Some(0), "{status:?}");
    }

    let mut conn = db.conn();
    let mut told = acknowledged.clone();
    told.sort_unstable();
    assert_eq!(
        order_ids(&mut conn),
        told,
        "the orders are exactly those the buyers were told about"
    );
    assert_stock_adds_up(&mut conn, prepared.product);

    // The worker finished the mail it held: a mail written out is a mail recorded as sent.
    let mails: Vec<(i32, Option<chrono::NaiveDateTime>)> = outbox::table
        .select((outbox::id, outbox::sent_at))
        .load(&mut conn)
        .unwrap();
    assert!(!mails.is_empty());
    for (id, sent_at) in mails {
        let file = db.data_dir().join("mail").join(format!("mail-{id:08}.eml"));
        assert_eq!(
            file.exists(),
            sent_at.is_some(),
            "mail {id}: written {}, recorded as sent {}",
            file.exists(),
            sent_at.is_some()
        );
    }
}

#[test]
fn sigterm_during_checkouts_finishes_them_and_exits_0() {
    graceful_stop_during_a_burst(libc::SIGTERM);
}

#[test]
fn ctrl_c_during_checkouts_finishes_them_and_exits_0() {
    graceful_stop_during_a_burst(libc::SIGINT);
}

#[test]
fn kill_9_during_checkouts_loses_no_acknowledged_order() {
    let db = TestDb::new();
    let prepared = prepare(&db);
    let (mut server, client) = serve(&db, &SERVER_ENV);
    let mut clients = buyers_on(client.base(), &prepared);

    let acknowledged = burst(&clients, prepared.product, || server.signal(libc::SIGKILL));
    let status = server.wait_for_exit(DEADLINE);
    assert_eq!(status.code(), None, "killed by a signal: {status:?}");

    let log_path = db.data_dir().join("restart.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let (_restarted, client) = serve_logging(&db, &SERVER_ENV, Stdio::from(log));
    let mut conn = db.conn();
    let orders = order_ids(&mut conn);
    for id in &acknowledged {
        assert!(orders.contains(id), "acknowledged order {id} is gone");
    }
    assert_stock_adds_up(&mut conn, prepared.product);

    // The shop goes on where it stopped: the same logins, a new order.
    let buyer = &mut clients[0];
    buyer.set_base(client.base());
    let carried_over = units_sold(&mut conn, prepared.product);
    let id = buy_one(buyer, prepared.product).unwrap_or_else(|stopped| match stopped {
        Stopped::NoResponse => panic!("no response after the restart"),
        Stopped::Unexpected(what) => panic!("{what}"),
    });
    assert!(!orders.contains(&id));
    // Its cart may still have held what it added just before the kill.
    assert!(units_sold(&mut conn, prepared.product) > carried_over);
    assert_stock_adds_up(&mut conn, prepared.product);
    let log = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        !log.contains("ERROR") && !log.contains("panicked"),
        "the restart logged trouble:\n{log}"
    );
}

/// One browser that sends each request to the next of several instances in turn, as a load
/// balancer without sticky sessions would.
struct RoundRobin {
    client: Client,
    bases: Vec<String>,
    turn: usize,
}

impl RoundRobin {
    fn new(bases: &[&str]) -> RoundRobin {
        RoundRobin {
            client: Client::new(bases[0]),
            bases: bases.iter().map(|b| b.to_string()).collect(),
            turn: 0,
        }
    }

    /// The client, pointed at the next instance.
    fn next(&mut self) -> &Client {
        self.client
            .set_base(&self.bases[self.turn % self.bases.len()]);
        self.turn += 1;
        &self.client
    }
}

/// The path and query of the first link to `path` in a mail file under any of `dirs`,
/// waiting for the mail worker to write it.
fn mailed_link(dirs: &[&std::path::Path], path: &str) -> String {
    eventually(&format!("a mail file with {path}"), || {
        dirs.iter().find_map(|dir| {
            std::fs::read_dir(dir).ok()?.flatten().find_map(|entry| {
                let text = std::fs::read_to_string(entry.path()).ok()?;
                let start = text.find(path)?;
                Some(text[start..].split_whitespace().next()?.to_string())
            })
        })
    })
}

/// The outbox ids of the mail files in `dir`.
fn mail_file_ids(dir: &std::path::Path) -> Vec<i32> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter_map(|name| {
            name.strip_prefix("mail-")?
                .strip_suffix(".eml")?
                .parse()
                .ok()
        })
        .collect()
}

#[test]
fn two_instances_serve_one_shop_and_sell_the_last_items_once() {
    let db = TestDb::new();
    let key = shopfront::config::random_hex(32);
    let dir = db.data_dir();
    let (mail_a, mail_b) = (dir.join("mail-a"), dir.join("mail-b"));
    let (log_a, log_b) = (dir.join("a.log"), dir.join("b.log"));
    let instance = |mail: &std::path::Path, log: &std::path::Path| {
        let env = [
            ("BCRYPT_COST", "4"),
            ("SECRET_KEY", key.as_str()),
            ("MAIL_DIR", mail.to_str().unwrap()),
            ("RUST_LOG", "warn,shopfront::mail=info"),
        ];
        start(&db, &env, Stdio::from(std::fs::File::create(log).unwrap()))
    };
    // Both start at once on the empty database: it is migrated and filled with the demo
    // catalogue once.
    let (mut server_a, bind_a) = instance(&mail_a, &log_a);
    let (mut server_b, bind_b) = instance(&mail_b, &log_b);
    let (a, b) = (wait_until_serving(&bind_a), wait_until_serving(&bind_b));
    let mut conn = db.conn();
    let names: Vec<String> = products::table
        .select(products::name)
        .load(&mut conn)
        .unwrap();
    let mut distinct = names.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert!(!names.is_empty());
    assert_eq!(
        names.len(),
        distinct.len(),
        "the demo catalogue loaded twice"
    );

    // A shopper whose every request goes to the other instance than the last.
    let mut shopper = RoundRobin::new(&[a.base(), b.base()]);
    let email = "ada@example.com";
    let form = shopper.next().get("/signup");
    let fields = [
        ("email", email),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ];
    assert_eq!(
        shopper.next().submit_on(&form, "/signup", &fields).status,
        303
    );
    let verify = mailed_link(&[&mail_a, &mail_b], "/verify-email?token=");
    assert_eq!(shopper.next().get(&verify).status, 200);
    let form = shopper.next().get("/login");
    let login = [("email", email), ("password", PASSWORD)];
    assert_eq!(
        shopper.next().submit_on(&form, "/login", &login).status,
        303
    );
    let (product, name): (i32, String) = products::table
        .filter(products::stock.ge(2))
        .order(products::id.asc())
        .select((products::id, products::name))
        .first(&mut conn)
        .unwrap();
    let page = shopper.next().get(&format!("/products/{product}"));
    let added = shopper
        .next()
        .submit_on(&page, "/cart/items", &[("quantity", "2")]);
    assert_eq!(added.status, 303);
    assert!(shopper.next().get("/cart").visible_text().contains(&name));
    let checkout = shopper.next().get("/checkout");
    assert_eq!(checkout.status, 200, "{}", checkout.body);
    let placed = shopper.next().submit_on(&checkout, "/checkout", &ADDRESS);
    assert_eq!(placed.status, 303, "{}", placed.body);
    let order = shopper.next().get(&placed.location().unwrap());
    assert_eq!(order.status, 200);
    assert!(order.visible_text().contains(&name));

    // Twenty buyers, half on each instance, each with one of the last five in the cart,
    // check out at the same moment.
    let category = insert_category(&mut conn, "last-ones", "Last ones");
    let last = insert_product(
        &mut conn,
        ProductSpec {
            category_id: category,
            name: "Last five lamps",
            stock: 5,
            ..ProductSpec::default()
        },
    );
    let bases = [a.base(), b.base()];
    let buyers: Vec<(Client, crate::support::client::Page)> = (0..20)
        .map(|i| {
            let email = format!("racer{i}@example.com");
            insert_user(&mut conn, &email, Role::Customer, true);
            let mut client = Client::new(bases[i % 2]);
            log_in(&client, &email);
            client.set_base(bases[(i + 1) % 2]);
            let page = client.get(&format!("/products/{last}"));
            assert_eq!(
                client
                    .submit_on(&page, "/cart/items", &[("quantity", "1")])
                    .status,
                303
            );
            client.set_base(bases[i % 2]);
            let checkout = client.get("/checkout");
            assert_eq!(checkout.status, 200);
            (client, checkout)
        })
        .collect();
    let start_line = std::sync::Barrier::new(buyers.len());
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let racing: Vec<_> = buyers
            .iter()
            .map(|(client, checkout)| {
                let start_line = &start_line;
                scope.spawn(move || {
                    start_line.wait();
                    client.submit_on(checkout, "/checkout", &ADDRESS).status
                })
            })
            .collect();
        racing.into_iter().map(|r| r.join().unwrap()).collect()
    });
    let won = statuses.iter().filter(|s| **s == 303).count();
    let lost = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((won, lost), (5, 15), "{statuses:?}");
    assert_eq!(units_sold(&mut conn, last), 5);
    assert_eq!(stock_of(&mut conn, last), 0);
    assert_eq!(orders_without_items(&mut conn), 0);

    // An image uploaded through one instance is served by the other.
    insert_user(&mut conn, "boss@example.com", Role::Admin, true);
    let admin = Client::new(a.base());
    log_in(&admin, "boss@example.com");
    let category = category.to_string();
    let fields = [
        ("name", "Lamp with a picture"),
        ("description", "Brass, shown."),
        ("price", "12.50"),
        ("stock", "3"),
        ("category_id", category.as_str()),
    ];
    let created = new_product(&admin, &fields, &[("image", "lamp.png", "image/png", PNG)]);
    assert_eq!(created.status, 303, "{}", created.body);
    let image = admin
        .follow(created)
        .attrs(".photo-list img", "src")
        .remove(0);
    assert_eq!(b.get(&image).status, 200);

    // A settings change made through one instance shows on the other within 5 seconds.
    let settings = admin.get("/admin/settings");
    let mut values = settings.form_values("/admin/settings").unwrap();
    for (key, value) in values.iter_mut() {
        if key == "shop_name" {
            *value = "Lamps & Co".into();
        }
    }
    let values: Vec<(&str, &str)> = values
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let changed_at = std::time::Instant::now();
    assert_eq!(admin.post_form("/admin/settings", &values).status, 303);
    eventually("the other instance to show the new shop name", || {
        let home = b.get("/");
        home.visible_text().contains("Lamps & Co").then_some(())
    });
    assert!(
        changed_at.elapsed() < std::time::Duration::from_secs(5),
        "the new name took {:?} to reach the other instance",
        changed_at.elapsed()
    );

    // Every queued mail goes out once, from one instance or the other.
    eventually("every queued mail to be sent", || {
        let queued: i64 = outbox::table
            .filter(outbox::sent_at.is_null())
            .count()
            .get_result(&mut conn)
            .unwrap();
        (queued == 0).then_some(())
    });
    for server in [&mut server_a, &mut server_b] {
        server.signal(libc::SIGTERM);
        assert_eq!(server.wait_for_exit(DEADLINE).code(), Some(0));
    }
    let mut queued: Vec<i32> = outbox::table.select(outbox::id).load(&mut conn).unwrap();
    queued.sort_unstable();
    assert_eq!(
        queued.len(),
        1 + 1 + 5,
        "verify, the shopper's order, five won races"
    );
    let mut written: Vec<i32> = mail_file_ids(&mail_a);
    written.extend(mail_file_ids(&mail_b));
    written.sort_unstable();
    assert_eq!(written, queued, "each mail written by exactly one instance");
    let logs = std::fs::read_to_string(&log_a).unwrap() + &std::fs::read_to_string(&log_b).unwrap();
    for id in queued {
        let deliveries = logs.matches(&format!("mail {id} delivered")).count();
        assert_eq!(deliveries, 1, "mail {id} delivered {deliveries} times");
    }
}

#[test]
fn rotating_the_secret_key_with_the_previous_one_kept_logs_nobody_out() {
    let db = TestDb::new();
    let (old_key, new_key) = (
        shopfront::config::random_hex(32),
        shopfront::config::random_hex(32),
    );
    let with_keys = |keys: &[(&'static str, &str)]| {
        let mut env = SERVER_ENV.to_vec();
        env.extend_from_slice(keys);
        serve(&db, &env)
    };
    let stop = |mut server: crate::support::process::Running| {
        server.signal(libc::SIGTERM);
        assert_eq!(server.wait_for_exit(DEADLINE).code(), Some(0));
    };

    let (server, first) = with_keys(&[("SECRET_KEY", &old_key)]);
    insert_user(&mut db.conn(), "ada@example.com", Role::Customer, true);
    let mut customer = Client::new(first.base());
    log_in(&customer, "ada@example.com");
    // A visitor who has only browsed: the CSRF token is in a signed cookie, not a session.
    let mut visitor = Client::new(first.base());
    let login_form = visitor.get("/login");
    let signed_with_old_key = customer.cookies();
    stop(server);

    let (server, rotated) =
        with_keys(&[("SECRET_KEY", &new_key), ("SECRET_KEY_PREVIOUS", &old_key)]);
    customer.set_base(rotated.base());
    assert_eq!(customer.get("/account").status, 200, "still logged in");
    assert_ne!(
        customer.cookies(),
        signed_with_old_key,
        "handed a re-signed cookie"
    );
    visitor.set_base(rotated.base());
    let wrong = [
        ("email", "ada@example.com"),
        ("password", "not the password"),
    ];
    let refused = visitor.submit_on(&login_form, "/login", &wrong);
    assert_eq!(
        refused.status, 400,
        "the form's token still counts: {}",
        refused.body
    );
    stop(server);

    // Once the previous key is dropped, the re-signed cookie is the one that works.
    let (_server, later) = with_keys(&[("SECRET_KEY", &new_key)]);
    customer.set_base(later.base());
    assert_eq!(customer.get("/account").status, 200);
    let kept_old_cookie = Client::new(later.base());
    kept_old_cookie.set_cookies(signed_with_old_key);
    let account = kept_old_cookie.get("/account");
    assert_eq!(
        account.status, 303,
        "a cookie of a key no longer kept counts for nothing"
    );
}

/// The pool does not ping PostgreSQL on every check-out; a connection the server cut costs at
/// most one request a 503 (never a 500) and is then replaced, so the shop heals without a restart.
/// SQLite has no server to lose its connection to: this runs where `TEST_DATABASE_URL` is set.
#[test]
fn a_connection_the_server_cut_is_replaced_after_one_refused_request() {
    if crate::support::postgres_url().is_none() {
        return;
    }
    let app = crate::support::TestApp::spawn_with(&[("DB_POOL_SIZE", "1")]);
    let client = app.client();
    assert_eq!(client.get("/products").status, 200);

    let db = app.state.config.database_url.clone();
    let mut admin = diesel::PgConnection::establish(&db).expect("a connection of the test's own");
    let cut: Vec<bool> = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
        "pg_terminate_backend(pid, 5000) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    ))
    .load(&mut admin)
    .expect("terminate the shop's connections");
    assert_eq!(cut, vec![true], "the pool's one connection was cut");

    // The mail worker may be the one whose statement finds the connection cut.
    let statuses: Vec<u16> = (0..4).map(|_| client.get("/products").status).collect();
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert!(statuses[1..].iter().all(|s| *s == 200), "{statuses:?}");
}
