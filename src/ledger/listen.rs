//! Keeping a server's total in step with the other servers on a PostgreSQL ledger: a
//! dedicated connection (outside the read pool) `LISTEN`s for the writers' `NOTIFY` and
//! reads the total again from the database when one arrives, and every few seconds
//! regardless, so a missed notification or a reconnect never leaves it stale for long.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::Scope;
use super::postgres::{CHANNEL, PgSource};
use crate::total::LiveTotal;

/// How often the total is read again without a notification.
pub const REREAD_EVERY: Duration = Duration::from_secs(3);
/// The least time between two reads of the total, however many servers commit.
const AT_MOST_EVERY: Duration = Duration::from_millis(100);
/// How long a lost connection waits before it is opened again.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// Starts the listener; it stops once the ledger (its total) is dropped.
pub fn spawn(source: Arc<PgSource>, total: Weak<LiveTotal>, scope: Scope) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("ledger-listen".into())
        .spawn(move || run(&source, &total, &scope))
        .map(|_| ())
}

fn run(source: &PgSource, total: &Weak<LiveTotal>, scope: &Scope) {
    let mut failing = false;
    while total.strong_count() > 0 {
        match listen(source, total, scope) {
            Ok(()) => return,
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "the ledger's total listener lost its connection; retrying every second");
                }
                failing = true;
                std::thread::sleep(RECONNECT_AFTER);
            }
        }
    }
}

/// Listens until the ledger is dropped (`Ok`) or the connection fails.
fn listen(
    source: &PgSource,
    total: &Weak<LiveTotal>,
    scope: &Scope,
) -> Result<(), super::sql::DbError> {
    let mut db = source.connect_pg()?;
    super::sql::Db::batch(&mut db, &format!("LISTEN {CHANNEL}"))?;
    loop {
        // Read after LISTEN: nothing committed from here on goes unheard.
        let (raised, count) = super::read::succeeded_total(&mut db, scope)?;
        let read_at = Instant::now();
        let Some(live) = total.upgrade() else {
            return Ok(());
        };
        if live.set(raised, count) {
            tracing::debug!(raised, count, "total moved by another server");
        }
        drop(live);
        db.wait_notifications(REREAD_EVERY)?;
        if let Some(rest) = AT_MOST_EVERY.checked_sub(read_at.elapsed()) {
            std::thread::sleep(rest);
        }
    }
}
