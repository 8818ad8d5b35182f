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
mod token;

use std::sync::Arc;
use std::time::Duration;

use actix_web::http::header::HeaderMap;
use async_trait::async_trait;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use super::gate::{Gate, Priority, backoff};
use super::{
    Checkout, CheckoutRequest, Gateway, GatewayError, Notification, RefundRequest,
    ReturnOutcome,
};
use crate::donation::{Channel, Outcome, PaymentResult};
use crate::secret::Secret;
use api::{IDENTITY_JSON, Order, PAYMENT_JSON, api_error, network_error};
pub use api::{Action, donation_of, merchant_reference, order_body, valid_reference};

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

/// How a request goes out.
enum Body {
    None,
    Json(Value),
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

    /// A new access token and its lifetime: `POST /identity/auth/access-token`.
    async fn renew(&self, priority: Priority) -> Result<(Secret, Duration), GatewayError> {
        #[derive(serde::Deserialize)]
        struct Token {
            access_token: String,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let url = format!("{}/identity/auth/access-token", self.settings.api_base);
        let key = self.settings.api_key.expose();
        let (status, answer) = self
            .exchange("request an access token", priority, true, || {
                self.http
                    .post(&url)
                    .header(reqwest::header::AUTHORIZATION, format!("Basic {key}"))
                    .header(reqwest::header::CONTENT_TYPE, IDENTITY_JSON)
                    .header(reqwest::header::ACCEPT, IDENTITY_JSON)
            })
            .await?;
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN
        {
            tracing::error!(
                status = status.as_u16(),
                "N-Genius refused the API key: check ngenius.api_key"
            );
        }
        let token: Token = parsed("request an access token", status, &answer)?;
        if token.access_token.is_empty() {
            return Err(GatewayError::Unavailable(
                "request an access token: no token".into(),
            ));
        }
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(300).clamp(10, 3600));
        Ok((Secret::new(token.access_token), lifetime))
    }

    /// Sends a request built by `build` through the gate, again after a 429 (N-Genius
    /// refused it unread), and once more after a network error when `resend` (a request
    /// that does no harm made twice) or when it never connected. Answers the status and
    /// body of whatever N-Genius answered.
    async fn exchange(
        &self,
        what: &str,
        priority: Priority,
        resend: bool,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<(reqwest::StatusCode, bytes::Bytes), GatewayError> {
        let mut attempt = 1;
        let mut limited = 0;
        let m = crate::metrics::get();
        loop {
            self.gate.admit(priority).await;
            crate::metrics::inc(&m.gateway_calls[priority as usize]);
            let result = match build().send().await {
                Ok(response) => {
                    let status = response.status();
                    response.bytes().await.map(|body| (status, body))
                }
                Err(e) => Err(e),
            };
            match result {
                Ok((status, _))
                    if status == reqwest::StatusCode::TOO_MANY_REQUESTS
                        && limited < RETRIES_429 =>
                {
                    crate::metrics::inc(&m.gateway_429);
                    self.gate.pause(backoff(limited));
                    limited += 1;
                }
                Ok(answer) => return Ok(answer),
                Err(e) if attempt == 1 && !e.is_builder() && (resend || e.is_connect()) => {
                    tracing::warn!(
                        what,
                        error = network_error(&e),
                        "N-Genius not reached; retrying once"
                    );
                    attempt += 1;
                }
                Err(e) => {
                    return Err(GatewayError::Unavailable(format!(
                        "{what}: N-Genius not reached ({})",
                        network_error(&e)
                    )));
                }
            }
        }
    }

    /// A call of the payment API with the access token; once more with a new token if
    /// N-Genius refuses the one kept (it may have expired early).
    async fn call(
        &self,
        what: &str,
        priority: Priority,
        method: reqwest::Method,
        url: &str,
        body: Body,
    ) -> Result<(reqwest::StatusCode, bytes::Bytes), GatewayError> {
        let resend = method == reqwest::Method::GET;
        let mut fresh = false;
        loop {
            let token = self.tokens.get(|| self.renew(priority)).await?;
            let answer = self
                .exchange(what, priority, resend, || {
                    let request = self
                        .http
                        .request(method.clone(), url)
                        .bearer_auth(token.expose())
                        .header(reqwest::header::ACCEPT, PAYMENT_JSON);
                    match &body {
                        Body::None => request,
                        Body::Json(v) => request
                            .header(reqwest::header::CONTENT_TYPE, PAYMENT_JSON)
                            .body(v.to_string()),
                    }
                })
                .await?;
            if answer.0 == reqwest::StatusCode::UNAUTHORIZED && !fresh {
                self.tokens.forget(&token).await;
                fresh = true;
                continue;
            }
            return Ok(answer);
        }
    }

    /// `GET .../orders/{reference}`: the order and the bytes it was read from.
    async fn retrieve_order(
        &self,
        reference: &str,
        priority: Priority,
    ) -> Result<(Order, bytes::Bytes), GatewayError> {
        if !valid_reference(reference) {
            return Err(GatewayError::Rejected("not an N-Genius order reference".into()));
        }
        let url = format!("{}/{reference}", self.orders_url());
        let (status, answer) = self
            .call("retrieve order", priority, reqwest::Method::GET, &url, Body::None)
            .await?;
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(GatewayError::Rejected("no such order".into()));
        }
        let order: Order = parsed("retrieve order", status, &answer)?;
        if order.reference != reference {
            return Err(GatewayError::Unavailable(
                "retrieve order: another order was answered".into(),
            ));
        }
        Ok((order, answer))
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
        let Some(url) = link.map(|l| l.href.as_str()).filter(|h| h.starts_with(&base)) else {
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
    host.split('.').any(|label| label.eq_ignore_ascii_case("sandbox"))
}

/// A success answer of N-Genius's, read as `T`; any other answer is N-Genius
/// unavailable, named by its status only.
fn parsed<T: serde::de::DeserializeOwned>(
    what: &str,
    status: reqwest::StatusCode,
    answer: &[u8],
) -> Result<T, GatewayError> {
    if !status.is_success() {
        return Err(GatewayError::Unavailable(format!(
            "{what}: {}",
            api_error(status)
        )));
    }
    serde_json::from_slice(answer)
        .map_err(|_| GatewayError::Unavailable(format!("{what}: unexpected answer")))
}
