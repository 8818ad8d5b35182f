//! The live amount raised: a snapshot published by the ledger writer after each commit
//! that changes it, read lock-free by every request.

use std::sync::Arc;

use arc_swap::ArcSwap;
use time::OffsetDateTime;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotalSnapshot {
    pub raised_minor: i64,
    /// Succeeded donations.
    pub donations: u64,
    pub updated_at: OffsetDateTime,
    /// Grows with every change, so readers can tell which of two snapshots is newer.
    pub version: u64,
}

/// The current total, shared by the ledger writer (which stores) and requests (which load).
#[derive(Debug)]
pub struct LiveTotal(ArcSwap<TotalSnapshot>);

impl LiveTotal {
    pub fn new(initial: TotalSnapshot) -> LiveTotal {
        LiveTotal(ArcSwap::from_pointee(initial))
    }

    pub fn load(&self) -> Arc<TotalSnapshot> {
        self.0.load_full()
    }

    /// The current version alone, read without touching the snapshot's reference count
    /// (which every worker would otherwise bump on each home-page request).
    pub fn version(&self) -> u64 {
        self.0.load().version
    }

    pub fn store(&self, snapshot: TotalSnapshot) {
        self.0.store(Arc::new(snapshot));
    }

    /// Moves the total by what a commit changed. The settings' bounds keep every sum far
    /// inside `i64`; should one still not fit, the total stops at the bound rather than
    /// wrapping to a negative amount.
    pub fn add(&self, raised_minor: i64, donations: i64) {
        self.0.rcu(|current| TotalSnapshot {
            raised_minor: current.raised_minor.saturating_add(raised_minor),
            donations: current.donations.saturating_add_signed(donations),
            updated_at: OffsetDateTime::now_utc(),
            version: current.version + 1,
        });
    }

    /// Sets the total to the database's figures (read after other servers' commits);
    /// `true` when that changed it.
    pub fn set(&self, raised_minor: i64, donations: u64) -> bool {
        let mut changed = false;
        self.0.rcu(|current| {
            changed = current.raised_minor != raised_minor || current.donations != donations;
            if !changed {
                return Arc::clone(current);
            }
            Arc::new(TotalSnapshot {
                raised_minor,
                donations,
                updated_at: OffsetDateTime::now_utc(),
                version: current.version + 1,
            })
        });
        changed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_total_that_would_overflow_stops_at_the_bound_never_negative() {
        let total = LiveTotal::new(TotalSnapshot {
            raised_minor: i64::MAX - 10,
            donations: 1,
            updated_at: OffsetDateTime::UNIX_EPOCH,
            version: 1,
        });
        total.add(100, 1);
        assert_eq!(total.load().raised_minor, i64::MAX);
        assert_eq!(total.load().donations, 2);
    }
}
