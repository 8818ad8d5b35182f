//! The one thread that writes the ledger, with group commit: every job waiting when a
//! transaction starts goes into that transaction (each in its own savepoint, so one
//! failing job cannot undo the others), and each caller is answered only after the
//! commit that contains its write. `synchronous=FULL` makes a SQLite commit durable;
//! PostgreSQL's commit is durable with its default `synchronous_commit`. On PostgreSQL,
//! where other servers write too, a batch that conflicts with theirs is run again.

use std::sync::atomic::{AtomicI64, Ordering};

use tokio::sync::{mpsc, oneshot};

use super::apply::{Delta, apply_op};
use super::sql::{Db, DbError, SharedSource};
use super::{Applied, Created, LedgerError, MoneyApplied, NewDonation, Scope};
use crate::donation::PaymentResult;
use crate::kept::MoneyNotice;
use crate::total::LiveTotal;

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
    /// An admin's refund, recorded (or found) before the gateway is asked.
    IntendRefund {
        id: String,
        amount_minor: i64,
        form_n: Option<u64>,
    },
    /// The gateway refused refund `n` of donation `id`.
    RefundRefused {
        id: String,
        n: u64,
    },
    ExpireBefore {
        cutoff_ms: i64,
    },
    /// One pending donation that cannot be paid here (another gateway or mode).
    Expire {
        id: String,
        reason: String,
    },
    SettingOrInsert {
        key: String,
        value: String,
    },
    /// A small real write, to prove the ledger is writable.
    Probe,
    /// The record of a reconciliation run.
    RecordReconcile(super::reconcile::ReconcileRun),
    /// Due messages of the outbox, held by this server for `lease_ms`.
    ClaimOutbox {
        now_ms: i64,
        lease_ms: i64,
        limit: i64,
    },
    /// How sending a message ended.
    RecordAttempt {
        seq: i64,
        attempt: super::outbox::Attempt,
    },
    /// Frees messages claimed before a restart (one server per SQLite ledger).
    ReleaseClaims,
    /// A donation's receipt queued again, to `to` or its own address.
    Resend {
        id: String,
        to: Option<String>,
    },
}

impl Op {
    /// Whether the job may make a donation succeed, and so take a receipt number.
    fn may_number(&self) -> bool {
        matches!(self, Op::Apply(cb) if cb.outcome == crate::donation::Outcome::Paid)
    }
}

pub enum Reply {
    Done,
    Created(Created),
    Applied(Applied),
    Money(MoneyApplied),
    Intended(super::refunds::Intended),
    Count(u64),
    Value(String),
    Outbox(Vec<super::outbox::Outgoing>),
    Resent(super::outbox::Resent),
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

/// The most times a batch is run again after conflicting with another server's.
const CONFLICT_RETRIES: u32 = 12;

/// Where a commit's change of the total goes.
pub enum TotalSink {
    /// The server's own ledger: added to the total.
    Alone(std::sync::Arc<LiveTotal>),
    /// A ledger other servers write too: to the follower that also reads theirs.
    Shared(std::sync::Arc<super::listen::Follower>),
}

pub fn spawn(
    db: Box<dyn Db>,
    source: SharedSource,
    rx: mpsc::Receiver<Job>,
    live: TotalSink,
    batch_max: usize,
    scope: Scope,
    health: WriteHealth,
) -> std::io::Result<()> {
    let writer = Writer {
        db: Some(db),
        source,
        live,
        scope,
        health,
    };
    std::thread::Builder::new()
        .name("ledger-writer".into())
        .spawn(move || writer.run(rx, batch_max))
        .map(|_| ())
}

struct Writer {
    /// `None` after the connection was lost, until it is opened again.
    db: Option<Box<dyn Db>>,
    source: SharedSource,
    live: TotalSink,
    scope: Scope,
    health: WriteHealth,
}

impl Writer {
    fn run(mut self, mut rx: mpsc::Receiver<Job>, batch_max: usize) {
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
            let (results, delta) = self.commit(&batch);
            let ended = std::time::Instant::now();
            crate::metrics::get().ledger_write.observe(ended - started);
            self.health.record(results.iter().any(Result::is_ok));
            if delta.changed {
                match &self.live {
                    TotalSink::Alone(total) => total.add(&delta.funds),
                    TotalSink::Shared(follower) => follower.committed(started, ended, delta.funds),
                }
            }
            for (job, result) in batch.drain(..).zip(results) {
                // A caller that went away (client disconnected) does not matter: its
                // write is committed either way.
                let _ = job.reply.send(result);
            }
        }
    }

    /// Runs the batch in one transaction, again when it conflicted with another
    /// server's. A connection the database dropped while it sat idle (a restart, a
    /// failover) is found out by this batch: it runs once more on a new connection, so
    /// no donor sees an error once the database is back.
    fn commit(&mut self, batch: &[Job]) -> (Vec<Result<Reply, LedgerError>>, Delta) {
        let mut attempt = 0;
        loop {
            let (mut db, reused) = match self.db.take().filter(|db| db.is_usable()) {
                Some(db) => (db, true),
                None => match self.source.connect(false) {
                    Ok(db) => (db, false),
                    Err(e) => return fail_all(batch, e),
                },
            };
            let outcome = commit_batch(db.as_mut(), batch, &self.scope);
            let lost = outcome.as_ref().is_err_and(DbError::is_lost);
            if db.is_usable() && !lost {
                self.db = Some(db);
            }
            match outcome {
                Err(e) if e.is_conflict() && attempt < CONFLICT_RETRIES => {
                    attempt += 1;
                    crate::metrics::inc(&crate::metrics::get().ledger_conflicts);
                    let pause = 2u64.saturating_pow(attempt.min(8)) + rand::random_range(0..5);
                    std::thread::sleep(std::time::Duration::from_millis(pause));
                }
                Err(e) if lost && reused => {
                    tracing::info!(error = %e, "the ledger's connection was lost; reconnecting");
                }
                Err(e) => return fail_all(batch, e),
                Ok(done) => return done,
            }
        }
    }
}

/// Every job of a batch failed: nothing was committed or counted.
fn fail_all(batch: &[Job], e: DbError) -> (Vec<Result<Reply, LedgerError>>, Delta) {
    tracing::error!(error = %e, jobs = batch.len(), "ledger write failed");
    let e = std::sync::Arc::new(e);
    (
        batch
            .iter()
            .map(|_| Err(LedgerError::Unavailable(e.clone())))
            .collect(),
        Delta::default(),
    )
}

type Committed = (Vec<Result<Reply, LedgerError>>, Delta);

/// Runs the batch in one write transaction, each job in a savepoint so one refused job
/// leaves the others. An error that fails the transaction (the commit, a conflict, a
/// lost connection) fails the whole batch, and nothing is counted.
fn commit_batch(db: &mut dyn Db, batch: &[Job], scope: &Scope) -> Result<Committed, DbError> {
    db.begin_write()?;
    if db.dialect() == super::sql::Dialect::Postgres && batch.iter().any(|j| j.op.may_number()) {
        // Receipt numbers come from one counter row, in the transaction of the success
        // (no gaps). Taken before the transaction's snapshot (its first query), this lock
        // makes servers number one batch at a time; after the snapshot, each server's
        // increment would conflict with the others' and run its whole batch again. The
        // table locked is never written, so autovacuum never holds it.
        db.batch("LOCK TABLE receipt_numbering IN EXCLUSIVE MODE")?;
    }
    match run_jobs(db, batch, scope) {
        Ok(done) => {
            if done.1.changed {
                db.announce_total()?;
            }
            db.batch("COMMIT")?;
            Ok(done)
        }
        Err(e) => {
            if db.is_usable() {
                // The transaction is given up whole; should even the rollback fail, the
                // next batch's BEGIN says so.
                let _ = db.batch("ROLLBACK");
            }
            Err(e)
        }
    }
}

fn run_jobs(db: &mut dyn Db, batch: &[Job], scope: &Scope) -> Result<Committed, DbError> {
    let mut delta = Delta::default();
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        let mut job_delta = Delta::default();
        db.batch("SAVEPOINT job")?;
        match apply_op(db, &job.op, &mut job_delta, scope) {
            Ok(reply) => {
                db.batch("RELEASE job")?;
                delta.merge(job_delta);
                results.push(Ok(reply));
            }
            Err(e) if e.is_conflict() || e.is_lost() => return Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "ledger job refused");
                db.batch("ROLLBACK TO job; RELEASE job")?;
                results.push(Err(LedgerError::Unavailable(std::sync::Arc::new(e))));
            }
        }
    }
    Ok((results, delta))
}
