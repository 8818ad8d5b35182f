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
    if let Some(answer) = zakat(&req, site) {
        return answer;
    }
    if let Some(lang) = crate::site::Site::success_lang(req.path())
        && let Some(body) = thank_you(&req, &state, lang).await
    {
        // The page as built may be found by a search; a donor's own, with their
        // receipt's link, never.
        let mut answer = crate::http::html(StatusCode::OK, body);
        answer.headers_mut().insert(
            header::HeaderName::from_static("x-robots-tag"),
            header::HeaderValue::from_static("noindex"),
        );
        return answer;
    }
    if let Some(lang) = donate_lang(req.path())
        && let Some(body) = super::donate::prefilled(req.query_string(), lang, &state)
    {
        return crate::http::html(StatusCode::OK, body);
    }
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

/// The language of a donate page's path (`/donate/`, `/ar/donate/`).
fn donate_lang(path: &str) -> Option<crate::lang::Lang> {
    crate::lang::Lang::ALL
        .into_iter()
        .find(|lang| path == lang.page("donate"))
}

/// The thank-you page of a donor back from paying (`?receipt=<id>&t=<token>`), with the
/// number of their receipt and its link; `None` for any other request of the page,
/// which is then the page as built.
async fn thank_you(
    req: &HttpRequest,
    state: &AppState,
    lang: crate::lang::Lang,
) -> Option<Vec<u8>> {
    #[derive(serde::Deserialize)]
    struct Query {
        receipt: String,
        t: String,
    }
    let q = web::Query::<Query>::from_query(req.query_string()).ok()?;
    if !state.receipts.verify(&q.receipt, &q.t) {
        return None;
    }
    let mut receipt = state.ledger.receipt(&q.receipt).await.ok()?;
    receipt.lang = lang;
    let view = crate::receipt::ReceiptView::new(&receipt, &state.settings, &state.receipts);
    let href = state.settings.api_url(&format!(
        "/receipt/{}?t={}&lang={}",
        q.receipt,
        q.t,
        lang.code()
    ));
    let mailed = state.settings.email.enabled();
    let note = crate::receipt::page::success_note(&view, &href, mailed);
    Some(state.site.success_page_with(lang, &note))
}

/// The Zakat calculator answering a donor's figures (a GET of its form): the page with
/// the result, never cached nor indexed; 422 with the fields marked when one is not a
/// number. `None` for the page without a query (served as built) and while no Zakat fund
/// is listed (then 404, as any unknown path).
fn zakat(req: &HttpRequest, site: &crate::site::Site) -> Option<HttpResponse> {
    let lang = crate::site::zakat::lang_of(req.path())?;
    if req.query_string().is_empty() {
        return None;
    }
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .unwrap_or_default();
    let query = crate::site::zakat::Query::from_pairs(&pairs);
    let (body, valid) = site.zakat_page_with(lang, &query)?;
    let status = match valid {
        true => StatusCode::OK,
        false => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let mut answer = crate::http::html(status, body);
    answer.headers_mut().insert(
        header::HeaderName::from_static("x-robots-tag"),
        header::HeaderValue::from_static("noindex"),
    );
    Some(answer)
}
