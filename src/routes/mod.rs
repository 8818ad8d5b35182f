//! HTTP routes: thin handlers that validate at the edge and call the domain.

pub mod api;
pub mod body;
pub mod donate;
pub mod health;
pub mod pages;
pub mod payment;
pub mod sandbox;

use actix_web::web;

/// The OpenAPI 3 document of the machine-facing routes, kept in sync by `tests/openapi.rs`.
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> actix_web::HttpResponse {
    actix_web::HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "public, max-age=300"))
        .body(OPENAPI)
}

/// Mounts every route; anything else falls through to the static site.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/donate", web::post().to(donate::post))
        .route("/api/total", web::get().to(api::total))
        .route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/openapi.json", web::get().to(openapi))
        .route("/payment/return/{gateway}", web::get().to(payment::return_))
        .route(
            "/payment/webhook/{gateway}",
            web::post().to(payment::webhook),
        )
        .route("/sandbox/checkout/{id}", web::get().to(sandbox::page))
        .route("/sandbox/checkout/{id}", web::post().to(sandbox::submit))
        .default_service(web::to(pages::serve));
}
