//! The static site from memory, and the pages the server renders for answers like 503.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;

use crate::lang::Lang;
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

/// A short page in the donor's language for answers such as 400, 413 or 503: what
/// happened, that nothing was charged, and the way back to the donate page.
pub fn message(lang: Lang, status: StatusCode, title: &str, text: &str) -> HttpResponse {
    let t = lang.strings();
    let donate = lang.page("donate");
    let main = html! {
        section.notice.warn {
            h1 { (title) }
            p { (text) }
            p { a.button.cta href=(donate) { (t.form.try_again) } }
        }
    };
    let body = crate::site::runtime_page(lang, &donate, &lang.other().page("donate"), title, main);
    html_response(status, body)
}

/// 429 with `Retry-After` and a friendly page in the donor's language.
pub fn too_many(lang: Lang, retry_after: u64) -> HttpResponse {
    let t = lang.strings();
    let mut r = message(
        lang,
        StatusCode::TOO_MANY_REQUESTS,
        &t.errors.too_many_title,
        &t.errors.too_many,
    );
    if let Ok(v) = HeaderValue::from_str(&retry_after.max(1).to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// An HTML answer that no cache keeps.
pub fn html_response(
    status: StatusCode,
    body: impl actix_web::body::MessageBody + 'static,
) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        ))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-store")))
        .body(body)
}
