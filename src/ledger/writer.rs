//! The one thread that writes the ledger, with group commit: every job waiting when a
//! transaction starts goes into that transaction (each in its own savepoint, so one
//! failing job cannot undo the others), and each caller is answered only after the
//! commit that contains its write. `synchronous=FULL` makes that commit durable.

use std::sync::atomic::{AtomicI64, Ordering};

use rusqlite::{Connection, TransactionBehavior};
use tokio::sync::{mpsc, oneshot};

use super::apply::{Delta, apply_op};
use super::{Applied, Created, LedgerError, MoneyApplied, NewDonation, Scope};
use crate::donation::PaymentResult;
use crate::kept::MoneyNotice;
use crate::total::{LiveTotal, TotalSnapshot};

/// How many jobs may wait for the writer before senders wait too.
pub const QUEUE: usize = 8192;
/// The most jobs one transaction takes (`ledger.batch_max` may lower it).
pub const BATCH_MAX: usize = 1024;

pub enum Op {
    Create(NewDonation),
    SetGatewayRef {
        id: String,
        gateway_ref: String,
        url: String,
    },
    FailCheckout {
        id: String,
        reason: String,
    },
    Apply(PaymentResult),
    /// A refund or dispute of a succeeded donation.
    Money(MoneyNotice),
    ExpireBefore {
        cutoff_ms: i64,
    },
    SettingOrInsert {
        key: String,
        value: String,
    },
    /// A small real write, to prove the ledger is writable.
    Probe,
    /// The record of a reconciliation run.
    RecordReconcile(super::reconcile::ReconcileRun),
}

pub enum Reply {
    Done,
    Created(Created),
    Applied(Applied),
    Money(MoneyApplied),
    Count(u64),
    Value(String),
}

pub struct Job {
    pub op: Op,
    pub reply: oneshot::Sender<Result<Reply, LedgerError>>,
}

/// When the writer last committed, and last failed to (unix ms): what `/readyz` answers
/// from without writing.
#[derive(Clone, Default)]
pub struct WriteHealth {
    pub last_commit_ms: std::sync::Arc<AtomicI64>,
    pub last_failure_ms: std::sync::Arc<AtomicI64>,
}

impl WriteHealth {
    fn record(&self, committed: bool) {
        let at = if committed {
            &self.last_commit_ms
        } else {
            &self.last_failure_ms
        };
        at.store(super::now_ms(), Ordering::Relaxed);
    }

    /// Whether the ledger was written within `ms`, with no failure since.
    pub fn written_within(&self, ms: i64) -> bool {
        let commit = self.last_commit_ms.load(Ordering::Relaxed);
        super::now_ms() - commit < ms && commit >= self.last_failure_ms.load(Ordering::Relaxed)
    }

    /// Whether the last write failed, within `ms`.
    pub fn failed_within(&self, ms: i64) -> bool {
        let failure = self.last_failure_ms.load(Ordering::Relaxed);
        super::now_ms() - failure < ms && failure > self.last_commit_ms.load(Ordering::Relaxed)
    }
}

/// The running total as the committed ledger has it.
struct Totals {
    raised: i64,
    count: u64,
    version: u64,
}

pub fn spawn(
    conn: Connection,
    rx: mpsc::Receiver<Job>,
    live: std::sync::Arc<LiveTotal>,
    batch_max: usize,
    scope: Scope,
    health: WriteHealth,
) -> std::io::Result<()> {
    let snapshot = live.load();
    let totals = Totals {
        raised: snapshot.raised_minor,
        count: snapshot.donations,
        version: snapshot.version,
    };
    std::thread::Builder::new()
        .name("ledger-writer".into())
        .spawn(move || run(conn, rx, live, totals, batch_max, scope, health))
        .map(|_| ())
}

fn run(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Job>,
    live: std::sync::Arc<LiveTotal>,
    mut totals: Totals,
    batch_max: usize,
    scope: Scope,
    health: WriteHealth,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(batch_max);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < batch_max {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        let (results, delta) = commit_batch(&mut conn, &batch, &scope);
        crate::metrics::get()
            .ledger_write
            .observe(started.elapsed());
        health.record(results.iter().any(Result::is_ok));
        if delta.changed {
            totals.raised += delta.raised;
            totals.count = totals.count.saturating_add_signed(delta.count);
            totals.version += 1;
            live.store(TotalSnapshot {
                raised_minor: totals.raised,
                donations: totals.count,
                updated_at: time::OffsetDateTime::now_utc(),
                version: totals.version,
            });
        }
        for (job, result) in batch.drain(..).zip(results) {
            // A caller that went away (client disconnected) does not matter: its write
            // is committed either way.
            let _ = job.reply.send(result);
        }
    }
}

/// Runs the batch in one immediate transaction. If the commit fails, every job fails and
/// nothing is counted.
fn commit_batch(
    conn: &mut Connection,
    batch: &[Job],
    scope: &Scope,
) -> (Vec<Result<Reply, LedgerError>>, Delta) {
    let fail_all = |e: rusqlite::Error| {
        tracing::error!(error = %e, jobs = batch.len(), "ledger write failed");
        let e = std::sync::Arc::new(e);
        (
            batch
                .iter()
                .map(|_| Err(LedgerError::Unavailable(e.clone())))
                .collect(),
            Delta::default(),
        )
    };
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return fail_all(e),
    };
    let mut delta = Delta::default();
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        let mut job_delta = Delta::default();
        let result = (|| {
            let sp = tx.savepoint()?;
            let reply = apply_op(&sp, &job.op, &mut job_delta, scope)?;
            sp.commit()?;
            Ok::<_, rusqlite::Error>(reply)
        })();
        match result {
            Ok(reply) => {
                delta.raised += job_delta.raised;
                delta.count += job_delta.count;
                delta.changed |= job_delta.changed;
                results.push(Ok(reply));
            }
            Err(e) => {
                tracing::warn!(error = %e, "ledger job refused");
                results.push(Err(LedgerError::from(e)));
            }
        }
    }
    match tx.commit() {
        Ok(()) => (results, delta),
        Err(e) => fail_all(e),
    }
}
