//! Reads, on their own connections, off the async workers.

use std::sync::Mutex;

use super::sql::{Db, DbResult, Row, SharedSource, args};
use super::{LedgerError, Refundable, Scope};
use crate::donation::Status;
use crate::kept::{Dispute, Kept};
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
    /// Taken with live money.
    pub live: bool,
    /// Where the donor pays, once the gateway has started the checkout (when it is not
    /// derived from the id).
    pub checkout_url: Option<String>,
    /// Its fund's id.
    pub fund: String,
}

/// A few connections for reads, opened on demand and reused; at most [`MAX_OPEN`] in use
/// at once, so a burst of readers waits its turn rather than opening a connection each
/// (PostgreSQL's `max_connections` is shared by every server).
pub struct ReadPool {
    source: SharedSource,
    idle: Mutex<Vec<Box<dyn Db>>>,
    open: std::sync::Arc<tokio::sync::Semaphore>,
}

const MAX_IDLE: usize = 4;
/// The most read connections one server uses at once.
pub const MAX_OPEN: usize = 16;

impl ReadPool {
    pub fn new(source: SharedSource) -> ReadPool {
        ReadPool {
            source,
            idle: Mutex::new(Vec::new()),
            open: std::sync::Arc::new(tokio::sync::Semaphore::new(MAX_OPEN)),
        }
    }

    /// Runs `f` on a pooled connection in the blocking thread pool. A connection that
    /// failed is not kept; when the database dropped it (a restart, a failover), every
    /// idle connection is dropped with it and `f` runs once more on a new one.
    pub async fn run<T, F>(self: &std::sync::Arc<Self>, f: F) -> Result<T, LedgerError>
    where
        T: Send + 'static,
        F: Fn(&mut dyn Db) -> DbResult<T> + Send + 'static,
    {
        // Held by the read itself, which runs to its end even when its caller has gone.
        // The semaphore is never closed.
        let turn = self
            .open
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| LedgerError::WriterStopped)?;
        let pool = self.clone();
        tokio::task::spawn_blocking(move || {
            let _turn = turn;
            let reused = pool.idle.lock().unwrap_or_else(|e| e.into_inner()).pop();
            let fresh = reused.is_none();
            let mut db = match reused {
                Some(db) => db,
                None => pool.source.connect(true)?,
            };
            let mut result = f(db.as_mut());
            if !fresh && result.as_ref().is_err_and(|e| e.is_lost()) {
                let stale =
                    std::mem::take(&mut *pool.idle.lock().unwrap_or_else(|e| e.into_inner()));
                drop(stale);
                db = pool.source.connect(true)?;
                result = f(db.as_mut());
            }
            if db.is_usable() && !result.as_ref().is_err_and(|e| e.is_lost()) {
                let mut idle = pool.idle.lock().unwrap_or_else(|e| e.into_inner());
                if idle.len() < MAX_IDLE {
                    idle.push(db);
                }
            }
            Ok(result?)
        })
        .await
        .map_err(LedgerError::ReadTask)?
    }
}

impl Drop for ReadPool {
    /// Closes the idle connections on a thread of their own: PostgreSQL's blocking client
    /// says goodbye to the server when dropped, which it cannot do on an async worker.
    fn drop(&mut self) {
        let idle = std::mem::take(self.idle.get_mut().unwrap_or_else(|e| e.into_inner()));
        if !idle.is_empty() {
            let closing = std::thread::Builder::new()
                .name("ledger-close".into())
                .spawn(move || drop(idle));
            if let Err(e) = closing {
                tracing::debug!(error = %e, "could not close the ledger's read connections");
            }
        }
    }
}

/// The donations of a scope (`?1` its currency, `?2` whether live), as a common table
/// expression `d` to read from.
pub(super) const SCOPED: &str =
    "WITH d AS (SELECT * FROM donations WHERE currency = ?1 AND live = ?2) ";

/// What is left of a donation after its refunds.
const LEFT: &str = "(amount_minor - refunded_minor)";

/// What the charity keeps of a donation, in SQL: `kept::Kept::net` exactly (the amount,
/// less refunds, less what an open or lost dispute withdrew of what was left; the
/// schema keeps refunds and disputes between 0 and the amount).
pub(super) fn net() -> String {
    format!(
        "(CASE WHEN dispute IN ('open', 'lost')
              THEN CASE WHEN dispute_minor < {LEFT} THEN {LEFT} - dispute_minor ELSE 0 END
              ELSE {LEFT} END)"
    )
}

/// What an open or lost dispute withdrew of what refunds left.
pub(super) fn disputed() -> String {
    format!(
        "(CASE WHEN dispute IN ('open', 'lost')
              THEN CASE WHEN dispute_minor < {LEFT} THEN dispute_minor ELSE {LEFT} END
              ELSE 0 END)"
    )
}

/// A sum of integers, as an integer on both databases.
pub(super) fn sum(expr: &str) -> String {
    format!("CAST(COALESCE(SUM({expr}), 0) AS BIGINT)")
}

/// The public total: what the charity keeps of the succeeded donations the scope counts,
/// and how many of them keep anything.
pub fn succeeded_total(db: &mut dyn Db, scope: &Scope) -> DbResult<(i64, u64)> {
    let net = net();
    let row = db.query_one(
        &format!(
            "{SCOPED}SELECT {}, COUNT(*) FILTER (WHERE {net} > 0)
             FROM d WHERE status = 'succeeded'",
            sum(&net)
        ),
        args![&scope.currency, scope.live],
    )?;
    Ok((row.int(0)?, row.count(1)?))
}

/// How many succeeded donations the scope leaves out (another mode or currency).
pub fn succeeded_outside(db: &mut dyn Db, scope: &Scope) -> DbResult<u64> {
    db.query_one(
        "SELECT COUNT(*) FROM donations WHERE status = 'succeeded'
           AND NOT (currency = ?1 AND live = ?2)",
        args![&scope.currency, scope.live],
    )?
    .count(0)
}

/// Succeeded donations of the scope's mode in other currencies: (currency, count).
pub fn other_currencies(db: &mut dyn Db, scope: &Scope) -> DbResult<Vec<(String, u64)>> {
    db.query(
        "SELECT currency, COUNT(*) FROM donations
         WHERE status = 'succeeded' AND live = ?2 AND currency != ?1
         GROUP BY currency ORDER BY currency",
        args![&scope.currency, scope.live],
    )?
    .iter()
    .map(|r| Ok((r.text(0)?, r.count(1)?)))
    .collect()
}

/// Pending donations of the scope's mode in other currencies: (currency, count). Paid
/// now, they would succeed in money the total cannot count.
pub fn pending_other_currencies(db: &mut dyn Db, scope: &Scope) -> DbResult<Vec<(String, u64)>> {
    db.query(
        "SELECT currency, COUNT(*) FROM donations
         WHERE status = 'pending' AND live = ?2 AND currency != ?1
         GROUP BY currency ORDER BY currency",
        args![&scope.currency, scope.live],
    )?
    .iter()
    .map(|r| Ok((r.text(0)?, r.count(1)?)))
    .collect()
}

/// The figures `fundraiser backup` and `check` report.
pub fn summary(db: &mut dyn Db, scope: &Scope) -> DbResult<super::offline::Summary> {
    let totals = succeeded_total(db, scope)?;
    summary_with(db, totals)
}

/// [`summary`] of a ledger from before modes were recorded (schema 5 or older, which
/// `serve` migrates): every succeeded donation.
pub fn summary_unscoped(db: &mut dyn Db) -> DbResult<super::offline::Summary> {
    let row = db.query_one(
        "SELECT CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT), COUNT(*) FROM donations
         WHERE status = 'succeeded'",
        &[],
    )?;
    summary_with(db, (row.int(0)?, row.count(1)?))
}

fn summary_with(
    db: &mut dyn Db,
    (raised_minor, succeeded): (i64, u64),
) -> DbResult<super::offline::Summary> {
    Ok(super::offline::Summary {
        schema_version: super::schema::version(db)?,
        donations: db
            .query_one("SELECT COUNT(*) FROM donations", &[])?
            .count(0)?,
        succeeded,
        raised_minor,
        events: db.query_one("SELECT COUNT(*) FROM events", &[])?.count(0)?,
    })
}

pub fn count_by_status(db: &mut dyn Db) -> DbResult<Vec<(Status, u64)>> {
    let rows = db.query(
        "SELECT status, COUNT(*) FROM donations GROUP BY status",
        &[],
    )?;
    let mut out: Vec<(Status, u64)> = Status::ALL.iter().map(|&s| (s, 0)).collect();
    for row in rows {
        let status = row.text(0)?;
        if let Some(slot) = out.iter_mut().find(|(s, _)| s.as_str() == status) {
            slot.1 = row.count(1)?;
        }
    }
    Ok(out)
}

const DONATION: &str = "SELECT id, amount_minor, currency, status, gateway, gateway_ref, lang,
        created_at, live, checkout_url, fund
     FROM donations";

pub fn donation(db: &mut dyn Db, id: &str) -> DbResult<Option<DonationRow>> {
    db.query_opt(&format!("{DONATION} WHERE id = ?1"), args![id])?
        .map(|r| row_to_donation(&r))
        .transpose()
}

pub fn donation_by_gateway_ref(
    db: &mut dyn Db,
    gateway: &str,
    gateway_ref: &str,
) -> DbResult<Option<DonationRow>> {
    db.query_opt(
        &format!("{DONATION} WHERE gateway = ?1 AND gateway_ref = ?2"),
        args![gateway, gateway_ref],
    )?
    .map(|r| row_to_donation(&r))
    .transpose()
}

fn row_to_donation(r: &Row) -> DbResult<DonationRow> {
    Ok(DonationRow {
        id: r.text(0)?,
        amount_minor: r.int(1)?,
        currency: r.text(2)?,
        status: Status::parse(&r.text(3)?).unwrap_or(Status::Pending),
        gateway: r.text(4)?,
        gateway_ref: r.opt_text(5)?,
        lang: Lang::from_code(&r.text(6)?).unwrap_or(Lang::En),
        created_at_ms: r.int(7)?,
        live: r.bool(8)?,
        checkout_url: r.opt_text(9)?,
        fund: r.text(10)?,
    })
}

const REFUNDABLE: &str = "SELECT id, status, currency, payment_ref, amount_minor, refunded_minor,
        dispute, dispute_minor, created_at,
        (SELECT COALESCE(MAX(i.n), 0) + 1 FROM refund_intents i WHERE i.donation_id = donations.id),
        (SELECT p.n FROM refund_intents p WHERE p.donation_id = donations.id AND p.state = 'pending'),
        (SELECT p.amount_minor FROM refund_intents p
          WHERE p.donation_id = donations.id AND p.state = 'pending')
     FROM donations";

fn row_to_refundable(r: &Row) -> DbResult<Refundable> {
    Ok(Refundable {
        id: r.text(0)?,
        status: Status::parse(&r.text(1)?).unwrap_or(Status::Pending),
        currency: r.text(2)?,
        payment_ref: r.opt_text(3)?,
        kept: Kept {
            amount_minor: r.int(4)?,
            refunded_minor: r.int(5)?,
            dispute: Dispute::from_parts(&r.text(6)?, r.int(7)?),
        },
        created_at_ms: r.int(8)?,
        next_refund: r.count(9)?,
        pending_refund: match (r.opt_int(10)?, r.opt_int(11)?) {
            (Some(n), Some(amount)) => Some((u64::try_from(n).unwrap_or(0), amount)),
            _ => None,
        },
    })
}

/// One donation, as a refund needs it.
pub fn refundable(db: &mut dyn Db, id: &str) -> DbResult<Option<Refundable>> {
    db.query_opt(&format!("{REFUNDABLE} WHERE id = ?1"), args![id])?
        .map(|r| row_to_refundable(&r))
        .transpose()
}

/// The latest succeeded donations of the scope, newest first, for the dashboard.
pub fn recent_succeeded(db: &mut dyn Db, scope: &Scope, limit: i64) -> DbResult<Vec<Refundable>> {
    db.query(
        &format!(
            "{REFUNDABLE} WHERE status = 'succeeded' AND currency = ?1 AND live = ?2
             ORDER BY created_at DESC, rowid DESC LIMIT ?3"
        ),
        args![&scope.currency, scope.live, limit],
    )?
    .iter()
    .map(row_to_refundable)
    .collect()
}
