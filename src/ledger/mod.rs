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
mod expire;
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
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

use crate::donation::{DonationId, PaymentResult, Status};
use crate::kept::MoneyNotice;
use crate::total::{LiveTotal, TotalSnapshot};
pub use read::{DonationRow, ExportRow};
pub use reconcile::{PendingCheckout, ReconcileRun, ReconcileStart, ReconcileSummary};
pub use refunds::{Intended, RefundIntent};
use sql::{Db, DbError, SharedSource};
pub use stats::{AfterPayment, Bucket, DAY_MS, HOUR_MS, LedgerStats, Tally};

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
        let (raised, count) =
            read::succeeded_total(db.as_mut(), &scope).map_err(OpenError::Total)?;
        let outside = read::succeeded_outside(db.as_mut(), &scope).map_err(OpenError::Total)?;
        if outside > 0 {
            tracing::warn!(
                left_out = outside,
                mode = scope.mode(),
                "{outside} succeeded donation(s) of another mode are in the ledger and left out of the total: the public total counts only {} money",
                scope.mode()
            );
        }
        let total = Arc::new(LiveTotal::new(TotalSnapshot {
            raised_minor: raised,
            donations: count,
            updated_at: time::OffsetDateTime::now_utc(),
            version: 1,
        }));
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

    /// Records a new pending donation; returns once it is committed.
    pub async fn create(&self, donation: NewDonation) -> Result<Created, LedgerError> {
        let created = self
            .write(writer::Op::Create(donation), |r| match r {
                writer::Reply::Created(c) => Some(c),
                _ => None,
            })
            .await?;
        if created == Created::Recorded {
            crate::metrics::inc(&crate::metrics::get().donations_created);
        }
        Ok(created)
    }

    /// Stores the gateway's reference for a donation (the checkout session id) and where
    /// its donor pays.
    pub async fn set_checkout(
        &self,
        id: &DonationId,
        gateway_ref: &str,
        url: &str,
    ) -> Result<(), LedgerError> {
        self.write_done(writer::Op::SetGatewayRef {
            id: id.to_string(),
            gateway_ref: gateway_ref.to_owned(),
            url: url.to_owned(),
        })
        .await
    }

    /// Marks a pending donation failed because its checkout could not be started.
    pub async fn fail_checkout(&self, id: &DonationId, reason: &str) -> Result<(), LedgerError> {
        self.write_done(writer::Op::FailCheckout {
            id: id.to_string(),
            reason: reason.to_owned(),
        })
        .await?;
        crate::metrics::inc(&crate::metrics::get().donations_failed);
        Ok(())
    }

    /// Applies a refund or dispute notice a gateway has verified; returns once committed.
    pub async fn apply_money(&self, notice: MoneyNotice) -> Result<MoneyApplied, LedgerError> {
        self.write(writer::Op::Money(notice), |r| match r {
            writer::Reply::Money(m) => Some(m),
            _ => None,
        })
        .await
    }

    /// Applies a verified payment result exactly once; answers after the commit.
    pub async fn apply(&self, callback: PaymentResult) -> Result<Applied, LedgerError> {
        let applied = self
            .write(writer::Op::Apply(callback), |r| match r {
                writer::Reply::Applied(a) => Some(a),
                _ => None,
            })
            .await?;
        if let Applied::Done {
            status,
            changed: true,
            ..
        } = &applied
        {
            let m = crate::metrics::get();
            match status {
                Status::Succeeded => crate::metrics::inc(&m.donations_succeeded),
                Status::Failed => crate::metrics::inc(&m.donations_failed),
                _ => {}
            }
        }
        Ok(applied)
    }

    /// Expires donations still pending after `ttl`; returns how many.
    pub async fn expire_pending(&self, ttl: Duration) -> Result<u64, LedgerError> {
        let cutoff = now_ms() - i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX / 2);
        self.write(
            writer::Op::ExpireBefore { cutoff_ms: cutoff },
            |r| match r {
                writer::Reply::Count(n) => Some(n),
                _ => None,
            },
        )
        .await
    }

    /// Returns the setting, storing `proposed` first when it has none.
    pub async fn setting_or_insert(
        &self,
        key: &str,
        proposed: &str,
    ) -> Result<String, LedgerError> {
        self.write(
            writer::Op::SettingOrInsert {
                key: key.to_owned(),
                value: proposed.to_owned(),
            },
            |r| match r {
                writer::Reply::Value(v) => Some(v),
                _ => None,
            },
        )
        .await
    }

    /// One donation, by id.
    pub async fn donation(&self, id: &DonationId) -> Result<DonationRow, LedgerError> {
        let id = id.to_string();
        self.reads
            .run(move |conn| read::donation(conn, &id))
            .await?
            .ok_or(LedgerError::NotFound)
    }

    /// The donation a gateway's reference (e.g. a checkout session id) belongs to.
    pub async fn donation_by_gateway_ref(
        &self,
        gateway: &str,
        gateway_ref: &str,
    ) -> Result<DonationRow, LedgerError> {
        let (gateway, gateway_ref) = (gateway.to_owned(), gateway_ref.to_owned());
        self.reads
            .run(move |conn| read::donation_by_gateway_ref(conn, &gateway, &gateway_ref))
            .await?
            .ok_or(LedgerError::NotFound)
    }

    /// Sum and count of succeeded donations, straight from the database.
    pub async fn ledger_total(&self) -> Result<(i64, u64), LedgerError> {
        let scope = self.scope.clone();
        self.reads
            .run(move |conn| read::succeeded_total(conn, &scope))
            .await
    }

    /// The figures the admin pages are computed from, as of `now_ms`.
    pub async fn stats(&self, now_ms: i64) -> Result<LedgerStats, LedgerError> {
        let scope = self.scope.clone();
        self.reads
            .run(move |conn| stats::stats(conn, now_ms, &scope))
            .await
    }

    /// Up to `limit` donations after `after_rowid` (0 to start), for the admin export.
    pub async fn export_page(
        &self,
        after_rowid: i64,
        limit: i64,
    ) -> Result<Vec<ExportRow>, LedgerError> {
        self.reads
            .run(move |conn| read::export_page(conn, after_rowid, limit))
            .await
    }

    /// Where `gateway`'s next reconciliation starts.
    pub async fn reconcile_start(
        &self,
        gateway: &'static str,
    ) -> Result<ReconcileStart, LedgerError> {
        self.reads
            .run(move |conn| reconcile::start(conn, gateway))
            .await
    }

    /// Up to `limit` of `gateway`'s checkouts still pending, in the running mode, created
    /// after `after` and before `before_ms`, oldest first.
    pub async fn pending_checkouts(
        &self,
        gateway: &'static str,
        after: Option<(i64, String)>,
        before_ms: i64,
        limit: i64,
    ) -> Result<Vec<PendingCheckout>, LedgerError> {
        let scope = self.scope.clone();
        self.reads
            .run(move |conn| {
                reconcile::pending(conn, gateway, &scope, after.as_ref(), before_ms, limit)
            })
            .await
    }

    /// Records a reconciliation run; returns once committed.
    pub async fn record_reconcile(&self, run: ReconcileRun) -> Result<(), LedgerError> {
        self.write_done(writer::Op::RecordReconcile(run)).await
    }

    /// A donation's receipt; `NotFound` until it has succeeded.
    pub async fn receipt(&self, id: &str) -> Result<Receipt, LedgerError> {
        let id = id.to_owned();
        self.reads
            .run(move |conn| outbox::receipt(conn, &id))
            .await?
            .ok_or(LedgerError::NotFound)
    }

    /// Claims up to `limit` messages due to be sent, for `lease`: another server does not
    /// send them meanwhile. An idle outbox costs one read, no write.
    pub async fn claim_outbox(
        &self,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<Outgoing>, LedgerError> {
        let now = now_ms();
        if !self
            .reads
            .run(move |conn| outbox::any_due(conn, now))
            .await?
        {
            return Ok(Vec::new());
        }
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 4);
        self.write(
            writer::Op::ClaimOutbox {
                now_ms: now,
                lease_ms,
                limit,
            },
            |r| match r {
                writer::Reply::Outbox(o) => Some(o),
                _ => None,
            },
        )
        .await
    }

    /// Records how an attempt to send message `seq` ended; returns once committed.
    pub async fn record_attempt(&self, seq: i64, attempt: Attempt) -> Result<(), LedgerError> {
        self.write_done(writer::Op::RecordAttempt { seq, attempt })
            .await
    }

    /// At the start of the only server of a SQLite ledger, frees the messages a crash left
    /// claimed, so they go out at once; on PostgreSQL claims simply run out.
    pub async fn release_claims(&self) -> Result<u64, LedgerError> {
        if self.shared {
            return Ok(0);
        }
        self.write(writer::Op::ReleaseClaims, |r| match r {
            writer::Reply::Count(n) => Some(n),
            _ => None,
        })
        .await
    }

    /// Queues a donation's receipt again, to `to` (kept as its address) or its own.
    pub async fn resend_receipt(
        &self,
        id: &DonationId,
        to: Option<String>,
    ) -> Result<Resent, LedgerError> {
        self.write(
            writer::Op::Resend {
                id: id.to_string(),
                to,
            },
            |r| match r {
                writer::Reply::Resent(r) => Some(r),
                _ => None,
            },
        )
        .await
    }

    /// The outbox's counts and its latest `limit` waiting and sent messages.
    pub async fn outbox(&self, limit: i64) -> Result<OutboxSummary, LedgerError> {
        self.reads
            .run(move |conn| outbox::summary(conn, limit))
            .await
    }

    /// Number of donations in each status.
    pub async fn count_by_status(&self) -> Result<Vec<(Status, u64)>, LedgerError> {
        self.reads.run(read::count_by_status).await
    }
}

/// Reads the admin figures straight from a ledger, read-only and (for a file) without
/// taking the server's lock, so an operator can run it next to running servers.
pub fn read_stats(
    location: &Location,
    now_ms: i64,
    scope: &Scope,
) -> Result<LedgerStats, LedgerError> {
    if let Location::File(path) = location
        && !path.is_file()
    {
        return Err(LedgerError::Missing(path.to_path_buf()));
    }
    let mut db = location.source().connect(true)?;
    Ok(stats::stats(db.as_mut(), now_ms, scope)?)
}

pub(crate) fn now_ms() -> i64 {
    let now = time::OffsetDateTime::now_utc();
    i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(0)
}

#[cfg(test)]
mod tests;
