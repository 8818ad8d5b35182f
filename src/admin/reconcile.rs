//! `POST /admin/reconcile`: runs reconciliation once, now (after any run in progress),
//! and answers what it did: JSON to a script (`Bearer`, as `fundraiser reconcile`
//! sends), back to the dashboard for its button. Guarded like every admin form.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::figures::RunJson;
use super::{Admin, guard};
use crate::http::errors::AdminError;
use crate::http::see_other;
use crate::state::AppState;

#[derive(serde::Deserialize)]
struct NoFields {}

pub async fn reconcile(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
    admin: web::Data<Admin>,
) -> HttpResponse {
    if let Err(refused) = guard::admit::<NoFields>(&req, payload, &state, &admin).await {
        return refused;
    }
    match state
        .reconciler
        .run(&state.ledger, state.gateway.get())
        .await
    {
        Ok(run) => {
            // The figures show this run at once.
            admin.forget_figures();
            if guard::is_bearer(&req) {
                HttpResponse::Ok()
                    .insert_header((header::CACHE_CONTROL, "no-store"))
                    .json(RunJson::of(&run))
            } else {
                see_other("/admin#reconciliation")
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "reconciliation not recorded");
            AdminError::Unavailable.answer()
        }
    }
}
