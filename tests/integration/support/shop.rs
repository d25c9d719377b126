//! Shopping for tests: add to the cart through the product page, check out through the
//! checkout form, read what the database holds.

use diesel::prelude::*;
use shopfront::db::DbConn;
use shopfront::schema::{order_items, orders, products};

use super::client::Page;
use super::{Client, TestApp};

/// A shipping address that passes every check.
pub const ADDRESS: [(&str, &str); 5] = [
    ("name", "Ada Lovelace"),
    ("address_line1", "12 St James's Square"),
    ("postcode", "SW1Y 4JH"),
    ("city", "London"),
    ("country", "GB"),
];

/// Adds `quantity` of `product_id` through the product page's form.
pub fn add_to_cart(client: &Client, product_id: i32, quantity: &str) -> Page {
    client.submit(
        &format!("/products/{product_id}"),
        "/cart/items",
        &[("quantity", quantity)],
    )
}

/// Sets a cart line's quantity through the cart page's form.
pub fn set_quantity(client: &Client, product_id: i32, quantity: &str) -> Page {
    client.submit(
        "/cart",
        &format!("/cart/items/{product_id}"),
        &[("quantity", quantity)],
    )
}

/// Opens the checkout page and places the order with [`ADDRESS`].
pub fn check_out(client: &Client) -> Page {
    let page = client.get("/checkout");
    assert_eq!(page.status, 200, "the checkout page: {}", page.body);
    client.submit_on(&page, "/checkout", &ADDRESS)
}

/// Places every buyer's order from their checkout page at the same moment (behind a
/// barrier); returns each answer's status and body, in the buyers' order.
pub fn check_out_at_once(ready: &[(Client, Page)]) -> Vec<(u16, String)> {
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(ready.len()));
    std::thread::scope(|scope| {
        let handles: Vec<_> = ready
            .iter()
            .map(|(client, page)| {
                let barrier = std::sync::Arc::clone(&barrier);
                scope.spawn(move || {
                    barrier.wait();
                    let response = client.submit_on(page, "/checkout", &ADDRESS);
                    (response.status, response.body)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Items on hand of a product.
pub fn stock_of(conn: &mut DbConn, product_id: i32) -> i32 {
    products::table
        .find(product_id)
        .select(products::stock)
        .first(conn)
        .expect("read the stock")
}

/// How many products exist, archived ones included.
pub fn product_count(conn: &mut DbConn) -> i64 {
    products::table
        .count()
        .get_result(conn)
        .expect("count the products")
}

/// The ids of every order, lowest first.
pub fn order_ids(conn: &mut DbConn) -> Vec<i32> {
    orders::table
        .select(orders::id)
        .order(orders::id.asc())
        .load(conn)
        .expect("read the orders")
}

/// Units of a product in all orders together.
pub fn units_sold(conn: &mut DbConn, product_id: i32) -> i64 {
    let quantities: Vec<i32> = order_items::table
        .filter(order_items::product_id.eq(product_id))
        .select(order_items::quantity)
        .load(conn)
        .expect("read the order lines");
    quantities.into_iter().map(i64::from).sum()
}

/// Orders that have no lines (there must never be any).
pub fn orders_without_items(conn: &mut DbConn) -> i64 {
    orders::table
        .filter(diesel::dsl::not(diesel::dsl::exists(
            order_items::table.filter(order_items::order_id.eq(orders::id)),
        )))
        .count()
        .get_result(conn)
        .expect("count orders without lines")
}

impl TestApp {
    /// Items on hand of a product.
    pub fn stock_of(&self, product_id: i32) -> i32 {
        self.db(|conn| stock_of(conn, product_id))
    }

    /// How many orders exist.
    pub fn order_count(&self) -> i64 {
        self.db(|conn| orders::table.count().get_result(conn))
            .unwrap()
    }

    /// Orders that have no lines (there must never be any).
    pub fn orders_without_items(&self) -> i64 {
        self.db(orders_without_items)
    }
}
