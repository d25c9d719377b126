//! Catalogue rules: list order, page numbers, search words, stock state, product status.

use std::fmt;

use crate::domain::Money;

/// Products on one list page.
pub const PAGE_SIZE: i64 = 24;
/// The highest page number a list accepts (a million products fit in far fewer pages).
pub const MAX_PAGE: i64 = 100_000;
/// At or below this many items, a product shows "only N left".
pub const LOW_STOCK: i32 = 5;
/// The longest search text accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;
/// Words up to this many characters are always matched as prefixes: the SQLite index keeps
/// their prefixes (`prefix = '2 3'`), so that costs no more than a whole word. A longer
/// prefix makes the engine gather the lists of every word it starts, so longer words match
/// whole (stemmed), and as prefixes only when that finds nothing.
pub const PREFIX_INDEXED: usize = 3;
/// Search words beyond this many are ignored.
pub const MAX_QUERY_WORDS: usize = 8;
/// Characters kept of one search word.
const MAX_WORD_CHARS: usize = 40;

/// A list parameter that cannot be honoured; the text tells the visitor what works.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError(pub String);

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CatalogError {}

/// The order of a product list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ProductSort {
    /// Newest first (the default without search words).
    Newest,
    /// Cheapest first.
    PriceAsc,
    /// Dearest first.
    PriceDesc,
    /// A to Z.
    Name,
    /// Best average rating first (products without reviews last).
    Rating,
    /// Best match first, name matches above description matches (the default with search words).
    Relevance,
}

impl ProductSort {
    /// Every order, in the order the sort menu offers them.
    pub const ALL: [ProductSort; 6] = [
        ProductSort::Relevance,
        ProductSort::Newest,
        ProductSort::PriceAsc,
        ProductSort::PriceDesc,
        ProductSort::Name,
        ProductSort::Rating,
    ];

    /// Reads `sort=`; a missing value picks the default for whether there are search words.
    /// Relevance without search words means newest.
    pub fn parse(value: Option<&str>, searching: bool) -> Result<ProductSort, CatalogError> {
        let sort = match value.map(str::trim).filter(|v| !v.is_empty()) {
            None if searching => ProductSort::Relevance,
            None => ProductSort::Newest,
            Some(v) => ProductSort::ALL
                .into_iter()
                .find(|s| s.as_str() == v)
                .ok_or_else(|| {
                    let names: Vec<&str> = ProductSort::ALL.iter().map(|s| s.as_str()).collect();
                    CatalogError(format!(
                        "Unknown sort order. Choose one of: {}.",
                        names.join(", ")
                    ))
                })?,
        };
        Ok(match (sort, searching) {
            (ProductSort::Relevance, false) => ProductSort::Newest,
            (sort, _) => sort,
        })
    }

    /// The value of `sort=` that selects this order.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductSort::Newest => "newest",
            ProductSort::PriceAsc => "price_asc",
            ProductSort::PriceDesc => "price_desc",
            ProductSort::Name => "name",
            ProductSort::Rating => "rating",
            ProductSort::Relevance => "relevance",
        }
    }

    /// How the sort menu names this order.
    pub fn label(self) -> &'static str {
        match self {
            ProductSort::Newest => "Newest",
            ProductSort::PriceAsc => "Price: low to high",
            ProductSort::PriceDesc => "Price: high to low",
            ProductSort::Name => "Name",
            ProductSort::Rating => "Best rated",
            ProductSort::Relevance => "Best match",
        }
    }
}

/// A page number from 1 to [`MAX_PAGE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PageNumber(i64);

impl PageNumber {
    /// The first page.
    pub const FIRST: PageNumber = PageNumber(1);

    /// Reads `page=`; missing means the first page.
    pub fn parse(value: Option<&str>) -> Result<PageNumber, CatalogError> {
        let Some(text) = value.map(str::trim).filter(|t| !t.is_empty()) else {
            return Ok(PageNumber::FIRST);
        };
        match text.parse::<i64>() {
            Ok(n) if (1..=MAX_PAGE).contains(&n) => Ok(PageNumber(n)),
            _ => Err(CatalogError(format!(
                "The page number must be a whole number from 1 to {MAX_PAGE}."
            ))),
        }
    }

    /// The number itself.
    pub fn get(self) -> i64 {
        self.0
    }
}

/// Where a "next" or "previous" link says its page starts: just after, or just before, the
/// product with this id (keyset pagination: the list resumes from that product's place).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageCursor {
    /// The page begins with the product after this one.
    After(i32),
    /// The page ends with the product before this one.
    Before(i32),
}

impl PageCursor {
    /// Reads `after=` and `before=`: at most one of them, a product id.
    pub fn parse(
        after: Option<&str>,
        before: Option<&str>,
    ) -> Result<Option<PageCursor>, CatalogError> {
        let id = |text: &str| {
            text.trim()
                .parse::<i32>()
                .ok()
                .filter(|id| *id > 0)
                .ok_or_else(|| {
                    CatalogError(
                        "This page link is damaged: open the list again from its first page."
                            .to_string(),
                    )
                })
        };
        let after = after.filter(|v| !v.trim().is_empty());
        let before = before.filter(|v| !v.trim().is_empty());
        match (after, before) {
            (None, None) => Ok(None),
            (Some(a), None) => Ok(Some(PageCursor::After(id(a)?))),
            (None, Some(b)) => Ok(Some(PageCursor::Before(id(b)?))),
            (Some(_), Some(_)) => Err(CatalogError(
                "A page link names either the product after or before it, not both.".to_string(),
            )),
        }
    }
}

/// Where one page sits in a list of `total` items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    /// The page shown.
    pub page: i64,
    /// Items on a full page.
    pub per_page: i64,
    /// Items in the whole list.
    pub total: i64,
}

impl Pagination {
    /// Page `page` of `total` items, `per_page` to a page.
    pub fn new(page: PageNumber, per_page: i64, total: i64) -> Pagination {
        Pagination {
            page: page.get(),
            per_page,
            total,
        }
    }

    /// Rows to skip before this page.
    pub fn offset(&self) -> i64 {
        (self.page - 1) * self.per_page
    }

    /// The last page that has items (1 for an empty list).
    pub fn last_page(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }

    /// Whether the page exists: page 1 always does, later pages only when they have items.
    pub fn page_exists(&self) -> bool {
        self.page <= self.last_page()
    }

    /// This pagination if its page exists; else an error saying how many pages there are.
    pub fn checked(self) -> Result<Pagination, CatalogError> {
        if self.page_exists() {
            return Ok(self);
        }
        let last = self.last_page();
        Err(CatalogError(format!(
            "This list has {last} page{}; page {} does not exist.",
            if last == 1 { "" } else { "s" },
            self.page
        )))
    }

    /// The page before, if any.
    pub fn previous(&self) -> Option<i64> {
        (self.page > 1).then(|| self.page - 1)
    }

    /// The page after, if any.
    pub fn next(&self) -> Option<i64> {
        (self.page < self.last_page()).then(|| self.page + 1)
    }

    /// Position of the first item shown (1-based), 0 for an empty list.
    pub fn first_item(&self) -> i64 {
        if self.total == 0 {
            0
        } else {
            self.offset() + 1
        }
    }

    /// Position of the last item shown.
    pub fn last_item(&self) -> i64 {
        (self.offset() + self.per_page).min(self.total)
    }
}

/// What a list is narrowed to besides its category and search words: a price range and
/// "in stock only" (`min_price`, `max_price`, `in_stock=1`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListFilter {
    /// The lowest price shown.
    pub min_price: Option<Money>,
    /// The highest price shown.
    pub max_price: Option<Money>,
    /// Only products with stock.
    pub in_stock: bool,
}

impl ListFilter {
    /// Reads the query's values; empty ones (as a GET form sends them) filter nothing.
    pub fn parse(
        min_price: Option<&str>,
        max_price: Option<&str>,
        in_stock: Option<&str>,
    ) -> Result<ListFilter, CatalogError> {
        let amount = |text: Option<&str>, which: &str| -> Result<Option<Money>, CatalogError> {
            match text.map(str::trim).filter(|t| !t.is_empty()) {
                None => Ok(None),
                Some(text) => Money::parse_price(text).map(Some).map_err(|_| {
                    CatalogError(format!(
                        "The {which} price must be an amount like 10 or 10.50, not “{text}”."
                    ))
                }),
            }
        };
        let min_price = amount(min_price, "lowest")?;
        let max_price = amount(max_price, "highest")?;
        if let (Some(min), Some(max)) = (min_price, max_price) {
            if min > max {
                return Err(CatalogError(
                    "The lowest price cannot be above the highest.".into(),
                ));
            }
        }
        let in_stock = match in_stock.map(str::trim) {
            None | Some("") | Some("0") => false,
            Some("1") | Some("on") | Some("true") => true,
            Some(_) => return Err(CatalogError("in_stock is 1 or left out.".into())),
        };
        Ok(ListFilter {
            min_price,
            max_price,
            in_stock,
        })
    }

    /// Whether it narrows nothing.
    pub fn is_empty(&self) -> bool {
        self.min_price.is_none() && self.max_price.is_none() && !self.in_stock
    }
}

/// One link of numbered pagination: a page number, or a gap between numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PageItem {
    /// Page `n`.
    Page(i64),
    /// Pages left out ("…").
    Gap,
}

impl Pagination {
    /// The numbers to offer: the first, the last, the current one and two either side of it,
    /// with a gap where numbers are left out (`1 … 4 5 6 7 8 … 20`). A gap of one page shows
    /// that page instead.
    pub fn numbered(&self) -> Vec<PageItem> {
        let last = self.last_page();
        let mut shown: Vec<i64> = vec![1, last];
        shown.extend((self.page - 2)..=(self.page + 2));
        shown.retain(|n| (1..=last).contains(n));
        shown.sort_unstable();
        shown.dedup();
        let mut items = Vec::new();
        let mut previous = 0;
        for n in shown {
            match n - previous {
                1 => {}
                2 => items.push(PageItem::Page(n - 1)),
                _ => items.push(PageItem::Gap),
            }
            items.push(PageItem::Page(n));
            previous = n;
        }
        items
    }
}

/// The words of a search, stripped of anything a search engine would read as syntax.
///
/// Quotes, operators and punctuation split words and vanish, so `"NEAR"`, `-x`, `a*` or
/// `'; DROP` are searched as the plain words they contain.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchTerms {
    words: Vec<String>,
}

impl SearchTerms {
    /// Splits `text` into at most [`MAX_QUERY_WORDS`] lower-case words of letters and digits.
    pub fn parse(text: &str) -> SearchTerms {
        let mut words: Vec<String> = Vec::new();
        for word in text.split(|c: char| !c.is_alphanumeric()) {
            // Lower-casing can add combining marks (`İ` → `i̇`): keep letters and digits only.
            let word: String = word
                .to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric())
                .take(MAX_WORD_CHARS)
                .collect();
            if !word.is_empty() && !words.contains(&word) {
                words.push(word);
            }
            if words.len() == MAX_QUERY_WORDS {
                break;
            }
        }
        SearchTerms { words }
    }

    /// Whether no searchable word was typed.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The words, in the order typed.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// Whether some word is long enough to be matched whole first ([`PREFIX_INDEXED`]
    /// characters or more), so that matching it as a prefix could find more.
    pub fn has_long_words(&self) -> bool {
        self.words
            .iter()
            .any(|w| w.chars().count() > PREFIX_INDEXED)
    }

    /// Whether `word` is matched as a prefix: short words always (the engine indexes their
    /// prefixes), longer ones only with `all_prefixes`.
    fn as_prefix(word: &str, all_prefixes: bool) -> bool {
        let chars = word.chars().count();
        chars >= 2 && (all_prefixes || chars <= PREFIX_INDEXED)
    }

    /// An FTS5 query matching rows that contain every word: whole (stemmed), or as the start
    /// of a word when it is short or `all_prefixes` is set.
    pub fn fts5_query(&self, all_prefixes: bool) -> String {
        self.words
            .iter()
            .map(|w| {
                // Words hold only letters and digits, so quoting them is purely defensive.
                if Self::as_prefix(w, all_prefixes) {
                    format!("\"{w}\"*")
                } else {
                    format!("\"{w}\"")
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// A PostgreSQL `to_tsquery` text matching every word: whole (stemmed), or as the start
    /// of a word when it is short or `all_prefixes` is set.
    pub fn tsquery(&self, all_prefixes: bool) -> String {
        self.words
            .iter()
            .map(|w| {
                if Self::as_prefix(w, all_prefixes) {
                    format!("{w}:*")
                } else {
                    w.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

/// What a shopper is told about availability.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StockState {
    /// More than [`LOW_STOCK`] items.
    InStock,
    /// 1 to [`LOW_STOCK`] items.
    Low(i32),
    /// None left.
    SoldOut,
}

impl StockState {
    /// The state for `stock` items on hand.
    pub fn of(stock: i32) -> StockState {
        match stock {
            s if s <= 0 => StockState::SoldOut,
            s if s <= LOW_STOCK => StockState::Low(s),
            _ => StockState::InStock,
        }
    }

    /// The words shown to the shopper.
    pub fn label(self) -> String {
        match self {
            StockState::InStock => "In stock".to_string(),
            StockState::Low(n) => format!("Only {n} left"),
            StockState::SoldOut => "Sold out".to_string(),
        }
    }

    /// A stable name for styling (`in-stock`, `low`, `sold-out`).
    pub fn css_class(self) -> &'static str {
        match self {
            StockState::InStock => "in-stock",
            StockState::Low(_) => "low",
            StockState::SoldOut => "sold-out",
        }
    }
}

/// Whether a product is on sale.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductStatus {
    /// Listed and sold.
    Active,
    /// Taken off sale; its page remains, orders keep their copy.
    Archived,
}

impl ProductStatus {
    /// The value stored in `products.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            ProductStatus::Active => "active",
            ProductStatus::Archived => "archived",
        }
    }

    /// Reads a stored or submitted status.
    pub fn parse(value: &str) -> Option<ProductStatus> {
        [ProductStatus::Active, ProductStatus::Archived]
            .into_iter()
            .find(|s| s.as_str() == value)
    }
}

impl fmt::Display for ProductStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_read_amounts_and_refuse_nonsense() {
        let f = ListFilter::parse(Some("10"), Some("50.50"), Some("1")).unwrap();
        assert_eq!(f.min_price, Some(Money::from_cents(1_000)));
        assert_eq!(f.max_price, Some(Money::from_cents(5_050)));
        assert!(f.in_stock);
        assert!(ListFilter::parse(Some(""), Some(" "), None)
            .unwrap()
            .is_empty());
        for (min, max, stock) in [
            (Some("abc"), None, None),
            (None, Some("-3"), None),
            (Some("20"), Some("10"), None),
            (None, None, Some("yes")),
            (Some("1.234"), None, None),
        ] {
            assert!(
                ListFilter::parse(min, max, stock).is_err(),
                "{min:?} {max:?} {stock:?}"
            );
        }
    }

    #[test]
    fn numbered_pages_show_both_ends_the_current_and_two_either_side() {
        use PageItem::{Gap, Page};
        let at = |page: i64, pages: i64| Pagination {
            page,
            per_page: 1,
            total: pages,
        };
        assert_eq!(
            at(6, 20).numbered(),
            [
                Page(1),
                Gap,
                Page(4),
                Page(5),
                Page(6),
                Page(7),
                Page(8),
                Gap,
                Page(20)
            ]
        );
        assert_eq!(at(1, 3).numbered(), [Page(1), Page(2), Page(3)]);
        assert_eq!(
            at(4, 9).numbered(),
            [
                Page(1),
                Page(2),
                Page(3),
                Page(4),
                Page(5),
                Page(6),
                Gap,
                Page(9)
            ]
        );
        assert_eq!(at(1, 0).numbered(), [Page(1)]);
    }

    proptest::proptest! {
        #[test]
        fn numbered_pages_are_increasing_and_hold_the_ends_and_the_current(pages in 1i64..500, page in 1i64..500) {
            let p = Pagination { page: page.min(pages), per_page: 1, total: pages };
            let numbers: Vec<i64> = p.numbered().into_iter().filter_map(|i| match i { PageItem::Page(n) => Some(n), PageItem::Gap => None }).collect();
            proptest::prop_assert!(numbers.windows(2).all(|w| w[0] < w[1]));
            proptest::prop_assert!(numbers.contains(&1) && numbers.contains(&pages) && numbers.contains(&p.page));
            proptest::prop_assert!(numbers.len() <= 9);
        }
    }
    use proptest::prelude::*;

    #[test]
    fn a_page_cursor_is_one_product_id() {
        assert_eq!(PageCursor::parse(None, Some(" ")), Ok(None));
        assert_eq!(
            PageCursor::parse(Some("42"), None),
            Ok(Some(PageCursor::After(42)))
        );
        assert_eq!(
            PageCursor::parse(None, Some("7")),
            Ok(Some(PageCursor::Before(7)))
        );
        for bad in ["0", "-3", "x", "1.5", "99999999999"] {
            assert!(PageCursor::parse(Some(bad), None).is_err(), "{bad}");
        }
        assert!(PageCursor::parse(Some("1"), Some("2")).is_err());
    }

    #[test]
    fn sort_defaults_follow_the_search() {
        assert_eq!(ProductSort::parse(None, false), Ok(ProductSort::Newest));
        assert_eq!(ProductSort::parse(None, true), Ok(ProductSort::Relevance));
        assert_eq!(
            ProductSort::parse(Some("relevance"), false),
            Ok(ProductSort::Newest)
        );
        assert_eq!(
            ProductSort::parse(Some("price_desc"), true),
            Ok(ProductSort::PriceDesc)
        );
        assert!(ProductSort::parse(Some("cheapest"), false).is_err());
        for sort in ProductSort::ALL {
            assert_eq!(ProductSort::parse(Some(sort.as_str()), true), Ok(sort));
        }
    }

    #[test]
    fn page_numbers_are_bounded() {
        assert_eq!(PageNumber::parse(None), Ok(PageNumber::FIRST));
        assert_eq!(PageNumber::parse(Some("")), Ok(PageNumber::FIRST));
        assert_eq!(PageNumber::parse(Some("3")).map(PageNumber::get), Ok(3));
        for bad in [
            "0",
            "-1",
            "abc",
            "1.5",
            "100001",
            "99999999999999999999999",
            "1e3",
        ] {
            assert!(PageNumber::parse(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn pagination_arithmetic() {
        let p = Pagination::new(PageNumber::parse(Some("2")).unwrap(), 24, 50);
        assert_eq!(
            (p.offset(), p.last_page(), p.previous(), p.next()),
            (24, 3, Some(1), Some(3))
        );
        assert_eq!((p.first_item(), p.last_item()), (25, 48));
        let empty = Pagination::new(PageNumber::FIRST, 24, 0);
        assert_eq!(
            (empty.last_page(), empty.page_exists(), empty.next()),
            (1, true, None)
        );
        assert_eq!(empty.first_item(), 0);
        let beyond = Pagination::new(PageNumber::parse(Some("4")).unwrap(), 24, 50);
        assert!(!beyond.page_exists());
        assert_eq!(
            beyond.checked().unwrap_err().0,
            "This list has 3 pages; page 4 does not exist."
        );
        assert_eq!(empty.checked(), Ok(empty));
    }

    #[test]
    fn search_words_lose_their_syntax() {
        let t = SearchTerms::parse(r#""Red" NEAR kettle* -blue '; DROP TABLE products; --"#);
        assert_eq!(
            t.words(),
            ["red", "near", "kettle", "blue", "drop", "table", "products"]
        );
        assert_eq!(
            t.fts5_query(true),
            r#""red"* "near"* "kettle"* "blue"* "drop"* "table"* "products"*"#
        );
        assert_eq!(
            t.tsquery(true),
            "red:* & near:* & kettle:* & blue:* & drop:* & table:* & products:*"
        );
        assert!(SearchTerms::parse(r#"" * - ; ()"#).is_empty());
    }

    #[test]
    fn long_words_match_whole_unless_all_prefixes_are_asked_for() {
        let t = SearchTerms::parse("Teapot x cup");
        assert_eq!(t.fts5_query(false), r#""teapot" "x" "cup"*"#);
        assert_eq!(t.tsquery(false), "teapot & x & cup:*");
        assert_eq!(t.fts5_query(true), r#""teapot"* "x" "cup"*"#);
        assert!(t.has_long_words());
        assert!(!SearchTerms::parse("a cup").has_long_words());
    }

    #[test]
    fn search_words_are_bounded_and_unique() {
        let t = SearchTerms::parse("a b c d e f g h i j k a");
        assert_eq!(t.words().len(), MAX_QUERY_WORDS);
        let t = SearchTerms::parse("tea TEA Tea");
        assert_eq!(t.words(), ["tea"]);
        let long = "x".repeat(500);
        assert_eq!(SearchTerms::parse(&long).words()[0].chars().count(), 40);
    }

    #[test]
    fn stock_states() {
        assert_eq!(StockState::of(0).label(), "Sold out");
        assert_eq!(StockState::of(3).label(), "Only 3 left");
        assert_eq!(StockState::of(5), StockState::Low(5));
        assert_eq!(StockState::of(6), StockState::InStock);
    }

    proptest! {
        #[test]
        fn search_words_hold_only_letters_and_digits(text in ".{0,100}") {
            let t = SearchTerms::parse(&text);
            for w in t.words() {
                prop_assert!(!w.is_empty());
                prop_assert!(w.chars().all(char::is_alphanumeric));
            }
        }
    }
}
