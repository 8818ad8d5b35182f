//! Payment results: the donor's return from the checkout, and the gateway's webhook.
//! Both are verified by the gateway, applied exactly once by the ledger, and answered
//! only after the commit.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::donation::PaymentResult;
use crate::donation::Status;
use crate::gateway::{GatewayError, Notification, ReturnOutcome};
use crate::http::errors::{ApiError, PageError};
use crate::http::see_other;
use crate::kept::MoneyNotice;
use crate::lang::Lang;
use crate::ledger::{Applied, LedgerError, MoneyApplied};
use crate::state::AppState;

pub async fn return_(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let lang = Lang::En;
    let gateway = state.gateway.get();
    if path.as_str() != gateway.name() {
        return state
            .site
            .not_found(lang)
            .respond(&req, StatusCode::NOT_FOUND);
    }
    if let Err(retry_after) = state.check_callback_limit(&req) {
        return PageError::TooMany { retry_after }.answer(lang);
    }
    // A return that would cost a call to the gateway is first looked up in the ledger:
    // a checkout this site never started is refused without the call (made-up returns
    // would otherwise take the gate's first place from donors), and a donation that has
    // already succeeded (a reload, a replayed URL) is final, so its answer comes from the
    // ledger too.
    if let Some(reference) = gateway.return_reference(req.query_string()) {
        match state
            .ledger
            .donation_by_gateway_ref(gateway.name(), &reference)
            .await
        {
            Ok(row) if row.status == Status::Succeeded => {
                crate::metrics::inc(&crate::metrics::get().callbacks_repeated);
                return see_other(&thank_you(&state, row.lang, &row.id));
            }
            Ok(_) => {}
            Err(LedgerError::NotFound) => {
                tracing::warn!(
                    gateway = gateway.name(),
                    "payment return for a checkout this site did not start"
                );
                return PageError::BadRequest.answer(lang);
            }
            Err(e) => {
                tracing::error!(error = %e, "payment return: donation lookup failed");
                return PageError::Unavailable.answer(lang);
            }
        }
    }
    let callback = match gateway.verify_return(req.query_string()).await {
        Ok(ReturnOutcome::Settled(cb)) => cb,
        Ok(ReturnOutcome::Pending {
            gateway_ref,
            submitted,
        }) => return pending(&state, &gateway_ref, submitted).await,
        Ok(ReturnOutcome::Confirming { gateway_ref }) => {
            return confirming(&state, &req, &gateway_ref).await;
        }
        Err(GatewayError::Rejected(why) | GatewayError::Unauthenticated(why)) => {
            tracing::warn!(%why, "payment return refused");
            return PageError::BadRequest.answer(lang);
        }
        Err(e @ GatewayError::Unavailable(_)) => {
            tracing::warn!(error = %e, "payment return not verified");
            return PageError::Unavailable.answer(lang);
        }
    };
    match apply(&state, callback).await {
        Ok(Applied::Done {
            id, lang, status, ..
        }) => {
            if status == Status::Succeeded {
                see_other(&thank_you(&state, lang, &id))
            } else {
                see_other(&state.settings.page_url(&lang.page("error")))
            }
        }
        Ok(Applied::Mismatch { lang, .. }) => {
            see_other(&state.settings.page_url(&lang.page("error")))
        }
        Ok(Applied::UnknownDonation) => PageError::BadRequest.answer(lang),
        Err(_) => PageError::Unavailable.answer(lang),
    }
}

pub async fn webhook(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    match receive_webhook(&req, &path, payload, &state).await {
        Ok(answer) => answer,
        Err(e) => e.answer(),
    }
}

async fn receive_webhook(
    req: &HttpRequest,
    gateway_name: &str,
    payload: web::Payload,
    state: &AppState,
) -> Result<HttpResponse, ApiError> {
    let gateway = state.gateway.get();
    if gateway_name != gateway.name() {
        return Err(ApiError::UnknownGateway);
    }
    // Only failures count against a sender: the gateway sends every genuine webhook
    // from a few addresses, many at once on launch night. A sender already past its
    // budget is refused before its body is read.
    if let Some(retry_after) = state.callback_limit_exceeded(req) {
        return Err(ApiError::TooMany { retry_after });
    }
    let notification = match verified_webhook(req, payload, state).await {
        Ok(n) => n,
        Err(e) => {
            if !matches!(e, ApiError::GatewayUnavailable) {
                // This answer stands; the sender's next one may be 429.
                let _ = state.check_callback_limit(req);
            }
            return Err(e);
        }
    };
    let callback = match notification {
        Notification::Apply(cb) => cb,
        Notification::Money(notice) => return apply_money(state, notice).await,
        Notification::Ignore => {
            return Ok(HttpResponse::Ok().json(json!({"received": true, "applied": false})));
        }
    };
    match apply(state, callback).await {
        Ok(Applied::Done {
            status, changed, ..
        }) => Ok(HttpResponse::Ok().json(json!({
            "received": true,
            "status": status.as_str(),
            "changed": changed,
        }))),
        Ok(Applied::Mismatch { .. }) => Ok(HttpResponse::Ok()
            .json(json!({"received": true, "applied": false, "reason": "amount mismatch"}))),
        Ok(Applied::UnknownDonation) => Err(ApiError::UnknownReference),
        Err(_) => Err(ApiError::LedgerUnavailable),
    }
}

/// The webhook's body, read within its limits and verified by the gateway.
async fn verified_webhook(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
) -> Result<Notification, ApiError> {
    let limit = state.settings.limits.webhook_body_bytes;
    let body = state.read_body(req, payload, limit).await?;
    match state
        .gateway
        .get()
        .verify_webhook(req.headers(), &body)
        .await
    {
        Ok(n) => Ok(n),
        Err(GatewayError::Rejected(why)) => {
            tracing::warn!(%why, "webhook refused");
            Err(ApiError::Rejected(why))
        }
        Err(GatewayError::Unauthenticated(why)) => {
            tracing::warn!(%why, "webhook refused");
            Err(ApiError::Unauthenticated(why))
        }
        Err(e @ GatewayError::Unavailable(_)) => {
            tracing::warn!(error = %e, "webhook not verified");
            Err(ApiError::GatewayUnavailable)
        }
    }
}

/// Applies a refund or dispute; answers once it is committed. A notice about a payment
/// the ledger does not know is answered 200 (the gateway need not retry: reconciliation
/// applies it once the payment is known) and changes nothing.
async fn apply_money(state: &AppState, notice: MoneyNotice) -> Result<HttpResponse, ApiError> {
    let gateway = notice.gateway;
    match state.ledger.apply_money(notice).await {
        Ok(MoneyApplied::Done {
            id,
            changed,
            net_minor,
        }) => {
            if changed {
                tracing::info!(donation = %id, net_minor, gateway, "refund or dispute recorded");
            }
            Ok(HttpResponse::Ok().json(json!({
                "received": true,
                "changed": changed,
                "net_minor": net_minor,
            })))
        }
        Ok(MoneyApplied::Mismatch { id }) => {
            tracing::warn!(donation = %id, gateway, "refund or dispute in another currency: not applied");
            Ok(HttpResponse::Ok()
                .json(json!({"received": true, "applied": false, "reason": "currency mismatch"})))
        }
        Ok(MoneyApplied::NotSucceeded { id }) => {
            tracing::warn!(donation = %id, gateway, "refund or dispute of a donation that has not succeeded: not applied");
            Ok(HttpResponse::Ok()
                .json(json!({"received": true, "applied": false, "reason": "not succeeded"})))
        }
        Ok(MoneyApplied::UnknownPayment) => {
            tracing::warn!(
                gateway,
                "refund or dispute of a payment this ledger does not know"
            );
            Ok(HttpResponse::Ok()
                .json(json!({"received": true, "applied": false, "reason": "unknown payment"})))
        }
        Err(e) => {
            tracing::error!(error = %e, "refund or dispute not recorded");
            Err(ApiError::LedgerUnavailable)
        }
    }
}

/// A genuine return whose payment has no result at the gateway yet: the ledger is left
/// as it is (the webhook brings the result). The donor goes to the page of what the
/// ledger knows; while the donation is pending, a donor who left the checkout unpaid
/// to the error page, and one whose payment settles later (a bank debit) to the
/// success page, so they are not invited to pay a second time. In the donation's
/// language.
async fn pending(state: &AppState, gateway_ref: &str, submitted: bool) -> HttpResponse {
    let gateway = state.gateway.get().name();
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
            see_other(&state.settings.page_url(&row.lang.page(page)))
        }
        Err(LedgerError::NotFound) => {
            tracing::warn!(
                gateway,
                "payment return for a checkout this site did not start"
            );
            PageError::BadRequest.answer(Lang::En)
        }
        Err(e) => {
            tracing::error!(error = %e, "payment return: donation lookup failed");
            PageError::Unavailable.answer(Lang::En)
        }
    }
}

/// A return whose payment the gateway is still confirming: a page in the donation's
/// language that asks again (this same return) every few seconds, never the thank-you
/// page before the money is there.
async fn confirming(state: &AppState, req: &HttpRequest, gateway_ref: &str) -> HttpResponse {
    let gateway = state.gateway.get().name();
    match state
        .ledger
        .donation_by_gateway_ref(gateway, gateway_ref)
        .await
    {
        Ok(row) => {
            tracing::info!(donation = %row.id, "payment return while the gateway confirms the payment");
            // Rebuilt from the checked reference: nothing else of the query is echoed.
            let again = format!("{}?ref={gateway_ref}", req.path());
            super::wait::confirming(row.lang, &again)
        }
        Err(LedgerError::NotFound) => PageError::BadRequest.answer(Lang::En),
        Err(e) => {
            tracing::error!(error = %e, "payment return: donation lookup failed");
            PageError::Unavailable.answer(Lang::En)
        }
    }
}

/// The thank-you page of a donation that succeeded, with the link to its receipt. Pages
/// on a static host (`server.api_origin`) cannot show it: their thank-you page is the
/// page as built, and the receipt's token stays out of that host's logs.
fn thank_you(state: &AppState, lang: Lang, id: &str) -> String {
    let page = state.settings.page_url(&lang.page("success"));
    if state.settings.api_origin.is_some() {
        return page;
    }
    format!("{page}?receipt={id}&t={}", state.receipts.token(id))
}

/// Applies a callback; answers once it is committed. The home page follows by itself:
/// the next request for it sees the total's new version and renders it once.
async fn apply(state: &AppState, callback: PaymentResult) -> Result<Applied, LedgerError> {
    let applied = state.ledger.apply(callback).await;
    if let Err(e) = &applied {
        tracing::error!(error = %e, "payment result not recorded");
    }
    applied
}
