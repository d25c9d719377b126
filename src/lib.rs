//! shopfront: a web shop whose backend owns the rules, the data and the HTML.

pub mod config;
pub mod domain;
