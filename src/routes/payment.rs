//! Payment results: the donor's return from the checkout, and the gateway's webhook.
//! Both are verified by the gateway, applied exactly once by the ledger, and answered
//! only after the commit.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::body::BodyError;
use super::pages::{message, too_many};
use crate::donation::Status;
use crate::gateway::{GatewayError, Notification};
use crate::lang::Lang;
use crate::ledger::{Applied, Callback, LedgerError};
use crate::state::AppState;

pub async fn return_(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let lang = Lang::En;
    let gateway = &state.gateway;
    if path.as_str() != gateway.name() {
        return state
            .site
            .not_found(lang)
            .respond(&req, StatusCode::NOT_FOUND);
    }
    if let Err(retry_after) = state.check_callback_limit(&req) {
        return too_many(lang, retry_after);
    }
    let callback = match gateway.verify_return(req.query_string()).await {
        Ok(cb) => cb,
        Err(GatewayError::Rejected(why)) => {
            tracing::warn!(%why, "payment return refused");
            let t = lang.strings();
            return message(
                lang,
                StatusCode::BAD_REQUEST,
                &t.errors.bad_request_title,
                &t.errors.bad_request,
            );
        }
        Err(e @ GatewayError::Unavailable(_)) => {
            tracing::warn!(error = %e, "payment return not verified");
            return unavailable(lang);
        }
        Err(GatewayError::Pending {
            gateway_ref,
            submitted,
        }) => return pending(&state, &gateway_ref, submitted).await,
    };
    match apply(&state, callback).await {
        Ok(Applied::Done { lang, status, .. }) => {
            let page = if status == Status::Succeeded {
                "success"
            } else {
                "error"
            };
            redirect(&state.settings.page_url(&lang.page(page)))
        }
        Ok(Applied::Mismatch { lang, .. }) => {
            redirect(&state.settings.page_url(&lang.page("error")))
        }
        Ok(Applied::UnknownDonation) => {
            let t = lang.strings();
            message(
                lang,
                StatusCode::BAD_REQUEST,
                &t.errors.bad_request_title,
                &t.errors.bad_request,
            )
        }
        Err(_) => unavailable(lang),
    }
}

pub async fn webhook(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let gateway = &state.gateway;
    if path.as_str() != gateway.name() {
        return json_error(StatusCode::NOT_FOUND, "unknown gateway");
    }
    if let Err(retry_after) = state.check_callback_limit(&req) {
        let mut r = json_error(StatusCode::TOO_MANY_REQUESTS, "too many requests");
        if let Ok(v) = header::HeaderValue::from_str(&retry_after.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let limit = state.settings.raw.limits.webhook_body_bytes;
    let body = match state.read_body(&req, payload, limit).await {
        Ok(b) => b,
        Err(BodyError::TooLarge) => {
            return json_error(StatusCode::PAYLOAD_TOO_LARGE, "body too large");
        }
        Err(BodyError::TooSlow) => return json_error(StatusCode::REQUEST_TIMEOUT, "body too slow"),
        Err(BodyError::Broken) => {
            return json_error(StatusCode::BAD_REQUEST, "body could not be read");
        }
    };
    let notification = match gateway.verify_webhook(req.headers(), &body).await {
        Ok(n) => n,
        Err(GatewayError::Rejected(why)) => {
            tracing::warn!(%why, "webhook refused");
            return json_error(StatusCode::BAD_REQUEST, &why);
        }
        Err(e @ GatewayError::Unavailable(_)) => {
            tracing::warn!(error = %e, "webhook not verified");
            return json_error(StatusCode::SERVICE_UNAVAILABLE, "try again later");
        }
        // Nothing to record yet, as for an event we do not act on.
        Err(GatewayError::Pending { .. }) => Notification::Ignore,
    };
    let callback = match notification {
        Notification::Apply(cb) => cb,
        Notification::Ignore => {
            return HttpResponse::Ok().json(json!({"received": true, "applied": false}));
        }
    };
    match apply(&state, callback).await {
        Ok(Applied::Done {
            status, changed, ..
        }) => HttpResponse::Ok().json(json!({
            "received": true,
            "status": status.as_str(),
            "changed": changed,
        })),
        Ok(Applied::Mismatch { .. }) => HttpResponse::Ok()
            .json(json!({"received": true, "applied": false, "reason": "amount mismatch"})),
        // A reference we never issued: tell the gateway to stop retrying.
        Ok(Applied::UnknownDonation) => {
            json_error(StatusCode::NOT_FOUND, "unknown payment reference")
        }
        Err(_) => json_error(
            StatusCode::SERVICE_UNAVAILABLE,
            "ledger unavailable; retry later",
        ),
    }
}

/// A genuine return whose payment has no result at the gateway yet: the ledger is left
/// as it is (the webhook brings the result). The donor goes to the page of what the
/// ledger knows; while the donation is pending, a donor who left the checkout unpaid
/// to the error page, and one whose payment settles later (a bank debit) to the
/// success page, so they are not invited to pay a second time. In the donation's
/// language.
async fn pending(state: &AppState, gateway_ref: &str, submitted: bool) -> HttpResponse {
    let gateway = state.gateway.name();
    match state
        .ledger
        .donation_by_gateway_ref(gateway, gateway_ref)
        .await
    {
        Ok(row) => {
            tracing::info!(donation = %row.id, status = %row.status, submitted, "payment return before the payment's result");
            let page = match row.status {
                Status::Succeeded => "success",
                Status::Failed | Status::Expired => "error",
                Status::Pending if submitted => "success",
                Status::Pending => "error",
            };
            redirect(&state.settings.page_url(&row.lang.page(page)))
        }
        Err(LedgerError::NotFound) => {
            tracing::warn!(
                gateway,
                "payment return for a checkout this site did not start"
            );
            let lang = Lang::En;
            let t = lang.strings();
            message(
                lang,
                StatusCode::BAD_REQUEST,
                &t.errors.bad_request_title,
                &t.errors.bad_request,
            )
        }
        Err(e) => {
            tracing::error!(error = %e, "payment return: donation lookup failed");
            unavailable(Lang::En)
        }
    }
}

/// Applies a callback; answers once it is committed. The home page follows by itself:
/// the next request for it sees the total's new version and renders it once.
async fn apply(state: &AppState, callback: Callback) -> Result<Applied, LedgerError> {
    let applied = state.ledger.apply(callback).await;
    if let Err(e) = &applied {
        tracing::error!(error = %e, "payment result not recorded");
    }
    applied
}

fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn unavailable(lang: Lang) -> HttpResponse {
    let t = lang.strings();
    message(
        lang,
        StatusCode::SERVICE_UNAVAILABLE,
        &t.errors.unavailable_title,
        &t.errors.unavailable,
    )
}

pub fn json_error(status: StatusCode, error: &str) -> HttpResponse {
    HttpResponse::build(status).json(json!({ "error": error }))
}
