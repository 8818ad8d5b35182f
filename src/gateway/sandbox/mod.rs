//! The sandbox gateway: a hosted checkout served by this binary, clearly marked as test
//! mode, that behaves like a redirect-based payment provider. Results are signed with
//! HMAC-SHA256 and delivered twice, as real gateways do: in the donor's return redirect,
//! and server to server as a webhook, so a donor who closes the tab is still counted.

pub mod checkout;

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use actix_web::http::header::HeaderMap;
use async_trait::async_trait;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::gate::{Gate, Priority};
use super::{
    Checkout, CheckoutRequest, Gateway, GatewayError, Notification, RefundRequest, ReturnOutcome,
};
use crate::donation::{Channel, DonationId, Outcome, PaymentResult};

pub const NAME: &str = "sandbox";
pub const SIGNATURE_HEADER: &str = "Sandbox-Signature";

/// A signed payment result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignedResult {
    #[serde(rename = "ref")]
    pub reference: String,
    pub outcome: String,
    pub amount: i64,
    pub currency: String,
    pub sig: String,
}

/// The webhook body: the same result, signed as a whole in a header.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    #[serde(rename = "ref")]
    pub reference: String,
    pub outcome: String,
    pub amount: i64,
    pub currency: String,
}

pub struct Sandbox {
    secret: Vec<u8>,
    /// Where webhooks go: this server's own listening address, known after binding.
    webhook_url: OnceLock<String>,
    /// Whether results are also sent as webhooks (`sandbox.webhooks`). Off, only the
    /// donor's return or reconciliation records them.
    webhooks: bool,
    /// The sandbox's own record of what each donor chose, by reference, as a real
    /// gateway keeps its payments: reconciliation reads it. Kept in memory (test money),
    /// bounded in size and age.
    choices: moka::sync::Cache<String, SignedResult>,
    http: reqwest::Client,
    /// Checkouts wait their turn here, as with a real provider (no limit by default).
    gate: Arc<Gate>,
}

/// How many choices the sandbox remembers, and for how long.
const CHOICES_MAX: u64 = 100_000;
const CHOICES_FOR: Duration = Duration::from_secs(7 * 24 * 3600);

type HmacSha256 = Hmac<Sha256>;

impl Sandbox {
    pub fn new(secret: &[u8], webhooks: bool, http: reqwest::Client) -> Sandbox {
        Sandbox {
            secret: secret.to_vec(),
            webhook_url: OnceLock::new(),
            webhooks,
            choices: moka::sync::Cache::builder()
                .max_capacity(CHOICES_MAX)
                .time_to_live(CHOICES_FOR)
                .build(),
            http,
            gate: Arc::new(Gate::unlimited()),
        }
    }

    /// Sends every checkout through `gate`.
    pub fn with_gate(mut self, gate: Arc<Gate>) -> Sandbox {
        self.gate = gate;
        self
    }

    /// Records the donor's choice and, unless webhooks are off, notifies this server
    /// of it as a gateway would.
    pub fn settle(&self, result: &SignedResult) {
        self.choices
            .insert(result.reference.clone(), result.clone());
        if self.webhooks {
            self.deliver_webhook(result);
        } else {
            tracing::info!(
                reference = %result.reference,
                "sandbox webhook not sent (sandbox.webhooks = false): the return or reconciliation records the result"
            );
        }
    }

    pub fn set_webhook_url(&self, url: String) {
        let _ = self.webhook_url.set(url);
    }

    fn mac(&self) -> HmacSha256 {
        // HMAC takes keys of any length, so this cannot fail.
        match HmacSha256::new_from_slice(&self.secret) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC accepts keys of any length"),
        }
    }

    fn result_message(reference: &str, outcome: &str, amount: i64, currency: &str) -> String {
        format!("sandbox-v1\n{reference}\n{outcome}\n{amount}\n{currency}")
    }

    /// Signs a result for the return redirect.
    pub fn sign_result(
        &self,
        reference: &str,
        outcome: Outcome,
        amount: i64,
        currency: &str,
    ) -> SignedResult {
        let mut mac = self.mac();
        mac.update(Self::result_message(reference, outcome.as_str(), amount, currency).as_bytes());
        SignedResult {
            reference: reference.to_owned(),
            outcome: outcome.as_str().to_owned(),
            amount,
            currency: currency.to_owned(),
            sig: hex::encode(mac.finalize().into_bytes()),
        }
    }

    /// The webhook signature of a raw body.
    pub fn sign_body(&self, body: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(body);
        hex::encode(mac.finalize().into_bytes())
    }

    fn verify_hex(&self, message: &[u8], sig_hex: &str) -> bool {
        let Ok(sig) = hex::decode(sig_hex) else {
            return false;
        };
        let mut mac = self.mac();
        mac.update(message);
        mac.verify_slice(&sig).is_ok()
    }

    /// Delivers a result server to server, retrying a few times, as a gateway would.
    fn deliver_webhook(&self, result: &SignedResult) {
        let Some(url) = self.webhook_url.get().cloned() else {
            tracing::warn!("sandbox webhook not sent: the server address is not known yet");
            return;
        };
        let body = WebhookBody {
            reference: result.reference.clone(),
            outcome: result.outcome.clone(),
            amount: result.amount,
            currency: result.currency.clone(),
        };
        let Ok(body) = serde_json::to_vec(&body) else {
            return;
        };
        let sig = self.sign_body(&body);
        let http = self.http.clone();
        tokio::spawn(async move {
            for attempt in 0..5u32 {
                let sent = http
                    .post(&url)
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .header(SIGNATURE_HEADER, &sig)
                    .body(body.clone())
                    .send()
                    .await;
                match sent {
                    Ok(r) if r.status().is_success() => return,
                    Ok(r) if r.status().is_client_error() => {
                        tracing::warn!(status = %r.status(), "sandbox webhook refused");
                        return;
                    }
                    Ok(r) => {
                        tracing::warn!(status = %r.status(), attempt, "sandbox webhook failed; retrying")
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, attempt, "sandbox webhook not delivered; retrying")
                    }
                }
                tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt))).await;
            }
        });
    }

    fn callback(
        channel: Channel,
        reference: String,
        outcome: &str,
        amount: i64,
        currency: String,
        signed: &[u8],
    ) -> Result<PaymentResult, GatewayError> {
        let outcome = match outcome {
            "paid" => Outcome::Paid,
            "declined" => Outcome::Declined,
            _ => return Err(GatewayError::Rejected("unknown outcome".into())),
        };
        Ok(PaymentResult {
            gateway: NAME,
            // The sandbox's payment is its reference: refunds name it.
            payment_ref: Some(reference.clone()),
            gateway_ref: reference,
            outcome,
            channel,
            digest: hex::encode(Sha256::digest(signed)),
            amount_minor: Some(amount),
            currency: Some(currency),
            event_id: None,
        })
    }
}

#[async_trait]
impl Gateway for Sandbox {
    fn name(&self) -> &'static str {
        NAME
    }

    fn reference_for(&self, id: &DonationId) -> Option<String> {
        Some(id.to_string())
    }

    async fn create_checkout(&self, req: &CheckoutRequest<'_>) -> Result<Checkout, GatewayError> {
        self.gate.admit(Priority::Checkout).await;
        Ok(Checkout {
            url: format!("/sandbox/checkout/{}", req.id),
            gateway_ref: req.id.to_string(),
        })
    }

    async fn verify_return(&self, query: &str) -> Result<ReturnOutcome, GatewayError> {
        let r: SignedResult = serde_urlencoded::from_str(query)
            .map_err(|_| GatewayError::Rejected("the payment result is incomplete".into()))?;
        let message = Self::result_message(&r.reference, &r.outcome, r.amount, &r.currency);
        if !self.verify_hex(message.as_bytes(), &r.sig) {
            return Err(GatewayError::Rejected(
                "the payment result's signature is not valid".into(),
            ));
        }
        Self::callback(
            Channel::Return,
            r.reference,
            &r.outcome,
            r.amount,
            r.currency,
            message.as_bytes(),
        )
        .map(ReturnOutcome::Settled)
    }

    /// The sandbox moves no money: a refund is accepted at once.
    async fn refund(&self, _req: &RefundRequest<'_>) -> Result<(), GatewayError> {
        Ok(())
    }

    async fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Notification, GatewayError> {
        let sig = headers
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| GatewayError::Rejected("the signature header is missing".into()))?;
        if !self.verify_hex(body, sig.trim()) {
            return Err(GatewayError::Rejected("the signature is not valid".into()));
        }
        let w: WebhookBody = serde_json::from_slice(body)
            .map_err(|_| GatewayError::Rejected("the notification is malformed".into()))?;
        Self::callback(
            Channel::Webhook,
            w.reference,
            &w.outcome,
            w.amount,
            w.currency,
            body,
        )
        .map(Notification::Apply)
    }

    /// The donor's recorded choice, signed as the webhook would have been.
    async fn lookup(&self, gateway_ref: &str) -> Result<Option<PaymentResult>, GatewayError> {
        let Some(r) = self.choices.get(gateway_ref) else {
            return Ok(None);
        };
        let message = Self::result_message(&r.reference, &r.outcome, r.amount, &r.currency);
        Self::callback(
            Channel::Reconcile,
            r.reference,
            &r.outcome,
            r.amount,
            r.currency,
            message.as_bytes(),
        )
        .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox() -> Sandbox {
        Sandbox::new(b"test-secret", true, reqwest::Client::new())
    }

    #[tokio::test]
    async fn signed_returns_verify_and_tampered_ones_do_not() {
        let s = sandbox();
        let signed = s.sign_result("abc", Outcome::Paid, 5000, "AED");
        // Independently computed: HMAC-SHA256("test-secret", "sandbox-v1\nabc\npaid\n5000\nAED").
        assert_eq!(signed.sig, {
            let mut m = HmacSha256::new_from_slice(b"test-secret").unwrap();
            m.update(b"sandbox-v1\nabc\npaid\n5000\nAED");
            hex::encode(m.finalize().into_bytes())
        });
        let q = serde_urlencoded::to_string(&signed).unwrap();
        let Ok(ReturnOutcome::Settled(cb)) = s.verify_return(&q).await else {
            panic!("a signed return settles the payment");
        };
        assert_eq!(cb.gateway_ref, "abc");
        assert_eq!(cb.outcome, Outcome::Paid);
        assert_eq!(cb.amount_minor, Some(5000));

        for tampered in [
            q.replace("amount=5000", "amount=500000"),
            q.replace("outcome=paid", "outcome=declined"),
            q.replace("ref=abc", "ref=abd"),
            q.replace("sig=", "sig=00"),
            q.replace("&sig=", "&x=1&sig="),
            String::new(),
            "ref=abc".into(),
        ] {
            assert!(s.verify_return(&tampered).await.is_err(), "{tampered}");
        }
        let other = Sandbox::new(b"other", true, reqwest::Client::new());
        assert!(other.verify_return(&q).await.is_err());
    }

    #[tokio::test]
    async fn webhooks_verify_the_raw_body() {
        let s = sandbox();
        let body = br#"{"ref":"abc","outcome":"declined","amount":5000,"currency":"AED"}"#;
        let mut headers = HeaderMap::new();
        headers.insert(
            actix_web::http::header::HeaderName::from_static("sandbox-signature"),
            s.sign_body(body).parse().unwrap(),
        );
        match s.verify_webhook(&headers, body).await.unwrap() {
            Notification::Apply(cb) => assert_eq!(cb.outcome, Outcome::Declined),
            other => panic!("{other:?}"),
        }
        let mut tampered = body.to_vec();
        tampered[10] = b'x';
        assert!(s.verify_webhook(&headers, &tampered).await.is_err());
        assert!(s.verify_webhook(&HeaderMap::new(), body).await.is_err());
    }
}
