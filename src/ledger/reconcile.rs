//! What reconciliation reads and records: the pending checkouts to ask the gateway
//! about, where the last run stopped, and each run's record.

use super::Scope;
use super::sql::{Db, DbResult, args};
use super::{Ledger, LedgerError, writer};

/// Where the next reconciliation starts, from the runs before it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileStart {
    /// The last pending checkout the previous run asked about (created at, id): the next
    /// run goes on after it. `None`: from the oldest (the previous run went through all).
    pub sessions_after: Option<(i64, String)>,
    /// Unix seconds the event listing resumes from; `None` before any listing finished.
    pub events_since: Option<i64>,
    /// When the gateway's oldest donation was created (ms): where a first listing starts.
    pub oldest_ms: Option<i64>,
}

/// A pending checkout to ask the gateway about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCheckout {
    pub id: String,
    pub gateway_ref: String,
    pub created_at_ms: i64,
}

/// One run, as recorded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileRun {
    pub gateway: String,
    pub started_at_ms: i64,
    pub finished_at_ms: i64,
    pub sessions_checked: u64,
    pub events_listed: u64,
    /// Results and money events that changed the ledger.
    pub healed: u64,
    /// Where the next run goes on; `None` once this one went through every checkout.
    pub sessions_until: Option<(i64, String)>,
    /// Set only when the event listing finished.
    pub events_since: Option<i64>,
    pub error: Option<String>,
}

/// The latest run and what every run healed, for the admin figures.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileSummary {
    pub last: Option<ReconcileRun>,
    pub runs: u64,
    pub healed_total: u64,
}

pub fn start(db: &mut dyn Db, gateway: &str) -> DbResult<ReconcileStart> {
    let sessions_after = match db.query_opt(
        "SELECT sessions_until_at, sessions_until_id FROM reconcile_runs
         WHERE gateway = ?1 ORDER BY seq DESC LIMIT 1",
        args![gateway],
    )? {
        Some(r) => r.opt_int(0)?.zip(r.opt_text(1)?),
        None => None,
    };
    let events_since = match db.query_opt(
        "SELECT events_since FROM reconcile_runs
         WHERE gateway = ?1 AND events_since IS NOT NULL ORDER BY seq DESC LIMIT 1",
        args![gateway],
    )? {
        Some(r) => r.opt_int(0)?,
        None => None,
    };
    let oldest_ms = db
        .query_one(
            "SELECT MIN(created_at) FROM donations WHERE gateway = ?1",
            args![gateway],
        )?
        .opt_int(0)?;
    Ok(ReconcileStart {
        sessions_after,
        events_since,
        oldest_ms,
    })
}

/// Up to `limit` donations of `gateway` in the scope's mode still pending, created after
/// `after` and before `before_ms`, oldest first.
pub fn pending(
    db: &mut dyn Db,
    gateway: &str,
    scope: &Scope,
    after: Option<&(i64, String)>,
    before_ms: i64,
    limit: i64,
) -> DbResult<Vec<PendingCheckout>> {
    let (after_at, after_id) = match after {
        Some((at, id)) => (*at, id.as_str()),
        None => (i64::MIN, ""),
    };
    db.query(
        "SELECT id, gateway_ref, created_at FROM donations
         WHERE status = 'pending' AND gateway = ?1 AND live = ?2 AND gateway_ref IS NOT NULL
           AND (created_at, id) > (?3, ?4) AND created_at < ?5
         ORDER BY created_at, id LIMIT ?6",
        args![gateway, scope.live, after_at, after_id, before_ms, limit],
    )?
    .iter()
    .map(|r| {
        Ok(PendingCheckout {
            id: r.text(0)?,
            gateway_ref: r.text(1)?,
            created_at_ms: r.int(2)?,
        })
    })
    .collect()
}

pub fn record(db: &mut dyn Db, run: &ReconcileRun) -> DbResult<()> {
    let (until_at, until_id) = match &run.sessions_until {
        Some((at, id)) => (Some(*at), Some(id.as_str())),
        None => (None, None),
    };
    db.execute(
        "INSERT INTO reconcile_runs (gateway, started_at, finished_at, sessions_checked,
             events_listed, healed, sessions_until_at, sessions_until_id, events_since, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        args![
            &run.gateway,
            run.started_at_ms,
            run.finished_at_ms,
            run.sessions_checked as i64,
            run.events_listed as i64,
            run.healed as i64,
            until_at,
            until_id,
            run.events_since,
            &run.error,
        ],
    )?;
    Ok(())
}

pub fn summary(db: &mut dyn Db) -> DbResult<ReconcileSummary> {
    let last = db
        .query_opt(
            "SELECT gateway, started_at, finished_at, sessions_checked, events_listed, healed,
                    sessions_until_at, sessions_until_id, events_since, error
             FROM reconcile_runs ORDER BY seq DESC LIMIT 1",
            &[],
        )?
        .map(|r| {
            Ok::<_, super::sql::DbError>(ReconcileRun {
                gateway: r.text(0)?,
                started_at_ms: r.int(1)?,
                finished_at_ms: r.int(2)?,
                sessions_checked: r.count(3)?,
                events_listed: r.count(4)?,
                healed: r.count(5)?,
                sessions_until: r.opt_int(6)?.zip(r.opt_text(7)?),
                events_since: r.opt_int(8)?,
                error: r.opt_text(9)?,
            })
        })
        .transpose()?;
    let row = db.query_one(
        "SELECT COUNT(*), CAST(COALESCE(SUM(healed), 0) AS BIGINT) FROM reconcile_runs",
        &[],
    )?;
    Ok(ReconcileSummary {
        last,
        runs: row.count(0)?,
        healed_total: row.count(1)?,
    })
}

impl Ledger {
    /// Where `gateway`'s next reconciliation starts.
    pub async fn reconcile_start(
        &self,
        gateway: &'static str,
    ) -> Result<ReconcileStart, LedgerError> {
        self.reads.run(move |conn| start(conn, gateway)).await
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
            .run(move |conn| pending(conn, gateway, &scope, after.as_ref(), before_ms, limit))
            .await
    }

    /// Records a reconciliation run; returns once committed.
    pub async fn record_reconcile(&self, run: ReconcileRun) -> Result<(), LedgerError> {
        self.write_done(writer::Op::RecordReconcile(run)).await
    }
}
