//! The sandbox gateway's hosted checkout: a test-mode page that plays the payment
//! provider, so the whole journey works out of the box without real money.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;
use serde::Deserialize;

use super::donate::body_error;
use super::pages::{html_response, message};
use crate::donation::{DonationId, Outcome, Status};
use crate::lang::Lang;
use crate::ledger::{DonationRow, LedgerError};
use crate::money::{Currency, format_money};
use crate::state::AppState;

#[derive(Deserialize)]
struct Submit {
    outcome: Option<String>,
}

async fn find(state: &AppState, id: &str) -> Result<DonationRow, HttpResponse> {
    let fail = |lang: Lang, status: StatusCode| {
        let t = lang.strings();
        message(lang, status, &t.checkout.title, &t.checkout.not_found)
    };
    if state.sandbox.is_none() {
        return Err(fail(Lang::En, StatusCode::NOT_FOUND));
    }
    let Some(id) = DonationId::parse(id) else {
        return Err(fail(Lang::En, StatusCode::NOT_FOUND));
    };
    match state.ledger.donation(&id).await {
        Ok(row) if row.gateway == crate::gateway::sandbox::NAME => Ok(row),
        Ok(_) | Err(LedgerError::NotFound) => Err(fail(Lang::En, StatusCode::NOT_FOUND)),
        Err(e) => {
            tracing::error!(error = %e, "checkout lookup failed");
            let t = Lang::En.strings();
            Err(message(
                Lang::En,
                StatusCode::SERVICE_UNAVAILABLE,
                &t.errors.unavailable_title,
                &t.errors.unavailable,
            ))
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
    let t = lang.strings();
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
    html_response(StatusCode::OK, body)
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
    let t = lang.strings();
    let limit = state.settings.raw.limits.form_body_bytes;
    let body = match state.read_body(&req, payload, limit).await {
        Ok(b) => b,
        Err(e) => return body_error(lang, e),
    };
    let outcome = match serde_urlencoded::from_bytes::<Submit>(&body)
        .ok()
        .and_then(|s| s.outcome)
        .as_deref()
    {
        Some("pay") => Outcome::Paid,
        Some("decline") => Outcome::Declined,
        _ => {
            return message(
                lang,
                StatusCode::BAD_REQUEST,
                &t.errors.bad_request_title,
                &t.errors.bad_request,
            );
        }
    };
    if row.status != Status::Pending {
        return message(
            lang,
            StatusCode::CONFLICT,
            &t.checkout.title,
            &t.checkout.already_done,
        );
    }
    let Some(sandbox) = state.sandbox.as_ref() else {
        return message(
            lang,
            StatusCode::NOT_FOUND,
            &t.checkout.title,
            &t.checkout.not_found,
        );
    };
    let reference = row.gateway_ref.clone().unwrap_or_else(|| row.id.clone());
    let signed = sandbox.sign_result(&reference, outcome, row.amount_minor, &row.currency);
    sandbox.deliver_webhook(&signed);
    let query = serde_urlencoded::to_string(&signed).unwrap_or_default();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("/payment/return/sandbox?{query}")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}
