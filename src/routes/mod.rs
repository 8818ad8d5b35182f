//! HTTP routes: thin handlers that validate at the edge and call the domain.

pub mod api;
pub mod donate;
pub mod health;
pub mod pages;
pub mod payment;
pub mod receipt;
pub mod sandbox;
pub mod wait;

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

/// The route pattern a resource answers, attached to it as app data: the metrics label
/// of its requests. Requests without one were answered by the static site.
#[derive(Debug, Clone, Copy)]
pub struct RouteLabel(pub &'static str);

/// A resource at `path` that knows its own metrics label.
fn resource(path: &'static str) -> actix_web::Resource {
    web::resource(path).app_data(RouteLabel(path))
}

/// Mounts every route; anything else falls through to the static site.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // GET and HEAD share a handler; other methods answer 405 naming the allowed ones.
    let read = |path: &'static str, handler: fn() -> actix_web::Route| {
        resource(path)
            .route(handler().method(Method::GET))
            .route(handler().method(Method::HEAD))
            .default_service(web::to(|| not_allowed("GET, HEAD")))
    };
    cfg.service(
        resource("/donate")
            .route(web::post().to(donate::post))
            // `/donate` without its slash: the static site redirects it to `/donate/`.
            .route(web::get().to(pages::serve))
            .route(web::head().to(pages::serve))
            .default_service(web::to(|| not_allowed("GET, HEAD, POST"))),
    )
    .service(
        resource("/api/total")
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
    .service(
        resource("/admin/reconcile")
            .route(web::post().to(crate::admin::reconcile::reconcile))
            .default_service(web::to(|| not_allowed("POST"))),
    )
    // Routes with a parameter sit in scopes with a plain prefix, so a page request is
    // never matched against their patterns; unknown paths inside fall through to the
    // site's 404 like any other.
    .service(
        web::scope("/payment")
            .service(
                web::resource("/return/{gateway}")
                    .app_data(RouteLabel("/payment/return/{gateway}"))
                    .route(web::get().to(payment::return_))
                    .route(web::head().to(payment::return_))
                    .default_service(web::to(|| not_allowed("GET, HEAD"))),
            )
            .service(
                web::resource("/webhook/{gateway}")
                    .app_data(RouteLabel("/payment/webhook/{gateway}"))
                    .route(web::post().to(payment::webhook))
                    .default_service(web::to(|| not_allowed("POST"))),
            ),
    )
    .service(
        web::scope("/admin/donations")
            .service(
                web::resource("/{id}/refund")
                    .app_data(RouteLabel("/admin/donations/{id}/refund"))
                    .route(web::post().to(crate::admin::refund::refund))
                    .default_service(web::to(|| not_allowed("POST"))),
            )
            .service(
                web::resource("/{id}/receipt")
                    .app_data(RouteLabel("/admin/donations/{id}/receipt"))
                    .route(web::post().to(crate::admin::resend::resend))
                    .default_service(web::to(|| not_allowed("POST"))),
            ),
    )
    .service(
        web::scope("/receipt").service(
            web::resource("/{id}")
                .app_data(RouteLabel("/receipt/{id}"))
                .route(web::get().to(receipt::page))
                .route(web::head().to(receipt::page))
                .default_service(web::to(|| not_allowed("GET, HEAD"))),
        ),
    )
    .service(waiting_page("/donate/wait", "/donate/wait/{id}"))
    .service(waiting_page("/ar/donate/wait", "/ar/donate/wait/{id}"))
    .service(
        web::scope("/sandbox").service(
            web::resource("/checkout/{id}")
                .app_data(RouteLabel("/sandbox/checkout/{id}"))
                .route(web::get().to(sandbox::page))
                .route(web::head().to(sandbox::page))
                .route(web::post().to(sandbox::submit))
                .default_service(web::to(|| not_allowed("GET, HEAD, POST"))),
        ),
    )
    .default_service(web::to(pages::serve));
}

/// The waiting page of a donor in line, under `prefix` (one per language).
fn waiting_page(prefix: &'static str, label: &'static str) -> actix_web::Scope {
    web::scope(prefix).service(
        web::resource("/{id}")
            .app_data(RouteLabel(label))
            .route(web::get().to(wait::page))
            .route(web::head().to(wait::page))
            .default_service(web::to(|| not_allowed("GET, HEAD"))),
    )
}

/// 405 with the methods the resource does support.
async fn not_allowed(allow: &'static str) -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, allow))
        .finish()
}
