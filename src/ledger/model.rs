//! What goes into the ledger and what comes back: a new donation, what creating it and
//! applying a payment result did, and which donations the figures count.

use crate::donation::{DonationId, Status};
use crate::fund::FundId;
use crate::kept::Kept;
use crate::lang::Lang;
use crate::money::Money;

/// Which donations the total and the figures count: those in the campaign's currency
/// taken in the mode the server runs (live money, or test money). Test money never
/// enters a live total, and a change of currency never relabels money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// ISO 4217 code, as stored with each donation.
    pub currency: String,
    pub live: bool,
    /// Whether receipts are emailed (`[email]` configured): a donation that succeeds
    /// then queues its receipt in the same transaction. Off, nothing is queued.
    pub emails: bool,
    /// The listed funds' ids, in the settings' order: the first takes the donations made
    /// before funds existed, and a ledger holding a fund not listed is refused.
    pub funds: Vec<String>,
}

impl Scope {
    pub fn new(currency: &str, live: bool) -> Scope {
        Scope {
            currency: currency.to_owned(),
            live,
            emails: false,
            funds: vec![crate::fund::GENERAL.to_owned()],
        }
    }

    /// The same scope, with these funds listed (at least one).
    pub fn with_funds(mut self, funds: Vec<String>) -> Scope {
        if !funds.is_empty() {
            self.funds = funds;
        }
        self
    }

    /// The fund donations from before funds belong to.
    pub fn first_fund(&self) -> &str {
        self.funds
            .first()
            .map_or(crate::fund::GENERAL, String::as_str)
    }

    /// The same scope, queueing receipts by email or not.
    pub fn with_emails(mut self, emails: bool) -> Scope {
        self.emails = emails;
        self
    }

    pub fn mode(&self) -> &'static str {
        if self.live { "live" } else { "test" }
    }
}

/// A donation about to be created, already validated.
#[derive(Debug, Clone)]
pub struct NewDonation {
    pub id: DonationId,
    pub amount: Money,
    /// Its fund, for good.
    pub fund: FundId,
    pub gateway: &'static str,
    /// Taken with live money (the running mode; see [`Scope`]).
    pub live: bool,
    /// Known up front when the gateway derives it from our id.
    pub gateway_ref: Option<String>,
    pub lang: Lang,
    pub donor_name: Option<String>,
    pub donor_email: Option<String>,
    pub anonymous: bool,
    pub client_ip: Option<String>,
    /// What the open-donations cap counts by (`client_ip::limit_key`).
    pub client_net: Option<String>,
    /// At most this many pending donations per `client_net`, counted in the same
    /// transaction as the insert; 0: no cap.
    pub open_limit: u32,
}

/// What creating a donation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    Recorded,
    /// Not recorded: the client already has `open_limit` donations pending.
    TooManyOpen,
}

/// What applying a refund or dispute notice did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MoneyApplied {
    /// Applied to this donation; `net_minor` is what it keeps now.
    Done {
        id: String,
        changed: bool,
        net_minor: i64,
    },
    /// The notice's currency differs from the donation's: recorded, nothing changed.
    Mismatch { id: String },
    /// The donation has not succeeded (no money to refund): recorded, nothing changed.
    NotSucceeded { id: String },
    /// No donation has this payment: recorded, nothing changed, and the notice's id is
    /// not marked as seen, so reconciliation can apply it once the payment is known.
    UnknownPayment,
}

/// A donation as the admin sees it to refund it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refundable {
    pub id: String,
    pub status: Status,
    pub currency: String,
    /// The gateway's id of the payment; `None` for a donation not (yet) paid.
    pub payment_ref: Option<String>,
    pub kept: Kept,
    pub created_at_ms: i64,
    /// The refund asked of the gateway and not settled yet: (its number, its amount).
    pub pending_refund: Option<(u64, i64)>,
    /// The number the donation's next refund takes: what the dashboard's form carries.
    pub next_refund: u64,
}

/// What applying a callback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    Done {
        id: String,
        lang: Lang,
        status: Status,
        changed: bool,
    },
    /// The gateway's amount or currency differs from the ledger's: not counted.
    Mismatch {
        id: String,
        lang: Lang,
    },
    UnknownDonation,
}
