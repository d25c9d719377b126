//! Slugs: the URL-safe names of categories (`coffee-tea`).

/// The longest slug.
pub const MAX_SLUG_CHARS: usize = 60;

/// A slug: lower-case ASCII letters, digits and single hyphens, not at either end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);

impl Slug {
    /// Reads a typed slug; an empty one is made from `name` instead.
    pub fn parse(typed: &str, name: &str) -> Result<Slug, String> {
        let typed = typed.trim();
        let candidate = if typed.is_empty() {
            slugify(name)
        } else {
            typed.to_string()
        };
        let valid = !candidate.is_empty()
            && candidate.len() <= MAX_SLUG_CHARS
            && candidate
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !candidate.starts_with('-')
            && !candidate.ends_with('-')
            && !candidate.contains("--");
        if valid {
            Ok(Slug(candidate))
        } else {
            Err(format!(
                "Use 1 to {MAX_SLUG_CHARS} lower-case letters, digits and single hyphens, like coffee-tea."
            ))
        }
    }

    /// The slug.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A slug made from a name: ASCII letters and digits kept (lower-cased), everything else a
/// single hyphen, trimmed to the length limit.
pub fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let mut slug: String = slug.chars().take(MAX_SLUG_CHARS).collect();
    while slug.ends_with('-') {
        slug.pop();
    }
    slug
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs() {
        assert_eq!(
            Slug::parse("coffee-tea", "x").unwrap().as_str(),
            "coffee-tea"
        );
        assert_eq!(
            Slug::parse("", "Coffee & Tea!").unwrap().as_str(),
            "coffee-tea"
        );
        for bad in [
            "Coffee",
            "coffee tea",
            "-coffee",
            "coffee-",
            "coffee--tea",
            "café",
            "a/b",
            "../x",
        ] {
            assert!(Slug::parse(bad, "x").is_err(), "{bad}");
        }
        assert!(Slug::parse(&"a".repeat(61), "x").is_err());
        assert_eq!(slugify(&"word ".repeat(30)).len(), 59);
        assert!(
            Slug::parse("", "!!!").is_err(),
            "nothing usable in the name"
        );
    }
}
