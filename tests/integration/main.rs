//! Integration tests: the real server on a fresh database per test, driven through HTTP as a
//! browser would. With `TEST_DATABASE_URL=postgres://…` the same tests run on PostgreSQL.

mod support;

mod accounts;
mod addresses;
mod admin;
mod browsing;
mod card;
mod cart;
mod catalogue;
mod categories;
mod cli;
mod coupons;
mod credit;
mod freshness;
mod guests;
mod invoices;
mod limits;
mod mail;
mod migrations;
mod operations;
mod orders;
mod pages;
mod payments;
mod photos;
mod races;
mod refunds;
mod reviews;
mod seo;
mod settings;
mod tax;
mod variants;
