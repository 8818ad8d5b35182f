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
}
