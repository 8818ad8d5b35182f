//! The live amount raised: a snapshot published by the ledger writer after each commit
//! that changes it, read lock-free by every request.

use std::sync::Arc;

use arc_swap::ArcSwap;
use serde::Serialize;
use time::OffsetDateTime;

use crate::config::Settings;
use crate::lang::Lang;
use crate::money::{format_money, format_percent, percent_of};
use crate::plural;
use crate::render::strings::Strings;

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

/// The total as a language shows it; the keys match the page's `data-live` marks.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TotalDisplay {
    pub raised: String,
    pub raised_of_goal: String,
    pub donations: String,
    pub percent: String,
    pub percent_value: String,
}

impl TotalDisplay {
    pub fn new(lang: Lang, settings: &Settings, total: &TotalSnapshot) -> TotalDisplay {
        let t = lang.strings();
        let fmt = &t.numbers;
        let goal = format_money(settings.goal_minor, settings.currency, fmt);
        let percent_value =
            format_percent(percent_of(total.raised_minor, settings.goal_minor), fmt);
        TotalDisplay {
            raised: format_money(total.raised_minor, settings.currency, fmt),
            raised_of_goal: Strings::fill(&t.raised_of_goal, &[("goal", &goal)]),
            donations: plural::counted(lang, &t.donations_count, total.donations),
            percent: Strings::fill(&t.percent_of_goal, &[("percent", &percent_value)]),
            percent_value,
        }
    }
}
