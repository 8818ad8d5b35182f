//! `GET /receipt/{id}?t=<token>`: the printable receipt, the same content as the email
//! (`receipt::page`). A wrong token, or a donation without a receipt, is the site's 404:
//! whether a donation exists is no one's business but its donor's. `&lang=ar` shows it
//! in the other language.
//!
//! The thank-you page links to it: a donor coming back from the checkout is sent to
//! `success/?receipt=<id>&t=<token>`, and that page says the receipt's number and links
//! to it (`pages`).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::http::errors::PageError;
use crate::lang::Lang;
use crate::ledger::LedgerError;
use crate::receipt::ReceiptView;
use crate::receipt::page::receipt_main;
use crate::render::strings::Strings;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
pub struct ReceiptQuery {
    #[serde(default)]
    t: String,
    #[serde(default)]
    lang: Option<String>,
}

pub async fn page(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let query = web::Query::<ReceiptQuery>::from_query(req.query_string()).ok();
    let asked = query
        .as_ref()
        .and_then(|q| q.lang.as_deref())
        .and_then(Lang::from_code);
    let not_found = |lang: Lang| {
        state
            .site
            .not_found(lang)
            .respond(&req, StatusCode::NOT_FOUND)
    };
    let id = path.into_inner();
    let token = query.as_ref().map_or("", |q| q.t.as_str());
    if !state.receipts.verify(&id, token) {
        return not_found(asked.unwrap_or(Lang::En));
    }
    let mut receipt = match state.ledger.receipt(&id).await {
        Ok(r) => r,
        Err(LedgerError::NotFound) => return not_found(asked.unwrap_or(Lang::En)),
        Err(e) => {
            tracing::error!(error = %e, "receipt page: lookup failed");
            return PageError::Unavailable.answer(asked.unwrap_or(Lang::En));
        }
    };
    if let Some(lang) = asked {
        receipt.lang = lang;
    }
    let view = ReceiptView::new(&receipt, &state.settings, &state.receipts);
    let lang = view.lang;
    let here = format!("/receipt/{id}?t={token}&lang={}", lang.code());
    let twin = format!("/receipt/{id}?t={token}&lang={}", lang.other().code());
    let title = Strings::fill(&view.strings().receipt.heading, &[("number", &view.number)]);
    let body = crate::site::runtime_page(lang, &here, &twin, &title, receipt_main(&view), true);
    crate::http::html(StatusCode::OK, body)
}
