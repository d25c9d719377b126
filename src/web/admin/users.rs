//! Users in the admin area: the list (search by address, filter by role and verification)
//! and changing a role. The last admin cannot be demoted.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::domain::account::Role;
use crate::domain::payment::parse_credit_amount;
use crate::domain::{PageNumber, Pagination};
use crate::models::now;
use crate::models::user::{self, User, UserFilter};
use crate::services::credit::{self, CreditRefused};
use crate::services::users_admin;
use crate::web::admin::{actor, choice, list_url, read_page};
use crate::web::error::AppError;
use crate::web::flash::{self};
use crate::web::page::{render, PageContext};
use crate::web::pagination::PageLinks;
use crate::web::state::AppState;
use crate::web::visit::{path_id, AdminVisit, Reply};

/// The list's query string.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    role: Option<String>,
    verified: Option<String>,
    page: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/users.html")]
struct ListPage {
    page: PageContext,
    users: Vec<User>,
    pagination: Pagination,
    q: String,
    role: String,
    verified: String,
    error: Option<String>,
    links: PageLinks,
}

async fn list_page(
    state: &AppState,
    page: PageContext,
    query: ListQuery,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let q = query.q.unwrap_or_default().trim().to_string();
    let role_text = query.role.unwrap_or_default();
    let role = choice(&role_text, Role::parse, "Role is customer, admin or all.")?;
    let verified_text = query.verified.unwrap_or_default();
    let yes_or_no = |text: &str| match text {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let verified = choice(&verified_text, yes_or_no, "Verified is yes, no or all.")?;
    let number = PageNumber::parse(query.page.as_deref())?;
    let filter = UserFilter {
        email: (!q.is_empty()).then(|| q.clone()),
        role,
        verified,
    };
    let (users, pagination) = read_page(state, number, move |conn, window| {
        Ok(user::page(conn, &filter, window)?)
    })
    .await?;
    let params = [
        ("q", q.as_str()),
        ("role", role_text.as_str()),
        ("verified", verified_text.as_str()),
    ];
    render(
        status,
        &ListPage {
            page,
            links: PageLinks::new(&pagination, |n| list_url("/admin/users", &params, n)),
            users,
            pagination,
            q,
            role: role_text,
            verified: verified_text,
            error,
        },
    )
}

/// `GET /admin/users`.
pub async fn list(v: AdminVisit, query: web::Query<ListQuery>) -> Reply {
    let AdminVisit { state, page, .. } = v;
    list_page(&state, page, query.into_inner(), None, StatusCode::OK).await
}

/// The role form as posted.
#[derive(Debug, Deserialize)]
pub struct RoleForm {
    #[serde(default)]
    role: String,
}

/// `POST /admin/users/{id}/role`.
pub async fn set_role(v: AdminVisit, id: web::Path<String>, form: web::Form<RoleForm>) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let id = path_id(&id)?;
    let role = match form.role.trim() {
        "customer" => Role::Customer,
        "admin" => Role::Admin,
        _ => {
            let message = Some("Choose a role: customer or admin.".to_string());
            return list_page(
                &state,
                page,
                ListQuery::default(),
                message,
                StatusCode::BAD_REQUEST,
            )
            .await;
        }
    };
    let actor = actor(&admin);
    let changed = db::run(&state.pool, move |conn| {
        users_admin::change_role(conn, &actor, id, role, now())
    })
    .await?;
    match changed {
        Ok(()) => Ok(flash::success(
            &req,
            format!("The role is now {}.", role.as_str()),
            "/admin/users",
        )),
        Err(reason) => {
            list_page(
                &state,
                page,
                ListQuery::default(),
                Some(reason),
                StatusCode::BAD_REQUEST,
            )
            .await
        }
    }
}

/// The store-credit form as posted.
#[derive(Debug, Deserialize)]
pub struct CreditForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
}

/// `POST /admin/users/{id}/credit` (`amount`, `reason`): grants store credit, or takes some
/// away with a negative amount, never below a zero balance.
pub async fn adjust_credit(
    v: AdminVisit,
    id: web::Path<String>,
    form: web::Form<CreditForm>,
) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let id = path_id(&id)?;
    let reason = form.reason.trim().to_string();
    let checked = match parse_credit_amount(&form.amount) {
        Ok(_) if reason.is_empty() => Err("Give a reason: the customer sees it.".to_string()),
        Ok(_) if reason.chars().count() > 200 => {
            Err("The reason can be at most 200 characters.".to_string())
        }
        other => other,
    };
    let amount = match checked {
        Ok(amount) => amount,
        Err(message) => {
            let query = ListQuery::default();
            return list_page(&state, page, query, Some(message), StatusCode::BAD_REQUEST).await;
        }
    };
    let actor = actor(&admin);
    let adjusted = db::run(&state.pool, move |conn| {
        credit::adjust(conn, &actor, id, (amount, &reason), now())
    })
    .await?;
    match adjusted {
        Ok(balance) => {
            let text = format!("The store credit is now {}.", page.money(balance));
            Ok(flash::success(&req, text, "/admin/users"))
        }
        Err(CreditRefused::BelowZero(balance)) => {
            let message = format!(
                "That would take the store credit below zero: it is {}.",
                page.money(balance)
            );
            let query = ListQuery::default();
            list_page(&state, page, query, Some(message), StatusCode::BAD_REQUEST).await
        }
    }
}
