//! Who is asking: the logged-in user behind a request, and the extractors that demand one
//! (`CurrentUser`) or an admin (`AdminUser`).
//!
//! actix-identity keeps `"{user id}:{security stamp}"` in the session. A stamp that no longer
//! matches the user's (the password or role changed since) makes the request anonymous.

use actix_identity::{Identity, IdentityExt};
use actix_session::SessionExt;
use actix_web::{HttpMessage, HttpRequest};

use crate::db;
use crate::domain::account::Role;
use crate::models::user::{self, User};
use crate::web::csrf;
use crate::web::error::AppError;
use crate::web::state::state_of;

/// What the pages need to know about the logged-in user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    /// User id.
    pub id: i32,
    /// Their address.
    pub email: String,
    /// What they may do.
    pub role: Role,
    /// Whether the address is confirmed.
    pub verified: bool,
}

impl SessionUser {
    /// Whether the user runs the shop.
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }
}

impl From<&User> for SessionUser {
    fn from(user: &User) -> SessionUser {
        SessionUser {
            id: user.id,
            email: user.email.clone(),
            role: user.role,
            verified: user.is_verified(),
        }
    }
}

/// The user loaded for this request, kept so that several extractors load it once.
#[derive(Clone)]
struct Loaded(Option<SessionUser>);

fn parse_identity(id: &str) -> Option<(i32, String)> {
    let (user_id, stamp) = id.split_once(':')?;
    Some((user_id.parse().ok()?, stamp.to_string()))
}

/// The logged-in user, or `None` for an anonymous visitor (or a login made void since).
pub async fn current_user(req: &HttpRequest) -> Result<Option<SessionUser>, AppError> {
    if let Some(Loaded(user)) = req.extensions().get::<Loaded>() {
        return Ok(user.clone());
    }
    let claimed = req
        .get_identity()
        .ok()
        .and_then(|identity| identity.id().ok())
        .and_then(|id| parse_identity(&id));
    let user = match claimed {
        None => None,
        Some((id, stamp)) => {
            let state = state_of(req)?;
            let found = db::run(&state.pool, move |conn| Ok(user::find(conn, id)?)).await?;
            match found {
                Some(user) if user.security_stamp == stamp => Some(SessionUser::from(&user)),
                _ => {
                    // The account is gone or its stamp moved on: forget this login.
                    if let Ok(identity) = req.get_identity() {
                        identity.logout();
                    }
                    None
                }
            }
        }
    };
    req.extensions_mut().insert(Loaded(user.clone()));
    Ok(user)
}

/// Logs `user` in on this request: a new session key (no fixation), the identity with the
/// user's stamp, and a fresh CSRF token.
pub fn log_in(req: &HttpRequest, user: &User) -> Result<(), AppError> {
    Identity::login(
        &req.extensions(),
        format!("{}:{}", user.id, user.security_stamp),
    )
    .map_err(|e| AppError::Internal(format!("cannot log in: {e}")))?;
    csrf::rotate(req, &req.get_session());
    req.extensions_mut()
        .insert(Loaded(Some(SessionUser::from(user))));
    Ok(())
}

/// Ends the login and everything the session held; the old session row is deleted.
pub fn log_out(req: &HttpRequest) {
    if let Ok(identity) = req.get_identity() {
        identity.logout();
    }
    let session = req.get_session();
    session.clear();
    session.renew();
    req.extensions_mut().insert(Loaded(None));
}

/// The answer to an anonymous visitor where an account is needed: the login page, then back.
pub fn login_required(req: &HttpRequest) -> AppError {
    let next = match req.query_string() {
        "" => req.path().to_string(),
        query => format!("{}?{query}", req.path()),
    };
    AppError::LoginRequired { next }
}

/// A logged-in user; anonymous visitors are sent to the login page.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub SessionUser);

extract_async!(CurrentUser, |req| {
    match current_user(&req).await? {
        Some(user) => Ok(CurrentUser(user)),
        None => Err(login_required(&req)),
    }
});

/// A logged-in admin; anonymous visitors are sent to log in, customers get a 403 page.
#[derive(Debug, Clone)]
pub struct AdminUser(pub SessionUser);

extract_async!(AdminUser, |req| {
    match current_user(&req).await? {
        Some(user) if user.is_admin() => Ok(AdminUser(user)),
        Some(_) => Err(AppError::Forbidden(
            "This page is for the shop's administrators.".into(),
        )),
        None => Err(login_required(&req)),
    }
});
