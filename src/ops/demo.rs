//! The demo catalogue: nine categories (Outdoor › Camping › Camp Kitchen nest three deep)
//! and about 180 products, enough that pagination, search and every stock state show on
//! first start. Deterministic: the same data each time.

use chrono::TimeDelta;
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use crate::db::{self, DbConn};
use crate::domain::tax::TaxClass;
use crate::domain::ProductStatus;
use crate::models::category::{self, NewCategory};
use crate::models::now;
use crate::models::product::{self, NewProduct};
use crate::models::variant::{self, VariantFields};
use crate::ops::{CommandError, CommandResult};
use crate::schema::categories;

/// What a seeding run inserted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSummary {
    /// Categories inserted.
    pub categories: usize,
    /// Products inserted.
    pub products: usize,
}

/// Why the demo catalogue was not loaded.
#[derive(Debug)]
pub enum SeedError {
    /// The catalogue already holds categories or products.
    NotEmpty {
        /// Categories present.
        categories: i64,
        /// Products present.
        products: i64,
    },
    /// The database failed.
    Database(DieselError),
    /// A generated picture could not be made into a photo.
    Photo(String),
}

impl std::fmt::Display for SeedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SeedError::NotEmpty { categories, products } => write!(
                f,
                "the catalogue is not empty ({categories} categories, {products} products); the demo data only goes into an empty one"
            ),
            SeedError::Database(e) => write!(f, "database error: {e}"),
            SeedError::Photo(why) => write!(f, "cannot make the photo: {why}"),
        }
    }
}

impl std::error::Error for SeedError {}

impl From<DieselError> for SeedError {
    fn from(e: DieselError) -> SeedError {
        SeedError::Database(e)
    }
}

struct DemoCategory {
    slug: &'static str,
    name: &'static str,
    description: &'static str,
    /// The index of its parent in [`CATEGORIES`], which comes before it.
    parent: Option<usize>,
}

const CATEGORIES: [DemoCategory; 9] = [
    DemoCategory {
        slug: "books",
        name: "Books",
        description:
            "Novels, cookbooks, field guides and histories, chosen by people who read them.",
        parent: None,
    },
    DemoCategory {
        slug: "kitchen",
        name: "Kitchen",
        description: "Cookware, knives and the small tools that make cooking a pleasure.",
        parent: None,
    },
    DemoCategory {
        slug: "garden",
        name: "Garden",
        description: "Seeds, tools and planters for balconies, allotments and back gardens.",
        parent: None,
    },
    DemoCategory {
        slug: "outdoor",
        name: "Outdoor",
        description: "Gear for long walks, wild camps and cold mornings outside.",
        parent: None,
    },
    DemoCategory {
        slug: "stationery",
        name: "Stationery",
        description: "Notebooks, pens and paper goods for people who still write by hand.",
        parent: None,
    },
    DemoCategory {
        slug: "coffee-tea",
        name: "Coffee & Tea",
        description: "Beans, leaves and the gear to brew them well.",
        parent: None,
    },
    DemoCategory {
        slug: "toys-games",
        name: "Toys & Games",
        description: "Board games, puzzles and wooden toys for every age.",
        parent: None,
    },
    DemoCategory {
        slug: "camping",
        name: "Camping",
        description: "Light, sturdy gear for nights outdoors.",
        parent: Some(3),
    },
    DemoCategory {
        slug: "camp-kitchen",
        name: "Camp Kitchen",
        description: "Stoves and pots for cooking under the sky.",
        parent: Some(7),
    },
];

/// (title, author, kind, price in cents)
const BOOKS: [(&str, &str, usize, i64); 36] = [
    ("The Lighthouse Keeper's Daughter", "Mara Ellison", 0, 1699),
    ("A Winter in Lisbon", "Tomás Ferreira", 0, 1499),
    ("The Cartographer's Error", "Helen Achebe", 0, 1899),
    ("Salt and Iron", "Jonah Whitlock", 0, 1599),
    ("The Orchard at Dusk", "Priya Raman", 0, 1399),
    ("Letters from the Northern Line", "Agnes Mbeki", 0, 1299),
    ("The Glass Harbour", "Oskar Lindqvist", 0, 1799),
    ("Midnight at the Observatory", "Clara Osei", 0, 1599),
    ("The Last Tram to Prague", "Pavel Novak", 0, 1499),
    ("Bread, Simply", "Ruth Calloway", 1, 2499),
    ("The Weeknight Kitchen", "Sam Adeyemi", 1, 2299),
    ("Fermentation for Beginners", "Ilse Brandt", 1, 2699),
    ("One Pot, Every Day", "Marco Bellini", 1, 1999),
    ("The Vegetable Year", "Nora Kimani", 1, 2899),
    ("Soups of the World", "Lin Zhao", 1, 2199),
    ("Birds of Field and Hedgerow", "Edmund Hale", 2, 2999),
    ("Mushrooms: A Field Guide", "Freya Moss", 2, 2799),
    ("Trees of the Northern Hemisphere", "Arjun Mehta", 2, 3499),
    ("Wildflowers by the Wayside", "Beatrix Lowe", 2, 2399),
    ("Reading the Night Sky", "Dmitri Sokolov", 2, 2599),
    ("Rivers and Their Creatures", "Ada Okafor", 2, 2699),
    ("The Long Road to Samarkand", "Yusuf Karimov", 3, 2899),
    ("Empires of Salt", "Catherine Doyle", 3, 3199),
    ("The Clockmakers of Geneva", "Henri Duval", 3, 2599),
    ("A Short History of Maps", "Grace Whitfield", 3, 1999),
    ("The Shipwright's Century", "Magnus Eriksen", 3, 2799),
    ("Ten Walks Along the Coast", "Isla McBride", 4, 1799),
    ("The Patient Gardener", "Hugo Ashdown", 4, 2199),
    ("Small Rooms, Good Light", "Eleanor Finch", 4, 3499),
    ("Learning to Knit in a Weekend", "Rosa Delgado", 4, 1599),
    ("The Bicycle Mechanic's Handbook", "Tobias Grant", 4, 2399),
    ("Puzzles for a Rainy Afternoon", "Felix Moreau", 4, 1299),
    ("The Quiet Hours", "Mara Ellison", 0, 1599),
    ("Harbour Lights: Poems", "Seamus Byrne", 5, 1199),
    ("The Paper Garden: Poems", "Ines Castillo", 5, 1099),
    ("Rain on Tin Roofs: Poems", "Kofi Mensah", 5, 1199),
];

const BOOK_KINDS: [&str; 6] = [
    "A novel of quiet courage and long-kept secrets, told across three generations. Readers call it the kind of book you finish in one sitting and think about for weeks.",
    "A cookbook of honest, reliable recipes for every day, with clear steps and photographs of every dish. Tested in an ordinary home kitchen, not a restaurant.",
    "A field guide small enough for a coat pocket, with colour plates, range maps and notes on where and when to look.",
    "A history told through the people who lived it, drawn from letters, ledgers and diaries, and as gripping as a novel.",
    "A practical guide with step-by-step instructions, illustrations and the kind of tips that usually take years to learn.",
    "A collection of poems about weather, work and the places we come home to.",
];

struct DemoItem {
    name: &'static str,
    description: &'static str,
    variants: &'static [(&'static str, i64)],
}

const KITCHEN: [DemoItem; 8] = [
    DemoItem { name: "Cast-Iron Skillet", description: "Pre-seasoned cast iron that goes from hob to oven to table and lasts a lifetime. Heats evenly and holds heat for a proper sear.", variants: &[("20 cm", 2900), ("26 cm", 3900), ("30 cm", 4900)] },
    DemoItem { name: "Chef's Knife", description: "Forged stainless steel with a full tang and a comfortable handle. Sharp out of the box and easy to hone.", variants: &[("15 cm", 4500), ("20 cm", 6900), ("24 cm", 8900)] },
    DemoItem { name: "Enamelled Dutch Oven", description: "Heavy enamelled cast iron for slow braises, stews and bread. Tight-fitting lid, oven safe to 250 °C.", variants: &[("2.5 litre", 8900), ("4 litre", 11900), ("6 litre", 14900)] },
    DemoItem { name: "Stovetop Kettle", description: "A whistling kettle in brushed stainless steel that works on gas, electric and induction hobs.", variants: &[("Steel", 3400), ("Copper finish", 4400), ("Matte black", 3900)] },
    DemoItem { name: "End-Grain Chopping Board", description: "Oiled end-grain oak that is kind to knife edges and handsome on the counter.", variants: &[("Small", 3900), ("Medium", 5900), ("Large", 7900)] },
    DemoItem { name: "Linen Tea Towel Set", description: "Three stonewashed linen tea towels that dry glasses without lint and soften with every wash.", variants: &[("Natural", 1900), ("Indigo", 1900), ("Rust", 1900)] },
    DemoItem { name: "Ceramic Mixing Bowls", description: "A nesting set of glazed stoneware bowls for mixing, proving and serving.", variants: &[("Set of 3", 4200), ("Set of 5", 6400), ("Single large", 2400)] },
    DemoItem { name: "Digital Kitchen Scale", description: "Weighs to the gram up to 5 kg, with a tare button and a slim glass top that wipes clean.", variants: &[("White", 2200), ("Black", 2200), ("Bamboo", 2700)] },
];

const GARDEN: [DemoItem; 7] = [
    DemoItem { name: "Heirloom Tomato Seeds", description: "Open-pollinated seeds saved from old varieties, chosen for flavour over shelf life. About 30 seeds a packet.", variants: &[("Brandywine", 350), ("Black Krim", 350), ("Gardener's Delight", 300), ("Green Zebra", 350)] },
    DemoItem { name: "Stainless Hand Trowel", description: "A narrow stainless blade for planting bulbs and seedlings, with an ash handle that fits the hand.", variants: &[("Standard", 1900), ("Transplanting", 2100), ("Weeding fork", 1900)] },
    DemoItem { name: "Galvanised Watering Can", description: "A classic galvanised steel can with a long spout and a removable brass rose for gentle watering.", variants: &[("5 litre", 3400), ("9 litre", 4400)] },
    DemoItem { name: "Terracotta Pot", description: "Frost-resistant terracotta that lets roots breathe. Comes with a drainage hole and a matching saucer.", variants: &[("15 cm", 900), ("25 cm", 1700), ("35 cm", 2900)] },
    DemoItem { name: "Bypass Secateurs", description: "Hardened steel blades that cut cleanly without crushing stems, with a safety catch and a spare spring.", variants: &[("Small hands", 2600), ("Standard", 2900), ("Heavy duty", 3900)] },
    DemoItem { name: "Wildflower Seed Mix", description: "Native annuals and perennials for bees and butterflies. Sow in spring or autumn on bare soil.", variants: &[("1 m² packet", 400), ("10 m² packet", 1800)] },
    DemoItem { name: "Cedar Raised Bed", description: "Untreated western red cedar that weathers to silver. Slots together without tools.", variants: &[("1 × 1 m", 8900), ("2 × 1 m", 12900), ("Corner bed", 10900)] },
];

const OUTDOOR: [DemoItem; 8] = [
    DemoItem { name: "Merino Hiking Socks", description: "Cushioned merino wool that stays warm when wet and does not smell after a long day.", variants: &[("Small", 1800), ("Medium", 1800), ("Large", 1800)] },
    DemoItem { name: "Insulated Water Bottle", description: "Double-walled stainless steel that keeps drinks cold for 24 hours or hot for 12.", variants: &[("500 ml", 2400), ("750 ml", 2900), ("1 litre", 3400)] },
    DemoItem { name: "Packable Rain Jacket", description: "A waterproof, breathable shell that packs into its own pocket. Taped seams and an adjustable hood.", variants: &[("Moss", 8900), ("Navy", 8900), ("Ochre", 8900)] },
    DemoItem { name: "Rechargeable Head Torch", description: "300 lumens with a red night mode, charged over USB-C. Runs 40 hours on low.", variants: &[("Standard", 3900), ("Waterproof", 4900)] },
    DemoItem { name: "Canvas Daypack", description: "Waxed cotton canvas with leather straps, a padded laptop sleeve and a water bottle pocket.", variants: &[("18 litre", 7900), ("24 litre", 8900), ("30 litre", 9900)] },
    DemoItem { name: "Lightweight Camping Stove", description: "A folding gas stove that boils a litre in under four minutes and weighs less than an apple.", variants: &[("Stove only", 3900), ("With pot set", 6900)] },
    DemoItem { name: "Wool Blanket", description: "A heavy woven wool blanket for picnics, camp chairs and cold evenings on the porch.", variants: &[("Grey check", 7400), ("Red tartan", 7400), ("Undyed", 6900)] },
    DemoItem { name: "Trekking Poles", description: "Adjustable aluminium poles with cork grips and quick locks. Fold down to 60 cm.", variants: &[("Pair", 5900), ("Carbon pair", 9900)] },
];

const STATIONERY: [DemoItem; 7] = [
    DemoItem { name: "Dot Grid Notebook", description: "A5, 160 pages of 100 gsm paper that takes fountain pen ink without bleeding. Lies flat when open.", variants: &[("Black", 1600), ("Sage", 1600), ("Terracotta", 1600), ("Blue", 1600)] },
    DemoItem { name: "Fountain Pen", description: "A steel-nib fountain pen that writes smoothly from the first stroke. Takes standard cartridges or a converter.", variants: &[("Fine nib", 2800), ("Medium nib", 2800), ("Broad nib", 2800)] },
    DemoItem { name: "Bottled Ink", description: "50 ml of well-behaved ink that flows freely and dries quickly on most papers.", variants: &[("Midnight blue", 1200), ("Forest green", 1200), ("Sepia", 1200)] },
    DemoItem { name: "Weekly Desk Planner", description: "Undated weekly pages with room for tasks and notes, bound in cloth.", variants: &[("A5", 2200), ("A4", 2800)] },
    DemoItem { name: "Letterpress Greeting Cards", description: "Printed by hand on thick cotton paper, blank inside, with kraft envelopes.", variants: &[("Set of 6", 1800), ("Set of 12", 3200)] },
    DemoItem { name: "Graphite Pencil Set", description: "Twelve pencils from 6H to 8B in a tin, for sketching and shading.", variants: &[("Tin of 12", 1400), ("Tin of 24", 2400)] },
    DemoItem { name: "Brass Bookmark", description: "A slim solid brass bookmark that darkens gently with use.", variants: &[("Leaf", 900), ("Feather", 900), ("Plain", 700)] },
];

const COFFEE_TEA: [DemoItem; 7] = [
    DemoItem { name: "Single-Origin Coffee Beans", description: "Freshly roasted whole beans, roasted to order each week. 250 g bag with a one-way valve.", variants: &[("Ethiopia Yirgacheffe", 1400), ("Colombia Huila", 1300), ("Guatemala Antigua", 1300), ("Kenya AA", 1500)] },
    DemoItem { name: "Loose Leaf Tea", description: "Whole-leaf tea in a resealable tin, enough for about 50 cups.", variants: &[("Assam breakfast", 1100), ("Darjeeling first flush", 1600), ("Sencha", 1400), ("Earl Grey", 1100)] },
    DemoItem { name: "Pour-Over Coffee Dripper", description: "Porcelain dripper with spiral ribs for an even extraction. Fits most mugs and carafes.", variants: &[("White", 2400), ("Charcoal", 2400)] },
    DemoItem { name: "Burr Coffee Grinder", description: "Conical steel burrs with 30 grind settings, from espresso to cold brew.", variants: &[("Hand grinder", 5900), ("Electric", 12900)] },
    DemoItem { name: "Glass Teapot", description: "Borosilicate glass teapot with a stainless infuser, so you can watch the leaves unfurl.", variants: &[("600 ml", 2900), ("1 litre", 3600)] },
    DemoItem { name: "Stoneware Mug", description: "Hand-thrown stoneware with a reactive glaze, so every mug is a little different.", variants: &[("Speckled cream", 1800), ("Ocean blue", 1800), ("Forest", 1800)] },
    DemoItem { name: "French Press", description: "A stainless steel cafetière with a double mesh filter for a clean, full-bodied cup.", variants: &[("3 cup", 2900), ("8 cup", 3900)] },
];

const TOYS_GAMES: [DemoItem; 7] = [
    DemoItem { name: "Wooden Jigsaw Puzzle", description: "Laser-cut birch plywood pieces, including figure-shaped whimsies, in a keepsake box.", variants: &[("250 pieces", 3400), ("500 pieces", 4900), ("1000 pieces", 7900)] },
    DemoItem { name: "Strategy Board Game", description: "A game of trade and territory for two to five players, about an hour a game. Easy to learn, hard to master.", variants: &[("Base game", 4500), ("With expansion", 6900)] },
    DemoItem { name: "Wooden Building Blocks", description: "Solid beech blocks finished with water-based paint, in a cotton bag.", variants: &[("50 blocks", 3900), ("100 blocks", 6400)] },
    DemoItem { name: "Classic Chess Set", description: "Weighted wooden pieces and a folding board that doubles as the box.", variants: &[("Travel size", 2900), ("Tournament size", 6900)] },
    DemoItem { name: "Card Game", description: "A quick, clever card game for the whole family, 15 minutes a round.", variants: &[("Sushi edition", 1400), ("Forest edition", 1400), ("Space edition", 1400)] },
    DemoItem { name: "Wooden Train Set", description: "Beech track pieces, a bridge and a little engine, compatible with the usual brands.", variants: &[("Starter", 4900), ("Deluxe", 8900)] },
    DemoItem { name: "Kite", description: "A sturdy ripstop nylon kite that flies in light winds, with 30 m of line on a handle.", variants: &[("Diamond", 2400), ("Delta", 2900)] },
];

/// Stock levels cycled through the products, so sold-out, low and plentiful all appear.
const STOCK_PATTERN: [i32; 15] = [40, 12, 0, 3, 85, 7, 1, 25, 60, 5, 0, 18, 120, 2, 33];

/// Items sold as one product with variants (sizes, colours, blends) rather than one product
/// per option.
const SOLD_IN_VARIANTS: [&str; 11] = [
    "Heirloom Tomato Seeds",
    "Terracotta Pot",
    "Merino Hiking Socks",
    "Packable Rain Jacket",
    "Dot Grid Notebook",
    "Fountain Pen",
    "Bottled Ink",
    "Single-Origin Coffee Beans",
    "Loose Leaf Tea",
    "Stoneware Mug",
    "Card Game",
];

/// A demo product before it gets its category id.
struct DemoProduct {
    category: usize,
    name: String,
    description: String,
    price_cents: i64,
    /// Its variants' names and prices, if it is sold through variants.
    variants: Vec<(&'static str, i64)>,
}

/// A demo SKU: the item's initials, the variant's place, like `MHS-2`.
fn demo_sku(name: &str, place: usize) -> String {
    let initials: String = name
        .split([' ', '-'])
        .filter_map(|word| word.chars().next())
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    format!("{initials}-{}", place + 1)
}

fn demo_products() -> Vec<DemoProduct> {
    let mut out = Vec::new();
    for (title, author, kind, price) in BOOKS {
        out.push(DemoProduct {
            category: 0,
            name: title.to_string(),
            description: format!("{}\n\nBy {author}. Paperback.", BOOK_KINDS[kind]),
            price_cents: price,
            variants: Vec::new(),
        });
    }
    let groups: [&[DemoItem]; 6] = [
        &KITCHEN,
        &GARDEN,
        &OUTDOOR,
        &STATIONERY,
        &COFFEE_TEA,
        &TOYS_GAMES,
    ];
    for (offset, items) in groups.into_iter().enumerate() {
        for item in items {
            // Outdoor › Camping › Camp Kitchen: a three-level branch.
            let category = match item.name {
                "Lightweight Camping Stove" => 8,
                "Wool Blanket" | "Rechargeable Head Torch" => 7,
                _ => offset + 1,
            };
            if SOLD_IN_VARIANTS.contains(&item.name) {
                out.push(DemoProduct {
                    category,
                    name: item.name.to_string(),
                    description: item.description.to_string(),
                    price_cents: item.variants.iter().map(|v| v.1).min().unwrap_or(0),
                    variants: item.variants.to_vec(),
                });
                continue;
            }
            for (variant, price) in item.variants {
                out.push(DemoProduct {
                    category,
                    name: format!("{}, {variant}", item.name),
                    description: item.description.to_string(),
                    price_cents: *price,
                    variants: Vec::new(),
                });
            }
        }
    }
    out
}

/// Loads the demo catalogue; refuses when the catalogue already has categories or products.
pub fn seed_demo(conn: &mut DbConn) -> Result<SeedSummary, SeedError> {
    db::transaction(conn, |conn| {
        let categories_present: i64 = categories::table.count().get_result(conn)?;
        let products_present = product::count_all(conn)?;
        if categories_present > 0 || products_present > 0 {
            return Err(SeedError::NotEmpty {
                categories: categories_present,
                products: products_present,
            });
        }
        let now = now();
        let mut category_ids = Vec::with_capacity(CATEGORIES.len());
        for c in &CATEGORIES {
            category_ids.push(category::insert(
                conn,
                &NewCategory {
                    slug: c.slug,
                    name: c.name,
                    description: c.description,
                    created_at: now,
                    updated_at: now,
                    parent_id: c.parent.map(|i| category_ids[i]),
                },
            )?);
        }
        let products = demo_products();
        let count = products.len();
        // Interleave the categories in time so "newest" shows a mix, oldest inserted first.
        // Products with variants go in first, so the newest, which lists and the home page
        // lead with, are bought with one click.
        let mut order: Vec<usize> = (0..count).collect();
        order.sort_by_key(|&i| (products[i].variants.is_empty(), (i * 37) % count));
        let rows: Vec<(NewProduct<'_>, usize)> = order
            .iter()
            .enumerate()
            .map(|(position, &i)| {
                let p = &products[i];
                let created = now - TimeDelta::minutes(((count - position) * 53) as i64);
                let row = NewProduct {
                    category_id: category_ids[p.category],
                    name: &p.name,
                    description: &p.description,
                    price_cents: p.price_cents,
                    // Counted from the newest, which is then in stock.
                    stock: STOCK_PATTERN[(count - 1 - position) % STOCK_PATTERN.len()],
                    status: ProductStatus::Active.as_str(),
                    image: None,
                    // Books pay the reduced rate where a country has one.
                    tax_class: match CATEGORIES[p.category].slug {
                        "books" => TaxClass::Reduced.as_str(),
                        _ => TaxClass::Standard.as_str(),
                    },
                    sku: None,
                    created_at: created,
                    updated_at: created,
                };
                (row, i)
            })
            .collect();
        // Diesel's multi-connection has no batch insert; in one transaction this is quick.
        for (row, i) in &rows {
            let id = product::insert(conn, row)?;
            let p = &products[*i];
            for (place, (name, price)) in p.variants.iter().enumerate() {
                let fields = VariantFields {
                    name,
                    sku: &demo_sku(&p.name, place),
                    price_cents: Some(*price),
                    stock: STOCK_PATTERN[(i + place) % STOCK_PATTERN.len()],
                };
                variant::insert(conn, id, &fields, row.created_at)?;
            }
            variant::refresh_product_stock(conn, id, row.created_at)?;
        }
        Ok(SeedSummary {
            categories: CATEGORIES.len(),
            products: count,
        })
    })
}

/// Loads the demo catalogue if the catalogue is empty; `None` when it was not.
///
/// Two instances starting together on one empty PostgreSQL database may both try: the
/// second one's insert hits the unique slug and it leaves the first one's data alone.
pub fn seed_if_empty(conn: &mut DbConn) -> Result<Option<SeedSummary>, SeedError> {
    match seed_demo(conn) {
        Ok(summary) => Ok(Some(summary)),
        Err(SeedError::NotEmpty { .. }) => Ok(None),
        Err(SeedError::Database(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _,
        ))) => Ok(None),
        Err(e) => Err(e),
    }
}

/// `shopfront seed-demo`: loads the demo catalogue into an empty database.
pub fn run(conn: &mut DbConn) -> CommandResult {
    let summary = seed_demo(conn).map_err(|e| CommandError::Failed(e.to_string()))?;
    println!(
        "loaded the demo catalogue: {} categories, {} products",
        summary.categories, summary.products
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::StockState;

    #[test]
    fn the_demo_catalogue_is_big_enough_to_show_everything() {
        let products = demo_products();
        assert!(CATEGORIES.len() >= 6);
        assert!(products.len() >= 120, "{}", products.len());
        let with_variants: Vec<&DemoProduct> =
            products.iter().filter(|p| !p.variants.is_empty()).collect();
        assert!(with_variants.len() >= 10, "{}", with_variants.len());
        let mut skus: Vec<String> = with_variants
            .iter()
            .flat_map(|p| (0..p.variants.len()).map(|i| demo_sku(&p.name, i)))
            .collect();
        let total = skus.len();
        skus.sort_unstable();
        skus.dedup();
        assert_eq!(skus.len(), total, "variant SKUs are unique");
        assert_eq!(demo_sku("Merino Hiking Socks", 1), "MHS-2");
        assert!(products.iter().filter(|p| p.category == 0).count() >= 30);
        assert_eq!(CATEGORIES[0].slug, "books");
        let states: Vec<StockState> = STOCK_PATTERN.iter().map(|s| StockState::of(*s)).collect();
        assert!(states.contains(&StockState::SoldOut));
        assert!(states.iter().any(|s| matches!(s, StockState::Low(_))));
        assert!(states.contains(&StockState::InStock));
        let mut names: Vec<&str> = products.iter().map(|p| p.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), products.len(), "product names are unique");
    }
}
