//! The static site from memory.

use actix_web::http::header;
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::site::Lookup;
use crate::state::AppState;

pub async fn serve(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return HttpResponse::MethodNotAllowed()
            .insert_header((header::ALLOW, "GET, HEAD"))
            .finish();
    }
    let site = &state.site;
    match site.lookup(req.path()) {
        Lookup::File(resource) => resource.respond(&req, StatusCode::OK),
        Lookup::Home(lang) => site.respond_home(lang, state.ledger.total(), &req),
        Lookup::AddSlash => {
            let mut location = format!("{}/", req.path());
            if let Some(q) = req.uri().query() {
                location.push('?');
                location.push_str(q);
            }
            HttpResponse::PermanentRedirect()
                .insert_header((header::LOCATION, location))
                .finish()
        }
        Lookup::NotFound(lang) => site.not_found(lang).respond(&req, StatusCode::NOT_FOUND),
    }
}
