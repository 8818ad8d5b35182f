//! Reads, on their own connections, off the async workers.

use std::path::PathBuf;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension};

use super::{LedgerError, open};
use crate::donation::Status;
use crate::lang::Lang;

/// A donation as stored.
#[derive(Debug, Clone)]
pub struct DonationRow {
    pub id: String,
    pub amount_minor: i64,
    pub currency: String,
    pub status: Status,
    pub gateway: String,
    pub gateway_ref: Option<String>,
    pub lang: Lang,
    pub created_at_ms: i64,
}

/// A few read-only connections, opened on demand and reused.
pub struct ReadPool {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

const MAX_IDLE: usize = 4;

impl ReadPool {
    pub fn new(path: PathBuf) -> ReadPool {
        ReadPool {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `f` on a pooled connection in the blocking thread pool.
    pub async fn run<T, F>(self: &std::sync::Arc<Self>, f: F) -> Result<T, LedgerError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
    {
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            let conn = match pool.idle.lock().unwrap_or_else(|e| e.into_inner()).pop() {
                Some(c) => c,
                None => open::connection(&pool.path, true)?,
            };
            let result = f(&conn);
            let mut idle = pool.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
            Ok(result?)
        })
        .await
        .map_err(LedgerError::ReadTask)?
    }
}

pub fn succeeded_total(conn: &Connection) -> rusqlite::Result<(i64, u64)> {
    conn.query_row(
        "SELECT COALESCE(SUM(amount_minor), 0), COUNT(*) FROM donations WHERE status = 'succeeded'",
        [],
        |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)),
    )
}

/// The figures `fundraiser backup` and `check` report.
pub fn summary(conn: &Connection) -> rusqlite::Result<super::offline::Summary> {
    let (raised_minor, succeeded) = succeeded_total(conn)?;
    let count = |sql: &str| conn.query_row(sql, [], |r| r.get::<_, i64>(0).map(|n| n as u64));
    Ok(super::offline::Summary {
        schema_version: conn.query_row("PRAGMA user_version", [], |r| r.get(0))?,
        donations: count("SELECT COUNT(*) FROM donations")?,
        succeeded,
        raised_minor,
        events: count("SELECT COUNT(*) FROM events")?,
    })
}

pub fn count_by_status(conn: &Connection) -> rusqlite::Result<Vec<(Status, u64)>> {
    let mut stmt = conn.prepare_cached("SELECT status, COUNT(*) FROM donations GROUP BY status")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
    let mut out: Vec<(Status, u64)> = Status::ALL.iter().map(|&s| (s, 0)).collect();
    for row in rows {
        let (status, n) = row?;
        if let Some(slot) = out.iter_mut().find(|(s, _)| s.as_str() == status) {
            slot.1 = n as u64;
        }
    }
    Ok(out)
}

pub fn donation(conn: &Connection, id: &str) -> rusqlite::Result<Option<DonationRow>> {
    conn.prepare_cached(
        "SELECT id, amount_minor, currency, status, gateway, gateway_ref, lang, created_at
         FROM donations WHERE id = ?1",
    )?
    .query_row([id], row_to_donation)
    .optional()
}

pub fn donation_by_gateway_ref(
    conn: &Connection,
    gateway: &str,
    gateway_ref: &str,
) -> rusqlite::Result<Option<DonationRow>> {
    conn.prepare_cached(
        "SELECT id, amount_minor, currency, status, gateway, gateway_ref, lang, created_at
         FROM donations WHERE gateway = ?1 AND gateway_ref = ?2",
    )?
    .query_row([gateway, gateway_ref], row_to_donation)
    .optional()
}

pub(super) fn row_to_donation(r: &rusqlite::Row<'_>) -> rusqlite::Result<DonationRow> {
    let status: String = r.get(3)?;
    let lang: String = r.get(6)?;
    Ok(DonationRow {
        id: r.get(0)?,
        amount_minor: r.get(1)?,
        currency: r.get(2)?,
        status: Status::parse(&status).unwrap_or(Status::Pending),
        gateway: r.get(4)?,
        gateway_ref: r.get(5)?,
        lang: Lang::from_code(&lang).unwrap_or(Lang::En),
        created_at_ms: r.get(7)?,
    })
}

/// Count and amount of some donations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    pub amount_minor: i64,
}

/// One hour or day: donations created in it, and the succeeded ones among them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Bucket {
    /// Start of the period, unix ms (UTC).
    pub start_ms: i64,
    pub created: u64,
    pub succeeded: Tally,
}

/// Everything the admin figures are computed from.
#[derive(Debug, Clone, Default)]
pub struct LedgerStats {
    /// In [`Status::ALL`] order.
    pub by_status: Vec<(Status, Tally)>,
    /// Language code, every donation created in it, and the succeeded ones.
    pub by_lang: Vec<(String, u64, Tally)>,
    /// Succeeded donations as (created_at ms, amount), oldest first.
    pub succeeded: Vec<(i64, i64)>,
    /// The 48 hours up to and including the current one, oldest first.
    pub per_hour: Vec<Bucket>,
    /// Every UTC day from the first donation's to today, oldest first.
    pub per_day: Vec<Bucket>,
    pub first_created_ms: Option<i64>,
    pub last_succeeded_ms: Option<i64>,
    pub last_created_ms: Option<i64>,
}

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 86_400_000;
/// The most days `per_day` lists (about three years).
const MAX_DAYS: i64 = 1100;

pub fn stats(conn: &Connection, now_ms: i64) -> rusqlite::Result<LedgerStats> {
    let mut out = LedgerStats {
        by_status: Status::ALL.iter().map(|&s| (s, Tally::default())).collect(),
        ..LedgerStats::default()
    };
    let tx = conn.unchecked_transaction()?;
    {
        let mut stmt = tx.prepare_cached(
            "SELECT status, COUNT(*), COALESCE(SUM(amount_minor), 0) FROM donations GROUP BY status",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, i64>(2)?,
            ))
        })?;
        for row in rows {
            let (status, n, sum) = row?;
            if let Some(slot) = out.by_status.iter_mut().find(|(s, _)| s.as_str() == status) {
                slot.1 = Tally {
                    count: n as u64,
                    amount_minor: sum,
                };
            }
        }
    }
    {
        let mut stmt = tx.prepare_cached(
            "SELECT lang, COUNT(*),
                    COALESCE(SUM(status = 'succeeded'), 0),
                    COALESCE(SUM(CASE WHEN status = 'succeeded' THEN amount_minor ELSE 0 END), 0)
             FROM donations GROUP BY lang ORDER BY lang",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)? as u64,
                Tally {
                    count: r.get::<_, i64>(2)? as u64,
                    amount_minor: r.get(3)?,
                },
            ))
        })?;
        for row in rows {
            out.by_lang.push(row?);
        }
    }
    {
        let mut stmt = tx.prepare_cached(
            "SELECT created_at, amount_minor FROM donations WHERE status = 'succeeded'
             ORDER BY created_at",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            out.succeeded.push(row?);
        }
    }
    let (first, last): (Option<i64>, Option<i64>) = tx.query_row(
        "SELECT MIN(created_at), MAX(created_at) FROM donations",
        [],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    out.first_created_ms = first;
    out.last_created_ms = last;
    out.last_succeeded_ms = out.succeeded.iter().map(|&(at, _)| at).max();

    let this_hour = now_ms.div_euclid(HOUR_MS) * HOUR_MS;
    let from = this_hour - 47 * HOUR_MS;
    out.per_hour = (0..48)
        .map(|i| Bucket {
            start_ms: from + i * HOUR_MS,
            ..Bucket::default()
        })
        .collect();
    fill_buckets(&tx, from, HOUR_MS, &mut out.per_hour)?;

    if let Some(first) = first {
        let today = now_ms.div_euclid(DAY_MS) * DAY_MS;
        let first_day = (first.div_euclid(DAY_MS) * DAY_MS).max(today - (MAX_DAYS - 1) * DAY_MS);
        let days = ((today - first_day) / DAY_MS + 1).max(1);
        out.per_day = (0..days)
            .map(|i| Bucket {
                start_ms: first_day + i * DAY_MS,
                ..Bucket::default()
            })
            .collect();
        fill_buckets(&tx, first_day, DAY_MS, &mut out.per_day)?;
    }
    tx.finish()?;
    Ok(out)
}

/// Counts donations created from `from` on into buckets of `width` ms.
fn fill_buckets(
    conn: &Connection,
    from: i64,
    width: i64,
    buckets: &mut [Bucket],
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(
        "SELECT (created_at - ?1) / ?2 AS slot, COUNT(*),
                COALESCE(SUM(status = 'succeeded'), 0),
                COALESCE(SUM(CASE WHEN status = 'succeeded' THEN amount_minor ELSE 0 END), 0)
         FROM donations WHERE created_at >= ?1 GROUP BY slot",
    )?;
    let rows = stmt.query_map([from, width], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
            r.get::<_, i64>(3)?,
        ))
    })?;
    for row in rows {
        let (slot, created, n, sum) = row?;
        if let Some(b) = usize::try_from(slot).ok().and_then(|i| buckets.get_mut(i)) {
            b.created = created as u64;
            b.succeeded = Tally {
                count: n as u64,
                amount_minor: sum,
            };
        }
    }
    Ok(())
}

/// A donation as the admin export shows it, donor details included.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub rowid: i64,
    pub id: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub status: String,
    pub amount_minor: i64,
    pub currency: String,
    pub lang: String,
    pub gateway: String,
    pub gateway_ref: Option<String>,
    pub donor_name: Option<String>,
    pub donor_email: Option<String>,
    pub anonymous: bool,
}

/// Up to `limit` donations after `after_rowid`, in insertion order.
pub fn export_page(
    conn: &Connection,
    after_rowid: i64,
    limit: i64,
) -> rusqlite::Result<Vec<ExportRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT rowid, id, created_at, updated_at, status, amount_minor, currency, lang, gateway,
                gateway_ref, donor_name, donor_email, anonymous
         FROM donations WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
    )?;
    let rows = stmt.query_map([after_rowid, limit], |r| {
        Ok(ExportRow {
            rowid: r.get(0)?,
            id: r.get(1)?,
            created_at_ms: r.get(2)?,
            updated_at_ms: r.get(3)?,
            status: r.get(4)?,
            amount_minor: r.get(5)?,
            currency: r.get(6)?,
            lang: r.get(7)?,
            gateway: r.get(8)?,
            gateway_ref: r.get(9)?,
            donor_name: r.get(10)?,
            donor_email: r.get(11)?,
            anonymous: r.get::<_, i64>(12)? != 0,
        })
    })?;
    rows.collect()
}
