//! Stripe's events, verified, turned into what the ledger records: `checkout.session.*`
//! into payment results; `charge.refunded` and `charge.dispute.created` / `.closed` into
//! money notices matched to the donation by the PaymentIntent stored when it succeeded.

use serde::Deserialize;

use sha2::{Digest, Sha256};

use super::api::{Event, Session};
use super::{API_VERSION, NAME, Stripe, from_stripe_amount};
use crate::donation::{Channel, Outcome};
use crate::gateway::{GatewayError, Notification};
use crate::kept::{MoneyEvent, MoneyNotice};

/// The fields of a Charge (in `charge.refunded`) we read.
#[derive(Deserialize)]
struct Charge {
    #[serde(default)]
    payment_intent: Option<String>,
    /// Refunded so far, in all: set, never added.
    amount_refunded: i64,
    currency: String,
}

/// The fields of a Dispute we read.
#[derive(Deserialize)]
struct Dispute {
    #[serde(default)]
    payment_intent: Option<String>,
    amount: i64,
    currency: String,
    status: String,
}

/// A money event: the payment it names, what happened, and the currency of its amounts.
pub(super) struct Parsed {
    pub(super) payment_intent: String,
    pub(super) event: MoneyEvent,
    /// In Stripe's own minor units (see `api::from_stripe_amount`).
    pub(super) currency: String,
}

/// What a `charge.*` event says of a donation's money; `Ok(None)` when it says nothing
/// (an inquiry, which withdraws no money, or an event type we do not act on).
pub(super) fn parse(kind: &str, object: serde_json::Value) -> Result<Option<Parsed>, String> {
    let malformed = |what: &str| format!("the event's {what} is malformed");
    match kind {
        "charge.refunded" => {
            let charge: Charge = serde_json::from_value(object).map_err(|_| malformed("charge"))?;
            let Some(payment_intent) = charge.payment_intent else {
                return Ok(None);
            };
            Ok(Some(Parsed {
                payment_intent,
                event: MoneyEvent::Refunded {
                    total_minor: charge.amount_refunded,
                },
                currency: charge.currency,
            }))
        }
        "charge.dispute.created" | "charge.dispute.closed" => {
            let dispute: Dispute =
                serde_json::from_value(object).map_err(|_| malformed("dispute"))?;
            let Some(payment_intent) = dispute.payment_intent else {
                return Ok(None);
            };
            // Inquiries (`warning_*`) withdraw no money: nothing to record.
            if dispute.status.starts_with("warning_") {
                return Ok(None);
            }
            let event = match (kind, dispute.status.as_str()) {
                ("charge.dispute.closed", "won") => MoneyEvent::DisputeClosed {
                    won: true,
                    amount_minor: dispute.amount,
                },
                ("charge.dispute.closed", "lost") => MoneyEvent::DisputeClosed {
                    won: false,
                    amount_minor: dispute.amount,
                },
                ("charge.dispute.closed", _) => return Ok(None),
                _ => MoneyEvent::DisputeOpened {
                    amount_minor: dispute.amount,
                },
            };
            Ok(Some(Parsed {
                payment_intent,
                event,
                currency: dispute.currency,
            }))
        }
        _ => Ok(None),
    }
}

/// The event types this site acts on: the webhook endpoint should send these, and
/// reconciliation lists them.
pub const EVENT_TYPES: [&str; 7] = [
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "checkout.session.expired",
    "charge.refunded",
    "charge.dispute.created",
    "charge.dispute.closed",
];

/// What a verified event body asks of the ledger; `channel` says how it reached us (a
/// webhook, or reconciliation listing Stripe's events).
pub(super) fn notification(body: &[u8], channel: Channel) -> Result<Notification, GatewayError> {
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
    // A listed event is rendered with the account's version, not the endpoint's.
    if let Some(version) = &event.api_version
        && version != API_VERSION
        && channel == Channel::Webhook
    {
        tracing::warn!(
            event = %event.id,
            endpoint_version = %version,
            expected = API_VERSION,
            "Stripe webhook rendered with another API version: recreate the endpoint with this version (see the README)"
        );
    }
    if event.kind.starts_with("charge.") {
        return match parse(&event.kind, event.data.object).map_err(GatewayError::Rejected)? {
            Some(parsed) => Ok(Notification::Money(MoneyNotice {
                gateway: NAME,
                payment_ref: parsed.payment_intent,
                event: in_iso_units(parsed.event, &parsed.currency),
                currency: Some(parsed.currency),
                digest: hex::encode(Sha256::digest(body)),
                event_id: Some(event.id),
            })),
            None => {
                tracing::debug!(event = %event.id, kind = %event.kind, "Stripe charge event with nothing to record");
                Ok(Notification::Ignore)
            }
        };
    }
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
        Some(outcome) => Stripe::callback(session, outcome, channel, body, Some(event.id))
            .map(Notification::Apply),
        None => {
            tracing::info!(event = %event.id, kind = %event.kind, session = %session.id, "Stripe event with nothing to record");
            Ok(Notification::Ignore)
        }
    }
}

/// A money event's amounts in ISO minor units. An amount that is no whole number of them
/// cannot be Stripe's own report of our donation: rounded down, the ledger's currency
/// check and bounds keep it harmless.
pub(super) fn in_iso_units(event: MoneyEvent, currency: &str) -> MoneyEvent {
    let iso = |amount: i64| from_stripe_amount(amount, currency).unwrap_or(amount / 100);
    match event {
        MoneyEvent::Refunded { total_minor } => MoneyEvent::Refunded {
            total_minor: iso(total_minor),
        },
        MoneyEvent::DisputeOpened { amount_minor } => MoneyEvent::DisputeOpened {
            amount_minor: iso(amount_minor),
        },
        MoneyEvent::DisputeClosed { won, amount_minor } => MoneyEvent::DisputeClosed {
            won,
            amount_minor: iso(amount_minor),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::notification;
    use crate::donation::Channel;
    use crate::gateway::stripe::API_VERSION;
    use crate::gateway::{GatewayError, Notification};

    fn money(kind: &str, object: serde_json::Value) -> Option<crate::kept::MoneyNotice> {
        let body = serde_json::json!({
            "id": "evt_money_1",
            "object": "event",
            "api_version": API_VERSION,
            "type": kind,
            "data": {"object": object},
        })
        .to_string();
        match notification(body.as_bytes(), Channel::Webhook).unwrap() {
            Notification::Money(m) => Some(m),
            Notification::Ignore => None,
            Notification::Apply(cb) => panic!("{cb:?}"),
        }
    }

    #[test]
    fn refunds_and_disputes_become_money_notices_in_iso_units() {
        use crate::kept::MoneyEvent;
        let refunded = money(
            "charge.refunded",
            serde_json::json!({"id": "ch_1", "object": "charge", "payment_intent": "pi_1",
                                "amount": 10000, "amount_refunded": 3000, "currency": "aed"}),
        )
        .unwrap();
        assert_eq!(refunded.payment_ref, "pi_1");
        assert_eq!(refunded.event, MoneyEvent::Refunded { total_minor: 3000 });
        assert_eq!(refunded.event_id.as_deref(), Some("evt_money_1"));
        assert_eq!(refunded.currency.as_deref(), Some("aed"));
        // ISK: Stripe's two decimals become whole krónur.
        let isk = money(
            "charge.refunded",
            serde_json::json!({"payment_intent": "pi_2", "amount_refunded": 150000, "currency": "isk"}),
        )
        .unwrap();
        assert_eq!(isk.event, MoneyEvent::Refunded { total_minor: 1500 });
        let dispute = |kind: &str, status: &str| {
            money(
                kind,
                serde_json::json!({"id": "dp_1", "object": "dispute", "payment_intent": "pi_1",
                                    "amount": 10000, "currency": "aed", "status": status}),
            )
            .map(|m| m.event)
        };
        assert_eq!(
            dispute("charge.dispute.created", "needs_response"),
            Some(MoneyEvent::DisputeOpened {
                amount_minor: 10000
            })
        );
        assert_eq!(
            dispute("charge.dispute.closed", "won"),
            Some(MoneyEvent::DisputeClosed {
                won: true,
                amount_minor: 10000
            })
        );
        assert_eq!(
            dispute("charge.dispute.closed", "lost"),
            Some(MoneyEvent::DisputeClosed {
                won: false,
                amount_minor: 10000
            })
        );
        // An inquiry withdraws no money; other charge events say nothing of ours.
        assert_eq!(
            dispute("charge.dispute.created", "warning_needs_response"),
            None
        );
        assert_eq!(dispute("charge.dispute.closed", "warning_closed"), None);
        assert!(money("charge.succeeded", serde_json::json!({"id": "ch_1"})).is_none());
        assert!(matches!(
            notification(
                br#"{"id":"evt_x","type":"charge.refunded","data":{"object":{"amount_refunded":"x"}}}"#,
                Channel::Webhook
            ),
            Err(GatewayError::Rejected(_))
        ));
    }
}
