//! The sandbox gateway's hosted checkout: a test-mode page that plays the payment
//! provider, so the whole journey works out of the box without real money.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;

use crate::donation::{DonationId, Outcome, Status};
use crate::http::errors::PageError;
use crate::http::{html, see_other};
use crate::lang::Lang;
use crate::ledger::{DonationRow, LedgerError};
use crate::money::{Currency, format_money};
use crate::render::strings::Strings;
use crate::state::AppState;

#[derive(Deserialize)]
struct Submit {
    outcome: Option<String>,
}

async fn find(state: &AppState, id: &str) -> Result<DonationRow, HttpResponse> {
    let not_found = || PageError::CheckoutNotFound.answer(Lang::En);
    if state.sandbox.is_none() {
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
    let t = Strings::of(lang);
    let c = &t.checkout;
    let amount = Currency::from_code(&row.currency)
        .map(|cur| format_money(row.amount_minor, cur, &t.numbers))
        .unwrap_or_else(|| format!("{} {}", row.currency, row.amount_minor));
    let action = format!("/sandbox/checkout/{}", row.id);
    let main = html! {
        section.checkout aria-labelledby="checkout-title" {
            p.test { (c.test_mode) }
            h1 #checkout-title { (c.title) }
            p { (c.explain) }
            dl {
                dt { (c.amount) } dd #checkout-amount { (amount) }
                dt { (c.reference) } dd { code dir="ltr" { (row.id) } }
            }
            @if row.status == Status::Pending {
                form method="post" action=(action) {
                    div.actions {
                        button.button.cta type="submit" name="outcome" value="pay" { (c.pay) }
                        button.button.secondary type="submit" name="outcome" value="decline" { (c.decline) }
                    }
                }
            } @else {
                p.notice.ended { (c.already_done) }
                p { a.button href=(lang.page("")) { (t.form.back_home) } }
            }
        }
    };
    let twin = format!("{action}?lang={}", lang.other().code());
    let body = crate::site::runtime_page(lang, &action, &twin, &c.title, main);
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
    let limit = state.settings.raw.limits.form_body_bytes;
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
    let Some(sandbox) = state.sandbox.as_ref() else {
        return PageError::CheckoutNotFound.answer(lang);
    };
    let reference = row.gateway_ref.clone().unwrap_or_else(|| row.id.clone());
    let signed = sandbox.sign_result(&reference, outcome, row.amount_minor, &row.currency);
    sandbox.deliver_webhook(&signed);
    let query = serde_urlencoded::to_string(&signed).unwrap_or_default();
    see_other(&format!("/payment/return/sandbox?{query}"))
}
