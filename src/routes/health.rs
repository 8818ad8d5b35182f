//! Health for operators and load balancers: `/healthz` says the process answers;
//! `/readyz` says it can take donations (the ledger accepts a real write: one committed
//! within the last second, else a probe, at most one a second however often it is asked).

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::state::AppState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({ "status": "ok" }))
}

pub async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    match state.ledger.ready().await {
        Ok(()) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(json!({ "status": "ready", "ledger": "writable" })),
        Err(e) => {
            tracing::warn!(error = %e, "not ready: the ledger cannot be written");
            HttpResponse::ServiceUnavailable()
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header((header::RETRY_AFTER, "5"))
                .json(json!({ "status": "unavailable", "ledger": "not writable" }))
        }
    }
}
