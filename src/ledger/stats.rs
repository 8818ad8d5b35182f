//! The admin figures (`/admin/stats`, `fundraiser stats`), read in one transaction over
//! the donations the scope counts.

use rusqlite::Connection;

use super::Scope;
use super::read::{SCOPED, scope_params};
use crate::donation::Status;

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
    /// What left the succeeded donations after they were paid.
    pub after_payment: AfterPayment,
    /// Reconciliation's last run and what all runs healed.
    pub reconcile: super::ReconcileSummary,
}

/// Refunds and disputes of the succeeded donations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AfterPayment {
    pub refunded_minor: i64,
    /// What open or lost disputes withdrew (at most what refunds left of each donation).
    pub disputed_minor: i64,
    pub refunded_count: u64,
    pub disputed_count: u64,
}

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 86_400_000;
/// The most days `per_day` lists (about three years).
const MAX_DAYS: i64 = 1100;

/// The admin figures, over the donations the scope counts.
pub fn stats(conn: &Connection, now_ms: i64, scope: &Scope) -> rusqlite::Result<LedgerStats> {
    let p = scope_params(scope);
    let mut out = LedgerStats {
        by_status: Status::ALL.iter().map(|&s| (s, Tally::default())).collect(),
        ..LedgerStats::default()
    };
    let tx = conn.unchecked_transaction()?;
    {
        let mut stmt = tx.prepare_cached(&format!(
            "{SCOPED}SELECT status, COUNT(*), COALESCE(SUM(amount_minor), 0) FROM d GROUP BY status"
        ))?;
        let rows = stmt.query_map(&p[..], |r| {
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
        let mut stmt = tx.prepare_cached(&format!(
            "{SCOPED}SELECT lang, COUNT(*),
                    COALESCE(SUM(status = 'succeeded'), 0),
                    COALESCE(SUM(CASE WHEN status = 'succeeded' THEN amount_minor ELSE 0 END), 0)
             FROM d GROUP BY lang ORDER BY lang"
        ))?;
        let rows = stmt.query_map(&p[..], |r| {
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
        let mut stmt = tx.prepare_cached(&format!(
            "{SCOPED}SELECT created_at, amount_minor FROM d WHERE status = 'succeeded'
             ORDER BY created_at"
        ))?;
        let rows = stmt.query_map(&p[..], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))?;
        for row in rows {
            out.succeeded.push(row?);
        }
    }
    let (first, last): (Option<i64>, Option<i64>) = tx
        .prepare_cached(&format!(
            "{SCOPED}SELECT MIN(created_at), MAX(created_at) FROM d"
        ))?
        .query_row(&p[..], |r| Ok((r.get(0)?, r.get(1)?)))?;
    out.after_payment = tx
        .prepare_cached(&format!(
            "{SCOPED}SELECT COALESCE(SUM(refunded_minor), 0),
                    COALESCE(SUM(CASE WHEN dispute IN ('open', 'lost')
                        THEN MIN(MAX(dispute_minor, 0), MAX(0, amount_minor - refunded_minor))
                        ELSE 0 END), 0),
                    COALESCE(SUM(refunded_minor > 0), 0),
                    COALESCE(SUM(dispute != ''), 0)
             FROM d WHERE status = 'succeeded'"
        ))?
        .query_row(&p[..], |r| {
            Ok(AfterPayment {
                refunded_minor: r.get(0)?,
                disputed_minor: r.get(1)?,
                refunded_count: r.get::<_, i64>(2)? as u64,
                disputed_count: r.get::<_, i64>(3)? as u64,
            })
        })?;
    out.reconcile = super::reconcile::summary(&tx)?;
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
    fill_buckets(&tx, scope, from, HOUR_MS, &mut out.per_hour)?;

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
        fill_buckets(&tx, scope, first_day, DAY_MS, &mut out.per_day)?;
    }
    tx.finish()?;
    Ok(out)
}

/// Counts donations created from `from` on into buckets of `width` ms.
fn fill_buckets(
    conn: &Connection,
    scope: &Scope,
    from: i64,
    width: i64,
    buckets: &mut [Bucket],
) -> rusqlite::Result<()> {
    let mut stmt = conn.prepare_cached(&format!(
        "{SCOPED}SELECT (created_at - :from) / :width AS slot, COUNT(*),
                COALESCE(SUM(status = 'succeeded'), 0),
                COALESCE(SUM(CASE WHEN status = 'succeeded' THEN amount_minor ELSE 0 END), 0)
         FROM d WHERE created_at >= :from GROUP BY slot"
    ))?;
    let [currency, live] = scope_params(scope);
    let params: [(&str, &dyn rusqlite::ToSql); 4] =
        [currency, live, (":from", &from), (":width", &width)];
    let rows = stmt.query_map(&params[..], |r| {
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
