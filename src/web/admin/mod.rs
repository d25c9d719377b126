//! The admin area: pages for the people who run the shop. Every handler takes `AdminUser`,
//! so anonymous visitors are sent to log in and customers get a 403 page; every write goes
//! through a service in `crate::services`, which records it in the audit log.

pub mod audit;
pub mod categories;
pub mod csv;
pub mod dashboard;
pub mod orders;
pub mod products;
pub mod reviews;
pub mod users;

use crate::services::Actor;
use crate::web::auth::AdminUser;

/// The admin behind a request, as the audit log names them.
pub fn actor(admin: &AdminUser) -> Actor {
    Actor {
        id: admin.0.id,
        email: admin.0.email.clone(),
    }
}

/// The URL of page `page` of a list at `base` with the non-empty `params`.
pub fn list_url(base: &str, params: &[(&str, &str)], page: i64) -> String {
    let mut pairs: Vec<(&str, String)> = params
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (*k, v.to_string()))
        .collect();
    if page > 1 {
        pairs.push(("page", page.to_string()));
    }
    match serde_urlencoded::to_string(&pairs) {
        Ok(query) if !query.is_empty() => format!("{base}?{query}"),
        _ => base.to_string(),
    }
}
