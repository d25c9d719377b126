//! Rendered catalogue pages, kept per process for visitors who see them as anyone would, by
//! address and catalogue version: a page is served from here only while the catalogue is at
//! the version it was rendered at, so no price or stock state outlives a write (see
//! `AppState::catalog_version` for how soon a write is seen).
//!
//! A page is kept with a placeholder where its forms carry the visitor's token; each visitor's
//! own masked token replaces it on the way out.

use std::collections::{HashMap, HashSet, VecDeque};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::{Arc, Mutex, OnceLock};

/// Pages kept at most.
const MAX_PAGES: usize = 1_000;
/// Bytes of pages kept at most (the addresses come on top, each at most a URL's length).
const MAX_BYTES: usize = 8 << 20;
/// A page larger than this is not kept: a few would crowd out the rest.
const MAX_PAGE_BYTES: usize = 256 << 10;
/// Addresses remembered as asked for once; past this the memory starts afresh.
const MAX_SEEN: usize = 16_384;

/// The text a kept page holds where a form's token goes: random per process, so no product
/// description can spell it.
pub fn token_placeholder() -> &'static str {
    static PLACEHOLDER: OnceLock<String> = OnceLock::new();
    PLACEHOLDER.get_or_init(|| format!("csrf-{}", crate::config::random_hex(16)))
}

/// The kept pages; every worker shares one.
#[derive(Default)]
pub struct PageCache {
    inner: Mutex<Kept>,
}

#[derive(Default)]
struct Kept {
    /// The catalogue version every kept page was rendered at.
    version: i64,
    pages: HashMap<String, Arc<str>>,
    /// Addresses, oldest first, for eviction.
    order: VecDeque<String>,
    bytes: usize,
    /// Addresses asked for once at this version, hashed.
    seen: HashSet<u64>,
}

impl PageCache {
    /// The page at `address` rendered at `version`, if kept.
    pub fn get(&self, version: i64, address: &str) -> Option<Arc<str>> {
        let kept = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if kept.version != version {
            return None;
        }
        kept.pages.get(address).cloned()
    }

    /// Whether `address` was asked for before at `version`; notes that it now has been. A
    /// page is kept from its second request on, so an address asked for once (a crawler's
    /// walk, a page number typed by hand) costs no keeping and pushes no page out.
    pub fn seen_before(&self, version: i64, address: &str) -> bool {
        let mut kept = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if version < kept.version {
            return false;
        }
        if version > kept.version {
            *kept = Kept {
                version,
                ..Kept::default()
            };
        }
        let mut hasher = DefaultHasher::new();
        address.hash(&mut hasher);
        let key = hasher.finish();
        if kept.seen.contains(&key) {
            return true;
        }
        if kept.seen.len() >= MAX_SEEN {
            kept.seen.clear();
        }
        kept.seen.insert(key);
        false
    }

    /// Keeps `page`, rendered at `version`. A newer version forgets every page kept before;
    /// a page of an older one (rendered while a write landed) is not kept.
    pub fn put(&self, version: i64, address: &str, page: Arc<str>) {
        if page.len() > MAX_PAGE_BYTES {
            return;
        }
        let mut kept = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if version < kept.version {
            return;
        }
        if version > kept.version {
            *kept = Kept {
                version,
                ..Kept::default()
            };
        }
        if kept.pages.contains_key(address) {
            return;
        }
        while !kept.order.is_empty()
            && (kept.pages.len() >= MAX_PAGES || kept.bytes + page.len() > MAX_BYTES)
        {
            if let Some(oldest) = kept.order.pop_front() {
                if let Some(gone) = kept.pages.remove(&oldest) {
                    kept.bytes -= gone.len();
                }
            }
        }
        kept.bytes += page.len();
        kept.order.push_back(address.to_string());
        kept.pages.insert(address.to_string(), page);
    }

    /// Pages kept now, and their bytes.
    pub fn size(&self) -> (usize, usize) {
        let kept = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        (kept.pages.len(), kept.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_is_served_only_at_the_version_it_was_rendered_at() {
        let cache = PageCache::default();
        cache.put(3, "/products", Arc::from("three"));
        assert_eq!(cache.get(3, "/products").as_deref(), Some("three"));
        assert_eq!(cache.get(4, "/products"), None);
        assert_eq!(cache.get(3, "/products?page=2"), None);
        // An older render arriving late is not kept over the newer version's.
        cache.put(4, "/", Arc::from("four"));
        cache.put(3, "/products", Arc::from("old"));
        assert_eq!(cache.get(4, "/products"), None);
        assert_eq!(cache.size(), (1, 4));
    }

    #[test]
    fn an_address_is_worth_keeping_from_its_second_request_at_a_version() {
        let cache = PageCache::default();
        assert!(!cache.seen_before(1, "/products?page=7"));
        assert!(cache.seen_before(1, "/products?page=7"));
        assert!(!cache.seen_before(1, "/products?page=8"));
        // A new version starts afresh.
        assert!(!cache.seen_before(2, "/products?page=7"));
        assert!(
            !cache.seen_before(1, "/products?page=7"),
            "an older version is never kept"
        );
    }

    #[test]
    fn the_oldest_pages_go_first_when_full() {
        let cache = PageCache::default();
        for n in 0..MAX_PAGES + 5 {
            cache.put(1, &format!("/products/{n}"), Arc::from("x"));
        }
        assert_eq!(cache.size().0, MAX_PAGES);
        assert_eq!(cache.get(1, "/products/0"), None);
        assert!(cache
            .get(1, &format!("/products/{}", MAX_PAGES + 4))
            .is_some());
        let big: Arc<str> = Arc::from("y".repeat(MAX_PAGE_BYTES / 2).as_str());
        for n in 0..(MAX_BYTES / big.len()) + 3 {
            cache.put(1, &format!("/big/{n}"), big.clone());
        }
        assert!(cache.size().1 <= MAX_BYTES);
        assert_eq!(cache.get(1, "/big/0"), None);
        cache.put(
            1,
            "/huge",
            Arc::from("z".repeat(MAX_PAGE_BYTES + 1).as_str()),
        );
        assert_eq!(cache.get(1, "/huge"), None);
    }
}
