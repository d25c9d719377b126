//! The admin area: pages for the people who run the shop. Every handler takes `AdminUser`,
//! so anonymous visitors are sent to log in and customers get a 403 page; every write goes
//! through a service in `crate::services`, which records it in the audit log.

pub mod audit;
pub mod categories;
pub mod coupons;
pub mod csv;
pub mod dashboard;
pub mod orders;
pub mod photos;
pub mod products;
pub mod reviews;
pub mod settings;
pub mod shipping;
pub mod users;
pub mod variants;

use crate::db::{self, DbConn};
use crate::domain::catalog::{PageNumber, Pagination};
use crate::models::Window;
use crate::services::Actor;
use crate::web::auth::AdminUser;
use crate::web::error::AppError;
use crate::web::state::AppState;

/// Rows on a page of an admin list.
pub const PER_PAGE: i64 = 50;

/// Reads page `number` of an admin list: `read(conn, window)` returns what the page shows and
/// how many rows the whole list has. A page past the end is refused.
pub async fn read_page<T, F>(
    state: &AppState,
    number: PageNumber,
    read: F,
) -> Result<(T, Pagination), AppError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConn, Window) -> Result<(T, i64), AppError> + Send + 'static,
{
    let window = Window {
        limit: PER_PAGE,
        offset: (number.get() - 1) * PER_PAGE,
    };
    let (shown, total) = db::run(&state.pool, move |conn| read(conn, window)).await?;
    Ok((shown, Pagination::new(number, PER_PAGE, total).checked()?))
}

/// A list filter's choice: empty or `all` filters nothing; otherwise `parse` must know the
/// text, or the request is refused with `message`.
pub fn choice<T>(
    text: &str,
    parse: impl FnOnce(&str) -> Option<T>,
    message: &str,
) -> Result<Option<T>, AppError> {
    match text {
        "" | "all" => Ok(None),
        text => parse(text)
            .map(Some)
            .ok_or_else(|| AppError::BadRequest(message.to_string())),
    }
}

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
