//! Benchmark data: `shopfront seed-bench --products N` fills an empty database with N
//! believable products in 20 categories, some reviews, and two words of known frequency for
//! search benchmarks. Deterministic: the same N gives the same rows.
//!
//! Words are drawn from a fixed vocabulary with a Zipf-like spread (a few words are common,
//! most are rare), as in real catalogues. [`RARE_WORD`] is in the names of
//! [`RARE_PRODUCTS`] products whatever N, so a search for it finds the same number of results
//! in 10 thousand products as in a million; [`COMMON_WORD`] is in the description of every
//! third product.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::prelude::*;
use diesel::result::Error as DieselError;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};

use crate::db::{self, DbConn};
use crate::domain::account::Role;
use crate::models::category::{self, NewCategory};
use crate::models::user::{self, NewUser};
use crate::models::{image as image_rows, now, photo};
use crate::ops::demo::SeedError;
use crate::ops::{CommandError, CommandResult};
use crate::schema::{categories, products};
use crate::services::photos;

/// A word in the names of [`RARE_PRODUCTS`] products, spread evenly (product 5 among them).
pub const RARE_WORD: &str = "quokka";
/// How many products hold [`RARE_WORD`] (fewer when there are fewer than this many).
pub const RARE_PRODUCTS: u32 = 20;
/// A word in the description of every third product.
pub const COMMON_WORD: &str = "durable";
/// Products inserted per statement.
const BATCH: usize = 500;

const CATEGORIES: [&str; 20] = [
    "Kitchen",
    "Garden",
    "Outdoor",
    "Stationery",
    "Coffee & Tea",
    "Toys & Games",
    "Books",
    "Lighting",
    "Bath",
    "Bedroom",
    "Tools",
    "Pets",
    "Bikes",
    "Music",
    "Art Supplies",
    "Travel",
    "Baby",
    "Fitness",
    "Office",
    "Crafts",
];

/// Categories below Outdoor, each the parent of the next: a branch three levels deep, which
/// Outdoor's page lists whole.
const BRANCH: [&str; 3] = ["Camping", "Tents", "Ultralight Tents"];
/// Outdoor's place in [`CATEGORIES`].
const OUTDOOR: usize = 2;
/// The newest products get a photo each: a list page's worth.
pub const PHOTOGRAPHED: i64 = 24;

const ADJECTIVES: [&str; 40] = [
    "classic",
    "compact",
    "sturdy",
    "handmade",
    "vintage",
    "modern",
    "rustic",
    "elegant",
    "simple",
    "large",
    "small",
    "folding",
    "portable",
    "heavy",
    "light",
    "soft",
    "bright",
    "quiet",
    "slim",
    "deep",
    "round",
    "square",
    "tall",
    "wide",
    "natural",
    "warm",
    "cool",
    "smooth",
    "rough",
    "padded",
    "waxed",
    "woven",
    "polished",
    "brushed",
    "glazed",
    "painted",
    "oiled",
    "recycled",
    "organic",
    "traditional",
];

const MATERIALS: [&str; 24] = [
    "oak",
    "ash",
    "walnut",
    "bamboo",
    "steel",
    "brass",
    "copper",
    "cast-iron",
    "ceramic",
    "stoneware",
    "glass",
    "linen",
    "cotton",
    "wool",
    "leather",
    "canvas",
    "cork",
    "rattan",
    "marble",
    "slate",
    "felt",
    "silk",
    "hemp",
    "pewter",
];

const NOUNS: [&str; 60] = [
    "mug",
    "bowl",
    "plate",
    "kettle",
    "teapot",
    "lamp",
    "chair",
    "stool",
    "table",
    "shelf",
    "basket",
    "blanket",
    "pillow",
    "towel",
    "apron",
    "notebook",
    "pen",
    "pencil",
    "easel",
    "brush",
    "trowel",
    "planter",
    "watering can",
    "rake",
    "hammock",
    "tent",
    "lantern",
    "backpack",
    "bottle",
    "flask",
    "grinder",
    "dripper",
    "knife",
    "board",
    "skillet",
    "saucepan",
    "jar",
    "vase",
    "clock",
    "mirror",
    "rug",
    "throw",
    "puzzle",
    "kite",
    "drum",
    "ukulele",
    "harmonica",
    "journal",
    "satchel",
    "wallet",
    "belt",
    "scarf",
    "glove",
    "candle",
    "tray",
    "coaster",
    "ladle",
    "whisk",
    "sieve",
    "colander",
];

const FILLER: [&str; 48] = [
    "made",
    "for",
    "everyday",
    "use",
    "with",
    "a",
    "gentle",
    "finish",
    "that",
    "lasts",
    "years",
    "and",
    "ages",
    "well",
    "easy",
    "to",
    "clean",
    "by",
    "hand",
    "designed",
    "in",
    "small",
    "batches",
    "from",
    "carefully",
    "chosen",
    "materials",
    "fits",
    "any",
    "home",
    "makes",
    "thoughtful",
    "gift",
    "packed",
    "without",
    "plastic",
    "shipped",
    "the",
    "same",
    "day",
    "perfect",
    "kitchen",
    "garden",
    "desk",
    "weekends",
    "travel",
    "comfortable",
    "reliable",
];

/// A small, fast, deterministic generator (SplitMix64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// An index below `n`, small ones far likelier (about 1/(i+1), like word frequencies).
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        let i = ((n as f64 + 1.0).powf(u) - 1.0) as usize;
        i.min(n - 1)
    }
}

/// One generated product.
struct BenchProduct {
    category: usize,
    name: String,
    description: String,
    price_cents: i64,
    stock: i32,
    created_at: NaiveDateTime,
    rating_sum: i32,
    rating_count: i32,
}

fn product(index: u32, total: u32, rng: &mut Rng, start: NaiveDateTime) -> BenchProduct {
    let adjective = ADJECTIVES[rng.zipf(ADJECTIVES.len())];
    let material = MATERIALS[rng.zipf(MATERIALS.len())];
    let noun = NOUNS[rng.zipf(NOUNS.len())];
    let mut name = format!("{adjective} {material} {noun}");
    name[..1].make_ascii_uppercase();
    let spacing = (total / RARE_PRODUCTS).max(1);
    let rare = index % spacing == 5 % spacing;
    if rare {
        name.push_str(&format!(" {RARE_WORD}"));
    }
    let words = 14 + rng.below(12);
    let mut description = format!("A {adjective} {noun} of {material}");
    for _ in 0..words {
        description.push(' ');
        description.push_str(FILLER[rng.zipf(FILLER.len())]);
    }
    if index.is_multiple_of(3) {
        description.push_str(&format!(", {COMMON_WORD} and"));
    }
    description.push_str(&format!(" {}.", NOUNS[rng.below(NOUNS.len())]));
    // Prices from 1.00 to about 500.00, most of them low.
    let price_cents = 100 + (rng.zipf(500) as i64) * 100 + rng.below(100) as i64;
    let stock = match rng.below(20) {
        0 => 0,
        1 | 2 => 1 + rng.below(5) as i32,
        _ => 6 + rng.below(200) as i32,
    };
    let reviewed = rng.below(50) == 0;
    let (rating_sum, rating_count) = if reviewed {
        let count = 1 + rng.below(3) as i32;
        (count * (2 + rng.below(4) as i32), count)
    } else {
        (0, 0)
    };
    // Spread over two years, oldest first, so ids and creation times rise together.
    let seconds = (i64::from(index) * 2 * 365 * 86_400) / i64::from(total.max(1));
    BenchProduct {
        category: rng.below(CATEGORIES.len()),
        name,
        description,
        price_cents,
        stock,
        created_at: start + TimeDelta::seconds(seconds),
        rating_sum,
        rating_count,
    }
}

/// What `seed-bench` inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BenchSummary {
    /// Categories inserted.
    pub categories: usize,
    /// Products inserted.
    pub products: u32,
    /// Reviews inserted.
    pub reviews: u32,
}

/// The multi-row INSERT for `rows` products, with the engine's placeholders.
fn insert_sql(rows: usize, postgres: bool) -> String {
    const COLUMNS: usize = 10;
    let mut sql = String::from(
        "INSERT INTO products (category_id, name, description, price_cents, stock, status, \
         created_at, updated_at, rating_sum, rating_count) VALUES ",
    );
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        for column in 0..COLUMNS {
            if column > 0 {
                sql.push(',');
            }
            if postgres {
                sql.push_str(&format!("${}", row * COLUMNS + column + 1));
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
    sql
}

fn insert_batch(
    conn: &mut DbConn,
    batch: &[BenchProduct],
    category_ids: &[i32],
) -> QueryResult<usize> {
    let postgres = matches!(conn, DbConn::Pg(_));
    let mut query =
        diesel::sql_query(insert_sql(batch.len(), postgres)).into_boxed::<db::MultiBackend>();
    for p in batch {
        query = query
            .bind::<Integer, _>(category_ids[p.category])
            .bind::<Text, _>(p.name.clone())
            .bind::<Text, _>(p.description.clone())
            .bind::<BigInt, _>(p.price_cents)
            .bind::<Integer, _>(p.stock)
            .bind::<Text, _>("active")
            .bind::<Timestamp, _>(p.created_at)
            .bind::<Timestamp, _>(p.created_at)
            .bind::<Integer, _>(p.rating_sum)
            .bind::<Integer, _>(p.rating_count);
    }
    query.execute(conn)
}

/// Fills an empty database with `count` products; `progress` hears every 10,000.
pub fn seed_bench(
    conn: &mut DbConn,
    count: u32,
    mut progress: impl FnMut(u32),
) -> Result<BenchSummary, SeedError> {
    let categories_present: i64 = categories::table.count().get_result(conn)?;
    let products_present: i64 = products::table.count().get_result(conn)?;
    if categories_present > 0 || products_present > 0 {
        return Err(SeedError::NotEmpty {
            categories: categories_present,
            products: products_present,
        });
    }
    let now = now();
    let start = now - TimeDelta::days(2 * 365);
    let category_ids = db::transaction(conn, |conn| {
        let mut insert = |name: &str, parent_id: Option<i32>| {
            let slug = crate::domain::slug::slugify(name);
            category::insert(
                conn,
                &NewCategory {
                    slug: &slug,
                    name,
                    description: "",
                    created_at: now,
                    updated_at: now,
                    parent_id,
                },
            )
        };
        let mut ids = Vec::with_capacity(CATEGORIES.len() + BRANCH.len());
        for name in CATEGORIES {
            ids.push(insert(name, None)?);
        }
        // Each of the branch under the one before it, the first under Outdoor.
        for name in BRANCH {
            let parent = ids[if ids.len() == CATEGORIES.len() {
                OUTDOOR
            } else {
                ids.len() - 1
            }];
            ids.push(insert(name, Some(parent))?);
        }
        Ok::<_, diesel::result::Error>(ids)
    })?;
    let mut rng = Rng(0x005E_ED0F_5407_F407);
    let mut reviews = 0u32;
    let mut inserted = 0u32;
    // Commit every 10,000 rows: large enough to be fast, small enough to show progress.
    while inserted < count {
        let chunk = (count - inserted).min(10_000);
        db::transaction(conn, |conn| {
            let mut batch = Vec::with_capacity(BATCH);
            for offset in 0..chunk {
                let index = inserted + offset + 1;
                let mut p = product(index, count, &mut rng, start);
                // Outdoor's products are spread over it and its branch.
                if p.category == OUTDOOR {
                    p.category = match index % 4 {
                        0 => OUTDOOR,
                        level => CATEGORIES.len() + level as usize - 1,
                    };
                }
                reviews += p.rating_count as u32;
                batch.push(p);
                if batch.len() == BATCH {
                    insert_batch(conn, &batch, &category_ids)?;
                    batch.clear();
                }
            }
            if !batch.is_empty() {
                insert_batch(conn, &batch, &category_ids)?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        inserted += chunk;
        progress(inserted);
    }
    let written = write_reviews(conn, now)?;
    debug_assert_eq!(written, reviews);
    photograph_newest(conn, now)?;
    settle(conn)?;
    Ok(BenchSummary {
        categories: CATEGORIES.len() + BRANCH.len(),
        products: count,
        reviews: written,
    })
}

/// Gives the [`PHOTOGRAPHED`] newest products a cover photo, as a shop's newest products
/// have: one picture made the way an upload is, stored once, shown by all of them.
fn photograph_newest(conn: &mut DbConn, now: NaiveDateTime) -> Result<(), SeedError> {
    let picture = image::RgbImage::from_fn(1600, 1200, |x, y| {
        image::Rgb([
            (x / 7 % 256) as u8,
            (y / 5 % 256) as u8,
            ((x + y) / 11 % 256) as u8,
        ])
    });
    let mut png = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut png),
        picture.as_raw(),
        picture.width(),
        picture.height(),
        image::ExtendedColorType::Rgb8,
    )
    .map_err(|e| SeedError::Photo(e.to_string()))?;
    let processed = photos::process(&png).map_err(|problem| SeedError::Photo(problem.message()))?;
    let newest: Vec<i32> = products::table
        .order(products::id.desc())
        .limit(PHOTOGRAPHED)
        .select(products::id)
        .load(conn)?;
    db::transaction(conn, |conn| {
        for rendition in [&processed.thumb, &processed.large] {
            if !image_rows::exists(conn, &rendition.name)? {
                image_rows::insert(conn, &rendition.name, &rendition.bytes, now)?;
            }
        }
        for id in &newest {
            let stored = (processed.thumb.stored(), processed.large.stored());
            photo::insert(conn, *id, "A product photographed", stored, now)?;
            photo::refresh_cover(conn, *id, now)?;
        }
        Ok::<_, DieselError>(())
    })?;
    Ok(())
}

/// Leaves the database as a long-running shop's would be after a bulk load: the search
/// index merged into one segment (SQLite); on PostgreSQL the GIN indexes' pending
/// lists merged, the counts table compacted and the planner's statistics fresh, as
/// autovacuum would soon make them.
fn settle(conn: &mut DbConn) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    match conn {
        DbConn::Sqlite(_) => {
            conn.batch_execute("INSERT INTO products_fts (products_fts) VALUES ('optimize');")
        }
        // The per-category counts took a million trigger updates; their 20 live rows sit
        // among thousands of dead ones that plain VACUUM frees but does not compact.
        // One statement per call: several in one would run as a transaction, which VACUUM
        // refuses.
        DbConn::Pg(_) => {
            conn.batch_execute("VACUUM FULL catalog_counts")?;
            conn.batch_execute("VACUUM ANALYZE")
        }
    }
}

/// Writes the reviews the products' counts promise, by a few bench users.
fn write_reviews(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<u32> {
    const REVIEWERS: usize = 3;
    let hash = bcrypt::hash(crate::domain::account::random_token(), 4).unwrap_or_default();
    let reviewers: Vec<i32> = db::transaction(conn, |conn| {
        (0..REVIEWERS)
            .map(|i| {
                user::insert(
                    conn,
                    &NewUser {
                        email: &format!("reviewer{i}@bench.invalid"),
                        password_hash: &hash,
                        role: Role::Customer.as_str(),
                        email_verified_at: Some(now),
                        security_stamp: &crate::domain::account::random_token(),
                        created_at: now,
                        updated_at: now,
                    },
                )
            })
            .collect()
    })?;
    let reviewed: Vec<(i32, i32, i32)> = products::table
        .filter(products::rating_count.gt(0))
        .select((products::id, products::rating_sum, products::rating_count))
        .load(conn)?;
    let mut written = 0u32;
    for chunk in reviewed.chunks(2_000) {
        db::transaction(conn, |conn| {
            for &(product_id, sum, count) in chunk {
                // Spread the sum over the reviews: each rating 1 to 5, adding up exactly.
                let mut left = sum;
                for (i, &user_id) in reviewers.iter().take(count as usize).enumerate() {
                    let remaining = count - i as i32;
                    let rating = (left / remaining).clamp(1, 5);
                    left -= rating;
                    crate::models::review::post(
                        conn,
                        product_id,
                        user_id,
                        rating,
                        "Does what it says.",
                        now,
                    )?;
                    written += 1;
                }
            }
            Ok::<_, diesel::result::Error>(())
        })?;
    }
    Ok(written)
}

/// `shopfront seed-bench --products N`: fills an empty database, printing progress.
pub fn run(conn: &mut DbConn, products: u32) -> CommandResult {
    let started = std::time::Instant::now();
    let summary = seed_bench(conn, products, |done| {
        if done % 100_000 == 0 || done == products {
            eprintln!(
                "  {done} products ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    })
    .map_err(|e| CommandError::Failed(e.to_string()))?;
    println!(
        "loaded {} products, {} categories and {} reviews in {:.1} s",
        summary.products,
        summary.categories,
        summary.reviews,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_is_deterministic_and_plants_its_words() {
        let start = now();
        let mut a = Rng(1);
        let mut b = Rng(1);
        let first: Vec<String> = (1..=300)
            .map(|i| product(i, 300, &mut a, start).name)
            .collect();
        let again: Vec<String> = (1..=300)
            .map(|i| product(i, 300, &mut b, start).name)
            .collect();
        assert_eq!(first, again);
        let mut rng = Rng(7);
        let products: Vec<BenchProduct> = (1..=3000)
            .map(|i| product(i, 3000, &mut rng, start))
            .collect();
        let common = products
            .iter()
            .filter(|p| p.description.contains(COMMON_WORD))
            .count();
        assert_eq!(common, 1000);
        assert!(products[4].name.ends_with(RARE_WORD));
        let rare = products
            .iter()
            .filter(|p| p.name.contains(RARE_WORD))
            .count();
        assert_eq!(rare, RARE_PRODUCTS as usize);
        assert!(products
            .iter()
            .all(|p| p.price_cents >= 100 && p.stock >= 0));
        assert!(products.iter().all(|p| p.rating_count == 0
            || (p.rating_sum >= p.rating_count && p.rating_sum <= 5 * p.rating_count)));
        let reviewed = products.iter().filter(|p| p.rating_count > 0).count();
        assert!((20..=120).contains(&reviewed), "{reviewed}");
    }

    #[test]
    fn the_insert_uses_each_engines_placeholders() {
        assert!(insert_sql(2, false).ends_with("(?,?,?,?,?,?,?,?,?,?),(?,?,?,?,?,?,?,?,?,?)"));
        assert!(insert_sql(2, true).ends_with("($11,$12,$13,$14,$15,$16,$17,$18,$19,$20)"));
    }
}
