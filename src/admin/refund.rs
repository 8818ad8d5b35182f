//! `POST /admin/donations/{id}/refund`: refunds part or all of a succeeded donation
//! through its gateway, then records it. Empty `amount` refunds what is left.
//!
//! Cross-site requests are refused: a browser sends HTTP Basic credentials by itself, so
//! a page elsewhere could otherwise make an admin's browser post a refund. A request whose
//! `Sec-Fetch-Site` or `Origin` shows another site is refused, and a form sent with Basic
//! credentials must carry the form token the dashboard puts in it (derived from the admin
//! token: a page elsewhere cannot know it). A `Bearer` request (a script; browsers never
//! add that header by themselves) needs no form token.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use super::{Admin, authorize};
use crate::donation::{DonationId, Status};
use crate::gateway::{GatewayError, RefundRequest};
use crate::http::{plain, see_other};
use crate::kept::{MoneyEvent, MoneyNotice};
use crate::ledger::{LedgerError, MoneyApplied};
use crate::money::{Currency, Money, format_money, parse_amount};
use crate::render::strings::Strings;
use crate::state::AppState;

#[derive(Deserialize)]
struct RefundForm {
    #[serde(default)]
    amount: String,
    #[serde(default)]
    form_token: String,
}

/// The token the dashboard's forms carry: HMAC of a fixed label under the admin token's
/// digest. Stable while the token is, unknowable without it.
pub fn form_token(admin: &Admin) -> String {
    let Some(key) = admin.token_digest else {
        return String::new();
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
        return String::new();
    };
    mac.update(b"fundraiser admin form");
    hex::encode(mac.finalize().into_bytes())
}

/// Whether the request comes from this site's own pages (or from no page at all).
fn same_site(req: &HttpRequest, state: &AppState) -> bool {
    let fetch_site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("cross-site" | "same-site")) {
        return false;
    }
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return true;
    };
    let origin = origin.to_str().unwrap_or_default();
    let own = req.connection_info();
    let served = format!("{}://{}", own.scheme(), own.host());
    let settings = &state.settings;
    origin == served
        || origin == settings.site_origin
        || settings.api_origin.as_deref() == Some(origin)
}

fn is_bearer(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
}

pub async fn refund(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
    admin: web::Data<Admin>,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state, &admin) {
        return r;
    }
    if !same_site(&req, &state) {
        tracing::warn!(
            path = req.path(),
            "admin refund refused: sent from another site"
        );
        return plain(
            StatusCode::FORBIDDEN,
            "Refused: this request came from another site.",
        );
    }
    let limit = state.settings.limits.form_body_bytes;
    let body = match state.read_body(&req, payload, limit).await {
        Ok(b) => b,
        Err(e) => return crate::http::errors::PageError::from(e).answer(crate::lang::Lang::En),
    };
    let Ok(form) = serde_urlencoded::from_bytes::<RefundForm>(&body) else {
        return plain(StatusCode::BAD_REQUEST, "The form is malformed.");
    };
    let expected = form_token(&admin);
    if !is_bearer(&req) && !bool::from(form.form_token.as_bytes().ct_eq(expected.as_bytes())) {
        return plain(
            StatusCode::FORBIDDEN,
            "Refused: the form token is missing or wrong. Reload the dashboard and try again.",
        );
    }
    let Some(id) = DonationId::parse(&path) else {
        return plain(StatusCode::NOT_FOUND, "No such donation.");
    };
    match refund_donation(&state, &id, form.amount.trim()).await {
        Ok(()) => see_other("/admin#recent"),
        Err((status, message)) => plain(status, message),
    }
}

/// Refunds `typed` (empty: what is left) of the donation; the answer's status and text
/// when it cannot.
async fn refund_donation(
    state: &AppState,
    id: &DonationId,
    typed: &str,
) -> Result<(), (StatusCode, String)> {
    let unavailable = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "refund: the ledger is unavailable");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "The ledger cannot be read right now; nothing was refunded.".to_owned(),
        )
    };
    let target = match state.ledger.refundable(id).await {
        Ok(t) => t,
        Err(LedgerError::NotFound) => {
            return Err((StatusCode::NOT_FOUND, "No such donation.".into()));
        }
        Err(e) => return Err(unavailable(&e)),
    };
    let unprocessable = |text: String| (StatusCode::UNPROCESSABLE_ENTITY, text);
    if target.status != Status::Succeeded {
        return Err(unprocessable(format!(
            "Only a succeeded donation can be refunded; this one is {}.",
            target.status
        )));
    }
    let Some(payment_ref) = target.payment_ref.as_deref() else {
        return Err(unprocessable(
            "This donation has no payment id to refund (it was paid before refunds were recorded); refund it in the gateway's dashboard.".into(),
        ));
    };
    let Some(currency) = Currency::from_code(&target.currency) else {
        return Err(unprocessable(format!(
            "This donation's currency {} is not one this site handles.",
            target.currency
        )));
    };
    let money =
        |minor: i64| format_money(minor, currency, &Strings::of(crate::lang::Lang::En).numbers);
    let left = target.kept.refundable();
    let minor = if typed.is_empty() {
        left
    } else {
        parse_amount(typed, currency).map_err(|_| {
            unprocessable(format!(
                "{typed:?} is not an amount in {}.",
                currency.code()
            ))
        })?
    };
    let Some(amount) = Money::new(minor, currency).filter(|_| minor <= left) else {
        return Err(unprocessable(if left == 0 {
            format!(
                "Nothing is left to refund: {} of {} was refunded already.",
                money(target.kept.refunded_minor),
                money(target.kept.amount_minor)
            )
        } else {
            format!(
                "Refund at most {}: {} of {} was refunded already.",
                money(left),
                money(target.kept.refunded_minor),
                money(target.kept.amount_minor)
            )
        }));
    };
    let sequence = target.refunds + 1;
    let gateway = state.gateway.get();
    let request = RefundRequest {
        donation: id.as_str(),
        payment_ref,
        amount,
        sequence,
    };
    match gateway.refund(&request).await {
        Ok(()) => {}
        Err(GatewayError::Rejected(why)) => {
            tracing::warn!(donation = %id, %why, "refund refused by the gateway");
            return Err(unprocessable(format!(
                "The payment provider refused the refund: {why}"
            )));
        }
        Err(e) => {
            tracing::warn!(donation = %id, error = %e, "refund not made");
            return Err((
                StatusCode::SERVICE_UNAVAILABLE,
                "The payment provider could not be reached; nothing was refunded. Try again in a minute.".into(),
            ));
        }
    }
    // Made at the gateway: recorded now, in the same cumulative terms as its own notice
    // (which, arriving before or after, counts nothing more).
    let label = format!("admin refund {id} #{sequence}");
    let notice = MoneyNotice {
        gateway: gateway.name(),
        payment_ref: payment_ref.to_owned(),
        event: MoneyEvent::Refunded {
            total_minor: target.kept.refunded_minor + amount.minor(),
        },
        currency: Some(target.currency.clone()),
        digest: hex::encode(Sha256::digest(label.as_bytes())),
        event_id: Some(format!("admin-refund-{id}-{sequence}")),
    };
    match state.ledger.apply_money(notice).await {
        Ok(MoneyApplied::Done { net_minor, .. }) => {
            tracing::info!(donation = %id, refunded_minor = amount.minor(), net_minor, "refund made");
            Ok(())
        }
        Ok(other) => {
            tracing::error!(donation = %id, ?other, "refund made at the gateway but not recorded");
            Err((
                StatusCode::SERVICE_UNAVAILABLE,
                "The refund was made at the payment provider but not recorded here; its own notice of the refund will record it.".into(),
            ))
        }
        Err(e) => Err(unavailable(&e)),
    }
}
