//! The links under a paginated list ("← Previous · Page 2 of 9 · Next →"), rendered by the
//! `pagination` macro in `templates/macros.html` for every list of the shop.

use crate::domain::catalog::Pagination;

/// Where the previous and next pages of a list are, and how the links read.
#[derive(Debug, Clone)]
pub struct PageLinks {
    /// The page shown.
    pub page: i64,
    /// The last page, as shown after "of".
    pub of: String,
    /// The previous page's address, if there is one.
    pub previous: Option<String>,
    /// The next page's address, if there is one.
    pub next: Option<String>,
    /// The text of the link to the previous page.
    pub previous_label: &'static str,
    /// The text of the link to the next page.
    pub next_label: &'static str,
}

impl PageLinks {
    /// Links around `pagination`'s page, page `n` being at `url(n)`.
    pub fn new(pagination: &Pagination, url: impl Fn(i64) -> String) -> PageLinks {
        PageLinks {
            page: pagination.page,
            of: pagination.last_page().to_string(),
            previous: pagination.previous().map(&url),
            next: pagination.next().map(&url),
            previous_label: "← Previous",
            next_label: "Next →",
        }
    }

    /// The same links for a list that runs from the newest to the oldest.
    pub fn newest_first(self) -> PageLinks {
        self.labelled("← Newer", "Older →")
    }

    /// The same links with other texts.
    pub fn labelled(self, previous_label: &'static str, next_label: &'static str) -> PageLinks {
        PageLinks {
            previous_label,
            next_label,
            ..self
        }
    }

    /// Whether there is another page to go to (else no links are shown).
    pub fn any(&self) -> bool {
        self.previous.is_some() || self.next.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::PageNumber;

    #[test]
    fn links_point_around_the_page_shown() -> Result<(), crate::domain::catalog::CatalogError> {
        let page = PageNumber::parse(Some("2"))?;
        let links = PageLinks::new(&Pagination::new(page, 10, 35), |n| format!("/x?page={n}"));
        assert_eq!(links.previous.as_deref(), Some("/x?page=1"));
        assert_eq!(links.next.as_deref(), Some("/x?page=3"));
        assert_eq!((links.page, links.of.as_str()), (2, "4"));
        let only = PageLinks::new(&Pagination::new(PageNumber::FIRST, 10, 3), |n| {
            n.to_string()
        });
        assert!(!only.any());
        assert_eq!(links.newest_first().previous_label, "← Newer");
        Ok(())
    }
}
