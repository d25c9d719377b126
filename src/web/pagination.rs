//! The links under a paginated list ("← Previous · Page 2 of 9 · Next →"), rendered by the
//! `pagination` macro in `templates/macros.html` for every list of the shop.

use crate::domain::catalog::{PageItem, Pagination};

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
    /// Numbered links: the first and last pages, the current one and two either side, with
    /// gaps.
    pub numbers: Vec<NumberLink>,
}

/// One numbered link, or a gap.
#[derive(Debug, Clone)]
pub struct NumberLink {
    /// The page number as shown ("…" for a gap).
    pub label: String,
    /// Where it leads; `None` for a gap and for the page shown.
    pub url: Option<String>,
    /// Whether it is the page shown.
    pub current: bool,
}

fn numbers(pagination: &Pagination, url: impl Fn(i64) -> String) -> Vec<NumberLink> {
    pagination
        .numbered()
        .into_iter()
        .map(|item| match item {
            PageItem::Page(n) => NumberLink {
                label: n.to_string(),
                url: (n != pagination.page).then(|| url(n)),
                current: n == pagination.page,
            },
            PageItem::Gap => NumberLink {
                label: "…".to_string(),
                url: None,
                current: false,
            },
        })
        .collect()
}

impl PageLinks {
    /// Links around `pagination`'s page, page `n` being at `url(n)`.
    pub fn new(pagination: &Pagination, url: impl Fn(i64) -> String) -> PageLinks {
        PageLinks::stepping(pagination, &url, &url)
    }

    /// Links around `pagination`'s page whose previous and next links carry more than the
    /// page number: those lead to `step(n)`, the numbered ones to `number(n)`.
    pub fn stepping(
        pagination: &Pagination,
        step: impl Fn(i64) -> String,
        number: impl Fn(i64) -> String,
    ) -> PageLinks {
        PageLinks {
            page: pagination.page,
            of: pagination.last_page().to_string(),
            previous: pagination.previous().map(&step),
            next: pagination.next().map(&step),
            previous_label: "← Previous",
            next_label: "Next →",
            numbers: numbers(pagination, number),
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
        let labels: Vec<&str> = links.numbers.iter().map(|n| n.label.as_str()).collect();
        assert_eq!(labels, ["1", "2", "3", "4"]);
        assert!(links.numbers[1].current && links.numbers[1].url.is_none());
        assert_eq!(links.numbers[3].url.as_deref(), Some("/x?page=4"));
        assert_eq!(links.newest_first().previous_label, "← Newer");
        Ok(())
    }
}
