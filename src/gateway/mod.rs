//! Payment gateways behind one small trait: start a hosted checkout, verify the donor's
//! return, verify a server-to-server notification. The routes only know this trait.

pub mod gate;
pub mod ngenius;
pub mod sandbox;
pub mod stripe;

use std::sync::Arc;

use actix_web::http::header::HeaderMap;
use async_trait::async_trait;

use crate::donation::{DonationId, PaymentResult};
use crate::kept::MoneyNotice;
use crate::lang::Lang;
use crate::money::Money;

/// Which gateway takes the payments (`gateway.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GatewayKind {
    /// The built-in test checkout: no real money.
    Sandbox,
    Stripe,
    /// N-Genius Online (Network International): a hosted payment page.
    Ngenius,
}

impl GatewayKind {
    pub fn parse(name: &str) -> Option<GatewayKind> {
        match name {
            sandbox::NAME => Some(GatewayKind::Sandbox),
            stripe::NAME => Some(GatewayKind::Stripe),
            ngenius::NAME => Some(GatewayKind::Ngenius),
            _ => None,
        }
    }

    /// The name in config, in the ledger's `gateway` column and in logs.
    pub fn name(self) -> &'static str {
        match self {
            GatewayKind::Sandbox => sandbox::NAME,
            GatewayKind::Stripe => stripe::NAME,
            GatewayKind::Ngenius => ngenius::NAME,
        }
    }
}

/// The gateway this process takes payments with, held once: the routes use it through
/// the [`Gateway`] trait; the sandbox's own checkout pages reach the sandbox itself.
#[derive(Clone)]
pub enum ActiveGateway {
    Sandbox(Arc<sandbox::Sandbox>),
    Stripe(Arc<stripe::Stripe>),
    Ngenius(Arc<ngenius::Ngenius>),
}

impl ActiveGateway {
    pub fn get(&self) -> &dyn Gateway {
        match self {
            ActiveGateway::Sandbox(s) => s.as_ref(),
            ActiveGateway::Stripe(s) => s.as_ref(),
            ActiveGateway::Ngenius(s) => s.as_ref(),
        }
    }

    /// The sandbox, when it is the gateway (its checkout pages exist only then).
    pub fn sandbox(&self) -> Option<&sandbox::Sandbox> {
        match self {
            ActiveGateway::Sandbox(s) => Some(s),
            ActiveGateway::Stripe(_) | ActiveGateway::Ngenius(_) => None,
        }
    }
}

/// What a gateway needs to start a checkout.
pub struct CheckoutRequest<'a> {
    pub id: &'a DonationId,
    pub amount: Money,
    pub lang: Lang,
    pub campaign_name: &'a str,
    /// The donation's fund: its id, and its label in the donor's language when donors
    /// choose a fund (the checkout then names it beside the campaign).
    pub fund: &'a str,
    pub fund_label: Option<&'a str>,
    /// The donor's email, when they gave one.
    pub email: Option<&'a str>,
    /// Where the API is reached from outside, for return links to it.
    pub callback_base: &'a str,
    /// Where the pages are reached from outside, for links to them.
    pub site_url: &'a str,
}

/// A refund an admin asked for.
pub struct RefundRequest<'a> {
    pub donation: &'a str,
    /// The gateway's id of the payment (Stripe's PaymentIntent).
    pub payment_ref: &'a str,
    /// How much to refund now, in ISO minor units of `currency`.
    pub amount: Money,
    /// The number of the refund intent the ledger recorded for this admin action (1, 2,
    /// ...): with the donation, the idempotency key, so every retry of the action repeats
    /// this same refund and never makes a second one.
    pub intent: u64,
}

/// A started checkout: where to send the donor, and the gateway's reference for it.
#[derive(Debug, Clone)]
pub struct Checkout {
    pub url: String,
    pub gateway_ref: String,
}

/// What a verified notification asks of the ledger.
#[derive(Debug)]
pub enum Notification {
    Apply(PaymentResult),
    /// A refund or dispute of a succeeded donation.
    Money(MoneyNotice),
    /// Verified, but nothing to do (an event type we do not act on).
    Ignore,
}

/// What a verified donor's return says.
#[derive(Debug)]
pub enum ReturnOutcome {
    /// The payment has a result: apply it.
    Settled(PaymentResult),
    /// A genuine return, but the payment has no result yet: nothing to record. The
    /// donor came back before paying (`submitted` false), or paid with a method that
    /// settles later (`submitted` true; the gateway's webhook brings the result).
    Pending {
        gateway_ref: String,
        submitted: bool,
    },
    /// A genuine return whose payment is under way at the gateway (3-D Secure, an
    /// authorisation not yet captured): the donor waits on a page that asks again.
    Confirming { gateway_ref: String },
}

/// One page of a gateway's own record of events (for reconciliation), newest first.
#[derive(Debug, Default)]
pub struct EventPage {
    /// What each event asks of the ledger, in the order the gateway listed them.
    pub notifications: Vec<Notification>,
    /// How many events the page held (some ask nothing of the ledger).
    pub listed: usize,
    /// Where the next page starts, when there is one.
    pub next: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    /// The request is not what the gateway signed (forged, tampered, malformed).
    #[error("rejected: {0}")]
    Rejected(String),
    /// The gateway could not be reached or failed.
    #[error("gateway unavailable: {0}")]
    Unavailable(String),
    /// The request lacks the credential the gateway was set to send (a webhook's header).
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
}

#[async_trait]
pub trait Gateway: Send + Sync {
    /// Short name used in URLs and the ledger: `sandbox`, `stripe`, `ngenius`.
    fn name(&self) -> &'static str;

    /// The reference the ledger can store at creation, when the gateway derives it from
    /// our id (saving a write); `None` when the gateway assigns its own.
    fn reference_for(&self, _id: &DonationId) -> Option<String> {
        None
    }

    async fn create_checkout(&self, req: &CheckoutRequest<'_>) -> Result<Checkout, GatewayError>;

    /// The payment a return URL names, when the gateway would have to be asked about it
    /// (a network call): a donation already succeeded is then answered from the ledger.
    fn return_reference(&self, _query: &str) -> Option<String> {
        None
    }

    /// Verifies the query string of `GET /payment/return/{gateway}`. A gateway that can
    /// tell answers [`ReturnOutcome::Pending`] for a payment that has no result yet.
    async fn verify_return(&self, query: &str) -> Result<ReturnOutcome, GatewayError>;

    /// Refunds part or all of a payment. Answers once the gateway has accepted it; the
    /// ledger then records it (and the gateway's own notice of it counts nothing more).
    async fn refund(&self, req: &RefundRequest<'_>) -> Result<(), GatewayError>;

    /// Verifies the body of `POST /payment/webhook/{gateway}`.
    async fn verify_webhook(
        &self,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Result<Notification, GatewayError>;

    /// Reconciliation: what became of the checkout `gateway_ref`, asked of the gateway
    /// itself; `None` while it has no result (the donor may still be paying).
    async fn lookup(&self, gateway_ref: &str) -> Result<Option<PaymentResult>, GatewayError>;

    /// Reconciliation: one page of the gateway's events of the kinds this site acts on,
    /// created at or after `since` (Unix seconds), newest first; `after` is the previous
    /// page's `next`. A gateway that keeps no events answers an empty page.
    async fn events(&self, _since: i64, _after: Option<&str>) -> Result<EventPage, GatewayError> {
        Ok(EventPage::default())
    }
}
