//! Micro-benchmarks of the work every cart and catalogue page does, so that a regression
//! shows in isolation: `cargo bench --bench hot_paths`.

use divan::{black_box, Bencher};
use shopfront::domain::{DiscountRule, Money};
use shopfront::models::product::ProductCard;
use shopfront::web::catalog::product_list_html;
use shopfront::web::page::PageContext;

fn main() {
    divan::main();
}

/// Totals of a cart of `lines` lines, the discount applying.
#[divan::bench(args = [1, 3, 20, 99])]
fn pricing_totals(bencher: Bencher, lines: usize) {
    let rule = DiscountRule {
        percent: 10,
        threshold: Money::from_cents(10_000),
    };
    let cart: Vec<(Money, i32)> = (0..lines)
        .map(|i| (Money::from_cents(199 + 37 * i as i64), 1 + (i % 5) as i32))
        .collect();
    bencher.bench_local(|| black_box(&rule).totals(black_box(&cart)));
}

/// A full page of the product list (24 cards, some reviewed, some with images and markup
/// in their names to escape), rendered to HTML.
#[divan::bench]
fn product_list_page(bencher: Bencher) {
    let cards: Vec<ProductCard> = (0..24)
        .map(|i| ProductCard {
            id: 1000 + i,
            name: format!("Durable oak lamp <{i}> & shade \"deluxe\""),
            price_cents: 1999 + i64::from(i) * 101,
            stock: i % 7,
            rating_sum: if i % 3 == 0 { 9 } else { 0 },
            rating_count: if i % 3 == 0 { 2 } else { 0 },
            image: (i % 2 == 0).then(|| format!("{i:032x}.jpg")),
            image_width: (i % 2 == 0).then_some(400),
            image_height: (i % 2 == 0).then_some(300),
        })
        .collect();
    bencher
        .with_inputs(|| (PageContext::bare(), cards.clone()))
        .bench_local_values(|(page, cards)| product_list_html(page, cards, 10_000));
}
