//! The admin area: pages for the people who run the shop. Every handler takes `AdminUser`,
//! so anonymous visitors are sent to log in and customers get a 403 page.

pub mod dashboard;
