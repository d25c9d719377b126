//! Product rules for the people who run the shop: what a product form must hold, and which
//! uploaded images are accepted (recognised by their bytes, never by their name).

use crate::domain::tax::TaxClass;
use crate::domain::Money;

/// The longest product name, in characters.
pub const MAX_NAME_CHARS: usize = 200;
/// The longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
/// The most items a product may have on hand.
pub const MAX_STOCK: i32 = 1_000_000;
/// The largest image accepted, in bytes.
pub const MAX_IMAGE_BYTES: usize = 2 * 1024 * 1024;

/// A product as a form describes it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDraft {
    /// Trimmed, 1 to 200 characters.
    pub name: String,
    /// At most 10,000 characters (line endings normalised).
    pub description: String,
    /// 0 to 1,000,000.00.
    pub price: Money,
    /// 0 to 1,000,000.
    pub stock: i32,
    /// A category id (that it exists is checked against the database).
    pub category_id: i32,
    /// How it is taxed (standard unless set with [`parse_tax_class`]).
    pub tax_class: TaxClass,
    /// Its stock-keeping unit, unique in the shop (none unless set with [`parse_sku`]).
    pub sku: Option<String>,
}

/// The longest SKU.
pub const MAX_SKU_CHARS: usize = 64;

/// Reads a SKU as a form or a CSV cell gives it: empty is none; otherwise 1 to 64 letters,
/// digits, `-`, `_` and `.`, kept as typed.
pub fn parse_sku(input: &str) -> Result<Option<String>, String> {
    let text = input.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let shaped = text.chars().count() <= MAX_SKU_CHARS
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    match shaped {
        true => Ok(Some(text.to_string())),
        false => Err(format!(
            "A SKU is up to {MAX_SKU_CHARS} letters, digits, dashes, underscores and dots, like LAMP-BR-01."
        )),
    }
}

/// Reads a tax class as a form or a CSV cell gives it; empty is `standard`.
pub fn parse_tax_class(input: &str) -> Result<TaxClass, String> {
    match input.trim() {
        "" => Ok(TaxClass::Standard),
        text => TaxClass::parse(&text.to_ascii_lowercase())
            .ok_or_else(|| format!("{text:?} is not a tax class: use standard, reduced or zero.")),
    }
}

/// Reads a stock level: a whole number from 0 to [`MAX_STOCK`].
pub fn parse_stock(input: &str) -> Result<i32, String> {
    let text = input.trim();
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Enter the stock as a whole number, like 12.".to_string());
    }
    match text.trim_start_matches('0').len() {
        n if n > 7 => Err(format!("The stock can be at most {MAX_STOCK}.")),
        _ => match text.parse::<i32>() {
            Ok(n) if n <= MAX_STOCK => Ok(n),
            _ => Err(format!("The stock can be at most {MAX_STOCK}.")),
        },
    }
}

/// The longest variant name ("Size M / Blue"), in characters.
pub const MAX_VARIANT_NAME_CHARS: usize = 100;

/// A variant as the admin's form describes it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantDraft {
    /// Trimmed, 1 to 100 characters.
    pub name: String,
    /// Required for a variant, unique in the shop.
    pub sku: String,
    /// Its own price, or `None` to sell at the product's.
    pub price: Option<Money>,
    /// 0 to 1,000,000.
    pub stock: i32,
}

impl VariantDraft {
    /// Checks every field; the errors name the field and say what to fix.
    pub fn parse(
        name: &str,
        sku: &str,
        price: &str,
        stock: &str,
    ) -> Result<VariantDraft, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let name = name.trim().to_string();
        if name.is_empty() {
            errors.push(("name", "Name the variant, like Size M / Blue.".to_string()));
        } else if name.chars().count() > MAX_VARIANT_NAME_CHARS {
            errors.push((
                "name",
                format!("A variant name can be at most {MAX_VARIANT_NAME_CHARS} characters."),
            ));
        }
        let sku = match parse_sku(sku) {
            Ok(Some(sku)) => Some(sku),
            Ok(None) => {
                errors.push(("sku", "Every variant needs its own SKU.".to_string()));
                None
            }
            Err(why) => {
                errors.push(("sku", why));
                None
            }
        };
        let price = match price.trim() {
            "" => Some(None),
            text => Money::parse_price(text)
                .map(Some)
                .map_err(|e| errors.push(("price", e.to_string())))
                .ok(),
        };
        let stock = parse_stock(stock)
            .map_err(|e| errors.push(("stock", e)))
            .ok();
        match (sku, price, stock) {
            (Some(sku), Some(price), Some(stock)) if errors.is_empty() => Ok(VariantDraft {
                name,
                sku,
                price,
                stock,
            }),
            _ => Err(errors),
        }
    }
}

impl ProductDraft {
    /// Checks every field; the errors name the field and say what to fix.
    pub fn parse(
        name: &str,
        description: &str,
        price: &str,
        stock: &str,
        category_id: &str,
    ) -> Result<ProductDraft, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let name = name.trim().to_string();
        if name.is_empty() {
            errors.push(("name", "Enter a name.".to_string()));
        } else if name.chars().count() > MAX_NAME_CHARS {
            errors.push((
                "name",
                format!("A name can be at most {MAX_NAME_CHARS} characters."),
            ));
        }
        let description = description.replace("\r\n", "\n").trim().to_string();
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            errors.push((
                "description",
                format!("A description can be at most {MAX_DESCRIPTION_CHARS} characters."),
            ));
        }
        let price = Money::parse_price(price)
            .map_err(|e| errors.push(("price", e.to_string())))
            .ok();
        let stock = parse_stock(stock)
            .map_err(|e| errors.push(("stock", e)))
            .ok();
        let category_id = category_id
            .trim()
            .parse::<i32>()
            .ok()
            .filter(|id| *id > 0)
            .ok_or_else(|| errors.push(("category_id", "Choose a category.".to_string())))
            .ok();
        match (price, stock, category_id) {
            (Some(price), Some(stock), Some(category_id)) if errors.is_empty() => {
                Ok(ProductDraft {
                    name,
                    description,
                    price,
                    stock,
                    category_id,
                    tax_class: TaxClass::Standard,
                    sku: None,
                })
            }
            _ => Err(errors),
        }
    }
}

/// An accepted image format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    /// JPEG.
    Jpeg,
    /// PNG.
    Png,
    /// WebP.
    Webp,
}

impl ImageKind {
    /// The format of `bytes`, judged by their signature, or `None` when it is none of ours.
    pub fn sniff(bytes: &[u8]) -> Option<ImageKind> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(ImageKind::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(ImageKind::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(ImageKind::Webp)
        } else {
            None
        }
    }

    /// The file extension the stored file gets.
    pub fn extension(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "jpg",
            ImageKind::Png => "png",
            ImageKind::Webp => "webp",
        }
    }

    /// The format of a stored file, by the extension we gave it.
    pub fn from_extension(extension: &str) -> Option<ImageKind> {
        match extension {
            "jpg" => Some(ImageKind::Jpeg),
            "png" => Some(ImageKind::Png),
            "webp" => Some(ImageKind::Webp),
            _ => None,
        }
    }

    /// The Content-Type it is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::Webp => "image/webp",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_variant_needs_a_name_and_a_sku_and_may_have_its_own_price() {
        let draft = VariantDraft::parse(" Size M ", "TEE-M", "", "4");
        assert_eq!(
            draft,
            Ok(VariantDraft {
                name: "Size M".into(),
                sku: "TEE-M".into(),
                price: None,
                stock: 4,
            })
        );
        let priced = VariantDraft::parse("XL", "TEE-XL", "21.50", "0");
        assert_eq!(priced.map(|d| d.price), Ok(Some(Money::from_cents(2150))));
        let fields = |r: Result<VariantDraft, Vec<(&'static str, String)>>| {
            r.err()
                .unwrap_or_default()
                .into_iter()
                .map(|(f, _)| f)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            fields(VariantDraft::parse("", "", "x", "-1")),
            ["name", "sku", "price", "stock"]
        );
        assert_eq!(
            fields(VariantDraft::parse("M", "bad sku", "1", "1")),
            ["sku"]
        );
    }

    #[test]
    fn skus_are_optional_and_plainly_shaped() {
        assert_eq!(parse_sku("  "), Ok(None));
        assert_eq!(parse_sku(" LAMP-br_01.2 "), Ok(Some("LAMP-br_01.2".into())));
        for bad in ["LAMP 01", "LAMP/01", "ÄRM", &"X".repeat(65), "=1+1"] {
            assert!(parse_sku(bad).is_err(), "{bad}");
        }
    }

    fn draft(price: &str, stock: &str) -> Result<ProductDraft, Vec<(&'static str, String)>> {
        ProductDraft::parse("Lamp", "Bright.", price, stock, "3")
    }

    #[test]
    fn prices_and_stock_as_people_type_them() {
        for (price, cents) in [
            ("19.99", 1999),
            ("19", 1900),
            ("19.9", 1990),
            ("1000000.00", 100_000_000),
        ] {
            assert_eq!(
                draft(price, "5").unwrap().price,
                Money::from_cents(cents),
                "{price}"
            );
        }
        for price in ["-1", "1e3", "19.999", "1000000.01", "", "abc"] {
            let errors = draft(price, "5").unwrap_err();
            assert_eq!(errors[0].0, "price", "{price}");
        }
        assert_eq!(draft("1", "0").unwrap().stock, 0);
        assert_eq!(draft("1", "1000000").unwrap().stock, 1_000_000);
        for stock in ["-1", "1000001", "1.5", "", "x", "99999999999999"] {
            assert_eq!(draft("1", stock).unwrap_err()[0].0, "stock", "{stock}");
        }
    }

    #[test]
    fn names_descriptions_and_categories() {
        let errors = ProductDraft::parse("  ", &"x".repeat(10_001), "1", "1", "none").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["name", "description", "category_id"]);
        assert!(ProductDraft::parse(&"n".repeat(200), &"d".repeat(10_000), "1", "1", "1").is_ok());
        assert!(ProductDraft::parse(&"n".repeat(201), "", "1", "1", "1").is_err());
        assert_eq!(
            ProductDraft::parse(" Lamp ", "a\r\nb", "1", "1", "1")
                .unwrap()
                .description,
            "a\nb"
        );
    }

    #[test]
    fn images_are_judged_by_their_bytes() {
        assert_eq!(
            ImageKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]),
            Some(ImageKind::Jpeg)
        );
        assert_eq!(
            ImageKind::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some(ImageKind::Png)
        );
        assert_eq!(
            ImageKind::sniff(b"RIFF\x24\0\0\0WEBPVP8 "),
            Some(ImageKind::Webp)
        );
        assert_eq!(ImageKind::sniff(b"this is not a png at all"), None);
        assert_eq!(ImageKind::sniff(b"GIF89a"), None);
        assert_eq!(ImageKind::sniff(b""), None);
        for kind in [ImageKind::Jpeg, ImageKind::Png, ImageKind::Webp] {
            assert_eq!(ImageKind::from_extension(kind.extension()), Some(kind));
        }
    }
}
