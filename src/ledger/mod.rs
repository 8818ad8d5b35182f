//! The donation ledger: an embedded SQLite database by default, or PostgreSQL shared by
//! several servers (`ledger.url`). Every SQL statement of the project lives in this
//! module, written once for both databases ([`sql`]); nothing outside it knows which one
//! runs.
//!
//! Writes go through one writer thread ([`writer`]) that groups whatever is waiting into
//! one transaction and answers each caller only after that transaction has committed;
//! HTTP workers never wait on a database lock. Reads use their own connections. On
//! PostgreSQL a listener ([`listen`]) keeps the total in step with the other servers.

mod after_payment;
mod apply;
mod donations;
mod expire;
mod export;
mod funds;
mod listen;
pub mod migrate;
mod migrations;
mod model;
pub mod offline;
mod open;
mod outbox;
pub mod postgres;
mod read;
mod reconcile;
mod refunds;
mod schema;
pub mod sql;
mod sqlite;
mod stats;
mod writer;
pub use model::{Applied, Created, MoneyApplied, NewDonation, Refundable, Scope};
pub use open::OpenError;
pub use outbox::{
    Attempt, MessageKind, OutboxRow, OutboxSummary, Outgoing, Receipt, Resent, receipt_label,
};
pub use writer::BATCH_MAX;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::total::{LiveTotal, TotalSnapshot};
pub use export::ExportRow;
pub use read::DonationRow;
pub use reconcile::{PendingCheckout, ReconcileRun, ReconcileStart, ReconcileSummary};
pub use refunds::{Intended, RefundIntent};
use sql::{Db, DbError, SharedSource};
pub use stats::{AfterPayment, Bucket, DAY_MS, FundStats, HOUR_MS, LedgerStats, Tally, read_stats};

/// Why the ledger could not do something.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The database cannot be written or read right now (disk full, I/O error, ...).
    /// Shared: one failed commit fails every write of its batch.
    #[error("the ledger is unavailable: {0}")]
    Unavailable(#[source] Arc<DbError>),
    /// The writer thread is gone; nothing more can be written.
    #[error("the ledger is unavailable: the ledger writer has stopped")]
    WriterStopped,
    #[error("the ledger is unavailable: read task failed: {0}")]
    ReadTask(#[source] tokio::task::JoinError),
    /// A ledger file to read (not the server's own) does not exist.
    #[error("the ledger is unavailable: no ledger at {}", .0.display())]
    Missing(PathBuf),
    #[error("no such donation")]
    NotFound,
    /// A write probe failed less than a second ago; not tried again so soon.
    #[error("the ledger is unavailable: it could not be written a moment ago")]
    RecentlyUnwritable,
}

impl From<DbError> for LedgerError {
    fn from(e: DbError) -> Self {
        LedgerError::Unavailable(Arc::new(e))
    }
}

impl From<rusqlite::Error> for LedgerError {
    fn from(e: rusqlite::Error) -> Self {
        LedgerError::from(DbError::from(e))
    }
}

/// Where a ledger is.
#[derive(Clone)]
pub enum Location {
    /// A SQLite file, written by this server alone.
    File(PathBuf),
    /// A PostgreSQL database, shared by any number of servers.
    Postgres(Arc<postgres::PgSource>),
}

impl Location {
    /// For messages and logs: never a password.
    pub fn describe(&self) -> String {
        self.source().describe()
    }

    fn source(&self) -> SharedSource {
        match self {
            Location::File(path) => Arc::new(sqlite::SqliteSource(path.clone())),
            Location::Postgres(source) => source.clone(),
        }
    }
}

impl std::fmt::Debug for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

/// How long a successful commit (or a failed probe) answers `/readyz`.
const READY_FOR_MS: i64 = 1000;

/// Handle to the ledger, cheap to clone.
#[derive(Clone)]
pub struct Ledger {
    tx: mpsc::Sender<writer::Job>,
    reads: Arc<read::ReadPool>,
    total: Arc<LiveTotal>,
    /// What the total and the figures count.
    scope: Scope,
    /// When the writer last committed, and last failed to.
    health: writer::WriteHealth,
    /// One probe at a time: callers meanwhile share its answer.
    probing: Arc<tokio::sync::Mutex<()>>,
    /// A SQLite ledger's lock, held for the life of the process: one server per file.
    _lock: Option<Arc<std::fs::File>>,
    /// Other servers share this ledger (PostgreSQL).
    shared: bool,
}

impl Ledger {
    /// Opens (creating folders and file when needed) and migrates the ledger, loads the
    /// total and starts the writer thread.
    pub fn open(path: &Path, scope: Scope) -> Result<Ledger, OpenError> {
        Ledger::open_at(&Location::File(path.to_path_buf()), BATCH_MAX, scope)
    }

    /// Opens (creating and migrating when needed) the ledger at `location`, with at most
    /// `batch_max` writes per transaction. Refuses a ledger whose counted money is in
    /// another currency than `scope`'s, and says how many succeeded donations the total
    /// leaves out (test money in a live run, or the reverse).
    pub fn open_at(
        location: &Location,
        batch_max: usize,
        scope: Scope,
    ) -> Result<Ledger, OpenError> {
        // PostgreSQL's blocking client runs its own small runtime: opening happens on a
        // thread of its own, so it may be called from async code (start-up, tests).
        std::thread::scope(|s| {
            s.spawn(|| Ledger::open_here(location, batch_max, scope))
                .join()
                .unwrap_or_else(|_| {
                    Err(OpenError::Writer(std::io::Error::other(
                        "opening the ledger panicked",
                    )))
                })
        })
    }

    fn open_here(location: &Location, batch_max: usize, scope: Scope) -> Result<Ledger, OpenError> {
        let (lock, mut db): (_, Box<dyn Db>) = match location {
            Location::File(path) => {
                let (lock, db) = open::for_writing(path)?;
                (Some(Arc::new(lock)), Box::new(db))
            }
            Location::Postgres(source) => (None, Box::new(open::for_writing_pg(source)?)),
        };
        open::refuse_other_currency(db.as_mut(), location, &scope)?;
        open::refuse_unlisted_funds(db.as_mut(), location, &scope)?;
        funds::settle(db.as_mut(), &scope).map_err(OpenError::Total)?;
        let by_fund = funds::succeeded_by_fund(db.as_mut(), &scope).map_err(OpenError::Total)?;
        let outside = read::succeeded_outside(db.as_mut(), &scope).map_err(OpenError::Total)?;
        if outside > 0 {
            tracing::warn!(
                left_out = outside,
                mode = scope.mode(),
                "{} of another mode {} in the ledger and left out of the total: the public total counts only {} money",
                crate::lang::english_count(outside, "succeeded donation", "succeeded donations"),
                if outside == 1 { "is" } else { "are" },
                scope.mode()
            );
        }
        let total = Arc::new(LiveTotal::new(TotalSnapshot::of(by_fund, 1)));
        let (tx, rx) = mpsc::channel(writer::QUEUE);
        let health = writer::WriteHealth::default();
        let source = location.source();
        let sink = match location {
            Location::File(_) => writer::TotalSink::Alone(total.clone()),
            Location::Postgres(pg) => {
                let follower = Arc::new(listen::Follower::new(total.clone()));
                listen::spawn(pg.clone(), Arc::downgrade(&follower), scope.clone())
                    .map_err(OpenError::Writer)?;
                writer::TotalSink::Shared(follower)
            }
        };
        writer::spawn(
            db,
            source.clone(),
            rx,
            sink,
            batch_max.clamp(1, BATCH_MAX),
            scope.clone(),
            health.clone(),
        )
        .map_err(OpenError::Writer)?;
        Ok(Ledger {
            tx,
            reads: Arc::new(read::ReadPool::new(source)),
            total,
            scope,
            health,
            probing: Arc::new(tokio::sync::Mutex::new(())),
            shared: matches!(location, Location::Postgres(_)),
            _lock: lock,
        })
    }

    /// Proves the ledger can be written right now: a real, committed write.
    pub async fn probe(&self) -> Result<(), LedgerError> {
        self.write_done(writer::Op::Probe).await
    }

    /// Whether the ledger takes writes, for `/readyz`: a commit within the last second
    /// (a donation's, or an earlier probe's) answers without writing; otherwise one probe
    /// runs and callers meanwhile share its answer. However often it is asked, it costs at
    /// most one durable write a second.
    pub async fn ready(&self) -> Result<(), LedgerError> {
        if self.health.written_within(READY_FOR_MS) {
            return Ok(());
        }
        let _one_at_a_time = self.probing.lock().await;
        if self.health.written_within(READY_FOR_MS) {
            return Ok(());
        }
        if self.health.failed_within(READY_FOR_MS) {
            return Err(LedgerError::RecentlyUnwritable);
        }
        // The writer records the probe's commit, or its failure.
        self.probe().await
    }

    /// The live total, updated by the writer after each commit that changes it.
    pub fn total(&self) -> &Arc<LiveTotal> {
        &self.total
    }

    async fn write<T>(
        &self,
        op: writer::Op,
        pick: fn(writer::Reply) -> Option<T>,
    ) -> Result<T, LedgerError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(writer::Job { op, reply })
            .await
            .map_err(|_| LedgerError::WriterStopped)?;
        let answer = rx.await.map_err(|_| LedgerError::WriterStopped)??;
        // Each operation has one kind of reply; another would be a writer bug.
        pick(answer).ok_or(LedgerError::WriterStopped)
    }

    /// A write whose only answer is that it committed.
    async fn write_done(&self, op: writer::Op) -> Result<(), LedgerError> {
        self.write(op, |r| match r {
            writer::Reply::Done => Some(()),
            _ => None,
        })
        .await
    }
}

pub(crate) fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

#[cfg(test)]
mod tests;
