//! The routes of the sandbox gateway's hosted checkout (the page itself is
//! `gateway::sandbox::checkout`): they find the donation in the ledger, which the
//! gateway never reads, show the page, and sign the donor's choice.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::donation::{DonationId, Outcome, Status};
use crate::gateway::sandbox::checkout::{self, CheckoutView};
use crate::http::errors::PageError;
use crate::http::{html, see_other};
use crate::lang::Lang;
use crate::ledger::{DonationRow, LedgerError};
use crate::render::strings::Strings;
use crate::state::AppState;

#[derive(Deserialize)]
struct Submit {
    outcome: Option<String>,
}

async fn find(state: &AppState, id: &str) -> Result<DonationRow, HttpResponse> {
    let not_found = || PageError::CheckoutNotFound.answer(Lang::En);
    if state.gateway.sandbox().is_none() {
        return Err(not_found());
    }
    let Some(id) = DonationId::parse(id) else {
        return Err(not_found());
    };
    match state.ledger.donation(&id).await {
        Ok(row) if row.gateway == crate::gateway::sandbox::NAME => Ok(row),
        Ok(_) | Err(LedgerError::NotFound) => Err(not_found()),
        Err(e) => {
            tracing::error!(error = %e, "checkout lookup failed");
            Err(PageError::Unavailable.answer(Lang::En))
        }
    }
}

#[derive(Deserialize)]
pub struct PageQuery {
    pub lang: Option<String>,
}

pub async fn page(
    path: web::Path<String>,
    query: web::Query<PageQuery>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let row = match find(&state, &path).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    // Shown in the donation's language unless the donor switched with `?lang=`.
    let lang = query
        .lang
        .as_deref()
        .and_then(Lang::from_code)
        .unwrap_or(row.lang);
    let view = CheckoutView {
        id: &row.id,
        amount_minor: row.amount_minor,
        currency: &row.currency,
        pending: row.status == Status::Pending,
        fund: state
            .settings
            .fund_to_name(&row.fund)
            .map(|f| f.label(lang)),
    };
    let main = checkout::content(&view, lang);
    let action = checkout::action(&row.id);
    let twin = format!("{action}?lang={}", lang.other().code());
    let body = crate::site::runtime_page(
        lang,
        &action,
        &twin,
        &Strings::of(lang).checkout.title,
        main,
        false,
    );
    html(StatusCode::OK, body)
}

pub async fn submit(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let row = match find(&state, &path).await {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    let lang = row.lang;
    let limit = state.settings.limits.form_body_bytes;
    let body = match state.read_body(&req, payload, limit).await {
        Ok(b) => b,
        Err(e) => return PageError::from(e).answer(lang),
    };
    let outcome = match serde_urlencoded::from_bytes::<Submit>(&body)
        .ok()
        .and_then(|s| s.outcome)
        .as_deref()
    {
        Some("pay") => Outcome::Paid,
        Some("decline") => Outcome::Declined,
        _ => return PageError::BadRequest.answer(lang),
    };
    if row.status != Status::Pending {
        return PageError::CheckoutDone.answer(lang);
    }
    let Some(sandbox) = state.gateway.sandbox() else {
        return PageError::CheckoutNotFound.answer(lang);
    };
    let reference = row.gateway_ref.clone().unwrap_or_else(|| row.id.clone());
    let signed = sandbox.sign_result(&reference, outcome, row.amount_minor, &row.currency);
    sandbox.settle(&signed);
    let query = serde_urlencoded::to_string(&signed).unwrap_or_default();
    see_other(&format!("/payment/return/sandbox?{query}"))
}
