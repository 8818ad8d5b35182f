//! Stripe's API as this gateway uses it: the Checkout Session and event fields we read,
//! the session form we send, and Stripe's errors turned into messages without secrets.

use serde::Deserialize;

use super::{NAME, SESSION_ID_MAX};
use crate::donation::{DonationId, Outcome};
use crate::gateway::{CheckoutRequest, GatewayError};

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Session {
    pub(super) id: String,
    #[serde(default)]
    pub(super) url: Option<String>,
    /// `paid`, `unpaid` or `no_payment_required`.
    #[serde(default)]
    pub(super) payment_status: Option<String>,
    /// `open`, `complete` or `expired`.
    #[serde(default)]
    pub(super) status: Option<String>,
    #[serde(default)]
    pub(super) amount_total: Option<i64>,
    #[serde(default)]
    pub(super) currency: Option<String>,
    #[serde(default)]
    pub(super) client_reference_id: Option<String>,
    #[serde(default)]
    pub(super) metadata: Option<Metadata>,
    /// The PaymentIntent the session created (`pi_...`), once it is complete.
    #[serde(default)]
    pub(super) payment_intent: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct Metadata {
    #[serde(default)]
    pub(super) donation_id: Option<String>,
}

impl Session {
    pub(super) fn paid(&self) -> bool {
        self.payment_status.as_deref() == Some("paid")
    }

    /// The result the session's state settles, if any: paid, or expired unpaid.
    pub(super) fn outcome(&self) -> Option<Outcome> {
        if self.paid() {
            Some(Outcome::Paid)
        } else if self.status.as_deref() == Some("expired") {
            Some(Outcome::Expired)
        } else {
            None
        }
    }

    /// Whether the session was created by this site: it carries one of our donation ids.
    pub(super) fn is_ours(&self) -> bool {
        let metadata = self
            .metadata
            .as_ref()
            .and_then(|m| m.donation_id.as_deref());
        [self.client_reference_id.as_deref(), metadata]
            .into_iter()
            .flatten()
            .any(|id| DonationId::parse(id).is_some())
    }
}

#[derive(Deserialize)]
pub(super) struct Event {
    pub(super) id: String,
    /// The API version the webhook endpoint renders events with.
    #[serde(default)]
    pub(super) api_version: Option<String>,
    #[serde(rename = "type")]
    pub(super) kind: String,
    pub(super) data: EventData,
}

#[derive(Deserialize)]
pub(super) struct EventData {
    pub(super) object: serde_json::Value,
}

#[derive(Deserialize)]
pub(super) struct ErrorBody {
    pub(super) error: ErrorDetail,
}

#[derive(Deserialize)]
pub(super) struct ErrorDetail {
    #[serde(rename = "type", default)]
    pub(super) kind: Option<String>,
    #[serde(default)]
    pub(super) code: Option<String>,
}

/// Why a `Stripe-Signature` header was refused.
/// Currencies whose amounts Stripe's API writes with another exponent than ISO 4217:
/// Stripe's own minor units per ISO minor unit. ISK has no minor unit in ISO 4217 but
/// two decimals in Stripe's API (always `00`): 5,000 krónur are `500000`. (HUF, TWD and
/// UGX differ only in what Stripe pays out, not in what is charged, and are not campaign
/// currencies here.)
const STRIPE_SCALE: &[(&str, i64)] = &[("ISK", 100)];

fn stripe_scale(currency: &str) -> i64 {
    STRIPE_SCALE
        .iter()
        .find(|(code, _)| code.eq_ignore_ascii_case(currency))
        .map_or(1, |&(_, scale)| scale)
}

/// An amount in ISO minor units, as Stripe's API writes it.
pub fn to_stripe_amount(minor: i64, currency: &str) -> i64 {
    minor.saturating_mul(stripe_scale(currency))
}

/// An amount Stripe's API reports, in ISO minor units; `None` when it is no whole number
/// of them (the ledger then records a mismatch: never counted).
pub fn from_stripe_amount(amount: i64, currency: &str) -> Option<i64> {
    let scale = stripe_scale(currency);
    (amount % scale == 0).then_some(amount / scale)
}

/// The form body of `POST /v1/checkout/sessions`.
pub fn checkout_form(req: &CheckoutRequest<'_>) -> Vec<(&'static str, String)> {
    let api = req.callback_base.trim_end_matches('/');
    let site = req.site_url.trim_end_matches('/');
    vec![
        ("mode", "payment".to_owned()),
        ("submit_type", "donate".to_owned()),
        (
            "line_items[0][price_data][currency]",
            req.amount.currency().code().to_ascii_lowercase(),
        ),
        (
            "line_items[0][price_data][unit_amount]",
            to_stripe_amount(req.amount.minor(), req.amount.currency().code()).to_string(),
        ),
        (
            "line_items[0][price_data][product_data][name]",
            match req.fund_label {
                Some(fund) => format!("{} — {fund}", req.campaign_name),
                None => req.campaign_name.to_owned(),
            },
        ),
        ("line_items[0][quantity]", "1".to_owned()),
        // Stripe puts the session's id in place of the literal `{CHECKOUT_SESSION_ID}`.
        (
            "success_url",
            format!("{api}/payment/return/{NAME}?session_id={{CHECKOUT_SESSION_ID}}"),
        ),
        ("cancel_url", format!("{site}{}", req.lang.page("error"))),
        ("client_reference_id", req.id.to_string()),
        ("metadata[donation_id]", req.id.to_string()),
        ("metadata[fund]", req.fund.to_owned()),
        // On the payment too, so the donation can be found from the Stripe dashboard.
        (
            "payment_intent_data[metadata][donation_id]",
            req.id.to_string(),
        ),
    ]
}

/// The idempotency key of a donation's checkout: a retry creates no second session.
pub fn idempotency_key(id: &DonationId) -> String {
    format!("donation-{id}")
}

/// `cs_` then letters, digits and underscores: all a Checkout Session id is made of.
pub fn valid_session_id(id: &str) -> bool {
    id.strip_prefix("cs_").is_some_and(|rest| {
        (1..=SESSION_ID_MAX).contains(&rest.len())
            && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// The session id of a return URL's query: exactly one well-formed `session_id`.
pub(super) fn session_id_of(query: &str) -> Result<String, GatewayError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| GatewayError::Rejected("the return address is malformed".into()))?;
    let mut ids = pairs.into_iter().filter(|(k, _)| k == "session_id");
    match (ids.next(), ids.next()) {
        (Some((_, id)), None) if valid_session_id(&id) => Ok(id),
        (Some(_), None) => Err(GatewayError::Rejected(
            "the session id is not a Checkout Session id".into(),
        )),
        (None, _) => Err(GatewayError::Rejected("the session id is missing".into())),
        (Some(_), Some(_)) => Err(GatewayError::Rejected(
            "the session id is given more than once".into(),
        )),
    }
}

/// What a network failure was, without its URL or anything else from the request.
pub(super) fn network_error(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "network error"
    }
}

/// A Stripe error answer, named by status and Stripe's error type and code only.
pub(super) fn api_error(status: reqwest::StatusCode, body: &[u8]) -> String {
    let detail = serde_json::from_slice::<ErrorBody>(body)
        .ok()
        .map(|b| {
            let clean = |s: Option<String>| {
                s.filter(|s| {
                    s.len() <= 64
                        && s.bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
                })
            };
            [clean(b.error.kind), clean(b.error.code)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("/")
        })
        .filter(|d| !d.is_empty());
    match detail {
        Some(d) => format!("Stripe answered {} ({d})", status.as_u16()),
        None => format!("Stripe answered {}", status.as_u16()),
    }
}
