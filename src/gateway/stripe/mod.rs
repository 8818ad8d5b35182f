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

mod api;
mod client;
mod events;
mod signature;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::HeaderMap;
use async_trait::async_trait;
use sha2::{Digest, Sha256};

use super::gate::{Gate, Priority};
use super::{
    Checkout, CheckoutRequest, EventPage, Gateway, GatewayError, Notification, RefundRequest,
    ReturnOutcome,
};
use crate::donation::{Channel, Outcome, PaymentResult};
use crate::secret::Secret;
use api::{Session, api_error, session_id_of};
pub use api::{
    checkout_form, from_stripe_amount, idempotency_key, to_stripe_amount, valid_session_id,
};
use client::parsed;
pub use events::EVENT_TYPES;
pub use signature::{SignatureError, verify_signature};

pub const NAME: &str = "stripe";
/// The Stripe API version every call asks for (`Stripe-Version`) and the webhook endpoint
/// should be created with: the shapes this code reads are those of this version.
pub const API_VERSION: &str = "2025-03-31.basil";
pub const SIGNATURE_HEADER: &str = "Stripe-Signature";
/// The longest session id we accept in a return URL (Stripe's are about 66 characters).
const SESSION_ID_MAX: usize = 200;

/// The `[stripe]` settings, checked, in the types the gateway works with.
#[derive(Debug, Clone)]
pub struct StripeSettings {
    pub secret_key: Secret,
    pub webhook_secret: Secret,
    /// Without a trailing slash.
    pub api_base: String,
    /// The origin the hosted checkout is served from, allowed in the CSP's `form-action`.
    pub checkout_origin: String,
    pub signature_tolerance: Duration,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

pub struct Stripe {
    secret_key: Secret,
    webhook_secret: Secret,
    api_base: String,
    tolerance: Duration,
    http: reqwest::Client,
    /// Every call waits its turn here.
    gate: Arc<Gate>,
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
            gate: Arc::new(Gate::unlimited()),
        })
    }

    /// Sends every call through `gate`.
    pub fn with_gate(mut self, gate: Arc<Gate>) -> Stripe {
        self.gate = gate;
        self
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
            // An amount that is no whole number of minor units cannot match the ledger's:
            // reported as -1, it is recorded as a mismatch.
            payment_ref: session.payment_intent.clone(),
            amount_minor: match (session.amount_total, session.currency.as_deref()) {
                (Some(amount), Some(currency)) => {
                    Some(from_stripe_amount(amount, currency).unwrap_or(-1))
                }
                (amount, _) => amount,
            },
            currency: session.currency,
            event_id,
        })
    }
}

#[async_trait]
impl Gateway for Stripe {
    fn name(&self) -> &'static str {
        NAME
    }

    fn return_reference(&self, query: &str) -> Option<String> {
        session_id_of(query).ok()
    }

    async fn create_checkout(&self, req: &CheckoutRequest<'_>) -> Result<Checkout, GatewayError> {
        let (status, answer) = self
            .post_form(
                "create checkout session",
                Priority::Checkout,
                "/v1/checkout/sessions",
                &idempotency_key(req.id),
                &checkout_form(req),
            )
            .await?;
        let session: Session = parsed("create checkout session", status, &answer)?;
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
        let (session, answer) = self.retrieve_session(&id, Priority::Return).await?;
        match session.outcome() {
            Some(outcome) => Self::callback(session, outcome, Channel::Return, &answer, None)
                .map(ReturnOutcome::Settled),
            None => Ok(ReturnOutcome::Pending {
                submitted: session.status.as_deref() == Some("complete"),
                gateway_ref: session.id,
            }),
        }
    }

    /// `POST /v1/refunds` for the PaymentIntent, in Stripe's units, with an idempotency
    /// key made of the donation and the number of the ledger's refund intent.
    async fn refund(&self, req: &RefundRequest<'_>) -> Result<(), GatewayError> {
        let currency = req.amount.currency().code();
        let form = [
            ("payment_intent", req.payment_ref.to_owned()),
            (
                "amount",
                to_stripe_amount(req.amount.minor(), currency).to_string(),
            ),
            ("metadata[donation_id]", req.donation.to_owned()),
        ];
        let key = format!("refund-{}-intent-{}", req.donation, req.intent);
        let (status, answer) = self
            .post_form(
                "create refund",
                Priority::Refund,
                "/v1/refunds",
                &key,
                &form,
            )
            .await?;
        if status.is_client_error() {
            return Err(GatewayError::Rejected(format!(
                "refund refused: {}",
                api_error(status, &answer)
            )));
        }
        if !status.is_success() {
            return Err(GatewayError::Unavailable(format!(
                "create refund: {}",
                api_error(status, &answer)
            )));
        }
        Ok(())
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
            self.webhook_secret.expose().as_bytes(),
            now,
            self.tolerance,
        )
        .map_err(|e| GatewayError::Rejected(e.message().into()))?;
        events::notification(body, Channel::Webhook)
    }

    /// Retrieves the session: paid → succeeded, expired → expired, else no result yet.
    async fn lookup(&self, gateway_ref: &str) -> Result<Option<PaymentResult>, GatewayError> {
        if !valid_session_id(gateway_ref) {
            return Err(GatewayError::Rejected("not a Checkout Session id".into()));
        }
        let (session, answer) = self
            .retrieve_session(gateway_ref, Priority::Reconcile)
            .await?;
        let Some(outcome) = session.outcome() else {
            return Ok(None);
        };
        Self::callback(session, outcome, Channel::Reconcile, &answer, None).map(Some)
    }

    /// `GET /v1/events` for the types this site acts on, `created[gte]` `since`, 100 a
    /// page, paged with `starting_after`.
    async fn events(&self, since: i64, after: Option<&str>) -> Result<EventPage, GatewayError> {
        let mut query: Vec<(&str, String)> = vec![
            ("created[gte]", since.to_string()),
            ("limit", "100".to_owned()),
        ];
        query.extend(
            events::EVENT_TYPES
                .iter()
                .map(|t| ("types[]", (*t).to_owned())),
        );
        if let Some(after) = after {
            query.push(("starting_after", after.to_owned()));
        }
        let url = format!("{}/v1/events", self.api_base);
        let (status, answer) = self
            .send("list events", Priority::Reconcile, || {
                self.http.get(&url).query(&query)
            })
            .await?;
        let list: EventList = parsed("list events", status, &answer)?;
        let mut page = EventPage {
            listed: list.data.len(),
            ..EventPage::default()
        };
        let mut last = None;
        for event in list.data {
            last = event
                .get("id")
                .and_then(|id| id.as_str())
                .map(str::to_owned);
            let body = serde_json::to_vec(&event).unwrap_or_default();
            match events::notification(&body, Channel::Reconcile) {
                Ok(Notification::Ignore) => {}
                Ok(n) => page.notifications.push(n),
                Err(e) => {
                    tracing::warn!(error = %e, "a listed Stripe event was not understood; skipped")
                }
            }
        }
        if list.has_more {
            page.next = last;
        }
        Ok(page)
    }
}

/// An answer of `GET /v1/events`.
#[derive(serde::Deserialize)]
struct EventList {
    data: Vec<serde_json::Value>,
    #[serde(default)]
    has_more: bool,
}
