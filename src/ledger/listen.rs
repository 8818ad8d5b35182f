//! Keeping a server's total in step with the other servers on a PostgreSQL ledger: a
//! dedicated connection (outside the read pool) `LISTEN`s for the writers' `NOTIFY` and
//! reads the total again from the database when one arrives, and every few seconds
//! regardless, so a missed notification or a reconnect never leaves it stale for long.
//!
//! The server's own commits show at once, before any read: the [`Follower`] shows the
//! last figures read plus this server's commits that read cannot have seen. A commit
//! that overlapped a read may or may not be in it; it is left out (never counted twice)
//! and read again at once.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::Scope;
use super::postgres::{CHANNEL, PgSource};
use crate::total::{ByFund, LiveTotal};

/// One of this server's commits that moved the total, and when it may have happened.
struct Own {
    began: Instant,
    ended: Instant,
    funds: ByFund,
}

/// The total of a server on a shared ledger: the database's figures as last read, plus
/// what this server committed that the read did not include.
pub struct Follower {
    total: Arc<LiveTotal>,
    state: Mutex<Follow>,
}

struct Follow {
    /// The database's figures as last read (per fund), and when that read ran.
    funds: ByFund,
    read: Option<(Instant, Instant)>,
    /// This server's commits the last read did not include.
    own: Vec<Own>,
}

impl Follower {
    pub fn new(total: Arc<LiveTotal>) -> Follower {
        let funds = total.load().funds.clone();
        Follower {
            total,
            state: Mutex::new(Follow {
                funds,
                read: None,
                own: Vec::new(),
            }),
        }
    }

    /// This server committed a change of the total, between `began` and `ended`. When
    /// the last read ran after `began` it may already include it (and its notification
    /// brings the next read): it is not added again.
    pub fn committed(&self, began: Instant, ended: Instant, funds: ByFund) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state
            .read
            .is_some_and(|(_, read_ended)| read_ended >= began)
        {
            return;
        }
        state.own.push(Own {
            began,
            ended,
            funds,
        });
        self.show(&state);
    }

    /// The database said `funds` in a read between `began` and `ended`. `true` when one
    /// of this server's commits overlapped the read: it is left out until the next read,
    /// which is due at once.
    fn read(&self, began: Instant, ended: Instant, funds: ByFund) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.funds = funds;
        state.read = Some((began, ended));
        let mut unsure = false;
        state.own.retain(|own| {
            if own.ended < began {
                // Committed before the read began: in it.
                false
            } else if own.began > ended {
                // Begun after the read ended: not in it.
                true
            } else {
                unsure = true;
                false
            }
        });
        self.show(&state);
        unsure
    }

    fn show(&self, state: &Follow) {
        let mut funds = state.funds.clone();
        for own in &state.own {
            for (id, change) in &own.funds {
                let f = funds.entry(id.clone()).or_default();
                f.raised_minor = f.raised_minor.saturating_add(change.raised_minor);
                f.donations = f.donations.saturating_add(change.donations);
            }
        }
        self.total.set(funds);
    }
}

/// How often the total is read again without a notification.
pub const REREAD_EVERY: Duration = Duration::from_secs(3);
/// The least time between two reads of the total, however many servers commit.
const AT_MOST_EVERY: Duration = Duration::from_millis(100);
/// How long a lost connection waits before it is opened again.
const RECONNECT_AFTER: Duration = Duration::from_secs(1);

/// Starts the listener; it stops once the ledger's writer (holding the follower) is gone.
pub fn spawn(source: Arc<PgSource>, total: Weak<Follower>, scope: Scope) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("ledger-listen".into())
        .spawn(move || run(&source, &total, &scope))
        .map(|_| ())
}

fn run(source: &PgSource, total: &Weak<Follower>, scope: &Scope) {
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
    total: &Weak<Follower>,
    scope: &Scope,
) -> Result<(), super::sql::DbError> {
    let mut db = source.connect_pg()?;
    super::sql::Db::batch(&mut db, &format!("LISTEN {CHANNEL}"))?;
    loop {
        // Read after LISTEN: nothing committed from here on goes unheard.
        let began = Instant::now();
        let funds = super::funds::succeeded_by_fund(&mut db, scope)?;
        let read_at = Instant::now();
        let Some(follower) = total.upgrade() else {
            return Ok(());
        };
        let unsure = follower.read(began, read_at, funds);
        drop(follower);
        if !unsure {
            db.wait_notifications(REREAD_EVERY)?;
        }
        if let Some(rest) = AT_MOST_EVERY.checked_sub(read_at.elapsed()) {
            std::thread::sleep(rest);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::total::{FundTotal, TotalSnapshot};

    /// One fund's figures (the tests move the general fund alone, but for the last).
    fn general(raised_minor: i64, donations: i64) -> ByFund {
        ByFund::from([(
            "general".to_owned(),
            FundTotal {
                raised_minor,
                donations,
            },
        )])
    }

    fn follower() -> (Arc<LiveTotal>, Follower) {
        let total = Arc::new(LiveTotal::new(TotalSnapshot::of(general(1000, 1), 1)));
        (total.clone(), Follower::new(total))
    }

    fn shown(total: &LiveTotal) -> (i64, u64) {
        let t = total.load();
        (t.raised_minor, t.donations)
    }

    #[test]
    fn a_commit_is_never_counted_twice_by_a_read_that_may_include_it() {
        let (total, f) = follower();
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        // Committed before the read began: the read includes it.
        f.committed(at(0), at(1), general(500, 1));
        assert_eq!(shown(&total), (1500, 2));
        assert!(!f.read(at(2), at(3), general(1500, 2)));
        assert_eq!(shown(&total), (1500, 2));
        // Overlapping the read: left out until the next read, never added twice.
        f.committed(at(4), at(6), general(200, 1));
        assert!(f.read(at(5), at(7), general(1700, 3)));
        assert_eq!(shown(&total), (1700, 3));
        // Begun after the read ended: shown on top of it.
        f.committed(at(9), at(10), general(300, 1));
        assert!(!f.read(at(7), at(8), general(1700, 3)));
        assert_eq!(shown(&total), (2000, 4));
        // Another server's commit arrives with the next read.
        assert!(!f.read(at(11), at(12), general(2900, 5)));
        assert_eq!(shown(&total), (2900, 5));
        // A commit reported after a read that ran after it began: that read may hold
        // it, so it is not added on top (its notification brings the next read).
        f.committed(at(10), at(13), general(100, 1));
        assert_eq!(shown(&total), (2900, 5));
        assert!(!f.read(at(14), at(15), general(3000, 6)));
        assert_eq!(shown(&total), (3000, 6));
    }
}
