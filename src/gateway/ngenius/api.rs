//! N-Genius Online's API as this gateway uses it: the order we create, the order and
//! payment fields we read, the merchant order reference made from a donation's id, and
//! N-Genius's errors turned into messages without secrets.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Value, json};

use super::NAME;
use crate::donation::{DonationId, Outcome};
use crate::gateway::{CheckoutRequest, GatewayError};

/// The media type of the payment API, both ways.
pub const PAYMENT_JSON: &str = "application/vnd.ni-payment.v2+json";
/// The media type of the identity service.
pub const IDENTITY_JSON: &str = "application/vnd.ni-identity.v1+json";
/// The longest order reference we accept (N-Genius's are 36-character UUIDs).
const REFERENCE_MAX: usize = 64;

/// How an order's payments are taken (`ngenius.action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Authorised and captured at once; refunded through the payment.
    Purchase,
    /// Authorised and captured at once as a capture; refunded through the capture.
    Sale,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "PURCHASE" => Some(Action::Purchase),
            "SALE" => Some(Action::Sale),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Purchase => "PURCHASE",
            Action::Sale => "SALE",
        }
    }
}

/// `amount {currencyCode, value}`, value in minor units.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Amount {
    pub(super) currency_code: String,
    pub(super) value: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Link {
    pub(super) href: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct Links {
    #[serde(default)]
    pub(super) payment: Option<Link>,
    #[serde(rename = "cnp:refund", default)]
    pub(super) refund: Option<Link>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct Order {
    pub(super) reference: String,
    #[serde(default)]
    pub(super) merchant_order_reference: Option<String>,
    #[serde(default)]
    pub(super) amount: Option<Amount>,
    #[serde(rename = "_links", default)]
    pub(super) links: Links,
    #[serde(rename = "_embedded", default)]
    pub(super) embedded: Option<OrderEmbedded>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct OrderEmbedded {
    #[serde(default)]
    pub(super) payment: Vec<Payment>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Payment {
    #[serde(default)]
    pub(super) state: Option<String>,
    #[serde(default)]
    pub(super) amount: Option<Amount>,
    #[serde(rename = "_links", default)]
    pub(super) links: Links,
    #[serde(rename = "_embedded", default)]
    pub(super) embedded: Option<PaymentEmbedded>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct PaymentEmbedded {
    #[serde(rename = "cnp:capture", default)]
    pub(super) captures: Vec<Capture>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Capture {
    #[serde(rename = "_links", default)]
    pub(super) links: Links,
}

/// What a payment's `state` settles: paid, declined, or nothing yet (`STARTED`,
/// `AWAIT_3DS`, `AUTHORISED` and any state not known here stay pending, never counted).
/// A payment refunded since (in the portal or from the dashboard) was paid.
pub(super) fn outcome_of(state: &str) -> Option<Outcome> {
    match state {
        "PURCHASED" | "CAPTURED" | "PARTIALLY_REFUNDED" | "REFUNDED" => Some(Outcome::Paid),
        "FAILED" | "DECLINED" => Some(Outcome::Declined),
        _ => None,
    }
}

/// Whether a state the outcome of which is not known yet means the donor has paid and
/// the payment is being confirmed (3-D Secure, an authorisation, a review, any state
/// not known here), rather than not paid at all (`STARTED`: the page was left).
pub(super) fn confirming(state: &str) -> bool {
    outcome_of(state).is_none() && state != "STARTED"
}

impl Order {
    /// The payment that decides the order: a paid one if any (a donor may fail once and
    /// pay on a second attempt), else the latest.
    pub(super) fn payment(&self) -> Option<&Payment> {
        let payments = &self.embedded.as_ref()?.payment;
        payments
            .iter()
            .find(|p| p.state.as_deref().and_then(outcome_of) == Some(Outcome::Paid))
            .or_else(|| payments.last())
    }
}

/// The merchant order reference of a donation: N-Genius takes letters, digits and
/// hyphens only, and our ids are base64url (with `_`), so it is the id's 16 bytes in hex.
pub fn merchant_reference(id: &DonationId) -> String {
    match URL_SAFE_NO_PAD.decode(id.as_str()) {
        Ok(bytes) => hex::encode(bytes),
        // Every id this site makes decodes; any other is written byte by byte.
        Err(_) => format!("x-{}", hex::encode(id.as_str())),
    }
}

/// The donation a merchant order reference names, if it is one of ours.
pub fn donation_of(reference: &str) -> Option<DonationId> {
    let id = match reference.strip_prefix("x-") {
        Some(raw) => String::from_utf8(hex::decode(raw).ok()?).ok()?,
        None => URL_SAFE_NO_PAD.encode(hex::decode(reference).ok()?),
    };
    DonationId::parse(&id)
}

/// The body of `POST /transactions/outlets/{outlet}/orders`.
pub fn order_body(req: &CheckoutRequest<'_>, action: Action) -> Value {
    let api = req.callback_base.trim_end_matches('/');
    let site = req.site_url.trim_end_matches('/');
    let mut body = json!({
        "action": action.as_str(),
        "amount": {
            "currencyCode": req.amount.currency().code(),
            "value": req.amount.minor(),
        },
        "language": req.lang.code(),
        "merchantOrderReference": merchant_reference(req.id),
        // Shown with the order in the portal and its reports: which fund it is for.
        "merchantDefinedData": {"fund": req.fund},
        "merchantAttributes": {
            // N-Genius adds `?ref=<order reference>`.
            "redirectUrl": format!("{api}/payment/return/{NAME}"),
            "cancelUrl": format!("{site}{}", req.lang.page("error")),
            "skipConfirmationPage": true,
        },
    });
    // The payment page fills it in, and N-Genius's own receipt goes there.
    if let Some(email) = req.email {
        body["emailAddress"] = json!(email);
    }
    body
}

/// Letters, digits and hyphens, as N-Genius's order references (UUIDs) are made.
pub fn valid_reference(reference: &str) -> bool {
    (1..=REFERENCE_MAX).contains(&reference.len())
        && reference
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The order reference of a return URL's query: exactly one well-formed `ref`.
pub(super) fn reference_of(query: &str) -> Result<String, GatewayError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query)
        .map_err(|_| GatewayError::Rejected("the return address is malformed".into()))?;
    let mut refs = pairs.into_iter().filter(|(k, _)| k == "ref");
    match (refs.next(), refs.next()) {
        (Some((_, r)), None) if valid_reference(&r) => Ok(r),
        (Some(_), None) => Err(GatewayError::Rejected(
            "the order reference is malformed".into(),
        )),
        (None, _) => Err(GatewayError::Rejected(
            "the order reference is missing".into(),
        )),
        (Some(_), Some(_)) => Err(GatewayError::Rejected(
            "the order reference is given more than once".into(),
        )),
    }
}

/// The order a webhook's body names: `order.reference` (or the reference in
/// `order._id`, `urn:order:<reference>`). Nothing else in the body is read.
pub(super) fn webhook_reference(body: &[u8]) -> Result<String, GatewayError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| GatewayError::Rejected("the webhook body is not JSON".into()))?;
    let order = value.get("order");
    let reference = order
        .and_then(|o| o.get("reference"))
        .and_then(Value::as_str)
        .or_else(|| {
            order
                .and_then(|o| o.get("_id"))
                .and_then(Value::as_str)
                .and_then(|id| id.strip_prefix("urn:order:"))
        })
        .ok_or_else(|| GatewayError::Rejected("the webhook names no order".into()))?;
    if !valid_reference(reference) {
        return Err(GatewayError::Rejected(
            "the webhook's order reference is malformed".into(),
        ));
    }
    Ok(reference.to_owned())
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

/// An N-Genius error answer, named by its status only: its body may echo the request.
pub(super) fn api_error(status: reqwest::StatusCode) -> String {
    format!("N-Genius answered {}", status.as_u16())
}
