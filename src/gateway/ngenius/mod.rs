//! N-Genius Online (Network International): a hosted payment page, settled by asking
//! for the order's status.
//!
//! - Every call carries an access token from the identity service (`token`), kept and
//!   renewed by one caller at a time.
//! - `create_checkout` creates an order (`POST /transactions/outlets/{outlet}/orders`)
//!   and sends the donor to its payment page; the order's reference is the donation's
//!   `gateway_ref`. N-Genius has no idempotency key, so a creation whose answer may have
//!   been lost is never sent again (the donation fails and the donor starts anew).
//! - A return, a webhook and reconciliation all do the same: retrieve the order and
//!   settle on its payment's `state`. Nothing in a return URL or a webhook's body but
//!   the order's reference is read, so neither can be forged into money.
//!
//! Secrets never leave this module except in the `Authorization` headers: errors name
//! the HTTP status only.

mod api;
mod client;
#[cfg(test)]
mod tests;
mod token;

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::HeaderMap;
use async_trait::async_trait;
use serde_json::json;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use super::gate::{Gate, Priority};
use super::{
    Checkout, CheckoutRequest, Gateway, GatewayError, Notification, RefundRequest, ReturnOutcome,
};
use crate::donation::{Channel, Outcome, PaymentResult};
use crate::secret::Secret;
pub use api::{Action, donation_of, merchant_reference, order_body, valid_reference};
use api::{Order, api_error};
use client::{Body, parsed};

pub const NAME: &str = "ngenius";
/// How many times a call N-Genius answered 429 is tried again (as for Stripe).
const RETRIES_429: u32 = 9;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Below N-Genius's own 15 s wait for a webhook's answer, which asks for the order.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(12);

/// The `[ngenius]` settings, checked, in the types the gateway works with.
#[derive(Debug, Clone)]
pub struct NgeniusSettings {
    pub api_key: Secret,
    pub outlet_ref: String,
    /// Without a trailing slash.
    pub api_base: String,
    /// The origin of the hosted payment page, allowed in the CSP's `form-action`.
    pub paypage_origin: String,
    /// The header N-Genius sets on webhooks, and its value; empty: no header asked.
    pub webhook_header: String,
    pub webhook_secret: Secret,
    pub action: Action,
}

pub struct Ngenius {
    settings: NgeniusSettings,
    http: reqwest::Client,
    gate: Arc<Gate>,
    tokens: token::Tokens,
}

impl Ngenius {
    pub fn new(settings: &NgeniusSettings) -> Result<Ngenius, String> {
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("fundraiser/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot start the N-Genius HTTP client: {e}"))?;
        Ok(Ngenius {
            settings: settings.clone(),
            http,
            gate: Arc::new(Gate::unlimited()),
            tokens: token::Tokens::default(),
        })
    }

    /// Sends every call through `gate`.
    pub fn with_gate(mut self, gate: Arc<Gate>) -> Ngenius {
        self.gate = gate;
        self
    }

    fn orders_url(&self) -> String {
        format!(
            "{}/transactions/outlets/{}/orders",
            self.settings.api_base, self.settings.outlet_ref
        )
    }

    /// The result the order's payment settles, if any, checked to be ours: an order
    /// whose merchant reference is no donation of ours, or a paid one without amount,
    /// is recorded as a mismatch (never counted).
    fn result(
        order: &Order,
        channel: Channel,
        answer: &[u8],
    ) -> Result<Option<PaymentResult>, GatewayError> {
        let Some(payment) = order.payment() else {
            return Ok(None);
        };
        let Some(outcome) = payment.state.as_deref().and_then(api::outcome_of) else {
            return Ok(None);
        };
        let amount = payment.amount.as_ref().or(order.amount.as_ref());
        if outcome == Outcome::Paid && amount.is_none() {
            return Err(GatewayError::Rejected(
                "the paid order has no amount or currency".into(),
            ));
        }
        let ours = order
            .merchant_order_reference
            .as_deref()
            .and_then(donation_of)
            .is_some();
        Ok(Some(PaymentResult {
            gateway: NAME,
            gateway_ref: order.reference.clone(),
            outcome,
            channel,
            digest: hex::encode(Sha256::digest(answer)),
            amount_minor: amount.map(|a| if ours { a.value } else { -1 }),
            currency: amount.map(|a| a.currency_code.clone()),
            event_id: None,
            // Refunds retrieve the order again for its refund link.
            payment_ref: Some(order.reference.clone()),
        }))
    }

    /// Whether a webhook carries the header set in the portal (compared in constant
    /// time); any webhook when none is set.
    fn webhook_authentic(&self, headers: &HeaderMap) -> bool {
        let name = self.settings.webhook_header.as_str();
        if name.is_empty() {
            return true;
        }
        let expected = self.settings.webhook_secret.expose().as_bytes();
        let mut values = headers.get_all(name);
        match (values.next(), values.next()) {
            (Some(v), None) => bool::from(v.as_bytes().ct_eq(expected)),
            _ => false,
        }
    }
}

#[async_trait]
impl Gateway for Ngenius {
    fn name(&self) -> &'static str {
        NAME
    }

    fn return_reference(&self, query: &str) -> Option<String> {
        api::reference_of(query).ok()
    }

    async fn create_checkout(&self, req: &CheckoutRequest<'_>) -> Result<Checkout, GatewayError> {
        let body = order_body(req, self.settings.action);
        let (status, answer) = self
            .call(
                "create order",
                Priority::Checkout,
                reqwest::Method::POST,
                &self.orders_url(),
                Body::Json(body),
            )
            .await?;
        let order: Order = parsed("create order", status, &answer)?;
        let url = order
            .links
            .payment
            .map(|l| l.href)
            .filter(|u| u.starts_with("https://") || u.starts_with("http://"))
            .ok_or_else(|| GatewayError::Unavailable("create order: no payment page".into()))?;
        if !valid_reference(&order.reference) {
            return Err(GatewayError::Unavailable(
                "create order: unexpected order reference".into(),
            ));
        }
        Ok(Checkout {
            url,
            gateway_ref: order.reference,
        })
    }

    /// Retrieves the order the return names; a payment still pending (3-D Secure, not
    /// yet paid) is never settled from a return.
    async fn verify_return(&self, query: &str) -> Result<ReturnOutcome, GatewayError> {
        let reference = api::reference_of(query)?;
        let (order, answer) = self.retrieve_order(&reference, Priority::Return).await?;
        match Self::result(&order, Channel::Return, &answer)? {
            Some(result) => Ok(ReturnOutcome::Settled(result)),
            None if order
                .payment()
                .and_then(|p| p.state.as_deref())
                .is_some_and(api::confirming) =>
            {
                Ok(ReturnOutcome::Confirming {
                    gateway_ref: order.reference,
                })
            }
            None => Ok(ReturnOutcome::Pending {
                gateway_ref: order.reference,
                submitted: false,
            }),
        }
    }

    /// `POST` to the refund link N-Genius gives: the payment's for `PURCHASE`, the
    /// capture's for `SALE`; only a link on `api_base` is followed (it gets the token).
    async fn refund(&self, req: &RefundRequest<'_>) -> Result<(), GatewayError> {
        let (order, _) = self
            .retrieve_order(req.payment_ref, Priority::Refund)
            .await?;
        let payment = order
            .payment()
            .ok_or_else(|| GatewayError::Rejected("the order has no payment".into()))?;
        let link = match self.settings.action {
            Action::Purchase => payment.links.refund.as_ref(),
            Action::Sale => payment
                .embedded
                .as_ref()
                .and_then(|e| e.captures.last())
                .and_then(|c| c.links.refund.as_ref()),
        };
        let base = format!("{}/", self.settings.api_base);
        let Some(url) = link
            .map(|l| l.href.as_str())
            .filter(|h| h.starts_with(&base))
        else {
            return Err(GatewayError::Rejected(
                "N-Genius offers no refund of this payment".into(),
            ));
        };
        let body = json!({"amount": {
            "currencyCode": req.amount.currency().code(),
            "value": req.amount.minor(),
        }});
        let (status, _) = self
            .call(
                "refund",
                Priority::Refund,
                reqwest::Method::POST,
                url,
                Body::Json(body),
            )
            .await?;
        if status.is_client_error() {
            return Err(GatewayError::Rejected(format!(
                "refund refused: {}",
                api_error(status)
            )));
        }
        if !status.is_success() {
            return Err(GatewayError::Unavailable(format!(
                "refund: {}",
                api_error(status)
            )));
        }
        Ok(())
    }

    /// The header, then the order the body names, retrieved: its state is what counts.
    async fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Notification, GatewayError> {
        if !self.webhook_authentic(headers) {
            return Err(GatewayError::Unauthenticated(
                "the webhook header is missing or wrong".into(),
            ));
        }
        let reference = api::webhook_reference(body)?;
        let (order, answer) = self.retrieve_order(&reference, Priority::Return).await?;
        Ok(match Self::result(&order, Channel::Webhook, &answer)? {
            Some(result) => Notification::Apply(result),
            None => Notification::Ignore,
        })
    }

    async fn lookup(&self, gateway_ref: &str) -> Result<Option<PaymentResult>, GatewayError> {
        let (order, answer) = self
            .retrieve_order(gateway_ref, Priority::Reconcile)
            .await?;
        Self::result(&order, Channel::Reconcile, &answer)
    }
}

/// Whether `api_base` is N-Genius's sandbox, whose money is test money (its host names
/// `sandbox`, as `api-gateway.sandbox.ngenius-payments.com` does).
pub fn is_sandbox(api_base: &str) -> bool {
    let rest = api_base
        .strip_prefix("https://")
        .or_else(|| api_base.strip_prefix("http://"))
        .unwrap_or(api_base);
    let host = rest.split(['/', ':']).next().unwrap_or("");
    host.split('.')
        .any(|label| label.eq_ignore_ascii_case("sandbox"))
}
