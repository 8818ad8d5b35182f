//! Reads, on their own connections, off the async workers.

use std::path::PathBuf;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension};

use super::{LedgerError, Refundable, Scope, open};
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

/// The donations of a scope, as a common table expression `d` to read from.
pub(super) const SCOPED: &str =
    "WITH d AS (SELECT * FROM donations WHERE currency = :currency AND live = :live) ";

pub(super) fn scope_params(scope: &Scope) -> [(&'static str, &dyn rusqlite::ToSql); 2] {
    [(":currency", &scope.currency), (":live", &scope.live)]
}

/// What the charity keeps of a donation, in SQL: `kept::Kept::net` exactly (the amount,
/// less refunds, less what an open or lost dispute withdrew of what was left).
pub(super) const NET: &str = "MAX(0, MAX(0, amount_minor - refunded_minor)
    - CASE WHEN dispute IN ('open', 'lost')
      THEN MIN(MAX(dispute_minor, 0), MAX(0, amount_minor - refunded_minor)) ELSE 0 END)";

/// The public total: what the charity keeps of the succeeded donations the scope counts,
/// and how many of them keep anything.
pub fn succeeded_total(conn: &Connection, scope: &Scope) -> rusqlite::Result<(i64, u64)> {
    conn.prepare_cached(&format!(
        "{SCOPED}SELECT COALESCE(SUM({NET}), 0), COALESCE(SUM({NET} > 0), 0)
         FROM d WHERE status = 'succeeded'"
    ))?
    .query_row(&scope_params(scope)[..], |r| {
        Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
    })
}

/// How many succeeded donations the scope leaves out (another mode or currency).
pub fn succeeded_outside(conn: &Connection, scope: &Scope) -> rusqlite::Result<u64> {
    conn.prepare_cached(
        "SELECT COUNT(*) FROM donations WHERE status = 'succeeded'
           AND NOT (currency = :currency AND live = :live)",
    )?
    .query_row(&scope_params(scope)[..], |r| r.get::<_, i64>(0))
    .map(|n| n as u64)
}

/// Succeeded donations of the scope's mode in other currencies: (currency, count).
pub fn other_currencies(conn: &Connection, scope: &Scope) -> rusqlite::Result<Vec<(String, u64)>> {
    let mut stmt = conn.prepare_cached(
        "SELECT currency, COUNT(*) FROM donations
         WHERE status = 'succeeded' AND live = :live AND currency != :currency
         GROUP BY currency ORDER BY currency",
    )?;
    let rows = stmt.query_map(&scope_params(scope)[..], |r| {
        Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
    })?;
    rows.collect()
}

/// The figures `fundraiser backup` and `check` report.
pub fn summary(conn: &Connection, scope: &Scope) -> rusqlite::Result<super::offline::Summary> {
    let totals = succeeded_total(conn, scope)?;
    summary_with(conn, totals)
}

/// [`summary`] of a ledger from before modes were recorded (schema 5 or older, which
/// `serve` migrates): every succeeded donation.
pub fn summary_unscoped(conn: &Connection) -> rusqlite::Result<super::offline::Summary> {
    let totals = conn.query_row(
        "SELECT COALESCE(SUM(amount_minor), 0), COUNT(*) FROM donations WHERE status = 'succeeded'",
        [],
        |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)),
    )?;
    summary_with(conn, totals)
}

fn summary_with(
    conn: &Connection,
    (raised_minor, succeeded): (i64, u64),
) -> rusqlite::Result<super::offline::Summary> {
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
        "SELECT id, amount_minor, currency, status, gateway, gateway_ref, lang, created_at, live,
                checkout_url
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
        "SELECT id, amount_minor, currency, status, gateway, gateway_ref, lang, created_at, live,
                checkout_url
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
        live: r.get(8)?,
        checkout_url: r.get(9)?,
    })
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
    /// Taken with live money; test money otherwise.
    pub live: bool,
    pub refunded_minor: i64,
    /// `""`, `open`, `won` or `lost`.
    pub dispute: String,
}

/// Up to `limit` donations after `after_rowid`, in insertion order.
pub fn export_page(
    conn: &Connection,
    after_rowid: i64,
    limit: i64,
) -> rusqlite::Result<Vec<ExportRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT rowid, id, created_at, updated_at, status, amount_minor, currency, lang, gateway,
                gateway_ref, donor_name, donor_email, anonymous, live, refunded_minor, dispute
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
            live: r.get(13)?,
            refunded_minor: r.get(14)?,
            dispute: r.get(15)?,
        })
    })?;
    rows.collect()
}

const REFUNDABLE: &str = "SELECT id, status, currency, payment_ref, amount_minor, refunded_minor,
        dispute, dispute_minor, created_at,
        (SELECT COUNT(*) FROM events e WHERE e.donation_id = donations.id AND e.kind = 'refund')
     FROM donations";

fn row_to_refundable(r: &rusqlite::Row<'_>) -> rusqlite::Result<Refundable> {
    let status: String = r.get(1)?;
    let dispute: String = r.get(6)?;
    Ok(Refundable {
        id: r.get(0)?,
        status: Status::parse(&status).unwrap_or(Status::Pending),
        currency: r.get(2)?,
        payment_ref: r.get(3)?,
        kept: Kept {
            amount_minor: r.get(4)?,
            refunded_minor: r.get(5)?,
            dispute: Dispute::from_parts(&dispute, r.get(7)?),
        },
        created_at_ms: r.get(8)?,
        refunds: r.get::<_, i64>(9)? as u64,
    })
}

/// One donation, as a refund needs it.
pub fn refundable(conn: &Connection, id: &str) -> rusqlite::Result<Option<Refundable>> {
    conn.prepare_cached(&format!("{REFUNDABLE} WHERE id = ?1"))?
        .query_row([id], row_to_refundable)
        .optional()
}

/// The latest succeeded donations of the scope, newest first, for the dashboard.
pub fn recent_succeeded(
    conn: &Connection,
    scope: &Scope,
    limit: i64,
) -> rusqlite::Result<Vec<Refundable>> {
    let mut stmt = conn.prepare_cached(&format!(
        "{REFUNDABLE} WHERE status = 'succeeded' AND currency = :currency AND live = :live
         ORDER BY created_at DESC, rowid DESC LIMIT :limit"
    ))?;
    let [currency, live] = scope_params(scope);
    let params: [(&str, &dyn rusqlite::ToSql); 3] = [currency, live, (":limit", &limit)];
    let rows = stmt.query_map(&params[..], row_to_refundable)?;
    rows.collect()
}
