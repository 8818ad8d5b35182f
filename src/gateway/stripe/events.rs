//! Stripe's events about money after the payment: `charge.refunded` and
//! `charge.dispute.created` / `charge.dispute.closed`, turned into notices for the ledger,
//! matched to the donation by the PaymentIntent id stored when it succeeded.

use serde::Deserialize;

use crate::kept::MoneyEvent;

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
