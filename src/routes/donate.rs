//! `POST /donate`: validate the donor's form, record a pending donation, send the donor
//! to the gateway's checkout.

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::checkout;
use crate::client_ip::limit_key;
use crate::donation::DonationId;
use crate::fund::FundId;
use crate::gateway::gate::Priority;
use crate::http::errors::PageError;
use crate::http::{html, see_other};
use crate::lang::Lang;
use crate::ledger::{Created, NewDonation};
use crate::money::{AmountError, Money, format_money, parse_amount, parse_donation};
use crate::render::strings::Strings;
use crate::site::islands::FormState;
use crate::state::AppState;

const NAME_MAX: usize = 100;

/// The form as sent; every field optional so that a missing one gets a clear message.
#[derive(Debug, Default, Deserialize)]
pub struct DonateForm {
    pub amount: Option<String>,
    pub preset: Option<String>,
    pub lang: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub anonymous: Option<String>,
    /// The fund's id; none: the first fund.
    pub fund: Option<String>,
    /// The honeypot: hidden from people, filled by bots.
    pub website: Option<String>,
}

/// A donation request that passed every check.
#[derive(Debug)]
pub struct ValidDonation {
    pub amount: Money,
    pub fund: FundId,
    pub name: Option<String>,
    pub email: Option<String>,
    pub anonymous: bool,
}

pub async fn post(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> HttpResponse {
    let referer_lang = req
        .headers()
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.parse::<actix_web::http::Uri>().ok())
        .map_or(Lang::En, |u| Lang::of_path(u.path()));
    let limit = state.settings.limits.form_body_bytes;
    let body = match state.read_body(&req, payload, limit).await {
        Ok(b) => b,
        Err(e) => return PageError::from(e).answer(referer_lang),
    };
    let Ok(form) = serde_urlencoded::from_bytes::<DonateForm>(&body) else {
        return PageError::BadRequest.answer(referer_lang);
    };
    let lang = form
        .lang
        .as_deref()
        .and_then(Lang::from_code)
        .unwrap_or(referer_lang);
    let client = state.client_ip(&req);
    if let Some(ip) = client
        && let Err(retry_after) = state.donate_limiter.check(ip)
    {
        tracing::info!(%ip, "donation refused: too many attempts");
        return PageError::TooMany { retry_after }.answer(lang);
    }
    if form
        .website
        .as_deref()
        .is_some_and(|w| !w.trim().is_empty())
    {
        tracing::info!("donation refused: honeypot field filled");
        return PageError::BadRequest.answer(lang);
    }
    let settings = &state.settings;
    let now = time::OffsetDateTime::now_utc();
    if settings.campaign_ended(now) {
        let page = state
            .site
            .donate_page_with(lang, &FormState::default(), true);
        return html(StatusCode::FORBIDDEN, page);
    }
    let valid = match validate(&form, lang, &state) {
        Ok(v) => v,
        Err(form_state) => {
            return html(
                StatusCode::UNPROCESSABLE_ENTITY,
                state.site.donate_page_with(lang, &form_state, false),
            );
        }
    };

    // A line longer than the gateway can serve soon: ask the donor to come back in a
    // moment, with the form as they filled it, before anything is recorded.
    let line = state.gate.queued(Priority::Checkout);
    if line >= settings.queue.max {
        tracing::warn!(line, "donation deferred: the line of checkouts is full");
        let mut kept = form_state(&form, settings.currency);
        kept.notice = Some(Strings::of(lang).wait.busy.clone());
        let retry_after = state
            .gate
            .expected_wait(Priority::Checkout)
            .as_secs()
            .clamp(5, 120);
        let mut answer = html(
            StatusCode::SERVICE_UNAVAILABLE,
            state.site.donate_page_with(lang, &kept, false),
        );
        answer
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(retry_after));
        return answer;
    }
    let id = DonationId::random();
    let gateway = state.gateway.get();
    let created = state
        .ledger
        .create(NewDonation {
            id: id.clone(),
            amount: valid.amount,
            fund: valid.fund.clone(),
            gateway: gateway.name(),
            live: !settings.test_mode(),
            gateway_ref: gateway.reference_for(&id),
            lang,
            donor_name: valid.name,
            donor_email: valid.email.clone(),
            anonymous: valid.anonymous,
            client_ip: client.map(|ip| ip.to_string()),
            client_net: client.map(|ip| limit_key(ip).to_string()),
            // The cap is checked with the insert, in one transaction: concurrent requests
            // cannot all pass a count made before any of them is written.
            open_limit: settings.limits.open_donations_per_ip,
        })
        .await;
    match created {
        Ok(Created::Recorded) => {}
        Ok(Created::TooManyOpen) => {
            tracing::info!(ip = ?client, "donation refused: too many unpaid donations");
            return PageError::TooMany { retry_after: 60 }.answer(lang);
        }
        Err(e) => {
            tracing::error!(error = %e, "donation not recorded");
            return PageError::Unavailable.answer(lang);
        }
    }
    // The checkout is started in the background; the donor waits for it a moment,
    // else in line on the waiting page.
    let started = state.checkouts.start(
        &state.starter(),
        &id,
        checkout::Wanted {
            amount: valid.amount,
            lang,
            fund: valid.fund.as_str().to_owned(),
            email: valid.email,
        },
        state.gate.expected_wait(Priority::Checkout),
    );
    match checkout::within(started, settings.queue.wait).await {
        Some(Ok(url)) => see_other(&url),
        Some(Err(())) => PageError::Unavailable.answer(lang),
        None => {
            tracing::info!(donation = %id, "donor waiting in line for a checkout");
            see_other(&settings.api_url(&wait_path(lang, &id)))
        }
    }
}

/// The waiting page of a donation: `/donate/wait/{id}`, `/ar/donate/wait/{id}`.
pub fn wait_path(lang: Lang, id: &DonationId) -> String {
    format!("{}wait/{id}", lang.page("donate"))
}

/// Checks the form; on failure returns the form state to show again, with messages.
pub fn validate(
    form: &DonateForm,
    lang: Lang,
    state: &AppState,
) -> Result<ValidDonation, Box<FormState>> {
    let settings = &state.settings;
    let t = Strings::of(lang);
    let currency = settings.currency;
    let typed = form.amount.as_deref().unwrap_or("").trim();
    let preset = form.preset.as_deref().unwrap_or("").trim();
    let chosen = if typed.is_empty() { preset } else { typed };
    let amount = parse_donation(chosen, currency, settings.min_minor, settings.max_minor);
    let mut state_out = form_state(form, currency);
    let (name, email) = (state_out.name.clone(), state_out.email.clone());
    let mut ok = true;
    if let Err(e) = amount {
        ok = false;
        let money = |m: i64| format_money(m, currency, &t.numbers);
        let decimals = t.numbers.localize_digits(&currency.exponent().to_string());
        state_out.amount_error = Some(match e {
            AmountError::Empty => t.errors.empty.clone(),
            AmountError::NotANumber => t.errors.not_a_number.clone(),
            AmountError::NotPositive => t.errors.not_positive.clone(),
            AmountError::TooManyDecimals { .. } => {
                Strings::fill(&t.errors.too_many_decimals, &[("decimals", &decimals)])
            }
            AmountError::TooSmall => {
                Strings::fill(&t.errors.too_small, &[("min", &money(settings.min_minor))])
            }
            AmountError::TooLarge => {
                Strings::fill(&t.errors.too_large, &[("max", &money(settings.max_minor))])
            }
        });
    }
    if name.chars().count() > NAME_MAX {
        ok = false;
        state_out.name_error = Some(t.errors.too_long.clone());
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        ok = false;
        state_out.email_error = Some(t.errors.email_spaces.clone());
    } else if !email.is_empty() && !crate::donation::plausible_email(&email) {
        ok = false;
        state_out.email_error = Some(t.errors.email.clone());
    }
    // A fund the settings do not list (a stale page, an altered form): nothing is
    // created, and the form comes back with the first fund chosen.
    let fund = match form.fund.as_deref().map(str::trim) {
        None | Some("") => settings.funds.first().map(|f| f.id.clone()),
        Some(id) => settings.fund(id).map(|f| f.id.clone()),
    };
    if fund.is_none() {
        ok = false;
        state_out.fund = None;
        state_out.notice = Some(t.errors.unknown_fund.clone());
    }
    match (amount, fund) {
        (Ok(amount), Some(fund)) if ok => Ok(ValidDonation {
            amount,
            fund,
            name: (!name.is_empty()).then_some(name),
            email: (!email.is_empty()).then_some(email),
            anonymous: form.anonymous.is_some(),
        }),
        _ => Err(Box::new(state_out)),
    }
}

/// The donate page a link fills in: `/donate/?fund=zakat&amount=2000` comes with that
/// fund chosen and that amount typed (the Zakat calculator's "Give this as Zakat"). An
/// unknown fund, or an amount that is no amount, is left out: the form as first shown.
/// `None` when the query names neither, so the page is served as built.
pub fn prefilled(query: &str, lang: Lang, state: &AppState) -> Option<Vec<u8>> {
    #[derive(Deserialize)]
    struct Prefill {
        fund: Option<String>,
        amount: Option<String>,
    }
    let q = serde_urlencoded::from_str::<Prefill>(query).ok()?;
    if q.fund.is_none() && q.amount.is_none() {
        return None;
    }
    let settings = &state.settings;
    let mut form = FormState::initial(settings);
    form.fund = q
        .fund
        .filter(|id| settings.fund(id).is_some() && settings.fund_choice());
    if let Some(amount) = q
        .amount
        .map(|a| a.trim().to_owned())
        .filter(|a| a.chars().count() <= 32 && parse_amount(a, settings.currency).is_ok())
    {
        form.amount = amount;
        form.preset = None;
    }
    let ended = settings.campaign_ended(time::OffsetDateTime::now_utc());
    Some(state.site.donate_page_with(lang, &form, ended))
}

/// The form as the donor filled it, to show again.
fn form_state(form: &DonateForm, currency: crate::money::Currency) -> FormState {
    let typed = form.amount.as_deref().unwrap_or("").trim();
    let preset = form.preset.as_deref().unwrap_or("").trim();
    FormState {
        amount: form.amount.clone().unwrap_or_default(),
        preset: if typed.is_empty() {
            parse_amount(preset, currency).ok()
        } else {
            None
        },
        name: fold_name(form.name.as_deref().unwrap_or("")),
        email: form.email.as_deref().unwrap_or("").trim().to_owned(),
        anonymous: form.anonymous.is_some(),
        fund: form.fund.clone(),
        ..FormState::default()
    }
}

/// A name as people read it: control characters (line breaks, tabs) and runs of white
/// space become one space, and the ends are trimmed.
pub fn fold_name(raw: &str) -> String {
    raw.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::fold_name;
    use crate::donation::plausible_email;

    #[test]
    fn names_are_folded_to_one_line() {
        assert_eq!(fold_name("  Amina\n Saleh\t "), "Amina Saleh");
        assert_eq!(fold_name("a\r\n\r\nb\u{0}c"), "a b c");
        assert_eq!(fold_name("\u{00A0}Zoë\u{2028}Ng"), "Zoë Ng");
        assert_eq!(fold_name("\n\t"), "");
        assert_eq!(fold_name("متبرع  كريم"), "متبرع كريم");
    }

    #[test]
    fn emails() {
        assert!(plausible_email("a@b.co"));
        assert!(plausible_email("amina.saleh+gift@example.org"));
        for bad in [
            "", "a", "a@", "@b.co", "a@b", "a b@c.d", "a@b@c.d", "a@.b", "a@b.",
        ] {
            assert!(!plausible_email(bad), "{bad}");
        }
    }
}
