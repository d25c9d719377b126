//! Review rules: a rating of 1 to 5 stars and a text of up to 2,000 characters, shown exactly
//! as typed; and the average as people read it.

/// The longest review text, in characters.
pub const MAX_REVIEW_CHARS: usize = 2000;

/// A rating of 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Rating(i32);

impl Rating {
    /// Reads a rating from a form.
    pub fn parse(input: &str) -> Result<Rating, &'static str> {
        match input.trim().parse::<i32>() {
            Ok(n) if (1..=5).contains(&n) => Ok(Rating(n)),
            _ => Err("Choose a rating from 1 to 5 stars."),
        }
    }

    /// The number of stars.
    pub fn get(self) -> i32 {
        self.0
    }
}

/// A review text: not blank, at most [`MAX_REVIEW_CHARS`] characters, kept exactly as typed
/// (only line endings are normalised).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewBody(String);

impl ReviewBody {
    /// Reads a review text from a form.
    pub fn parse(input: &str) -> Result<ReviewBody, String> {
        let text = input.replace("\r\n", "\n");
        if text.trim().is_empty() {
            return Err("Write a few words about the product.".to_string());
        }
        let length = text.chars().count();
        if length > MAX_REVIEW_CHARS {
            return Err(format!(
                "A review can be at most {MAX_REVIEW_CHARS} characters; this one has {length}."
            ));
        }
        Ok(ReviewBody(text))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The average of `count` visible ratings summing to `sum`, in tenths of a star, rounded
/// half up (`None` without reviews).
pub fn average_tenths(sum: i32, count: i32) -> Option<i32> {
    (count > 0).then(|| (sum * 10 + count / 2) / count)
}

/// The average as people read it: "4.3".
pub fn format_average(sum: i32, count: i32) -> Option<String> {
    average_tenths(sum, count).map(|t| format!("{}.{}", t / 10, t % 10))
}

/// Stars for a whole rating: "★★★★☆".
pub fn stars(rating: i32) -> String {
    let full = rating.clamp(0, 5) as usize;
    format!("{}{}", "★".repeat(full), "☆".repeat(5 - full))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn ratings() {
        assert_eq!(Rating::parse("5").map(Rating::get), Ok(5));
        assert_eq!(Rating::parse(" 1 ").map(Rating::get), Ok(1));
        for bad in ["0", "6", "-1", "4.5", "", "five", "99999999999"] {
            assert!(Rating::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bodies() {
        assert!(ReviewBody::parse("").is_err());
        assert!(ReviewBody::parse("  \n\t ").is_err());
        assert_eq!(
            ReviewBody::parse(" Lovely! ").unwrap().as_str(),
            " Lovely! ",
            "kept as typed"
        );
        assert_eq!(ReviewBody::parse("a\r\nb").unwrap().as_str(), "a\nb");
        assert!(
            ReviewBody::parse(&"é".repeat(2000)).is_ok(),
            "2,000 characters, more bytes"
        );
        assert!(ReviewBody::parse(&"x".repeat(2001))
            .unwrap_err()
            .contains("2001"));
    }

    #[test]
    fn averages() {
        assert_eq!(format_average(0, 0), None);
        assert_eq!(format_average(13, 3).as_deref(), Some("4.3"));
        assert_eq!(format_average(9, 2).as_deref(), Some("4.5"));
        assert_eq!(format_average(5, 1).as_deref(), Some("5.0"));
        assert_eq!(stars(4), "★★★★☆");
    }

    proptest! {
        #[test]
        fn the_average_stays_between_one_and_five(ratings in proptest::collection::vec(1i32..=5, 1..200)) {
            let sum: i32 = ratings.iter().sum();
            let tenths = average_tenths(sum, ratings.len() as i32).unwrap();
            prop_assert!((10..=50).contains(&tenths));
        }
    }
}
