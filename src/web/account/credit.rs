//! The store-credit page: the balance and the latest changes to it, with their reasons.

use actix_web::http::StatusCode;
use askama::Template;

use crate::db;
use crate::models::credit::{self, CreditEntry};
use crate::web::auth::CurrentUser;
use crate::web::page::{render, PageContext};
use crate::web::visit::{Reply, Visit};

/// How many ledger entries the page lists.
const ENTRIES_SHOWN: i64 = 100;

#[derive(Template)]
#[template(path = "account/credit.html")]
struct CreditPage {
    page: PageContext,
    balance_cents: i64,
    entries: Vec<CreditEntry>,
}

/// `GET /account/credit`: the balance and the ledger, newest first.
pub async fn show(v: Visit, CurrentUser(user): CurrentUser) -> Reply {
    let Visit { state, page, .. } = v;
    let user_id = user.id;
    let (balance_cents, entries) = db::run(&state.pool, move |conn| {
        let balance = credit::balance(conn, user_id)?.unwrap_or(0);
        Ok((balance, credit::entries(conn, user_id, ENTRIES_SHOWN)?))
    })
    .await?;
    render(
        StatusCode::OK,
        &CreditPage {
            page,
            balance_cents,
            entries,
        },
    )
}
