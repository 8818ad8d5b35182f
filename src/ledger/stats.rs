//! The admin figures (`/admin/stats`, `fundraiser stats`), read in one transaction over
//! the donations the scope counts.

use super::Scope;
use super::read::{SCOPED, disputed, net, sum};
use super::sql::{Db, DbResult, args};
use super::{Ledger, LedgerError, Location};
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
    /// The succeeded donations fund by fund, by fund id (funds without any are absent).
    pub by_fund: Vec<FundStats>,
}

/// One fund's succeeded donations: what was given, what left after, what is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FundStats {
    pub fund: String,
    pub gross_minor: i64,
    pub refunded_minor: i64,
    pub disputed_minor: i64,
    /// What the charity keeps: gross less refunds and disputes, as the public total.
    pub raised_minor: i64,
    pub donations: u64,
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

/// The admin figures, over the donations the scope counts, read from one snapshot.
pub fn stats(db: &mut dyn Db, now_ms: i64, scope: &Scope) -> DbResult<LedgerStats> {
    db.begin_read()?;
    let result = stats_in(db, now_ms, scope);
    // A read-only transaction: ending it cannot lose anything.
    let ended = db.batch("COMMIT");
    let out = result?;
    ended?;
    Ok(out)
}

fn stats_in(db: &mut dyn Db, now_ms: i64, scope: &Scope) -> DbResult<LedgerStats> {
    let mut out = LedgerStats {
        by_status: Status::ALL.iter().map(|&s| (s, Tally::default())).collect(),
        ..LedgerStats::default()
    };
    let p = args![&scope.currency, scope.live];
    for row in db.query(
        &format!(
            "{SCOPED}SELECT status, COUNT(*), {} FROM d GROUP BY status",
            sum("amount_minor")
        ),
        p,
    )? {
        let status = row.text(0)?;
        if let Some(slot) = out.by_status.iter_mut().find(|(s, _)| s.as_str() == status) {
            slot.1 = Tally {
                count: row.count(1)?,
                amount_minor: row.int(2)?,
            };
        }
    }
    for row in db.query(
        &format!("{SCOPED}SELECT lang, COUNT(*), {SUCCEEDED} FROM d GROUP BY lang ORDER BY lang",),
        p,
    )? {
        out.by_lang.push((
            row.text(0)?,
            row.count(1)?,
            Tally {
                count: row.count(2)?,
                amount_minor: row.int(3)?,
            },
        ));
    }
    for row in db.query(
        &format!(
            "{SCOPED}SELECT created_at, amount_minor FROM d WHERE status = 'succeeded'
             ORDER BY created_at"
        ),
        p,
    )? {
        out.succeeded.push((row.int(0)?, row.int(1)?));
    }
    let row = db.query_one(
        &format!("{SCOPED}SELECT MIN(created_at), MAX(created_at) FROM d"),
        p,
    )?;
    let (first, last) = (row.opt_int(0)?, row.opt_int(1)?);
    let row = db.query_one(
        &format!(
            "{SCOPED}SELECT {}, {}, COUNT(*) FILTER (WHERE refunded_minor > 0),
                    COUNT(*) FILTER (WHERE dispute != '')
             FROM d WHERE status = 'succeeded'",
            sum("refunded_minor"),
            sum(&disputed())
        ),
        p,
    )?;
    out.after_payment = AfterPayment {
        refunded_minor: row.int(0)?,
        disputed_minor: row.int(1)?,
        refunded_count: row.count(2)?,
        disputed_count: row.count(3)?,
    };
    let net = net();
    for row in db.query(
        &format!(
            "{SCOPED}SELECT fund, {}, {}, {}, {}, COUNT(*) FROM d WHERE status = 'succeeded'
             GROUP BY fund ORDER BY fund",
            sum("amount_minor"),
            sum("refunded_minor"),
            sum(&disputed()),
            sum(&net)
        ),
        p,
    )? {
        out.by_fund.push(FundStats {
            fund: row.text(0)?,
            gross_minor: row.int(1)?,
            refunded_minor: row.int(2)?,
            disputed_minor: row.int(3)?,
            raised_minor: row.int(4)?,
            donations: row.count(5)?,
        });
    }
    out.reconcile = super::reconcile::summary(db)?;
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
    fill_buckets(db, scope, from, HOUR_MS, &mut out.per_hour)?;

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
        fill_buckets(db, scope, first_day, DAY_MS, &mut out.per_day)?;
    }
    Ok(out)
}

/// The succeeded donations among some: their count and amount.
const SUCCEEDED: &str = "COUNT(*) FILTER (WHERE status = 'succeeded'),
    CAST(COALESCE(SUM(amount_minor) FILTER (WHERE status = 'succeeded'), 0) AS BIGINT)";

/// Counts donations created from `from` on into buckets of `width` ms.
fn fill_buckets(
    db: &mut dyn Db,
    scope: &Scope,
    from: i64,
    width: i64,
    buckets: &mut [Bucket],
) -> DbResult<()> {
    let rows = db.query(
        &format!(
            "{SCOPED}SELECT (created_at - ?3) / ?4 AS slot, COUNT(*), {SUCCEEDED}
             FROM d WHERE created_at >= ?3 GROUP BY slot"
        ),
        args![&scope.currency, scope.live, from, width],
    )?;
    for row in rows {
        let slot = row.int(0)?;
        if let Some(b) = usize::try_from(slot).ok().and_then(|i| buckets.get_mut(i)) {
            b.created = row.count(1)?;
            b.succeeded = Tally {
                count: row.count(2)?,
                amount_minor: row.int(3)?,
            };
        }
    }
    Ok(())
}

impl Ledger {
    /// The figures the admin pages are computed from, as of `now_ms`.
    pub async fn stats(&self, now_ms: i64) -> Result<LedgerStats, LedgerError> {
        let scope = self.scope.clone();
        self.reads
            .run(move |conn| stats(conn, now_ms, &scope))
            .await
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
    Ok(stats(db.as_mut(), now_ms, scope)?)
}
