//! `GET /donate/wait/{id}` (and `/ar/…`): the page of a donor waiting in line for their
//! checkout. It says about how long the line is, refreshes itself (a `Refresh` header:
//! no script needed) and, once the checkout is ready, answers 303 to it. Any server
//! answers it: the checkout is found in the ledger, or started again under the same
//! idempotency key, never twice. A donation begun under another gateway or mode (test or
//! live money) is never sent to a checkout: it is expired, and the donor finds the donate
//! form again with their amount, asked to start again.

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
use crate::ledger::{DonationRow, LedgerError};
use crate::money::{Currency, Money, minor_to_plain};
use crate::render::strings::Strings;
use crate::site::islands::FormState;
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
    let starter = state.starter();
    match row.status {
        Status::Succeeded => return page("success"),
        // Its checkout could not be started: the same page as the form's answer.
        Status::Failed if row.gateway_ref.is_none() && row.checkout_url.is_none() => {
            return PageError::Unavailable.answer(lang);
        }
        Status::Pending | Status::Expired if !starter.takes(&row) => {
            return start_again(&state, lang, &id, &row).await;
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
        &starter,
        &id,
        checkout::Wanted {
            amount,
            lang: row.lang,
            fund: row.fund.clone(),
            // Only a prefill of the payment page: not read again for a start from here.
            email: None,
        },
        state.gate.expected_wait(Priority::Checkout),
    );
    match checkout::within(started, HOLD).await {
        Some(Ok(url)) => see_other(&url),
        Some(Err(())) => PageError::Unavailable.answer(lang),
        None => waiting(&state, lang, &id),
    }
}

/// A donation begun under another gateway or mode: expired (its checkout, if any, was
/// made for a way of paying this server cannot verify), and the donate form again, with
/// its amount and a notice to start again. 409: this donation cannot go on here.
async fn start_again(
    state: &AppState,
    lang: Lang,
    id: &DonationId,
    row: &DonationRow,
) -> HttpResponse {
    let settings = &state.settings;
    if row.status == Status::Pending {
        let mode = |live: bool| if live { "live" } else { "test" };
        let reason = format!(
            "begun with {} ({} money); {} ({} money) runs now",
            row.gateway,
            mode(row.live),
            state.gateway.get().name(),
            mode(!settings.test_mode())
        );
        match state.ledger.expire(id, &reason).await {
            Ok(_) => {
                tracing::info!(donation = %id, %reason, "donation of another gateway or mode expired")
            }
            // It stays pending until `donation.pending_ttl` expires it; it is never sent
            // to a checkout meanwhile.
            Err(e) => {
                tracing::warn!(donation = %id, error = %e, "could not expire a donation of another gateway or mode")
            }
        }
    }
    let mut form = FormState::initial(settings);
    // The amount means the same only in the same currency.
    if row.currency == settings.currency.code() {
        if settings.presets_minor.contains(&row.amount_minor) {
            form.preset = Some(row.amount_minor);
        } else {
            form.preset = None;
            form.amount = minor_to_plain(row.amount_minor, settings.currency);
        }
    }
    form.notice = Some(Strings::of(lang).wait.start_again.clone());
    let ended = settings.campaign_ended(time::OffsetDateTime::now_utc());
    let mut answer = html_answer(
        StatusCode::CONFLICT,
        state.site.donate_page_with(lang, &form, ended),
    );
    answer.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    answer
}

/// A donor back from paying while the gateway still confirms the payment: the page asks
/// `again` (the return itself) every few seconds.
pub fn confirming(lang: Lang, again: &str) -> HttpResponse {
    let t = &Strings::of(lang).wait;
    let main = html! {
        section.wait {
            h1 { (t.confirming_title) }
            p.status role="status" aria-live="polite" { (t.confirming) }
            p { a.button href=(again) { (t.now) } }
        }
    };
    let body = crate::site::runtime_page(lang, again, again, &t.confirming_title, main, false);
    let mut answer = html_answer(StatusCode::OK, body);
    let headers = answer.headers_mut();
    if let Ok(value) = header::HeaderValue::from_str(&format!("5; url={again}")) {
        headers.insert(header::REFRESH, value);
    }
    headers.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    answer
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
