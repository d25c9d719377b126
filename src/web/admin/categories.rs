//! Categories in the admin area: list, create, edit, and delete an empty one.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::domain::category_tree::{Tree, MAX_DEPTH};
use crate::domain::slug::Slug;
use crate::models::category::{self, Category};
use crate::models::now;
use crate::services::catalog_admin::{self, CategoryProblem};
use crate::web::admin::actor;
use crate::web::auth::AdminUser;
use crate::web::error::AppError;
use crate::web::flash::{self};
use crate::web::forms::FormErrors;
use crate::web::page::{render, PageContext};
use crate::web::state::AppState;
use crate::web::visit::{path_id, AdminVisit, Reply};

#[derive(Template)]
#[template(path = "admin/categories.html")]
struct ListPage {
    page: PageContext,
    /// Each category with its products (its own, archived included) and its name indented
    /// by its level, parents before their children.
    categories: Vec<(Category, i64, String)>,
    error: Option<String>,
}

async fn list_page(
    state: &AppState,
    page: PageContext,
    error: Option<String>,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    let rows = db::run(&state.pool, |conn| Ok(category::all_with_counts(conn)?)).await?;
    let tree = Tree::new(rows.iter().map(|(c, _)| (c.id, c.parent_id)));
    let mut rows: Vec<Option<(Category, i64)>> = rows.into_iter().map(Some).collect();
    let categories = tree
        .indented()
        .into_iter()
        .filter_map(|(id, level)| {
            let at = rows
                .iter()
                .position(|r| r.as_ref().is_some_and(|(c, _)| c.id == id))?;
            let (c, n) = rows[at].take()?;
            let label = format!("{}{}", "— ".repeat(level - 1), c.name);
            Some((c, n, label))
        })
        .collect();
    render(
        status,
        &ListPage {
            page,
            categories,
            error,
        },
    )
}

/// `GET /admin/categories`.
pub async fn list(v: AdminVisit) -> Reply {
    let AdminVisit { state, page, .. } = v;
    list_page(&state, page, None, StatusCode::OK).await
}

/// The category form as posted.
#[derive(Debug, Default, Deserialize)]
pub struct CategoryForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    description: String,
    /// The parent's id, or empty for the top level.
    #[serde(default)]
    parent_id: String,
}

/// One choice of the parent select: a category, indented by its level.
struct ParentChoice {
    id: i32,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "admin/category_form.html")]
struct FormPage {
    page: PageContext,
    /// The category being edited, or `None` for a new one.
    id: Option<i32>,
    name: String,
    slug: String,
    description: String,
    parents: Vec<ParentChoice>,
    errors: FormErrors,
}

/// The checked fields, or the form's messages.
fn check(form: &CategoryForm) -> Result<(String, Slug, String), FormErrors> {
    let mut errors = FormErrors::new();
    let name = form.name.trim().to_string();
    if name.is_empty() {
        errors.add("name", "Enter a name.");
    } else if name.chars().count() > 100 {
        errors.add("name", "A name can be at most 100 characters.");
    }
    let slug = errors.check("slug", Slug::parse(&form.slug, &name));
    let description = form.description.replace("\r\n", "\n").trim().to_string();
    if description.chars().count() > 2000 {
        errors.add(
            "description",
            "A description can be at most 2,000 characters.",
        );
    }
    match slug {
        Some(slug) if errors.is_empty() => Ok((name, slug, description)),
        _ => Err(errors),
    }
}

/// The parent the form names: `None` for the top level; an id that is not a number reads
/// as one no category has, which the tree check refuses.
fn parent_of(form: &CategoryForm) -> Option<i32> {
    match form.parent_id.trim() {
        "" => None,
        text => Some(text.parse().unwrap_or(0)),
    }
}

async fn form_page(
    state: &AppState,
    page: PageContext,
    id: Option<i32>,
    form: CategoryForm,
    errors: FormErrors,
) -> Result<FormPage, AppError> {
    let rows = db::read(&state.pool, |conn| Ok(category::tree_rows(conn)?)).await?;
    let tree = category::tree_of(&rows);
    // A category cannot go under itself or its own subcategories: those are not offered.
    let own = id.map(|id| tree.subtree(id)).unwrap_or_default();
    let chosen = parent_of(&form);
    let parents = tree
        .indented()
        .into_iter()
        .filter(|(cid, level)| !own.contains(cid) && *level < MAX_DEPTH)
        .filter_map(|(cid, level)| {
            let row = rows.iter().find(|r| r.id == cid)?;
            Some(ParentChoice {
                id: cid,
                label: format!("{}{}", "— ".repeat(level - 1), row.name),
                selected: chosen == Some(cid),
            })
        })
        .collect();
    Ok(FormPage {
        page,
        id,
        name: form.name,
        slug: form.slug,
        description: form.description,
        parents,
        errors,
    })
}

fn slug_taken() -> FormErrors {
    let mut errors = FormErrors::new();
    errors.add(
        "slug",
        "Another category already has this slug. Choose another.",
    );
    errors
}

/// `GET /admin/categories/new`.
pub async fn new_form(
    page: PageContext,
    _admin: AdminUser,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let form = form_page(
        &state,
        page,
        None,
        CategoryForm::default(),
        FormErrors::new(),
    )
    .await?;
    render(StatusCode::OK, &form)
}

/// Saves the category form: a new category when `id` is `None`, else category `id`.
async fn save(v: AdminVisit, id: Option<i32>, form: CategoryForm) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let (name, slug, description) = match check(&form) {
        Ok(checked) => checked,
        Err(errors) => {
            let shown = form_page(&state, page, id, form, errors).await?;
            return render(StatusCode::BAD_REQUEST, &shown);
        }
    };
    let parent = parent_of(&form);
    let actor = actor(&admin);
    let saved = db::run(&state.pool, move |conn| {
        let fields = (&slug, name.as_str(), description.as_str());
        Ok(match id {
            None => catalog_admin::create_category(conn, &actor, fields, parent, now())?
                .map(|_| "The category is created."),
            Some(id) => catalog_admin::update_category(conn, &actor, id, fields, parent, now())?
                .map(|()| "The category is saved."),
        })
    })
    .await?;
    let errors = match saved {
        Ok(text) => {
            state.categories.invalidate();
            return Ok(flash::success(&req, text, "/admin/categories"));
        }
        Err(CategoryProblem::Parent(problem)) => {
            let mut errors = FormErrors::new();
            errors.add("parent_id", problem.message());
            errors
        }
        Err(_) => slug_taken(),
    };
    let shown = form_page(&state, page, id, form, errors).await?;
    render(StatusCode::BAD_REQUEST, &shown)
}

/// `POST /admin/categories`.
pub async fn create(v: AdminVisit, form: web::Form<CategoryForm>) -> Reply {
    save(v, None, form.into_inner()).await
}

/// `GET /admin/categories/{id}/edit`.
pub async fn edit_form(v: AdminVisit, id: web::Path<String>) -> Reply {
    let AdminVisit { state, page, .. } = v;
    let id = path_id(&id)?;
    let found = db::run(&state.pool, move |conn| {
        category::find(conn, id)?.ok_or(AppError::NotFound)
    })
    .await?;
    let form = CategoryForm {
        name: found.name,
        slug: found.slug,
        description: found.description,
        parent_id: found.parent_id.map_or(String::new(), |p| p.to_string()),
    };
    let shown = form_page(&state, page, Some(id), form, FormErrors::new()).await?;
    render(StatusCode::OK, &shown)
}

/// `POST /admin/categories/{id}`.
pub async fn update(v: AdminVisit, id: web::Path<String>, form: web::Form<CategoryForm>) -> Reply {
    save(v, Some(path_id(&id)?), form.into_inner()).await
}

/// `POST /admin/categories/{id}/delete`: only a category without products.
pub async fn delete(v: AdminVisit, id: web::Path<String>) -> Reply {
    let (req, state, page, admin) = v.into_parts();
    let id = path_id(&id)?;
    let actor = actor(&admin);
    let deleted = db::run(&state.pool, move |conn| {
        catalog_admin::delete_category(conn, &actor, id, now())
    })
    .await?;
    match deleted {
        Ok(()) => {
            state.categories.invalidate();
            Ok(flash::success(
                &req,
                "The category is deleted.",
                "/admin/categories",
            ))
        }
        Err(CategoryProblem::HasProducts(n)) => {
            let message = format!(
                "This category still holds {n} product{}, archived ones included. Move them to another category first; a category with products cannot be deleted.",
                if n == 1 { "" } else { "s" }
            );
            list_page(&state, page, Some(message), StatusCode::CONFLICT).await
        }
        Err(CategoryProblem::HasChildren(n)) => {
            let message = format!(
                "This category still holds {n} subcategor{}. Move or delete them first; a category with subcategories cannot be deleted.",
                if n == 1 { "y" } else { "ies" }
            );
            list_page(&state, page, Some(message), StatusCode::CONFLICT).await
        }
        Err(CategoryProblem::SlugTaken | CategoryProblem::Parent(_)) => {
            Err(AppError::Internal("unexpected problem on delete".into()))
        }
    }
}
