//! Data for tests, written straight to the database through the app's models.

use chrono::TimeDelta;
use shopfront::db::DbConn;
use shopfront::domain::ProductStatus;
use shopfront::models::category::{self, NewCategory};
use shopfront::models::now;
use shopfront::models::product::{self, NewProduct};

use super::TestApp;

/// A product to create; `Default` gives a plain in-stock product.
pub struct ProductSpec<'a> {
    /// Category id (required).
    pub category_id: i32,
    /// Name.
    pub name: &'a str,
    /// Description.
    pub description: &'a str,
    /// Price in cents.
    pub price_cents: i64,
    /// Items on hand.
    pub stock: i32,
    /// Archived instead of on sale.
    pub archived: bool,
    /// Age, so lists can be ordered by "newest".
    pub minutes_old: i64,
    /// `standard`, `reduced` or `zero`.
    pub tax_class: &'a str,
}

impl Default for ProductSpec<'_> {
    fn default() -> Self {
        ProductSpec {
            tax_class: "standard",
            category_id: 0,
            name: "Plain product",
            description: "A plain product for tests.",
            price_cents: 1000,
            stock: 10,
            archived: false,
            minutes_old: 0,
        }
    }
}

/// Creates a category straight in the database and returns its id.
pub fn insert_category(conn: &mut DbConn, slug: &str, name: &str) -> i32 {
    let now = now();
    category::insert(
        conn,
        &NewCategory {
            slug,
            name,
            description: "",
            created_at: now,
            updated_at: now,
            parent_id: None,
        },
    )
    .expect("insert a category")
}

/// Creates a product straight in the database and returns its id.
pub fn insert_product(conn: &mut DbConn, spec: ProductSpec<'_>) -> i32 {
    assert!(spec.category_id > 0, "a product needs a category");
    let created = now() - TimeDelta::minutes(spec.minutes_old);
    product::insert(
        conn,
        &NewProduct {
            category_id: spec.category_id,
            name: spec.name,
            description: spec.description,
            price_cents: spec.price_cents,
            stock: spec.stock,
            status: if spec.archived {
                ProductStatus::Archived.as_str()
            } else {
                ProductStatus::Active.as_str()
            },
            image: None,
            tax_class: spec.tax_class,
            sku: None,

            created_at: created,
            updated_at: created,
        },
    )
    .expect("insert a product")
}

impl TestApp {
    /// Creates a category and returns its id.
    pub fn category(&self, slug: &str, name: &str) -> i32 {
        let id = self.db(|conn| insert_category(conn, slug, name));
        self.state.categories.invalidate();
        id
    }

    /// Creates a product and returns its id.
    pub fn product(&self, spec: ProductSpec<'_>) -> i32 {
        self.db(|conn| insert_product(conn, spec))
    }

    /// Creates a product on sale in a category of its own, and returns its id.
    pub fn product_on_sale(&self, name: &str, price_cents: i64, stock: i32) -> i32 {
        let category = self.category(&name.to_lowercase().replace(' ', "-"), name);
        self.product(ProductSpec {
            category_id: category,
            name,
            price_cents,
            stock,
            ..ProductSpec::default()
        })
    }

    /// Creates `n` products named `"{prefix} NN"` in `category_id`, the last one newest.
    pub fn products(&self, category_id: i32, prefix: &str, n: i64) -> Vec<i32> {
        (0..n)
            .map(|i| {
                let name = format!("{prefix} {:02}", i + 1);
                self.product(ProductSpec {
                    category_id,
                    name: &name,
                    price_cents: 100 + i * 10,
                    minutes_old: n - i,
                    ..ProductSpec::default()
                })
            })
            .collect()
    }
}
