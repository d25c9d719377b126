//! The domain's enums as diesel reads them from `TEXT` columns: a value the domain does not
//! know is a deserialization error (the request fails and says so in the log), never
//! silently read as some other status. They are written with `as_str()`.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::sql_types::Text;

use crate::domain::account::Role;
use crate::domain::payment::PaymentMethod;
use crate::domain::tax::TaxClass;
use crate::domain::{OrderStatus, ProductStatus};

/// Implements `Queryable<Text, _>` for an enum with `parse(&str) -> Option<Self>`.
macro_rules! read_from_text {
    ($($enum:ty: $column:literal),+ $(,)?) => {$(
        impl<DB> Queryable<Text, DB> for $enum
        where
            DB: Backend,
            String: FromSql<Text, DB>,
        {
            type Row = String;

            fn build(stored: String) -> deserialize::Result<Self> {
                <$enum>::parse(&stored)
                    .ok_or_else(|| format!("unknown {} {stored:?} in the database", $column).into())
            }
        }
    )+};
}

read_from_text!(
    OrderStatus: "orders.status",
    ProductStatus: "products.status",
    Role: "users.role",
    PaymentMethod: "orders.payment_method",
    TaxClass: "products.tax_class",
);
