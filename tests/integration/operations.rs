//! Operating the real binary: a graceful stop and a crash in the middle of a burst of
//! checkouts, and two instances serving one shop from one database.

use std::process::Stdio;
use std::sync::{mpsc, Mutex};
use std::time::Duration;

use diesel::prelude::*;
use shopfront::db::DbConn;
use shopfront::domain::account::Role;
use shopfront::schema::outbox;

use crate::support::accounts::{insert_user, log_in};
use crate::support::fixtures::{insert_category, insert_product, ProductSpec};
use crate::support::process::{run, serve, serve_logging, stderr};
use crate::support::shop::{order_ids, orders_without_items, stock_of, units_sold, ADDRESS};
use crate::support::{Client, TestDb};

/// Enough stock that a burst never runs out.
const STOCK: i32 = 100_000;
/// Buyers checking out at once in a burst.
const BUYERS: usize = 8;
/// Orders acknowledged before the server is interrupted.
const ORDERS_BEFORE_INTERRUPT: usize = 12;

const SERVER_ENV: [(&str, &str); 2] = [("DEMO_DATA", "off"), ("BCRYPT_COST", "4")];

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
        let status = server.wait_for_exit(Duration::from_secs(30));
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
    let status = server.wait_for_exit(Duration::from_secs(30));
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
