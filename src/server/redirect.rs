//! The plain-HTTP port of an HTTPS site: every request is sent to the same path on
//! `server.public_url`. The target comes from configuration, never from the request's
//! Host header, so the redirect cannot be pointed elsewhere.

use std::net::SocketAddr;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

use crate::config::Settings;
use crate::server::ServeError;

/// Binds the redirecting listener; the returned server runs when awaited.
pub fn server(settings: &Settings, bind: SocketAddr) -> Result<Server, ServeError> {
    let base = settings.public_url.clone();
    let server = HttpServer::new(move || {
        let base = base.clone();
        App::new().default_service(web::to(move |req: HttpRequest| {
            let base = base.clone();
            async move { redirect(&base, &req) }
        }))
    })
    .workers(1)
    .client_request_timeout(settings.timeouts.header)
    .keep_alive(settings.timeouts.keep_alive)
    .shutdown_timeout(1)
    .bind(bind)
    .map_err(|e| ServeError::Start(format!("cannot listen on {bind}: {e}")))?;
    for addr in server.addrs() {
        tracing::info!("redirecting http://{addr} to {}", settings.public_url);
    }
    Ok(server.run())
}

fn redirect(base: &str, req: &HttpRequest) -> HttpResponse {
    let target = req.uri().path_and_query().map_or("/", |p| p.as_str());
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, format!("{base}{target}")))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}
