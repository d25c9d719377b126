//! Coupons in the admin area: the list (search by code, filter by state, uses so far), the
//! form to add one and to change one, and deleting one never used.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::domain::coupon::CouponInput;
use crate::domain::PageNumber;
use crate::domain::Pagination;
use crate::models::coupon::{self, Coupon, CouponFilter};
use crate::models::now;
use crate::services::coupons::{self as service, CouponAdminProblem};
use crate::web::admin::{actor, choice, list_url, read_page};
use crate::web::error::AppError;
use crate::web::flash;
use crate::web::forms::FormErrors;
use crate::web::page::{render, PageContext};
use crate::web::pagination::PageLinks;
use crate::web::state::AppState;
use crate::web::visit::{path_id, AdminVisit, Reply};

/// The list's query string.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    status: Option<String>,
    page: Option<String>,
}

/// A coupon as the list shows it.
struct Row {
    coupon: Coupon,
    offer: String,
    limits: String,
}

#[derive(Template)]
#[template(path = "admin/coupons.html")]
struct ListPage {
    page: PageContext,
    rows: Vec<Row>,
    pagination: Pagination,
    q: String,
    status: String,
    error: Option<String>,
    links: PageLinks,
}

fn row(coupon: Coupon, currency: &str) -> Row {
    let terms = coupon.terms();
    let mut limits = Vec::new();
    if let Some(min) = terms.min_subtotal {
        limits.push(format!("from {}", min.display(currency)));
    }
    match (terms.starts_on, terms.ends_on) {
        (Some(from), Some(to)) => limits.push(format!("{from} to {to}")),
        (Some(from), None) => limits.push(format!("from {from}")),
        (None, Some(to)) => limits.push(format!("until {to}")),
        (None, None) => {}
    }
    limits.push(format!("{} per customer", terms.max_uses_per_customer));
    Row {
        offer: terms.kind.describe(currency),
        limits: limits.join(", "),
        coupon,
    }
}

async fn list_page(
    state: &AppState,
    page: PageContext,
    (query, error): (ListQuery, Option<String>),
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let q = query.q.unwrap_or_default().trim().to_string();
    let status_text = query.status.unwrap_or_default();
    let on_or_off = |text: &str| match text {
        "active" => Some(true),
        "inactive" => Some(false),
        _ => None,
    };
    let active = choice(
        &status_text,
        on_or_off,
        "Status is active, inactive or all.",
    )?;
    let number = PageNumber::parse(query.page.as_deref())?;
    let filter = CouponFilter {
        code: (!q.is_empty()).then(|| q.clone()),
        active,
    };
    let (coupons, pagination) = read_page(state, number, move |conn, window| {
        Ok(coupon::page(conn, &filter, window)?)
    })
    .await?;
    let currency = &state.config.currency_symbol;
    let params = [("q", q.as_str()), ("status", status_text.as_str())];
    render(
        status,
        &ListPage {
            page,
            links: PageLinks::new(&pagination, |n| list_url("/admin/coupons", &params, n)),
            rows: coupons.into_iter().map(|c| row(c, currency)).collect(),
            pagination,
            q,
            status: status_text,
            error,
        },
    )
}

/// `GET /admin/coupons`.
pub async fn list(v: AdminVisit, query: web::Query<ListQuery>) -> Reply {
    let AdminVisit { state, page, .. } = v;
    list_page(&state, page, (query.into_inner(), None), StatusCode::OK).await
}

/// The coupon form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct CouponForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    min_subtotal: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    max_uses: String,
    #[serde(default)]
    max_uses_per_customer: String,
    /// A checkbox: present when ticked.
    #[serde(default)]
    active: Option<String>,
}

impl CouponForm {
    fn input(self) -> CouponInput {
        CouponInput {
            code: self.code,
            kind: self.kind,
            value: self.value,
            min_subtotal: self.min_subtotal,
            starts_on: self.starts_on,
            ends_on: self.ends_on,
            max_uses: self.max_uses,
            max_uses_per_customer: self.max_uses_per_customer,
            active: self.active.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "admin/coupon_form.html")]
struct FormPage {
    page: PageContext,
    /// The coupon being edited, or `None` for a new one.
    id: Option<i32>,
    /// Its uses so far (edit only).
    uses: i32,
    form: CouponInput,
    errors: FormErrors,
}

fn form_page(
    page: PageContext,
    (id, uses): (Option<i32>, i32),
    form: CouponInput,
    errors: FormErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    render(
        status,
        &FormPage {
            page,
            id,
            uses,
            form,
            errors,
        },
    )
}

/// `GET /admin/coupons/new`.
pub async fn new_form(v: AdminVisit) -> Reply {
    let form = CouponInput::default();
    form_page(v.page, (None, 0), form, FormErrors::new(), StatusCode::OK)
}

/// `GET /admin/coupons/{id}/edit`.
pub async fn edit_form(v: AdminVisit, id: web::Path<String>) -> Reply {
    let AdminVisit { state, page, .. } = v;
    let id = path_id(&id)?;
    let found = db::run(&state.pool, move |conn| Ok(coupon::find(conn, id)?))
        .await?
        .ok_or(AppError::NotFound)?;
    let form = CouponInput::of(&found.code, &found.terms());
    form_page(
        page,
        (Some(id), found.uses),
        form,
        FormErrors::new(),
        StatusCode::OK,
    )
}

fn errors_of(list: Vec<(&'static str, String)>) -> FormErrors {
    let mut errors = FormErrors::new();
    for (field, message) in list {
        errors.add(field, message);
    }
    errors
}

/// The status a refused change answers with: a code taken or kept, too few uses are 400.
fn refused(problem: &CouponAdminProblem) -> FormErrors {
    let (field, message) = problem.message();
    errors_of(vec![(field, message)])
}

/// `POST /admin/coupons`: adds a coupon.
pub async fn create(v: AdminVisit, form: web::Form<CouponForm>) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let input = form.into_inner().input();
    let (code, terms) = match input.parse() {
        Ok(parsed) => parsed,
        Err(list) => {
            return form_page(
                page,
                (None, 0),
                input,
                errors_of(list),
                StatusCode::BAD_REQUEST,
            )
        }
    };
    let actor = actor(&admin);
    let shown = code.as_str().to_string();
    let made = db::run(&state.pool, move |conn| {
        service::create(conn, &actor, (&code, &terms), now())
    })
    .await?;
    match made {
        Ok(_) => Ok(flash::success(
            &req,
            format!("Coupon {shown} added."),
            "/admin/coupons",
        )),
        Err(problem) => form_page(
            page,
            (None, 0),
            input,
            refused(&problem),
            StatusCode::BAD_REQUEST,
        ),
    }
}

/// `POST /admin/coupons/{id}`: changes a coupon.
pub async fn update(v: AdminVisit, id: web::Path<String>, form: web::Form<CouponForm>) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let id = path_id(&id)?;
    let input = form.into_inner().input();
    let uses = db::run(&state.pool, move |conn| Ok(coupon::find(conn, id)?))
        .await?
        .ok_or(AppError::NotFound)?
        .uses;
    let (code, terms) = match input.parse() {
        Ok(parsed) => parsed,
        Err(list) => {
            let errors = errors_of(list);
            return form_page(
                page,
                (Some(id), uses),
                input,
                errors,
                StatusCode::BAD_REQUEST,
            );
        }
    };
    let actor = actor(&admin);
    let shown = code.as_str().to_string();
    let changed = db::run(&state.pool, move |conn| {
        service::update(conn, &actor, id, (&code, &terms), now())
    })
    .await?;
    match changed {
        Ok(()) => Ok(flash::success(
            &req,
            format!("Coupon {shown} saved."),
            "/admin/coupons",
        )),
        Err(problem) => form_page(
            page,
            (Some(id), uses),
            input,
            refused(&problem),
            StatusCode::BAD_REQUEST,
        ),
    }
}

/// `POST /admin/coupons/{id}/delete`: deletes a coupon never used; a used one is a 409.
pub async fn delete(v: AdminVisit, id: web::Path<String>) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let id = path_id(&id)?;
    let actor = actor(&admin);
    let deleted = db::run(&state.pool, move |conn| {
        service::delete(conn, &actor, id, now())
    })
    .await?;
    match deleted {
        Ok(()) => Ok(flash::success(&req, "Coupon deleted.", "/admin/coupons")),
        Err(problem) => {
            let shown = (ListQuery::default(), Some(problem.message().1));
            list_page(&state, page, shown, StatusCode::CONFLICT).await
        }
    }
}
