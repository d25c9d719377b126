//! What a handler starts from, taken from the request in one extractor: the request, the
//! shop's state, the page context and (on admin pages) the admin. Handlers name one of these
//! and the input they take, so a signature reads in one line.

use actix_web::{web, HttpRequest, HttpResponse};

use crate::web::auth::AdminUser;
use crate::web::error::AppError;
use crate::web::page::PageContext;
use crate::web::state::{state_of, AppState};

/// What a handler answers: a page or a redirect, or an error `AppError` renders.
pub type Reply = Result<HttpResponse, AppError>;

/// A visitor's request to a page of the shop.
pub struct Visit {
    /// The request.
    pub req: HttpRequest,
    /// The shop's state.
    pub state: web::Data<AppState>,
    /// What the layout shows.
    pub page: PageContext,
}

/// An admin's request to a page of the admin area (anonymous visitors are sent to log in,
/// customers get a 403 page).
pub struct AdminVisit {
    /// The request.
    pub req: HttpRequest,
    /// The shop's state.
    pub state: web::Data<AppState>,
    /// What the layout shows.
    pub page: PageContext,
    /// The admin.
    pub admin: AdminUser,
}

/// An admin's request that shows no page of its own (it redirects, or sends a file): the page
/// context, which would take the messages waiting for the next page, is not read.
pub struct AdminAction {
    /// The request.
    pub req: HttpRequest,
    /// The shop's state.
    pub state: web::Data<AppState>,
    /// The admin.
    pub admin: AdminUser,
}

impl AdminVisit {
    /// The request, the state, the page context and the admin, in that order.
    pub fn into_parts(self) -> (HttpRequest, web::Data<AppState>, PageContext, AdminUser) {
        (self.req, self.state, self.page, self.admin)
    }
}

impl Visit {
    /// The request, the state and the page context, in that order.
    pub fn into_parts(self) -> (HttpRequest, web::Data<AppState>, PageContext) {
        (self.req, self.state, self.page)
    }
}

/// The id in a path such as `/orders/{id}`: a positive number, or there is nothing there.
pub fn path_id(raw: &str) -> Result<i32, AppError> {
    raw.parse::<i32>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(AppError::NotFound)
}

extract_async!(Visit, |req| {
    Ok(Visit {
        state: state_of(&req)?,
        page: PageContext::extract(&req).await?,
        req,
    })
});

extract_async!(AdminVisit, |req| {
    let page = PageContext::extract(&req).await?;
    Ok(AdminVisit {
        state: state_of(&req)?,
        admin: AdminUser::extract(&req).await?,
        page,
        req,
    })
});

extract_async!(AdminAction, |req| {
    Ok(AdminAction {
        state: state_of(&req)?,
        admin: AdminUser::extract(&req).await?,
        req,
    })
});
