//! `GET /admin/audit`: who changed what and when, with the fields before and after; filtered
//! by kind of thing and by admin, 50 a page, newest first.

use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde::Deserialize;

use crate::domain::{PageNumber, Pagination};
use crate::models::audit::{self, AuditFilter, AuditRow};
use crate::web::admin::{list_url, read_page};
use crate::web::error::AppError;
use crate::web::page::{render, PageContext};
use crate::web::pagination::PageLinks;
use crate::web::visit::{AdminVisit, Reply};

/// The kinds of things the log records.
const ENTITIES: [&str; 5] = ["product", "category", "order", "user", "review"];

/// The page's query string.
#[derive(Debug, Deserialize)]
pub struct AuditQuery {
    entity: Option<String>,
    admin: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    page: PageContext,
    rows: Vec<AuditRow>,
    pagination: Pagination,
    entity: String,
    admin: String,
    entities: [&'static str; 5],
    admins: Vec<(i32, String)>,
    links: PageLinks,
}

impl AuditPage {
    fn link(&self, row: &AuditRow) -> Option<String> {
        match row.entity.as_str() {
            "product" => Some(format!("/admin/products/{}/edit", row.entity_id)),
            "category" => Some(format!("/admin/categories/{}/edit", row.entity_id)),
            "order" => Some(format!("/admin/orders/{}", row.entity_id)),
            _ => None,
        }
    }

    fn entity_selected(&self, entity: &str) -> bool {
        self.entity == entity
    }

    fn admin_selected(&self, id: &i32) -> bool {
        self.admin == id.to_string()
    }
}

/// `GET /admin/audit`.
pub async fn list(v: AdminVisit, query: web::Query<AuditQuery>) -> Reply {
    let AdminVisit { state, page, .. } = v;
    let query = query.into_inner();
    let entity = query.entity.unwrap_or_default();
    if !entity.is_empty() && !ENTITIES.contains(&entity.as_str()) {
        return Err(AppError::BadRequest(format!(
            "Show one of: {}.",
            ENTITIES.join(", ")
        )));
    }
    let admin_text = query.admin.unwrap_or_default();
    let admin_id = match admin_text.trim() {
        "" => None,
        id => Some(
            id.parse::<i32>()
                .map_err(|_| AppError::BadRequest("Unknown admin.".into()))?,
        ),
    };
    let number = PageNumber::parse(query.page.as_deref())?;
    let filter = AuditFilter {
        entity: (!entity.is_empty()).then(|| entity.clone()),
        admin_id,
    };
    let ((rows, admins), pagination) = read_page(&state, number, move |conn, window| {
        let (rows, total) = audit::page(conn, &filter, window)?;
        Ok(((rows, audit::admins(conn)?), total))
    })
    .await?;
    let params = [("entity", entity.as_str()), ("admin", admin_text.as_str())];
    render(
        StatusCode::OK,
        &AuditPage {
            page,
            links: PageLinks::new(&pagination, |n| list_url("/admin/audit", &params, n))
                .newest_first(),
            rows,
            pagination,
            entity,
            admin: admin_text,
            entities: ENTITIES,
            admins,
        },
    )
}
