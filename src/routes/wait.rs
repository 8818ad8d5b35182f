//! `GET /donate/wait/{id}` (and `/ar/…`): the page of a donor waiting in line for their
//! checkout. It says about how long the line is, refreshes itself (a `Refresh` header:
//! no script needed) and, once the checkout is ready, answers 303 to it. Any server
//! answers it: the checkout is found in the ledger, or started again under the same
//! idempotency key, never twice.

use std::time::Duration;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use maud::html;

use crate::checkout;
use crate::donation::{DonationId, Status};
use crate::gateway::gate::Priority;
use crate::http::errors::PageError;
use crate::http::{html as html_answer, see_other};
use crate::lang::Lang;
use crate::ledger::LedgerError;
use crate::money::{Currency, Money};
use crate::render::strings::Strings;
use crate::state::AppState;

/// How long a request of the waiting page itself waits for the checkout.
const HOLD: Duration = Duration::from_millis(500);

pub async fn page(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> HttpResponse {
    let lang = Lang::of_path(req.path());
    let not_found = || {
        state
            .site
            .not_found(lang)
            .respond(&req, StatusCode::NOT_FOUND)
    };
    let Some(id) = DonationId::parse(&path) else {
        return not_found();
    };
    let row = match state.ledger.donation(&id).await {
        Ok(row) => row,
        Err(LedgerError::NotFound) => return not_found(),
        Err(e) => {
            tracing::error!(error = %e, "waiting page: donation lookup failed");
            return PageError::Unavailable.answer(lang);
        }
    };
    let page = |name: &str| see_other(&state.settings.page_url(&lang.page(name)));
    match row.status {
        Status::Succeeded => return page("success"),
        // Its checkout could not be started: the same page as the form's answer.
        Status::Failed if row.gateway_ref.is_none() && row.checkout_url.is_none() => {
            return PageError::Unavailable.answer(lang);
        }
        Status::Failed | Status::Expired => return page("error"),
        Status::Pending => {}
    }
    if let Some(url) = row.checkout_url {
        return see_other(&url);
    }
    let Some(amount) =
        Currency::from_code(&row.currency).and_then(|c| Money::new(row.amount_minor, c))
    else {
        return PageError::Unavailable.answer(lang);
    };
    let started = state.checkouts.start(
        &state.starter(),
        &id,
        amount,
        row.lang,
        state.gate.expected_wait(Priority::Checkout),
    );
    match checkout::within(started, HOLD).await {
        Some(Ok(url)) => see_other(&url),
        Some(Err(())) => PageError::Unavailable.answer(lang),
        None => waiting(&state, lang, &id),
    }
}

/// The page itself, refreshed every few seconds.
fn waiting(state: &AppState, lang: Lang, id: &DonationId) -> HttpResponse {
    let t = &Strings::of(lang).wait;
    // How long this donor has left, from when they joined the line; the whole line's
    // length on a server where they did not join it.
    let wait = state
        .checkouts
        .time_left(id)
        .unwrap_or_else(|| state.gate.expected_wait(Priority::Checkout));
    let seconds = wait.as_secs().max(1);
    let refresh = seconds.clamp(2, 5);
    let here = super::donate::wait_path(lang, id);
    let twin = super::donate::wait_path(lang.other(), id);
    let status = Strings::fill(
        &t.status,
        &[(
            "wait",
            &Strings::of(lang)
                .numbers
                .localize_digits(&crate::plural::counted(lang, &t.seconds, seconds)),
        )],
    );
    let main = html! {
        section.wait {
            h1 { (t.title) }
            p.status role="status" aria-live="polite" { (status) }
            p { (t.explain) }
            p { a.button href=(here) { (t.now) } }
        }
    };
    let body = crate::site::runtime_page(lang, &here, &twin, &t.title, main, false);
    let mut answer = html_answer(StatusCode::OK, body);
    let headers = answer.headers_mut();
    if let Ok(value) = header::HeaderValue::from_str(&refresh.to_string()) {
        headers.insert(header::REFRESH, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    answer
}
