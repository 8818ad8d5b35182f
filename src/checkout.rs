//! Starting a donation's checkout at the gateway. The call waits its turn at the gate
//! (see `gateway::gate`), so it runs in the background: the donor's form waits for it
//! a moment (`queue_wait`) and otherwise goes to the waiting page, which any later
//! request, on this server or another, answers from the same start or the ledger. One
//! start per donation in this process; across servers the gateway's idempotency key
//! (one per donation) makes a second start give back the same checkout. Only donations
//! of the gateway and mode running now are started ([`Starter::takes`]).

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::config::Settings;
use crate::donation::DonationId;
use crate::gateway::ActiveGateway;
use crate::gateway::CheckoutRequest;
use crate::lang::Lang;
use crate::ledger::{DonationRow, Ledger};
use crate::money::Money;
use crate::render::strings::Strings;

/// What became of a start: where the donor pays, or that it failed (the donation is
/// then recorded as failed).
pub type Started = Result<String, ()>;

/// The starts of this process, kept a while so that a donor's waiting page finds theirs.
pub struct Checkouts {
    starting: moka::sync::Cache<String, Start>,
}

/// A start in progress or done: its result, and about when it was expected to be ready
/// (from the line's length when it joined), so a waiting donor is told how long is left.
#[derive(Clone)]
struct Start {
    result: watch::Receiver<Option<Started>>,
    ready_by: tokio::time::Instant,
}

impl Default for Checkouts {
    fn default() -> Self {
        Self::new()
    }
}

impl Checkouts {
    pub fn new() -> Checkouts {
        Checkouts {
            starting: moka::sync::Cache::builder()
                .max_capacity(200_000)
                .time_to_live(Duration::from_secs(3600))
                .build(),
        }
    }

    /// The donation's start: begun now unless it already was.
    /// `expected`: how long the line is expected to take now.
    pub fn start(
        &self,
        with: &Starter,
        id: &DonationId,
        wanted: Wanted,
        expected: Duration,
    ) -> watch::Receiver<Option<Started>> {
        self.starting
            .get_with(id.to_string(), || {
                let (tx, rx) = watch::channel(None);
                let (with, id) = (with.clone(), id.clone());
                actix_web::rt::spawn(async move {
                    let started = begin(&with, &id, &wanted).await;
                    let _ = tx.send(Some(started));
                });
                Start {
                    result: rx,
                    ready_by: tokio::time::Instant::now() + expected,
                }
            })
            .result
    }

    /// About how long is left before the donation's start, if it began here.
    pub fn time_left(&self, id: &DonationId) -> Option<Duration> {
        self.starting.get(id.as_str()).map(|s| {
            s.ready_by
                .saturating_duration_since(tokio::time::Instant::now())
        })
    }
}

/// Waits at most `wait` for a start's result.
pub async fn within(mut rx: watch::Receiver<Option<Started>>, wait: Duration) -> Option<Started> {
    let done = tokio::time::timeout(wait, rx.wait_for(Option::is_some)).await;
    match done {
        Ok(Ok(result)) => result.clone(),
        // The start's task ended without a result (it cannot: it always sends).
        Ok(Err(_)) => Some(Err(())),
        Err(_) => None,
    }
}

/// What the donor asked for, as the checkout shows it.
pub struct Wanted {
    pub amount: Money,
    pub lang: Lang,
    pub fund: String,
    /// The donor's email, when they gave one (a gateway may fill in its page with it).
    pub email: Option<String>,
}

/// What starting a checkout needs.
#[derive(Clone)]
pub struct Starter {
    pub settings: Arc<Settings>,
    pub ledger: Ledger,
    pub gateway: ActiveGateway,
}

impl Starter {
    /// Whether a donation can be paid through the gateway running now: one recorded under
    /// another gateway or mode (test or live money) never is, as its return and webhook
    /// could not be verified here (paid, never counted).
    pub fn takes(&self, row: &DonationRow) -> bool {
        let live_now = !self.settings.test_mode();
        row.gateway == self.gateway.get().name() && row.live == live_now
    }
}

/// Asks the gateway for the checkout and records where the donor pays.
async fn begin(state: &Starter, id: &DonationId, wanted: &Wanted) -> Started {
    let (amount, lang, fund) = (wanted.amount, wanted.lang, wanted.fund.as_str());
    let settings = &state.settings;
    let gateway = state.gateway.get();
    // Named only when donors choose: with one fund the checkout is what it was.
    let fund_label = settings
        .fund(fund)
        .filter(|_| settings.fund_choice())
        .map(|f| f.label(lang));
    let checkout = gateway
        .create_checkout(&CheckoutRequest {
            id,
            amount,
            lang,
            campaign_name: &Strings::of(lang).campaign,
            fund,
            fund_label,
            email: wanted.email.as_deref(),
            callback_base: settings.callback_base(),
            site_url: &settings.public_url,
        })
        .await;
    let checkout = match checkout {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!(donation = %id, error = %e, "checkout not started");
            if let Err(e) = state.ledger.fail_checkout(id, &e.to_string()).await {
                tracing::error!(donation = %id, error = %e, "could not mark the donation failed");
            }
            return Err(());
        }
    };
    // A reference the gateway derives from the id needs no write (the sandbox's).
    if gateway.reference_for(id).as_deref() != Some(checkout.gateway_ref.as_str())
        && let Err(e) = state
            .ledger
            .set_checkout(id, &checkout.gateway_ref, &checkout.url)
            .await
    {
        tracing::error!(donation = %id, error = %e, "checkout reference not recorded");
        return Err(());
    }
    tracing::info!(donation = %id, amount_minor = amount.minor(), lang = lang.code(), "donation started");
    Ok(checkout.url)
}
