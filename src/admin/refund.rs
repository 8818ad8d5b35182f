//! `POST /admin/donations/{id}/refund`: refunds part or all of a succeeded donation
//! through its gateway, then records it. Empty `amount` refunds what is left. Guarded
//! against cross-site requests by [`super::guard`].

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{Admin, guard};
use crate::donation::{DonationId, Status};
use crate::gateway::{GatewayError, RefundRequest};
use crate::http::{plain, see_other};
use crate::kept::{MoneyEvent, MoneyNotice};
use crate::ledger::{Intended, LedgerError, MoneyApplied};
use crate::money::{Currency, Money, format_money, parse_amount};
use crate::render::strings::Strings;
use crate::state::AppState;

#[derive(Deserialize)]
struct RefundForm {
    #[serde(default)]
    amount: String,
    /// The refund intent the form makes (the dashboard's next one, or its pending one): the
    /// same form sent again names the same refund. A script may leave it out.
    #[serde(default)]
    intent: String,
}

pub async fn refund(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
    admin: web::Data<Admin>,
) -> HttpResponse {
    let form: RefundForm = match guard::admit(&req, payload, &state, &admin).await {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    let Some(id) = DonationId::parse(&path) else {
        return plain(StatusCode::NOT_FOUND, "No such donation.");
    };
    match refund_donation(&state, &id, form.amount.trim(), &form.intent).await {
        Ok(note) if note.is_empty() => see_other("/admin#recent"),
        Ok(note) => plain(StatusCode::OK, format!("{note}It is made now.")),
        Err((status, message)) => plain(status, message),
    }
}

/// Refunds `typed` (empty: what is left) of the donation, through the ledger's refund
/// intent (`form_intent`: the one the form names); a note when the refund made was not
/// the one typed, or the answer's status and text when it cannot.
async fn refund_donation(
    state: &AppState,
    id: &DonationId,
    typed: &str,
    form_intent: &str,
) -> Result<String, (StatusCode, String)> {
    let mut note = String::new();
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
    let form_n = match form_intent.trim() {
        "" => None,
        n => Some(n.parse::<u64>().ok().filter(|&n| n > 0).ok_or_else(|| {
            unprocessable("The form's refund number is malformed; reload the dashboard.".into())
        })?),
    };
    let intent = match state.ledger.intend_refund(id, amount.minor(), form_n).await {
        Ok(Intended::Pending { intent, reused }) => {
            if reused && !typed.is_empty() && intent.amount_minor != amount.minor() {
                note = format!(
                    "Refund #{} of {} was still waiting for the payment provider's answer: it was sent again as it was, not the {} typed. ",
                    intent.n,
                    money(intent.amount_minor),
                    money(amount.minor())
                );
            }
            intent
        }
        Ok(Intended::Settled(done)) => {
            let what = if done.state == "done" {
                "was made already"
            } else {
                "was refused by the payment provider"
            };
            return Err((
                StatusCode::CONFLICT,
                format!(
                    "Refund #{} of {} {what}; nothing more was refunded. Reload the dashboard to refund more.",
                    done.n,
                    money(done.amount_minor)
                ),
            ));
        }
        Ok(Intended::Stale) => {
            return Err((
                StatusCode::CONFLICT,
                "This form is out of date (the donation was refunded since); nothing was refunded. Reload the dashboard.".into(),
            ));
        }
        Err(e) => return Err(unavailable(&e)),
    };
    let amount = Money::new(intent.amount_minor, currency).unwrap_or(amount);
    let gateway = state.gateway.get();
    let request = RefundRequest {
        donation: id.as_str(),
        payment_ref,
        amount,
        intent: intent.n,
    };
    match gateway.refund(&request).await {
        Ok(()) => {}
        Err(GatewayError::Rejected(why)) => {
            tracing::warn!(donation = %id, intent = intent.n, %why, "refund refused by the gateway");
            if let Err(e) = state.ledger.refund_refused(id, intent.n).await {
                // Left pending: its next retry asks the gateway again, with the same key.
                tracing::error!(donation = %id, error = %e, "refund refused, but not recorded so");
            }
            return Err(unprocessable(format!(
                "{note}The payment provider refused the refund: {why}"
            )));
        }
        Err(e) => {
            // It may have been made: the answer, not the request, may be what was lost.
            // The intent stays pending, and a retry sends the same key.
            tracing::warn!(donation = %id, intent = intent.n, error = %e, "refund not answered");
            return Err((
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "{note}The payment provider did not answer; the refund may have been made. Check the gateway's dashboard before trying again — trying again repeats this same refund, never a second one."
                ),
            ));
        }
    }
    // Made at the gateway: recorded now, in the same cumulative terms as its own notice
    // (which, arriving before or after, counts nothing more); this settles the intent.
    let label = format!("admin refund {id} intent #{}", intent.n);
    let notice = MoneyNotice {
        gateway: gateway.name(),
        payment_ref: payment_ref.to_owned(),
        event: MoneyEvent::Refunded {
            total_minor: intent.refunded_before + intent.amount_minor,
        },
        currency: Some(target.currency.clone()),
        digest: hex::encode(Sha256::digest(label.as_bytes())),
        event_id: Some(format!("admin-refund-{id}-intent-{}", intent.n)),
    };
    match state.ledger.apply_money(notice).await {
        Ok(MoneyApplied::Done { net_minor, .. }) => {
            tracing::info!(donation = %id, intent = intent.n, refunded_minor = amount.minor(), net_minor, "refund made");
            Ok(note)
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
