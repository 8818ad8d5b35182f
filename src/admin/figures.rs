//! The admin figures, computed from the ledger's [`LedgerStats`]: the JSON of
//! `/admin/stats`, the dashboard and `fundraiser stats` all show these.

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::ledger::{Bucket, LedgerStats, ReconcileRun};
use crate::money::Currency;

#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct TallyJson {
    pub count: u64,
    pub amount_minor: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ByStatus {
    pub pending: TallyJson,
    pub succeeded: TallyJson,
    pub failed: TallyJson,
    pub expired: TallyJson,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LangJson {
    /// Donations started in this language, whatever became of them.
    pub created: u64,
    /// Succeeded donations and their amount.
    pub count: u64,
    pub amount_minor: i64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HourJson {
    pub hour: String,
    /// Succeeded donations created in the hour, and their amount.
    pub count: u64,
    pub amount_minor: i64,
    /// Every donation created in the hour.
    pub created: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DayJson {
    /// The UTC day, `YYYY-MM-DD`.
    pub day: String,
    pub count: u64,
    pub amount_minor: i64,
    pub created: u64,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ServerJson {
    pub version: &'static str,
    pub uptime_s: u64,
    pub requests: u64,
    pub responses_5xx: u64,
}

/// One reconciliation run, as `/admin/stats` and `POST /admin/reconcile` show it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct RunJson {
    pub gateway: String,
    pub started_at: String,
    pub finished_at: String,
    /// Pending checkouts the gateway was asked about.
    pub sessions_checked: u64,
    /// Gateway events listed.
    pub events_listed: u64,
    /// Payment results, refunds and disputes it recorded that no notification had brought.
    pub healed: u64,
    /// Whether it went through; else `error` says why it stopped (the next run resumes).
    pub complete: bool,
    pub error: Option<String>,
}

impl RunJson {
    pub fn of(run: &ReconcileRun) -> RunJson {
        RunJson {
            gateway: run.gateway.clone(),
            started_at: rfc3339_ms(run.started_at_ms),
            finished_at: rfc3339_ms(run.finished_at_ms),
            sessions_checked: run.sessions_checked,
            events_listed: run.events_listed,
            healed: run.healed,
            complete: run.error.is_none(),
            error: run.error.clone(),
        }
    }
}

/// Reconciliation in `/admin/stats`.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ReconcileJson {
    pub runs: u64,
    /// What every run healed, in all.
    pub healed: u64,
    /// The latest run; `null` before the first.
    pub last: Option<RunJson>,
}

/// What `/admin/stats` answers.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Figures {
    pub currency: &'static str,
    /// What the charity keeps: `gross_minor` less refunds and open or lost disputes.
    pub raised_minor: i64,
    /// Every succeeded donation's amount, as paid.
    pub gross_minor: i64,
    pub refunded_minor: i64,
    pub disputed_minor: i64,
    /// Succeeded donations refunded in part or in full.
    pub refunded_count: u64,
    /// Succeeded donations with a dispute (open, won or lost).
    pub disputed_count: u64,
    pub goal_minor: i64,
    pub percent_of_goal: f64,
    /// Donations ever created (every status).
    pub created: u64,
    pub by_status: ByStatus,
    pub average_minor: i64,
    pub median_minor: i64,
    pub largest_minor: i64,
    /// Succeeded ÷ created, 0 when nothing was created.
    pub conversion_rate: f64,
    pub by_lang: std::collections::BTreeMap<String, LangJson>,
    pub per_hour: Vec<HourJson>,
    pub per_day: Vec<DayJson>,
    /// When the latest succeeded donation was made (RFC 3339), if any.
    pub last_donation_at: Option<String>,
    pub generated_at: String,
    pub reconciliation: ReconcileJson,
    pub server: ServerJson,
    /// Every listed fund's succeeded donations, in the settings' order.
    pub funds: Vec<FundJson>,
}

/// One fund in `/admin/stats`: its figures add up to the total's.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FundJson {
    pub id: String,
    /// What the fund keeps: `gross_minor` less refunds and open or lost disputes.
    pub raised_minor: i64,
    pub gross_minor: i64,
    pub refunded_minor: i64,
    pub disputed_minor: i64,
    /// Succeeded donations.
    pub donations: u64,
}

/// The middle amount; the mean of the two middle ones (rounded down) for an even count.
pub fn median(sorted: &[i64]) -> i64 {
    let n = sorted.len();
    match n {
        0 => 0,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => {
            let (a, b) = (sorted[n / 2 - 1], sorted[n / 2]);
            a + (b - a) / 2
        }
    }
}

/// Rounded to `places` decimals, for stable JSON.
fn round(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

/// Minor units as major units with every decimal of the currency: `90000` → `900.00`.
pub fn fixed_major(minor: i64, currency: Currency) -> String {
    let exp = usize::from(currency.exponent());
    if exp == 0 {
        return minor.to_string();
    }
    let scale = 10i64.pow(exp as u32);
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let scale = scale.unsigned_abs();
    format!("{sign}{}.{:0exp$}", abs / scale, abs % scale)
}

pub fn rfc3339_ms(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

fn day(ms: i64) -> String {
    rfc3339_ms(ms).get(..10).unwrap_or_default().to_owned()
}

pub fn server_json() -> ServerJson {
    let m = crate::metrics::get();
    let load = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
    ServerJson {
        version: env!("CARGO_PKG_VERSION"),
        uptime_s: m.uptime().as_secs(),
        requests: load(&m.requests),
        responses_5xx: load(&m.responses_5xx),
    }
}

impl Figures {
    pub fn compute(
        stats: &LedgerStats,
        currency: Currency,
        goal_minor: i64,
        now_ms: i64,
        server: ServerJson,
    ) -> Figures {
        let tally = |s: crate::donation::Status| {
            let t = stats
                .by_status
                .iter()
                .find(|(st, _)| *st == s)
                .map(|(_, t)| *t)
                .unwrap_or_default();
            TallyJson {
                count: t.count,
                amount_minor: t.amount_minor,
            }
        };
        use crate::donation::Status;
        let by_status = ByStatus {
            pending: tally(Status::Pending),
            succeeded: tally(Status::Succeeded),
            failed: tally(Status::Failed),
            expired: tally(Status::Expired),
        };
        let created: u64 = stats.by_status.iter().map(|(_, t)| t.count).sum();
        let mut amounts: Vec<i64> = stats.succeeded.iter().map(|&(_, a)| a).collect();
        amounts.sort_unstable();
        let gross = by_status.succeeded.amount_minor;
        let after = stats.after_payment;
        let raised = gross - after.refunded_minor - after.disputed_minor;
        let n = by_status.succeeded.count;
        let hour = |b: &Bucket| HourJson {
            hour: rfc3339_ms(b.start_ms),
            count: b.succeeded.count,
            amount_minor: b.succeeded.amount_minor,
            created: b.created,
        };
        Figures {
            currency: currency.code(),
            raised_minor: raised,
            gross_minor: gross,
            refunded_minor: after.refunded_minor,
            disputed_minor: after.disputed_minor,
            refunded_count: after.refunded_count,
            disputed_count: after.disputed_count,
            goal_minor,
            percent_of_goal: crate::money::hundredths_percent_of(raised, goal_minor) as f64 / 100.0,
            created,
            average_minor: if n > 0 { gross / n as i64 } else { 0 },
            median_minor: median(&amounts),
            largest_minor: amounts.last().copied().unwrap_or(0),
            conversion_rate: if created > 0 {
                round(n as f64 / created as f64, 4)
            } else {
                0.0
            },
            by_lang: stats
                .by_lang
                .iter()
                .map(|(lang, created, t)| {
                    (
                        lang.clone(),
                        LangJson {
                            created: *created,
                            count: t.count,
                            amount_minor: t.amount_minor,
                        },
                    )
                })
                .collect(),
            per_hour: stats.per_hour.iter().map(hour).collect(),
            per_day: stats
                .per_day
                .iter()
                .map(|b| DayJson {
                    day: day(b.start_ms),
                    count: b.succeeded.count,
                    amount_minor: b.succeeded.amount_minor,
                    created: b.created,
                })
                .collect(),
            last_donation_at: stats.last_succeeded_ms.map(rfc3339_ms),
            generated_at: rfc3339_ms(now_ms),
            by_status,
            reconciliation: ReconcileJson {
                runs: stats.reconcile.runs,
                healed: stats.reconcile.healed_total,
                last: stats.reconcile.last.as_ref().map(RunJson::of),
            },
            server,
            funds: Vec::new(),
        }
    }

    /// The same figures with these funds' (ids in the settings' order).
    pub fn with_funds<'a>(
        mut self,
        stats: &LedgerStats,
        ids: impl Iterator<Item = &'a str>,
    ) -> Figures {
        self.funds = ids
            .map(|id| {
                let f = stats
                    .by_fund
                    .iter()
                    .find(|f| f.fund == id)
                    .cloned()
                    .unwrap_or_default();
                FundJson {
                    id: id.to_owned(),
                    raised_minor: f.raised_minor,
                    gross_minor: f.gross_minor,
                    refunded_minor: f.refunded_minor,
                    disputed_minor: f.disputed_minor,
                    donations: f.donations,
                }
            })
            .collect();
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_major_keeps_every_decimal() {
        let aed = Currency::from_code("AED").unwrap();
        assert_eq!(fixed_major(90_000, aed), "900.00");
        assert_eq!(fixed_major(1_250, aed), "12.50");
        assert_eq!(fixed_major(5, aed), "0.05");
        assert_eq!(fixed_major(-5, aed), "-0.05");
        assert_eq!(
            fixed_major(1_234, Currency::from_code("KWD").unwrap()),
            "1.234"
        );
        assert_eq!(fixed_major(700, Currency::from_code("JPY").unwrap()), "700");
    }

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[]), 0);
        assert_eq!(median(&[7]), 7);
        assert_eq!(median(&[1, 5, 9]), 5);
        assert_eq!(median(&[1, 4, 6, 100]), 5);
        assert_eq!(median(&[1, 2]), 1);
    }

    #[test]
    fn figures_from_known_stats() {
        use crate::donation::Status;
        use crate::ledger::Tally;
        let t = |count, amount_minor| Tally {
            count,
            amount_minor,
        };
        let stats = LedgerStats {
            by_status: vec![
                (Status::Pending, t(1, 500)),
                (Status::Succeeded, t(3, 6000)),
                (Status::Failed, t(0, 0)),
                (Status::Expired, t(0, 0)),
            ],
            succeeded: vec![(1, 3000), (2, 1000), (3, 2000)],
            last_succeeded_ms: Some(0),
            ..LedgerStats::default()
        };
        let currency = Currency::from_code("AED").unwrap();
        let f = Figures::compute(&stats, currency, 60_000, 0, server_json());
        assert_eq!(f.raised_minor, 6000);
        assert_eq!(f.percent_of_goal, 10.0);
        assert_eq!(f.average_minor, 2000);
        assert_eq!(f.median_minor, 2000);
        assert_eq!(f.largest_minor, 3000);
        assert_eq!(f.conversion_rate, 0.75);
        assert_eq!(f.last_donation_at.as_deref(), Some("1970-01-01T00:00:00Z"));
    }
}
