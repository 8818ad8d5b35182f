//! `POST /admin/donations/{id}/receipt`: queues a donation's receipt again, to its stored
//! address or to a corrected one given in the form's `email` (kept as the donation's
//! address from then on). Guarded against cross-site requests by [`super::guard`].

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{Admin, guard};
use crate::donation::DonationId;
use crate::http::{plain, see_other};
use crate::ledger::Resent;
use crate::state::AppState;

#[derive(Deserialize)]
struct ResendForm {
    #[serde(default)]
    email: String,
}

pub async fn resend(
    req: HttpRequest,
    path: web::Path<String>,
    payload: web::Payload,
    state: web::Data<AppState>,
    admin: web::Data<Admin>,
) -> HttpResponse {
    let form: ResendForm = match guard::admit(&req, payload, &state, &admin).await {
        Ok(f) => f,
        Err(refused) => return refused,
    };
    let Some(id) = DonationId::parse(&path) else {
        return plain(StatusCode::NOT_FOUND, "No such donation.");
    };
    if !state.settings.email.enabled() {
        return plain(
            StatusCode::CONFLICT,
            "No email server is configured (email.smtp_url), so receipts cannot be sent.",
        );
    }
    let typed = form.email.trim();
    let to = if typed.is_empty() {
        None
    } else {
        match crate::donation::plausible_email(typed) {
            true => Some(typed.to_owned()),
            false => {
                return plain(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    format!("{typed:?} is not an email address; nothing was sent."),
                );
            }
        }
    };
    match state.ledger.resend_receipt(&id, to).await {
        Ok(Resent::Queued { .. }) => {
            tracing::info!(donation = %id, "receipt queued again by an admin");
            see_other("/admin#outbox")
        }
        Ok(Resent::NoReceipt) => plain(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This donation has no receipt: only a succeeded donation has one.",
        ),
        Ok(Resent::NoAddress) => plain(
            StatusCode::UNPROCESSABLE_ENTITY,
            "This donation has no email address; type one in the form to send its receipt there.",
        ),
        Err(e) => {
            tracing::error!(error = %e, "resend: the ledger is unavailable");
            plain(
                StatusCode::SERVICE_UNAVAILABLE,
                "The ledger cannot be written right now; nothing was queued.",
            )
        }
    }
}
