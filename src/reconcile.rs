//! Reconciliation: heals what a missed notification would lose. A webhook can fail to
//! arrive (an outage, a misconfigured endpoint) and a donor can close the tab before
//! coming back; the payment is then at the gateway but not in the ledger. A run:
//!
//! 1. asks the gateway about the checkouts still pending for longer than
//!    `reconcile_after`, oldest first, at most [`SESSIONS_PER_RUN`] a run and
//!    [`CALLS_PER_SECOND`], and applies what it reports; a run goes on where the last one
//!    stopped and, once through them all, the next starts again from the oldest (a donor
//!    may still pay a checkout that was open when it was last asked about);
//! 2. lists the gateway's events since the last run that finished its listing (with
//!    [`OVERLAP`] to spare) and applies each, deduplicated by event id exactly as
//!    webhooks are: one already applied, by either path, changes nothing;
//! 3. records when it ran and what it healed (`/admin/stats`, the dashboard, `/metrics`).
//!
//! Everything goes through the ledger's single writer, so a run is safe beside webhooks
//! and returns; runs of one process never overlap.

use std::sync::Arc;
use std::time::Duration;

use crate::config::ReconcileSettings;
use crate::gateway::{ActiveGateway, Gateway, GatewayError, Notification};
use crate::kept::MoneyNotice;
use crate::ledger::{Applied, Ledger, LedgerError, MoneyApplied, ReconcileRun, ReconcileStart};
use crate::metrics;

/// The most pending checkouts one run asks about; the next run continues after them.
pub const SESSIONS_PER_RUN: i64 = 500;
/// Calls to the gateway per second, well inside Stripe's 25 a second per endpoint, so
/// reconciliation never takes the donors' share of the rate limit.
pub const CALLS_PER_SECOND: u32 = 10;
/// How far before the last finished listing the next one starts: events created just
/// before a run may be listed only a moment later. Listed twice, they change nothing.
pub const OVERLAP: Duration = Duration::from_secs(600);
/// How far back a first listing goes at most (Stripe keeps events for 30 days).
const FIRST_LISTING_MAX: Duration = Duration::from_secs(30 * 24 * 3600);
/// The most event pages one run reads (100 events each).
const PAGES_MAX: usize = 5_000;

/// Runs reconciliation, one run at a time.
pub struct Reconciler {
    running: tokio::sync::Mutex<()>,
    after: Duration,
}

impl Reconciler {
    pub fn new(settings: &ReconcileSettings) -> Reconciler {
        Reconciler {
            running: tokio::sync::Mutex::new(()),
            after: settings.after,
        }
    }

    /// One run (after any run in progress); answers its record once it is committed.
    pub async fn run(
        &self,
        ledger: &Ledger,
        gateway: &dyn Gateway,
    ) -> Result<ReconcileRun, LedgerError> {
        let _one_at_a_time = self.running.lock().await;
        let m = metrics::get();
        let mut run = ReconcileRun {
            gateway: gateway.name().to_owned(),
            started_at_ms: crate::ledger::now_ms(),
            ..ReconcileRun::default()
        };
        let start = ledger.reconcile_start(gateway.name()).await?;
        let mut pace = tokio::time::interval(Duration::from_secs(1) / CALLS_PER_SECOND);
        pace.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let since = listing_since(&start, run.started_at_ms);
        let outcome = async {
            sessions(
                &mut run,
                start.sessions_after,
                self.after,
                ledger,
                gateway,
                &mut pace,
            )
            .await?;
            match since {
                Some(since) => events(&mut run, since, ledger, gateway, &mut pace).await,
                None => Ok(()),
            }
        }
        .await;
        match outcome {
            Ok(()) => run.events_since = Some(run.started_at_ms / 1000),
            Err(Stop::Gateway(e)) => {
                tracing::warn!(error = %e, "reconciliation stopped: the gateway could not be asked; the next run resumes");
                run.error = Some(e.to_string());
                metrics::inc(&m.reconcile_failures);
            }
            Err(Stop::Ledger(e)) => {
                tracing::error!(error = %e, "reconciliation stopped: the ledger could not be written");
                metrics::inc(&m.reconcile_failures);
                return Err(e);
            }
        }
        run.finished_at_ms = crate::ledger::now_ms();
        ledger.record_reconcile(run.clone()).await?;
        metrics::inc(&m.reconcile_runs);
        m.reconcile_healed
            .fetch_add(run.healed, std::sync::atomic::Ordering::Relaxed);
        tracing::info!(
            gateway = run.gateway,
            sessions_checked = run.sessions_checked,
            events_listed = run.events_listed,
            healed = run.healed,
            "reconciliation finished"
        );
        Ok(run)
    }
}

/// Unix seconds the event listing starts from: a little before where the last complete
/// listing ended; on a first run, a little before the gateway's oldest donation (at most
/// [`FIRST_LISTING_MAX`] back); `None` when nothing was ever taken, so no event can
/// concern this ledger.
fn listing_since(start: &ReconcileStart, now_ms: i64) -> Option<i64> {
    let overlap = OVERLAP.as_secs() as i64;
    match (start.events_since, start.oldest_ms) {
        (Some(since), _) => Some(since - overlap),
        (None, Some(oldest_ms)) => Some(
            (oldest_ms / 1000 - overlap).max(now_ms / 1000 - FIRST_LISTING_MAX.as_secs() as i64),
        ),
        (None, None) => None,
    }
}

/// Why a run stopped early.
enum Stop {
    Gateway(GatewayError),
    Ledger(LedgerError),
}

impl From<LedgerError> for Stop {
    fn from(e: LedgerError) -> Self {
        Stop::Ledger(e)
    }
}

/// Step 1: the checkouts pending for longer than `after`, asked about one by one.
async fn sessions(
    run: &mut ReconcileRun,
    mut cursor: Option<(i64, String)>,
    after: Duration,
    ledger: &Ledger,
    gateway: &dyn Gateway,
    pace: &mut tokio::time::Interval,
) -> Result<(), Stop> {
    let before_ms = run.started_at_ms - i64::try_from(after.as_millis()).unwrap_or(i64::MAX / 2);
    let mut left = SESSIONS_PER_RUN;
    loop {
        if left == 0 {
            // The next run goes on from here.
            run.sessions_until = cursor;
            return Ok(());
        }
        let batch = ledger
            .pending_checkouts(gateway.name(), cursor.clone(), before_ms, left.min(100))
            .await?;
        if batch.is_empty() {
            // Through them all: the next run starts from the oldest again.
            run.sessions_until = None;
            return Ok(());
        }
        for pending in batch {
            left -= 1;
            pace.tick().await;
            match gateway.lookup(&pending.gateway_ref).await {
                Ok(Some(result)) => {
                    if let Applied::Done {
                        changed: true,
                        status,
                        ..
                    } = ledger.apply(result).await?
                    {
                        tracing::info!(donation = %pending.id, %status, "reconciliation recorded a payment result no notification had brought");
                        run.healed += 1;
                    }
                }
                Ok(None) => {}
                Err(GatewayError::Rejected(why)) => {
                    tracing::warn!(donation = %pending.id, %why, "reconciliation: the gateway does not know this checkout");
                }
                Err(e) => return Err(Stop::Gateway(e)),
            }
            run.sessions_checked += 1;
            cursor = Some((pending.created_at_ms, pending.id));
            // Recorded as it goes: a run the gateway stops resumes after this one.
            run.sessions_until = cursor.clone();
        }
    }
}

/// Step 2: the gateway's events since `since`, page by page, each applied once.
async fn events(
    run: &mut ReconcileRun,
    since: i64,
    ledger: &Ledger,
    gateway: &dyn Gateway,
    pace: &mut tokio::time::Interval,
) -> Result<(), Stop> {
    // Money events for payments not known yet: listed newest first, a refund can come
    // before the payment it refunds. Tried again once the listing is done.
    let mut later: Vec<MoneyNotice> = Vec::new();
    let mut after: Option<String> = None;
    for _ in 0..PAGES_MAX {
        pace.tick().await;
        let page = gateway
            .events(since, after.as_deref())
            .await
            .map_err(Stop::Gateway)?;
        run.events_listed += page.listed as u64;
        for notification in page.notifications {
            match notification {
                Notification::Apply(result) => {
                    if let Applied::Done { changed: true, .. } = ledger.apply(result).await? {
                        run.healed += 1;
                    }
                }
                Notification::Money(notice) => {
                    if let Some(unknown) = money(run, ledger, notice).await? {
                        later.push(unknown);
                    }
                }
                Notification::Ignore => {}
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    for notice in later {
        if money(run, ledger, notice).await?.is_some() {
            tracing::warn!(
                "reconciliation: a refund or dispute names a payment this ledger does not know; left as it is"
            );
        }
    }
    Ok(())
}

/// Applies a money notice; gives it back when its payment is not known (yet).
async fn money(
    run: &mut ReconcileRun,
    ledger: &Ledger,
    notice: MoneyNotice,
) -> Result<Option<MoneyNotice>, LedgerError> {
    let retry = notice.clone();
    match ledger.apply_money(notice).await? {
        MoneyApplied::Done {
            id, changed: true, ..
        } => {
            tracing::info!(donation = %id, "reconciliation recorded a refund or dispute no notification had brought");
            run.healed += 1;
            Ok(None)
        }
        MoneyApplied::UnknownPayment => Ok(Some(retry)),
        _ => Ok(None),
    }
}

/// Runs reconciliation every `every` in the background (the first run soon after
/// start, to heal what was missed while the server was down).
pub fn spawn(reconciler: Arc<Reconciler>, ledger: Ledger, gateway: ActiveGateway, every: Duration) {
    actix_web::rt::spawn(async move {
        let first = every.min(Duration::from_secs(60));
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + first, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = reconciler.run(&ledger, gateway.get()).await {
                tracing::warn!(error = %e, "reconciliation did not run");
            }
        }
    });
}
