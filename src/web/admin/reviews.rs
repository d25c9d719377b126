//! Review moderation: an admin hides a review (it no longer shows or counts) or shows it again.

use actix_session::SessionExt;
use actix_web::{web, HttpRequest, HttpResponse};

use crate::db;
use crate::models::now;
use crate::services::moderation;
use crate::web::admin::actor;
use crate::web::auth::AdminUser;
use crate::web::error::AppError;
use crate::web::flash::{self, FlashKind};
use crate::web::reviews::to_reviews;
use crate::web::state::AppState;
use crate::web::visit::{path_id, AdminAction, Reply};

async fn set_hidden(
    req: &HttpRequest,
    state: &AppState,
    admin: AdminUser,
    id: &str,
    hidden: bool,
) -> Result<HttpResponse, AppError> {
    let review_id = path_id(id)?;
    let actor = actor(&admin);
    let product_id = db::run(&state.pool, move |conn| {
        moderation::set_review_hidden(conn, &actor, review_id, hidden, now())
    })
    .await?;
    let text = if hidden {
        "The review is hidden: it no longer shows or counts."
    } else {
        "The review shows again."
    };
    flash::push(&req.get_session(), FlashKind::Success, text);
    Ok(to_reviews(product_id))
}

/// `POST /admin/reviews/{id}/hide`.
pub async fn hide(v: AdminAction, id: web::Path<String>) -> Reply {
    let AdminAction { req, state, admin } = v;
    set_hidden(&req, &state, admin, &id, true).await
}

/// `POST /admin/reviews/{id}/show`.
pub async fn show(v: AdminAction, id: web::Path<String>) -> Reply {
    let AdminAction { req, state, admin } = v;
    set_hidden(&req, &state, admin, &id, false).await
}
