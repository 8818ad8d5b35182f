//! HTTP routes: thin handlers that validate at the edge and call the domain.

pub mod api;
pub mod body;
pub mod donate;
pub mod health;
pub mod pages;
pub mod payment;
pub mod redirect;
pub mod sandbox;

use actix_web::http::{Method, header};
use actix_web::{HttpResponse, web};

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
    // GET and HEAD share a handler; other methods answer 405 naming the allowed ones.
    let read = |path: &str, handler: fn() -> actix_web::Route| {
        web::resource(path.to_owned())
            .route(handler().method(Method::GET))
            .route(handler().method(Method::HEAD))
            .default_service(web::to(|| not_allowed("GET, HEAD")))
    };
    cfg.service(
        web::resource("/donate")
            .route(web::post().to(donate::post))
            // `/donate` without its slash: the static site redirects it to `/donate/`.
            .route(web::get().to(pages::serve))
            .route(web::head().to(pages::serve))
            .default_service(web::to(|| not_allowed("GET, HEAD, POST"))),
    )
    .service(
        web::resource("/api/total")
            .route(web::get().to(api::total))
            .route(web::head().to(api::total))
            .route(web::route().method(Method::OPTIONS).to(api::preflight))
            .default_service(web::to(|| not_allowed("GET, HEAD, OPTIONS"))),
    )
    .service(read("/healthz", || web::route().to(health::healthz)))
    .service(read("/readyz", || web::route().to(health::readyz)))
    .service(read("/openapi.json", || web::route().to(openapi)))
    .service(read("/admin", || web::route().to(crate::admin::dashboard)))
    .service(read("/admin/stats", || {
        web::route().to(crate::admin::stats)
    }))
    .service(read("/admin/donations.csv", || {
        web::route().to(crate::admin::donations_csv)
    }))
    .service(read("/metrics", || web::route().to(crate::admin::metrics)))
    .service(read("/payment/return/{gateway}", || {
        web::route().to(payment::return_)
    }))
    .service(
        web::resource("/payment/webhook/{gateway}")
            .route(web::post().to(payment::webhook))
            .default_service(web::to(|| not_allowed("POST"))),
    )
    .service(
        web::resource("/sandbox/checkout/{id}")
            .route(web::get().to(sandbox::page))
            .route(web::head().to(sandbox::page))
            .route(web::post().to(sandbox::submit))
            .default_service(web::to(|| not_allowed("GET, HEAD, POST"))),
    )
    .default_service(web::to(pages::serve));
}

/// 405 with the methods the resource does support.
async fn not_allowed(allow: &'static str) -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, allow))
        .finish()
}
