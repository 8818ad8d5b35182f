//! What reconciliation reads and records: the pending checkouts to ask the gateway
//! about, where the last run stopped, and each run's record.

use rusqlite::{Connection, OptionalExtension, params};

use super::Scope;

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

pub fn start(conn: &Connection, gateway: &str) -> rusqlite::Result<ReconcileStart> {
    let sessions_after = conn
        .prepare_cached(
            "SELECT sessions_until_at, sessions_until_id FROM reconcile_runs
             WHERE gateway = ?1 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([gateway], |r| {
            let at: Option<i64> = r.get(0)?;
            let id: Option<String> = r.get(1)?;
            Ok(at.zip(id))
        })
        .optional()?
        .flatten();
    let events_since = conn
        .prepare_cached(
            "SELECT events_since FROM reconcile_runs
             WHERE gateway = ?1 AND events_since IS NOT NULL ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([gateway], |r| r.get(0))
        .optional()?;
    let oldest_ms = conn
        .prepare_cached("SELECT MIN(created_at) FROM donations WHERE gateway = ?1")?
        .query_row([gateway], |r| r.get(0))?;
    Ok(ReconcileStart {
        sessions_after,
        events_since,
        oldest_ms,
    })
}

/// Up to `limit` donations of `gateway` in the scope's mode still pending, created after
/// `after` and before `before_ms`, oldest first.
pub fn pending(
    conn: &Connection,
    gateway: &str,
    scope: &Scope,
    after: Option<&(i64, String)>,
    before_ms: i64,
    limit: i64,
) -> rusqlite::Result<Vec<PendingCheckout>> {
    let (after_at, after_id) = match after {
        Some((at, id)) => (*at, id.as_str()),
        None => (i64::MIN, ""),
    };
    let mut stmt = conn.prepare_cached(
        "SELECT id, gateway_ref, created_at FROM donations
         WHERE status = 'pending' AND gateway = ?1 AND live = ?2 AND gateway_ref IS NOT NULL
           AND (created_at, id) > (?3, ?4) AND created_at < ?5
         ORDER BY created_at, id LIMIT ?6",
    )?;
    let rows = stmt.query_map(
        params![gateway, scope.live, after_at, after_id, before_ms, limit],
        |r| {
            Ok(PendingCheckout {
                id: r.get(0)?,
                gateway_ref: r.get(1)?,
                created_at_ms: r.get(2)?,
            })
        },
    )?;
    rows.collect()
}

pub fn record(conn: &Connection, run: &ReconcileRun) -> rusqlite::Result<()> {
    let (until_at, until_id) = match &run.sessions_until {
        Some((at, id)) => (Some(*at), Some(id.as_str())),
        None => (None, None),
    };
    conn.prepare_cached(
        "INSERT INTO reconcile_runs (gateway, started_at, finished_at, sessions_checked,
             events_listed, healed, sessions_until_at, sessions_until_id, events_since, error)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        run.gateway,
        run.started_at_ms,
        run.finished_at_ms,
        run.sessions_checked as i64,
        run.events_listed as i64,
        run.healed as i64,
        until_at,
        until_id,
        run.events_since,
        run.error,
    ])?;
    Ok(())
}

pub fn summary(conn: &Connection) -> rusqlite::Result<ReconcileSummary> {
    let last = conn
        .prepare_cached(
            "SELECT gateway, started_at, finished_at, sessions_checked, events_listed, healed,
                    sessions_until_at, sessions_until_id, events_since, error
             FROM reconcile_runs ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([], |r| {
            let until_at: Option<i64> = r.get(6)?;
            let until_id: Option<String> = r.get(7)?;
            Ok(ReconcileRun {
                gateway: r.get(0)?,
                started_at_ms: r.get(1)?,
                finished_at_ms: r.get(2)?,
                sessions_checked: r.get::<_, i64>(3)?.max(0) as u64,
                events_listed: r.get::<_, i64>(4)?.max(0) as u64,
                healed: r.get::<_, i64>(5)?.max(0) as u64,
                sessions_until: until_at.zip(until_id),
                events_since: r.get(8)?,
                error: r.get(9)?,
            })
        })
        .optional()?;
    let (runs, healed_total): (i64, i64) = conn
        .prepare_cached("SELECT COUNT(*), COALESCE(SUM(healed), 0) FROM reconcile_runs")?
        .query_row([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(ReconcileSummary {
        last,
        runs: runs.max(0) as u64,
        healed_total: healed_total.max(0) as u64,
    })
}
