//! `GET /api/total`: the amount raised, for the page's refresh script and anyone else.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};

use crate::state::AppState;

pub async fn total(state: web::Data<AppState>) -> HttpResponse {
    let snapshot = state.ledger.total().load();
    let cache = &state.total_json;
    let mut res = HttpResponse::Ok();
    if let Some(origin) = cache.allow_origin() {
        res.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()));
    }
    res.insert_header((header::CACHE_CONTROL, cache.cache_control()))
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ))
        .body(cache.body(&state.settings, &snapshot))
}

/// `OPTIONS /api/total`: a CORS preflight from the pages' origin (split deployment).
/// Browsers need none for the page's plain GET; this answers stricter clients.
pub async fn preflight(state: web::Data<AppState>) -> HttpResponse {
    let mut res = HttpResponse::NoContent();
    res.insert_header((header::ALLOW, "GET, HEAD, OPTIONS"));
    if let Some(origin) = state.total_json.allow_origin() {
        res.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "Accept"))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"));
    }
    res.finish()
}
