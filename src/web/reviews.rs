//! Reviews over HTTP: a verified user posts (or edits) their review of a product. Anonymous visitors are sent to log in and come back to the product;
//! unverified users get a 403 page that says why and offers the link again.

use actix_session::SessionExt;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::db;
use crate::domain::review::{Rating, ReviewBody};
use crate::models::now;
use crate::services::reviews;
use crate::web::auth::current_user;
use crate::web::catalog::{self, ProductPageState};
use crate::web::error::AppError;
use crate::web::flash::{self, FlashKind};
use crate::web::forms::FormErrors;
use crate::web::page::{render, PageContext};
use crate::web::visit::{path_id, Reply, Visit};

/// Back to the reviews on the product page.
pub(crate) fn to_reviews(product_id: i32) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/products/{product_id}#reviews")))
        .finish()
}

/// The review form as posted; both fields optional so that a missing one gets a message.
#[derive(Debug, Deserialize)]
pub struct ReviewForm {
    rating: Option<String>,
    body: Option<String>,
}

#[derive(Template)]
#[template(path = "reviews/unverified.html")]
struct UnverifiedPage {
    page: PageContext,
    product_id: i32,
}

/// `POST /products/{id}/reviews` (`rating`, `body`): posts the user's review, or edits it.
pub async fn post(v: Visit, id: web::Path<String>, form: web::Form<ReviewForm>) -> Reply {
    let (req, state, page) = v.into_parts();
    let product_id = path_id(&id)?;
    let Some(user) = current_user(&req).await? else {
        // Back to the product after logging in, not to this POST-only address.
        return Err(AppError::LoginRequired {
            next: format!("/products/{product_id}"),
        });
    };
    if !user.verified {
        return render(StatusCode::FORBIDDEN, &UnverifiedPage { page, product_id });
    }
    let form = form.into_inner();
    let typed_rating = form.rating.unwrap_or_default();
    let typed_body = form.body.unwrap_or_default();
    let mut errors = FormErrors::new();
    let rating = errors.check("rating", Rating::parse(&typed_rating));
    let body = errors.check("body", ReviewBody::parse(&typed_body));
    let (Some(rating), Some(body)) = (rating, body) else {
        let view = ProductPageState {
            rating: typed_rating.trim().to_string(),
            body: typed_body,
            review_errors: errors,
            typed_review: true,
            ..ProductPageState::default()
        };
        return catalog::product_page(&state, page, product_id, view, StatusCode::BAD_REQUEST)
            .await;
    };
    let user_id = user.id;
    let created = db::run(&state.pool, move |conn| {
        reviews::post_review(conn, product_id, user_id, rating, &body, now())
    })
    .await?;
    let text = if created {
        "Thank you for your review."
    } else {
        "Your review is updated."
    };
    flash::push(&req.get_session(), FlashKind::Success, text);
    Ok(to_reviews(product_id))
}
