//! The live amount raised: a snapshot published by the ledger writer after each commit
//! that changes it, read lock-free by every request.

use std::collections::BTreeMap;
use std::sync::Arc;

use arc_swap::ArcSwap;
use time::OffsetDateTime;

/// What one fund keeps, or what a commit changed of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FundTotal {
    pub raised_minor: i64,
    /// Succeeded donations that keep anything.
    pub donations: i64,
}

/// Figures per fund id. The total is their sum, so the funds always add up to it.
pub type ByFund = BTreeMap<String, FundTotal>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotalSnapshot {
    pub raised_minor: i64,
    /// Succeeded donations.
    pub donations: u64,
    /// Each fund's share of the two above (funds without donations are absent).
    pub funds: ByFund,
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

    /// Moves the total by what a commit changed, fund by fund. The settings' bounds keep
    /// every sum far inside `i64`; should one still not fit, the total stops at the bound
    /// rather than wrapping to a negative amount.
    pub fn add(&self, changes: &ByFund) {
        self.0.rcu(|current| {
            let mut funds = current.funds.clone();
            for (id, change) in changes {
                let fund = funds.entry(id.clone()).or_default();
                fund.raised_minor = fund.raised_minor.saturating_add(change.raised_minor);
                fund.donations = fund.donations.saturating_add(change.donations);
            }
            TotalSnapshot::of(funds, current.version + 1)
        });
    }

    /// Sets the total to the database's figures (read after other servers' commits);
    /// `true` when that changed it.
    pub fn set(&self, funds: ByFund) -> bool {
        let mut changed = false;
        self.0.rcu(|current| {
            changed = current.funds != funds;
            if !changed {
                return Arc::clone(current);
            }
            Arc::new(TotalSnapshot::of(funds.clone(), current.version + 1))
        });
        changed
    }
}

impl TotalSnapshot {
    /// The snapshot of these funds' figures: the total is their sum.
    pub fn of(mut funds: ByFund, version: u64) -> TotalSnapshot {
        funds.retain(|_, f| *f != FundTotal::default());
        let raised_minor = funds
            .values()
            .fold(0i64, |sum, f| sum.saturating_add(f.raised_minor));
        let donations = funds
            .values()
            .fold(0i64, |sum, f| sum.saturating_add(f.donations));
        TotalSnapshot {
            raised_minor,
            donations: u64::try_from(donations).unwrap_or(0),
            funds,
            updated_at: OffsetDateTime::now_utc(),
            version,
        }
    }

    /// A fund's figures; nothing yet for a fund without donations.
    pub fn fund(&self, id: &str) -> FundTotal {
        self.funds.get(id).copied().unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(id: &str, raised_minor: i64, donations: i64) -> ByFund {
        ByFund::from([(
            id.to_owned(),
            FundTotal {
                raised_minor,
                donations,
            },
        )])
    }

    #[test]
    fn a_total_that_would_overflow_stops_at_the_bound_never_negative() {
        let total = LiveTotal::new(TotalSnapshot::of(change("general", i64::MAX - 10, 1), 1));
        total.add(&change("general", 100, 1));
        assert_eq!(total.load().raised_minor, i64::MAX);
        assert_eq!(total.load().donations, 2);
    }

    #[test]
    fn the_funds_add_up_to_the_total() {
        let total = LiveTotal::new(TotalSnapshot::of(ByFund::new(), 1));
        total.add(&change("general", 5_000, 1));
        total.add(&change("zakat", 20_000, 1));
        total.add(&change("zakat", -1_500, 0));
        let now = total.load();
        assert_eq!((now.raised_minor, now.donations), (23_500, 2));
        assert_eq!(now.fund("zakat").raised_minor, 18_500);
        assert_eq!(now.fund("general").raised_minor, 5_000);
        assert_eq!(now.fund("sadaqah"), FundTotal::default());
        assert!(!total.set(now.funds.clone()));
        assert!(total.set(change("general", 1, 1)));
        assert_eq!(total.load().raised_minor, 1);
    }
}
