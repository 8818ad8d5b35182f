//! Donations: their identity and the state machine every payment result goes through.
//!
//! ```text
//!   pending ──paid──────▶ succeeded   (counted once; final)
//!   pending ──declined──▶ failed
//!   pending ──expired───▶ expired
//!   failed | expired ──paid──▶ succeeded   (money was taken after all: count it)
//! ```
//! Anything else changes nothing: a result that arrives twice, or a late decline or
//! expiry after a payment, is recorded but never undoes or double-counts a success.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Status {
    Pending,
    Succeeded,
    Failed,
    Expired,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Status::Pending,
        Status::Succeeded,
        Status::Failed,
        Status::Expired,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Succeeded => "succeeded",
            Status::Failed => "failed",
            Status::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a gateway (or the clock) says about a donation's payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Paid,
    Declined,
    Expired,
}

/// Where a payment result came from: the donor's browser coming back from the checkout,
/// the gateway's own server-to-server notification, or reconciliation asking the gateway
/// itself (for a notification that never came).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Return,
    Webhook,
    Reconcile,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Return => "return",
            Channel::Webhook => "webhook",
            Channel::Reconcile => "reconcile",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A payment result a gateway has verified, for the ledger to apply to the donation it
/// names.
#[derive(Debug, Clone)]
pub struct PaymentResult {
    /// The gateway's name: `sandbox`, `stripe`.
    pub gateway: &'static str,
    /// The gateway's reference of the payment, stored with the donation at checkout.
    pub gateway_ref: String,
    pub outcome: Outcome,
    pub channel: Channel,
    /// SHA-256 of the signed payload, for the audit trail.
    pub digest: String,
    /// The amount (minor units) and currency code the gateway reports, checked against
    /// the donation's. Kept as the gateway wrote them: a report in another currency, even
    /// one this site does not know, is recorded as a mismatch, never counted.
    pub amount_minor: Option<i64>,
    pub currency: Option<String>,
    /// The gateway's id for the notification, when it has one: a notification whose id
    /// was seen before changes nothing.
    pub event_id: Option<String>,
    /// The gateway's id of the payment itself (Stripe's PaymentIntent), which later
    /// refunds and disputes name; stored when the donation succeeds.
    pub payment_ref: Option<String>,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Paid => "paid",
            Outcome::Declined => "declined",
            Outcome::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Outcome> {
        match s {
            "paid" => Some(Outcome::Paid),
            "declined" => Some(Outcome::Declined),
            "expired" => Some(Outcome::Expired),
            _ => None,
        }
    }
}

/// The result of applying an outcome to a donation in some status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// The donation moves to this status; `counts` when its amount joins the total.
    To { status: Status, counts: bool },
    /// Already settled this way or finally: nothing changes.
    Unchanged,
}

/// The longest email address (RFC 5321 path limit).
const EMAIL_MAX: usize = 254;

/// A light check that catches typos, not a full RFC 5322 parser.
pub fn plausible_email(email: &str) -> bool {
    if email.len() > EMAIL_MAX || email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        }
        None => false,
    }
}

pub fn transition(current: Status, outcome: Outcome) -> Transition {
    use Status::*;
    match (current, outcome) {
        (Succeeded, _) => Transition::Unchanged,
        (Pending | Failed | Expired, Outcome::Paid) => Transition::To {
            status: Succeeded,
            counts: true,
        },
        (Pending, Outcome::Declined) => Transition::To {
            status: Failed,
            counts: false,
        },
        (Pending, Outcome::Expired) => Transition::To {
            status: Expired,
            counts: false,
        },
        (Failed | Expired, Outcome::Declined | Outcome::Expired) => Transition::Unchanged,
    }
}

/// A donation's id: 128 random bits, URL-safe base64 (22 characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DonationId(String);

impl DonationId {
    /// Never starts with `-` or `_`, so an id is not mistaken for a spreadsheet formula
    /// (admins' CSV exports) or a command-line option.
    pub fn random() -> DonationId {
        let mut rng = rand::rng();
        loop {
            let mut bytes = [0u8; 16];
            rng.fill_bytes(&mut bytes);
            let id = URL_SAFE_NO_PAD.encode(bytes);
            if id.as_bytes()[0].is_ascii_alphanumeric() {
                return DonationId(id);
            }
        }
    }

    /// Accepts only what [`DonationId::random`] makes.
    pub fn parse(s: &str) -> Option<DonationId> {
        (s.len() == 22
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        .then(|| DonationId(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DonationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTCOMES: [Outcome; 3] = [Outcome::Paid, Outcome::Declined, Outcome::Expired];

    #[test]
    fn every_status_and_outcome() {
        use Status::*;
        let expected = |s: Status, o: Outcome| match (s, o) {
            (Pending, Outcome::Paid) => Transition::To {
                status: Succeeded,
                counts: true,
            },
            (Pending, Outcome::Declined) => Transition::To {
                status: Failed,
                counts: false,
            },
            (Pending, Outcome::Expired) => Transition::To {
                status: Expired,
                counts: false,
            },
            (Failed, Outcome::Paid) | (Expired, Outcome::Paid) => Transition::To {
                status: Succeeded,
                counts: true,
            },
            _ => Transition::Unchanged,
        };
        for s in Status::ALL {
            for o in OUTCOMES {
                assert_eq!(transition(s, o), expected(s, o), "{s:?} + {o:?}");
            }
        }
    }

    #[test]
    fn a_success_is_counted_once_whatever_the_order() {
        // Every sequence of up to four outcomes, applied from pending.
        let mut sequences: Vec<Vec<Outcome>> = vec![vec![]];
        for _ in 0..4 {
            let mut next = Vec::new();
            for seq in &sequences {
                for o in OUTCOMES {
                    let mut s = seq.clone();
                    s.push(o);
                    next.push(s);
                }
            }
            sequences.extend(next);
        }
        for seq in sequences {
            let mut status = Status::Pending;
            let mut counted = 0;
            for &o in &seq {
                if let Transition::To { status: s, counts } = transition(status, o) {
                    status = s;
                    counted += usize::from(counts);
                }
            }
            let paid = seq.contains(&Outcome::Paid);
            assert_eq!(counted, usize::from(paid), "{seq:?}");
            assert_eq!(status == Status::Succeeded, paid, "{seq:?}");
        }
    }

    #[test]
    fn statuses_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for o in OUTCOMES {
            assert_eq!(Outcome::parse(o.as_str()), Some(o));
        }
        assert_eq!(Status::parse("PENDING"), None);
    }

    #[test]
    fn ids_never_start_with_a_sign() {
        for _ in 0..5000 {
            let id = DonationId::random();
            assert!(id.as_str().as_bytes()[0].is_ascii_alphanumeric(), "{id}");
        }
    }

    #[test]
    fn ids_are_random_and_url_safe() {
        let a = DonationId::random();
        let b = DonationId::random();
        assert_ne!(a, b);
        assert_eq!(a.as_str().len(), 22);
        assert_eq!(DonationId::parse(a.as_str()), Some(a));
        assert_eq!(DonationId::parse("short"), None);
        assert_eq!(DonationId::parse("../../../../etc/passwd!"), None);
    }
}
