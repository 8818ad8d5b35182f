//! Reads, on their own connections, off the async workers.

use std::path::PathBuf;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension};

use super::{LedgerError, open_connection};
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
                None => open_connection(&pool.path, true)?,
            };
            let result = f(&conn);
            let mut idle = pool.idle.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() < MAX_IDLE {
                idle.push(conn);
            }
            Ok(result?)
        })
        .await
        .map_err(|e| LedgerError::Unavailable(format!("read task failed: {e}")))?
    }
}

pub fn succeeded_total(conn: &Connection) -> rusqlite::Result<(i64, u64)> {
    conn.query_row(
        "SELECT COALESCE(SUM(amount_minor), 0), COUNT(*) FROM donations WHERE status = 'succeeded'",
        [],
        |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)),
    )
}

pub fn pending_for_ip(conn: &Connection, ip: &str) -> rusqlite::Result<u64> {
    conn.prepare_cached(
        "SELECT COUNT(*) FROM donations WHERE client_ip = ?1 AND status = 'pending'",
    )?
    .query_row([ip], |r| r.get::<_, i64>(0))
    .map(|n| n as u64)
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
