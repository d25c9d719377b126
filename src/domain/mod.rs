//! The shop's rules as plain types and functions, free of the web framework and the database.
//! Handlers turn raw input into these types, and once a value exists it is valid.

pub mod account;
pub mod cart;
pub mod catalog;
pub mod category_tree;
pub mod coupon;
pub mod money;
pub mod order;
pub mod payment;
pub mod pricing;
pub mod product;
pub mod review;
pub mod settings;
pub mod shipping;
pub mod slug;
pub mod tax;
pub mod throttle;

pub use cart::{LineChange, Quantity};
pub use catalog::{
    ListFilter, PageCursor, PageItem, PageNumber, Pagination, ProductSort, ProductStatus,
    SearchTerms, StockState,
};
pub use money::Money;
pub use order::{AddressInput, OrderStatus, ShippingAddress};
pub use pricing::{DiscountRule, Totals};
