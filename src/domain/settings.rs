//! The shop's own settings, as an admin changes them at run time: its name and address for
//! pages, mails and invoices, whether prices include tax, the discount rule and the bank
//! details. Typed values are checked here; the database keeps one row of them.

use crate::domain::account::Email;
use crate::domain::{DiscountRule, Money};

/// Longest shop name.
pub const SHOP_NAME_MAX: usize = 60;
/// Longest postal address (several lines).
pub const SHOP_ADDRESS_MAX: usize = 500;
/// Longest VAT id.
pub const VAT_ID_MAX: usize = 30;
/// Longest bank details.
pub const BANK_DETAILS_MAX: usize = 500;

/// The settings in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopSettings {
    /// Shown in the header, every title, the footer and every mail.
    pub shop_name: String,
    /// Printed on invoices (several lines).
    pub shop_address: String,
    /// Printed on invoices.
    pub vat_id: String,
    /// Where customers write to.
    pub contact_email: String,
    /// Whether prices are shown with tax in them (else tax comes on top).
    pub prices_include_tax: bool,
    /// Percent off above the threshold.
    pub discount_percent: u32,
    /// The subtotal must be strictly more than this for the discount.
    pub discount_threshold: Money,
    /// What a bank-transfer customer pays to.
    pub bank_transfer_details: String,
}

impl ShopSettings {
    /// The discount rule in force.
    pub fn discount_rule(&self) -> DiscountRule {
        DiscountRule {
            percent: self.discount_percent,
            threshold: self.discount_threshold,
        }
    }

    /// The footer's sentence about tax.
    pub fn tax_sentence(&self) -> &'static str {
        if self.prices_include_tax {
            "prices include tax"
        } else {
            "tax is added at checkout"
        }
    }

    /// The settings form's fields, filled with these values.
    pub fn to_input(&self) -> SettingsInput {
        SettingsInput {
            shop_name: self.shop_name.clone(),
            shop_address: self.shop_address.clone(),
            vat_id: self.vat_id.clone(),
            contact_email: self.contact_email.clone(),
            prices_include_tax: self.prices_include_tax,
            discount_percent: self.discount_percent.to_string(),
            discount_threshold: self.discount_threshold.to_decimal_string(),
            bank_transfer_details: self.bank_transfer_details.clone(),
        }
    }
}

/// The settings form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SettingsInput {
    /// `shop_name`.
    pub shop_name: String,
    /// `shop_address`.
    pub shop_address: String,
    /// `vat_id`.
    pub vat_id: String,
    /// `contact_email`.
    pub contact_email: String,
    /// `prices_include_tax` (a checkbox: present or not).
    pub prices_include_tax: bool,
    /// `discount_percent`.
    pub discount_percent: String,
    /// `discount_threshold`, an amount like `100.00`.
    pub discount_threshold: String,
    /// `bank_transfer_details`.
    pub bank_transfer_details: String,
}

fn one_line(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

fn lines(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r')
}

impl SettingsInput {
    /// The settings, or each field's problem.
    pub fn parse(&self) -> Result<ShopSettings, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let name = self.shop_name.trim();
        if name.is_empty() || name.chars().count() > SHOP_NAME_MAX || !one_line(name) {
            errors.push((
                "shop_name",
                format!("Give the shop a name of 1 to {SHOP_NAME_MAX} characters on one line."),
            ));
        }
        let address = self.shop_address.trim().replace("\r\n", "\n");
        if address.chars().count() > SHOP_ADDRESS_MAX || !lines(&address) {
            errors.push((
                "shop_address",
                format!("The address is at most {SHOP_ADDRESS_MAX} characters."),
            ));
        }
        let vat_id = self.vat_id.trim();
        if vat_id.chars().count() > VAT_ID_MAX || !one_line(vat_id) {
            errors.push((
                "vat_id",
                format!("A VAT id is at most {VAT_ID_MAX} characters, like DE123456789."),
            ));
        }
        let contact = self.contact_email.trim();
        let contact = if contact.is_empty() {
            String::new()
        } else {
            match Email::parse(contact) {
                Ok(email) => email.as_str().to_string(),
                Err(why) => {
                    errors.push(("contact_email", why.to_string()));
                    String::new()
                }
            }
        };
        let percent = match self.discount_percent.trim().parse::<u32>() {
            Ok(p) if p <= 100 => p,
            _ => {
                errors.push((
                    "discount_percent",
                    "Enter a whole percent from 0 (no discount) to 100.".to_string(),
                ));
                0
            }
        };
        let threshold = match Money::parse_price(self.discount_threshold.trim()) {
            Ok(amount) => amount,
            Err(_) => {
                errors.push((
                    "discount_threshold",
                    "Enter the order value above which the discount applies, like 100.00."
                        .to_string(),
                ));
                Money::ZERO
            }
        };
        let bank = self.bank_transfer_details.trim().replace("\r\n", "\n");
        if bank.chars().count() > BANK_DETAILS_MAX || !lines(&bank) {
            errors.push((
                "bank_transfer_details",
                format!("The bank details are at most {BANK_DETAILS_MAX} characters."),
            ));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ShopSettings {
            shop_name: name.to_string(),
            shop_address: address,
            vat_id: vat_id.to_string(),
            contact_email: contact,
            prices_include_tax: self.prices_include_tax,
            discount_percent: percent,
            discount_threshold: threshold,
            bank_transfer_details: bank,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed() -> SettingsInput {
        SettingsInput {
            shop_name: " Kaffeehaus ".into(),
            shop_address: "Kaffeehaus GmbH\r\nHauptstr. 1\r\n10115 Berlin".into(),
            vat_id: "DE123456789".into(),
            contact_email: "Hallo@Kaffeehaus.example".into(),
            prices_include_tax: true,
            discount_percent: "10".into(),
            discount_threshold: "100.00".into(),
            bank_transfer_details: "IBAN DE89 3704 0044 0532 0130 00".into(),
        }
    }

    #[test]
    fn settings_are_trimmed_and_checked() {
        let s = typed().parse().unwrap();
        assert_eq!(s.shop_name, "Kaffeehaus");
        assert_eq!(s.shop_address, "Kaffeehaus GmbH\nHauptstr. 1\n10115 Berlin");
        assert_eq!(s.contact_email, "hallo@kaffeehaus.example");
        assert_eq!(s.discount_rule().threshold, Money::from_cents(10_000));
        assert_eq!(s.to_input().parse().unwrap(), s, "the form round-trips");
        let bad = SettingsInput {
            shop_name: "\t".into(),
            contact_email: "nope".into(),
            discount_percent: "101".into(),
            discount_threshold: "-1".into(),
            ..typed()
        };
        let fields: Vec<&str> = bad.parse().unwrap_err().iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            [
                "shop_name",
                "contact_email",
                "discount_percent",
                "discount_threshold"
            ]
        );
        assert_eq!(s.tax_sentence(), "prices include tax");
    }
}
