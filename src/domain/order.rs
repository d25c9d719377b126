//! Orders: the status machine and the shipping address.

use std::fmt;

/// Where an order is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrderStatus {
    /// Placed, not yet paid.
    Pending,
    /// Paid.
    Paid,
    /// On its way.
    Shipped,
    /// Arrived.
    Delivered,
    /// Called off; its stock went back.
    Cancelled,
    /// Not paid in time: called off by the shop; its stock went back.
    Expired,
    /// Its whole payment went back to the customer.
    Refunded,
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl OrderStatus {
    /// Every status, in the order an order lives them.
    pub const ALL: [OrderStatus; 7] = [
        OrderStatus::Pending,
        OrderStatus::Paid,
        OrderStatus::Shipped,
        OrderStatus::Delivered,
        OrderStatus::Cancelled,
        OrderStatus::Expired,
        OrderStatus::Refunded,
    ];

    /// The value stored in `orders.status`.
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Pending => "pending",
            OrderStatus::Paid => "paid",
            OrderStatus::Shipped => "shipped",
            OrderStatus::Delivered => "delivered",
            OrderStatus::Cancelled => "cancelled",
            OrderStatus::Expired => "expired",
            OrderStatus::Refunded => "refunded",
        }
    }

    /// Reads a stored or submitted status.
    pub fn parse(value: &str) -> Option<OrderStatus> {
        OrderStatus::ALL.into_iter().find(|s| s.as_str() == value)
    }

    /// How people read it.
    pub fn label(self) -> &'static str {
        match self {
            OrderStatus::Pending => "Pending",
            OrderStatus::Paid => "Paid",
            OrderStatus::Shipped => "Shipped",
            OrderStatus::Delivered => "Delivered",
            OrderStatus::Cancelled => "Cancelled",
            OrderStatus::Expired => "Expired",
            OrderStatus::Refunded => "Refunded",
        }
    }

    /// The statuses an admin may move this one to: pending → paid → shipped → delivered, and
    /// pending or paid → cancelled. Expired and refunded are the shop's own moves (the
    /// payment deadline, a full refund), never picked from the status form.
    pub fn next(self) -> &'static [OrderStatus] {
        match self {
            OrderStatus::Pending => &[OrderStatus::Paid, OrderStatus::Cancelled],
            OrderStatus::Paid => &[OrderStatus::Shipped, OrderStatus::Cancelled],
            OrderStatus::Shipped => &[OrderStatus::Delivered],
            OrderStatus::Delivered
            | OrderStatus::Cancelled
            | OrderStatus::Expired
            | OrderStatus::Refunded => &[],
        }
    }

    /// Whether money was taken for an order in this status and may still be owed back: a
    /// paid order at any later step, or one cancelled or expired after it was paid.
    pub fn may_hold_payment(self) -> bool {
        !matches!(self, OrderStatus::Pending | OrderStatus::Refunded)
    }

    /// Moves to `to`, or says why not.
    pub fn move_to(self, to: OrderStatus) -> Result<OrderStatus, IllegalMove> {
        if self.next().contains(&to) {
            Ok(to)
        } else {
            Err(IllegalMove { from: self, to })
        }
    }

    /// Whether the customer may still call it off themselves.
    pub fn customer_can_cancel(self) -> bool {
        self == OrderStatus::Pending
    }
}

/// A status change the machine does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IllegalMove {
    /// Where the order is.
    pub from: OrderStatus,
    /// Where it was asked to go.
    pub to: OrderStatus,
}

impl fmt::Display for IllegalMove {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let allowed: Vec<&str> = self.from.next().iter().map(|s| s.label()).collect();
        write!(
            f,
            "A {} order cannot become {}. ",
            self.from.label().to_lowercase(),
            self.to.label().to_lowercase()
        )?;
        if allowed.is_empty() {
            write!(f, "It cannot change any more.")
        } else {
            write!(f, "It can become: {}.", allowed.join(", ").to_lowercase())
        }
    }
}

impl std::error::Error for IllegalMove {}

/// A shipping address as typed into the checkout form, kept to show the form again.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressInput {
    /// Who receives it.
    pub name: String,
    /// Street and number.
    pub address_line1: String,
    /// Flat, building, c/o (may be empty).
    pub address_line2: String,
    /// Postal code.
    pub postcode: String,
    /// Town or city.
    pub city: String,
    /// Country.
    pub country: String,
}

/// Where an order goes, trimmed and checked: made only by [`ShippingAddress::parse`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingAddress {
    name: String,
    address_line1: String,
    address_line2: String,
    postcode: String,
    city: String,
    country: String,
}

impl ShippingAddress {
    /// Checks each field of `typed`; the errors name the field and say what to fix.
    pub fn parse(typed: &AddressInput) -> Result<ShippingAddress, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let mut field =
            |key: &'static str, value: &str, label: &str, required: bool, max: usize| {
                let value = value.trim();
                if required && value.is_empty() {
                    errors.push((key, format!("Enter the {label}.")));
                } else if value.chars().count() > max {
                    errors.push((key, format!("The {label} can be at most {max} characters.")));
                } else if value.chars().any(char::is_control) {
                    errors.push((
                        key,
                        format!("The {label} has characters that cannot be printed."),
                    ));
                }
                value.to_string()
            };
        let mut address = ShippingAddress {
            name: field("name", &typed.name, "name to ship to", true, 100),
            address_line1: field(
                "address_line1",
                &typed.address_line1,
                "street address",
                true,
                200,
            ),
            address_line2: field(
                "address_line2",
                &typed.address_line2,
                "second address line",
                false,
                200,
            ),
            postcode: field("postcode", &typed.postcode, "postcode", true, 20),
            city: field("city", &typed.city, "town or city", true, 100),
            country: field("country", &typed.country, "country", true, 60),
        };
        if !address.country.is_empty() && !errors.iter().any(|(f, _)| *f == "country") {
            match crate::domain::shipping::parse_country(&address.country) {
                Some(code) => address.country = code.to_string(),
                None => errors.push(("country", "Choose the country from the list.".to_string())),
            }
        }
        if !address.postcode.is_empty()
            && !address
                .postcode
                .chars()
                .all(|c| c.is_alphanumeric() || c == ' ' || c == '-')
        {
            errors.push((
                "postcode",
                "A postcode has only letters, digits, spaces and dashes.".to_string(),
            ));
        }
        if errors.is_empty() {
            Ok(address)
        } else {
            Err(errors)
        }
    }

    /// Who receives it.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Street and number.
    pub fn address_line1(&self) -> &str {
        &self.address_line1
    }

    /// Flat, building, c/o (may be empty).
    pub fn address_line2(&self) -> &str {
        &self.address_line2
    }

    /// Postal code.
    pub fn postcode(&self) -> &str {
        &self.postcode
    }

    /// Town or city.
    pub fn city(&self) -> &str {
        &self.city
    }

    /// Country, as its ISO 3166-1 alpha-2 code.
    pub fn country(&self) -> &str {
        &self.country
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_status_machine() {
        use OrderStatus::*;
        let allowed = [
            (Pending, Paid),
            (Paid, Shipped),
            (Shipped, Delivered),
            (Pending, Cancelled),
            (Paid, Cancelled),
        ];
        for from in OrderStatus::ALL {
            for to in OrderStatus::ALL {
                assert_eq!(
                    from.move_to(to).is_ok(),
                    allowed.contains(&(from, to)),
                    "{from:?} -> {to:?}"
                );
            }
        }
        let err = Delivered.move_to(Pending).unwrap_err().to_string();
        assert_eq!(
            err,
            "A delivered order cannot become pending. It cannot change any more."
        );
        assert!(Paid
            .move_to(Pending)
            .unwrap_err()
            .to_string()
            .contains("shipped, cancelled"));
        for s in OrderStatus::ALL {
            assert_eq!(OrderStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(OrderStatus::parse("lost"), None);
    }

    fn typed(fields: [&str; 6]) -> AddressInput {
        let [name, address_line1, address_line2, postcode, city, country] =
            fields.map(String::from);
        AddressInput {
            name,
            address_line1,
            address_line2,
            postcode,
            city,
            country,
        }
    }

    #[test]
    fn addresses_are_trimmed_and_checked() {
        let ok = ShippingAddress::parse(&typed([
            " Ada Lovelace ",
            "12 St James's Square",
            "",
            "SW1Y 4JH",
            "London",
            "gb",
        ]))
        .unwrap();
        assert_eq!(ok.country(), "GB");
        assert_eq!(ok.name(), "Ada Lovelace");
        let too_long = "x".repeat(61);
        let errors =
            ShippingAddress::parse(&typed(["", " ", "", "SW1Y<4JH>", "", &too_long])).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            ["name", "address_line1", "city", "country", "postcode"]
        );
    }
}
