//! Stripe Checkout: Stripe's hosted, redirect-based payment page.
//!
//! - `create_checkout` creates a Checkout Session (`POST /v1/checkout/sessions`) and
//!   sends the donor to its `url`; the session id is the donation's `gateway_ref`.
//! - `verify_return` retrieves the session named in the return URL from Stripe's API
//!   (nothing in the URL itself is trusted) and reports its state.
//! - `verify_webhook` checks the `Stripe-Signature` header as Stripe specifies, then
//!   turns `checkout.session.*` events into results; the event id makes a redelivery
//!   change nothing.
//!
//! Secrets never leave this module except in the `Authorization` header and the HMAC:
//! errors name the HTTP status and Stripe's error type and code, never a response
//! body, which may quote part of the key.

use std::time::Duration;

use actix_web::http::header::HeaderMap;
use async_trait::async_trait;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::{Checkout, CheckoutRequest, Gateway, GatewayError, Notification, ReturnOutcome};
use crate::config::StripeSettings;
use crate::donation::{Channel, DonationId, Outcome, PaymentResult};

pub const NAME: &str = "stripe";
pub const SIGNATURE_HEADER: &str = "Stripe-Signature";
/// The longest session id we accept in a return URL (Stripe's are about 66 characters).
const SESSION_ID_MAX: usize = 200;

type HmacSha256 = Hmac<Sha256>;

pub struct Stripe {
    secret_key: String,
    webhook_secret: String,
    api_base: String,
    tolerance: Duration,
    http: reqwest::Client,
}

/// The fields of a Checkout Session we use.
#[derive(Debug, Clone, Deserialize)]
struct Session {
    id: String,
    #[serde(default)]
    url: Option<String>,
    /// `paid`, `unpaid` or `no_payment_required`.
    #[serde(default)]
    payment_status: Option<String>,
    /// `open`, `complete` or `expired`.
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    amount_total: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    client_reference_id: Option<String>,
    #[serde(default)]
    metadata: Option<Metadata>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct Metadata {
    #[serde(default)]
    donation_id: Option<String>,
}

impl Session {
    fn paid(&self) -> bool {
        self.payment_status.as_deref() == Some("paid")
    }

    /// Whether the session was created by this site: it carries one of our donation ids.
    fn is_ours(&self) -> bool {
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
struct Event {
    id: String,
    #[serde(rename = "type")]
    kind: String,
    data: EventData,
}

#[derive(Deserialize)]
struct EventData {
    object: serde_json::Value,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type", default)]
    kind: Option<String>,
    #[serde(default)]
    code: Option<String>,
}

/// Why a `Stripe-Signature` header was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// Not `t=<unix time>,v1=<hex>[,v1=<hex>...]`.
    Malformed,
    /// No `v1` signature in the header.
    NoSignature,
    /// No `v1` signature matches the body.
    Mismatch,
    /// The timestamp is older than the tolerance.
    TooOld,
    /// The timestamp is further in the future than the tolerance.
    TooNew,
}

impl SignatureError {
    fn message(self) -> &'static str {
        match self {
            SignatureError::Malformed => "the Stripe-Signature header is malformed",
            SignatureError::NoSignature => "the Stripe-Signature header has no v1 signature",
            SignatureError::Mismatch => "the signature does not match the body",
            SignatureError::TooOld => "the signature's timestamp is too old",
            SignatureError::TooNew => "the signature's timestamp is in the future",
        }
    }
}

/// Verifies a `Stripe-Signature` header as Stripe specifies: `t=<unix time>` and one or
/// more `v1=<hex>`, each an HMAC-SHA256 of `"<t>.<raw body>"` keyed by the endpoint's
/// signing secret. Accepted when any `v1` matches (compared in constant time) and the
/// timestamp is within `tolerance` of `now`, either way. Other schemes (`v0`) are ignored.
pub fn verify_signature(
    header: &str,
    body: &[u8],
    secret: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let mut timestamp: Option<i64> = None;
    let mut signatures: Vec<Vec<u8>> = Vec::new();
    let mut any_v1 = false;
    for item in header.split(',') {
        let (key, value) = item
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match key {
            "t" => {
                if timestamp.is_some()
                    || value.is_empty()
                    || value.len() > 18
                    || !value.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(SignatureError::Malformed);
                }
                timestamp = Some(value.parse().map_err(|_| SignatureError::Malformed)?);
            }
            "v1" => {
                any_v1 = true;
                // A value that is not hex cannot match; the others may still.
                if let Ok(sig) = hex::decode(value) {
                    signatures.push(sig);
                }
            }
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    if !any_v1 {
        return Err(SignatureError::NoSignature);
    }
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let matched = signatures
        .iter()
        .any(|sig| mac.clone().verify_slice(sig).is_ok());
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    let age = i128::from(now) - i128::from(t);
    let tolerance = i128::from(tolerance.as_secs());
    if age > tolerance {
        return Err(SignatureError::TooOld);
    }
    if -age > tolerance {
        return Err(SignatureError::TooNew);
    }
    Ok(())
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
            req.currency.code().to_ascii_lowercase(),
        ),
        (
            "line_items[0][price_data][unit_amount]",
            req.amount_minor.to_string(),
        ),
        (
            "line_items[0][price_data][product_data][name]",
            req.campaign_name.to_owned(),
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
fn session_id_of(query: &str) -> Result<String, GatewayError> {
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
fn network_error(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else {
        "network error"
    }
}

/// A Stripe error answer, named by status and Stripe's error type and code only.
fn api_error(status: reqwest::StatusCode, body: &[u8]) -> String {
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

impl Stripe {
    pub fn new(settings: &StripeSettings) -> Result<Stripe, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("fundraiser/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot start the Stripe HTTP client: {e}"))?;
        Ok(Stripe {
            secret_key: settings.secret_key.clone(),
            webhook_secret: settings.webhook_secret.clone(),
            api_base: settings.api_base.trim_end_matches('/').to_owned(),
            tolerance: settings.signature_tolerance,
            http,
        })
    }

    /// Sends a request built by `build`, once more after a network error or timeout
    /// (`build` gives the same request, idempotency key included). Answers the status
    /// and body of whatever Stripe answered.
    async fn send(
        &self,
        what: &str,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<(reqwest::StatusCode, bytes::Bytes), GatewayError> {
        let mut attempt = 1;
        loop {
            let result = match build().bearer_auth(&self.secret_key).send().await {
                Ok(response) => {
                    let status = response.status();
                    response.bytes().await.map(|body| (status, body))
                }
                Err(e) => Err(e),
            };
            match result {
                Ok(answer) => return Ok(answer),
                Err(e) if attempt == 1 && !e.is_builder() => {
                    tracing::warn!(
                        what,
                        error = network_error(&e),
                        "Stripe not reached; retrying once"
                    );
                    attempt += 1;
                }
                Err(e) => {
                    return Err(GatewayError::Unavailable(format!(
                        "{what}: Stripe not reached ({})",
                        network_error(&e)
                    )));
                }
            }
        }
    }

    fn session_url(&self, id: &str) -> String {
        format!("{}/v1/checkout/sessions/{id}", self.api_base)
    }

    /// The result a session's state reports, checked to be ours and complete.
    fn callback(
        session: Session,
        outcome: Outcome,
        channel: Channel,
        signed: &[u8],
        event_id: Option<String>,
    ) -> Result<PaymentResult, GatewayError> {
        if outcome == Outcome::Paid
            && (session.amount_total.is_none() || session.currency.is_none())
        {
            // Without them the ledger could not check what was paid.
            return Err(GatewayError::Rejected(
                "the paid session has no amount or currency".into(),
            ));
        }
        Ok(PaymentResult {
            gateway: NAME,
            gateway_ref: session.id,
            outcome,
            channel,
            digest: hex::encode(Sha256::digest(signed)),
            amount_minor: session.amount_total,
            currency: session.currency,
            event_id,
        })
    }

    /// What a verified event body asks of the ledger.
    fn notification(body: &[u8]) -> Result<Notification, GatewayError> {
        let event: Event = serde_json::from_slice(body)
            .map_err(|_| GatewayError::Rejected("the event is malformed".into()))?;
        let outcome_of = |session: &Session| match event.kind.as_str() {
            // Not yet paid: an asynchronous method; its own event follows.
            "checkout.session.completed" | "checkout.session.async_payment_succeeded" => {
                session.paid().then_some(Outcome::Paid)
            }
            "checkout.session.async_payment_failed" => Some(Outcome::Declined),
            "checkout.session.expired" => Some(Outcome::Expired),
            _ => None,
        };
        if !event.kind.starts_with("checkout.session.") {
            tracing::debug!(event = %event.id, kind = %event.kind, "Stripe event ignored");
            return Ok(Notification::Ignore);
        }
        let session: Session = serde_json::from_value(event.data.object)
            .map_err(|_| GatewayError::Rejected("the event's session is malformed".into()))?;
        if !session.is_ours() {
            tracing::info!(event = %event.id, kind = %event.kind, "Stripe event for a session this site did not create: ignored");
            return Ok(Notification::Ignore);
        }
        match outcome_of(&session) {
            Some(outcome) => {
                Self::callback(session, outcome, Channel::Webhook, body, Some(event.id))
                    .map(Notification::Apply)
            }
            None => {
                tracing::info!(event = %event.id, kind = %event.kind, session = %session.id, "Stripe event with nothing to record");
                Ok(Notification::Ignore)
            }
        }
    }
}

#[async_trait]
impl Gateway for Stripe {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn create_checkout(&self, req: &CheckoutRequest<'_>) -> Result<Checkout, GatewayError> {
        let body = serde_urlencoded::to_string(checkout_form(req))
            .map_err(|_| GatewayError::Unavailable("cannot encode the checkout".into()))?;
        let key = idempotency_key(req.id);
        let url = format!("{}/v1/checkout/sessions", self.api_base);
        let (status, answer) = self
            .send("create checkout session", || {
                self.http
                    .post(&url)
                    .header("Idempotency-Key", &key)
                    .header(
                        reqwest::header::CONTENT_TYPE,
                        "application/x-www-form-urlencoded",
                    )
                    .body(body.clone())
            })
            .await?;
        if !status.is_success() {
            return Err(GatewayError::Unavailable(format!(
                "create checkout session: {}",
                api_error(status, &answer)
            )));
        }
        let session: Session = serde_json::from_slice(&answer).map_err(|_| {
            GatewayError::Unavailable("create checkout session: unexpected answer".into())
        })?;
        let url = session
            .url
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .ok_or_else(|| {
                GatewayError::Unavailable("create checkout session: no checkout URL".into())
            })?;
        if !valid_session_id(&session.id) {
            return Err(GatewayError::Unavailable(
                "create checkout session: unexpected session id".into(),
            ));
        }
        Ok(Checkout {
            url,
            gateway_ref: session.id,
        })
    }

    async fn verify_return(&self, query: &str) -> Result<ReturnOutcome, GatewayError> {
        let id = session_id_of(query)?;
        let url = self.session_url(&id);
        let (status, answer) = self
            .send("retrieve checkout session", || self.http.get(&url))
            .await?;
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(GatewayError::Rejected("no such checkout session".into()));
        }
        if !status.is_success() {
            return Err(GatewayError::Unavailable(format!(
                "retrieve checkout session: {}",
                api_error(status, &answer)
            )));
        }
        let session: Session = serde_json::from_slice(&answer).map_err(|_| {
            GatewayError::Unavailable("retrieve checkout session: unexpected answer".into())
        })?;
        if session.id != id {
            return Err(GatewayError::Unavailable(
                "retrieve checkout session: another session was answered".into(),
            ));
        }
        if session.paid() {
            return Self::callback(session, Outcome::Paid, Channel::Return, &answer, None)
                .map(ReturnOutcome::Settled);
        }
        match session.status.as_deref() {
            Some("expired") => {
                Self::callback(session, Outcome::Expired, Channel::Return, &answer, None)
                    .map(ReturnOutcome::Settled)
            }
            status => Ok(ReturnOutcome::Pending {
                gateway_ref: session.id,
                submitted: status == Some("complete"),
            }),
        }
    }

    async fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Notification, GatewayError> {
        let mut values = headers.get_all(SIGNATURE_HEADER);
        let header = match (values.next(), values.next()) {
            (Some(v), None) => v
                .to_str()
                .map_err(|_| GatewayError::Rejected(SignatureError::Malformed.message().into()))?,
            (None, _) => {
                return Err(GatewayError::Rejected(
                    "the Stripe-Signature header is missing".into(),
                ));
            }
            (Some(_), Some(_)) => {
                return Err(GatewayError::Rejected(
                    "the Stripe-Signature header is given more than once".into(),
                ));
            }
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        verify_signature(
            header,
            body,
            self.webhook_secret.as_bytes(),
            now,
            self.tolerance,
        )
        .map_err(|e| GatewayError::Rejected(e.message().into()))?;
        Self::notification(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;
    use crate::money::Currency;

    // Vectors computed outside this code, with
    //   printf '%s' "<t>.<body>" | openssl dgst -sha256 -hmac <secret>
    const SECRET: &[u8] = b"whsec_vector_secret";
    const T: i64 = 1_700_000_000;
    const BODY: &str = r#"{"id":"evt_1","object":"event","type":"checkout.session.completed"}"#;
    /// HMAC("whsec_vector_secret", "1700000000." + BODY)
    const SIG: &str = "aed5b9f30c8f569bd27e25330ff8f32413bc895d8ebfa33cab494430efcacbf2";
    /// HMAC("whsec_other_secret", "1700000000." + BODY)
    const SIG_OTHER_SECRET: &str =
        "a50fcf4ce362bfad3620d0a145bf1e7d82465677e076760b020dc81360115dee";
    /// The body with `completed` changed to `expired`, and its signature.
    const BODY_EXPIRED: &str =
        r#"{"id":"evt_1","object":"event","type":"checkout.session.expired"}"#;
    const SIG_EXPIRED: &str = "c3d72f2f3f74e85e8e271e22863af6969e35f03f796a32b01fc5f2b7ad474e06";
    /// HMAC("whsec_vector_secret", "1700000300." + BODY)
    const SIG_T300: &str = "36b7687ed65427dc081679dfba5665fbd64204386d03b7047ad4fcf76b8e7295";

    const FIVE_MINUTES: Duration = Duration::from_secs(300);

    fn verify(header: &str, body: &str, now: i64) -> Result<(), SignatureError> {
        verify_signature(header, body.as_bytes(), SECRET, now, FIVE_MINUTES)
    }

    #[test]
    fn independent_vectors_verify() {
        assert_eq!(verify(&format!("t={T},v1={SIG}"), BODY, T), Ok(()));
        assert_eq!(
            verify(&format!("t={T},v1={SIG_EXPIRED}"), BODY_EXPIRED, T),
            Ok(())
        );
        assert_eq!(
            verify(&format!("t=1700000300,v1={SIG_T300}"), BODY, T + 300),
            Ok(())
        );
        // Order, spaces after commas, other schemes and upper-case hex do not matter.
        assert_eq!(
            verify(&format!("v0=abcd, v1={SIG}, t={T}"), BODY, T),
            Ok(())
        );
        assert_eq!(
            verify(&format!("t={T},v1={}", SIG.to_uppercase()), BODY, T),
            Ok(())
        );
    }

    #[test]
    fn wrong_secret_or_tampered_body_or_timestamp_is_refused() {
        assert_eq!(
            verify(&format!("t={T},v1={SIG_OTHER_SECRET}"), BODY, T),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify_signature(
                &format!("t={T},v1={SIG}"),
                BODY.as_bytes(),
                b"whsec_other_secret",
                T,
                FIVE_MINUTES
            ),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&format!("t={T},v1={SIG}"), BODY_EXPIRED, T),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&format!("t={T},v1={SIG}"), &format!("{BODY} "), T),
            Err(SignatureError::Mismatch)
        );
        // The signature covers the timestamp: moving it breaks the signature.
        assert_eq!(
            verify(&format!("t=1700000300,v1={SIG}"), BODY, T + 300),
            Err(SignatureError::Mismatch)
        );
        // A truncated signature.
        assert_eq!(
            verify(&format!("t={T},v1={}", &SIG[..62]), BODY, T),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn the_timestamp_must_be_within_the_tolerance_either_way() {
        let header = format!("t={T},v1={SIG}");
        assert_eq!(verify(&header, BODY, T + 300), Ok(()));
        assert_eq!(verify(&header, BODY, T - 300), Ok(()));
        assert_eq!(verify(&header, BODY, T + 301), Err(SignatureError::TooOld));
        assert_eq!(verify(&header, BODY, T - 301), Err(SignatureError::TooNew));
        assert_eq!(verify(&header, BODY, 0), Err(SignatureError::TooNew));
        assert_eq!(
            verify_signature(
                &header,
                BODY.as_bytes(),
                SECRET,
                T + 30,
                Duration::from_secs(10)
            ),
            Err(SignatureError::TooOld)
        );
    }

    #[test]
    fn any_of_several_v1_signatures_may_match() {
        assert_eq!(
            verify(&format!("t={T},v1={SIG_OTHER_SECRET},v1={SIG}"), BODY, T),
            Ok(())
        );
        assert_eq!(
            verify(&format!("t={T},v1={SIG},v1={SIG_OTHER_SECRET}"), BODY, T),
            Ok(())
        );
        assert_eq!(
            verify(&format!("t={T},v1=not-hex,v1={SIG}"), BODY, T),
            Ok(())
        );
        assert_eq!(
            verify(
                &format!("t={T},v1={SIG_OTHER_SECRET},v1={SIG_EXPIRED}"),
                BODY,
                T
            ),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn missing_or_garbled_headers_are_refused() {
        let cases: &[(&str, SignatureError)] = &[
            ("", SignatureError::Malformed),
            ("garbage", SignatureError::Malformed),
            (&format!("v1={SIG}"), SignatureError::Malformed),
            (&format!("t=,v1={SIG}"), SignatureError::Malformed),
            (&format!("t=abc,v1={SIG}"), SignatureError::Malformed),
            (
                &format!("t=-1700000000,v1={SIG}"),
                SignatureError::Malformed,
            ),
            (&format!("t=1e9,v1={SIG}"), SignatureError::Malformed),
            (
                &format!("t=99999999999999999999999,v1={SIG}"),
                SignatureError::Malformed,
            ),
            (&format!("t={T},t={T},v1={SIG}"), SignatureError::Malformed),
            (&format!("t={T};v1={SIG}"), SignatureError::Malformed),
            (&format!("t={T},v1={SIG},"), SignatureError::Malformed),
            (&format!("t={T}"), SignatureError::NoSignature),
            (&format!("t={T},v0={SIG}"), SignatureError::NoSignature),
            (&format!("t={T},v1="), SignatureError::Mismatch),
            (&format!("t={T},v1=zz"), SignatureError::Mismatch),
        ];
        for (header, expected) in cases {
            assert_eq!(verify(header, BODY, T), Err(*expected), "{header:?}");
        }
    }

    fn request<'a>(id: &'a DonationId, lang: Lang) -> CheckoutRequest<'a> {
        CheckoutRequest {
            id,
            amount_minor: 12_550,
            currency: Currency::from_code("AED").unwrap(),
            lang,
            campaign_name: "Clean Water & Wells",
            callback_base: "https://give.example.org/",
            site_url: "https://give.example.org/",
        }
    }

    #[test]
    fn the_checkout_form_has_every_field() {
        let id = DonationId::parse("AAAAAAAAAAAAAAAAAAAAAA").unwrap();
        let form = checkout_form(&request(&id, Lang::Ar));
        let expected: &[(&str, &str)] = &[
            ("mode", "payment"),
            ("submit_type", "donate"),
            ("line_items[0][price_data][currency]", "aed"),
            ("line_items[0][price_data][unit_amount]", "12550"),
            (
                "line_items[0][price_data][product_data][name]",
                "Clean Water & Wells",
            ),
            ("line_items[0][quantity]", "1"),
            (
                "success_url",
                "https://give.example.org/payment/return/stripe?session_id={CHECKOUT_SESSION_ID}",
            ),
            ("cancel_url", "https://give.example.org/ar/error/"),
            ("client_reference_id", "AAAAAAAAAAAAAAAAAAAAAA"),
            ("metadata[donation_id]", "AAAAAAAAAAAAAAAAAAAAAA"),
            (
                "payment_intent_data[metadata][donation_id]",
                "AAAAAAAAAAAAAAAAAAAAAA",
            ),
        ];
        let got: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        assert_eq!(got, expected);
        let encoded = serde_urlencoded::to_string(&form).unwrap();
        assert!(encoded.starts_with("mode=payment&submit_type=donate&"));
        assert!(encoded.contains("line_items%5B0%5D%5Bprice_data%5D%5Bunit_amount%5D=12550"));
        assert!(encoded.contains("product_data%5D%5Bname%5D=Clean+Water+%26+Wells"));
        assert!(encoded.contains("session_id%3D%7BCHECKOUT_SESSION_ID%7D"));
        let english = checkout_form(&request(&id, Lang::En));
        assert!(english.contains(&("cancel_url", "https://give.example.org/error/".into())));
        assert_eq!(idempotency_key(&id), "donation-AAAAAAAAAAAAAAAAAAAAAA");
    }

    #[test]
    fn return_queries_name_one_well_formed_session() {
        assert_eq!(
            session_id_of("session_id=cs_test_a1B2c3").unwrap(),
            "cs_test_a1B2c3"
        );
        assert_eq!(
            session_id_of("x=1&session_id=cs_live_Z").unwrap(),
            "cs_live_Z"
        );
        let long = format!("session_id=cs_{}", "a".repeat(SESSION_ID_MAX + 1));
        for bad in [
            "",
            "session_id=",
            "session_id=cs_",
            "session_id=pi_123",
            "session_id={CHECKOUT_SESSION_ID}",
            "session_id=cs_test%2F..%2Fx",
            "session_id=cs_test_a&session_id=cs_test_b",
            "session_id=cs_test_a%00",
            "other=cs_test_a",
            long.as_str(),
        ] {
            assert!(
                matches!(session_id_of(bad), Err(GatewayError::Rejected(_))),
                "{bad}"
            );
        }
    }

    fn event(kind: &str, session: serde_json::Value) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "id": "evt_test_1",
            "object": "event",
            "type": kind,
            "data": {"object": session},
        }))
        .unwrap()
    }

    fn session(payment_status: &str, status: &str) -> serde_json::Value {
        serde_json::json!({
            "id": "cs_test_1",
            "object": "checkout.session",
            "payment_status": payment_status,
            "status": status,
            "amount_total": 5000,
            "currency": "aed",
            "client_reference_id": "AAAAAAAAAAAAAAAAAAAAAA",
            "metadata": {"donation_id": "AAAAAAAAAAAAAAAAAAAAAA"},
        })
    }

    fn outcome(body: &[u8]) -> Option<Outcome> {
        match Stripe::notification(body).unwrap() {
            Notification::Apply(cb) => {
                assert_eq!(cb.gateway, NAME);
                assert_eq!(cb.gateway_ref, "cs_test_1");
                assert_eq!(cb.event_id.as_deref(), Some("evt_test_1"));
                assert_eq!(cb.amount_minor, Some(5000));
                assert_eq!(cb.currency.as_deref(), Some("aed"));
                assert_eq!(cb.channel, Channel::Webhook);
                Some(cb.outcome)
            }
            Notification::Ignore => None,
        }
    }

    #[test]
    fn checkout_events_become_results() {
        let paid = session("paid", "complete");
        let unpaid = session("unpaid", "complete");
        assert_eq!(
            outcome(&event("checkout.session.completed", paid.clone())),
            Some(Outcome::Paid)
        );
        assert_eq!(
            outcome(&event("checkout.session.completed", unpaid.clone())),
            None
        );
        assert_eq!(
            outcome(&event(
                "checkout.session.async_payment_succeeded",
                paid.clone()
            )),
            Some(Outcome::Paid)
        );
        assert_eq!(
            outcome(&event("checkout.session.async_payment_failed", unpaid)),
            Some(Outcome::Declined)
        );
        assert_eq!(
            outcome(&event(
                "checkout.session.expired",
                session("unpaid", "expired")
            )),
            Some(Outcome::Expired)
        );
        assert_eq!(
            outcome(&event("payment_intent.succeeded", paid.clone())),
            None
        );
        assert_eq!(
            outcome(&event("checkout.session.something_new", paid)),
            None
        );
        // A session this site did not create (no donation id of ours) is not ours to count.
        let mut foreign = session("paid", "complete");
        foreign["client_reference_id"] = serde_json::Value::Null;
        foreign["metadata"] = serde_json::json!({});
        assert_eq!(outcome(&event("checkout.session.completed", foreign)), None);
        // A paid session without its amount cannot be checked, so it is refused.
        let mut no_amount = session("paid", "complete");
        no_amount["amount_total"] = serde_json::Value::Null;
        assert!(Stripe::notification(&event("checkout.session.completed", no_amount)).is_err());
        assert!(Stripe::notification(b"{}").is_err());
        assert!(Stripe::notification(b"not json").is_err());
    }
}
