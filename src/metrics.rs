//! Process counters for `/metrics` (Prometheus text format) and `/admin/stats`: plain
//! atomics, no registry. Route labels are the matched route patterns, so their number
//! stays bounded whatever paths clients ask for.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

/// Upper bounds (seconds) of the latency histograms' buckets.
pub const BUCKETS: [f64; 12] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
];

/// A histogram of durations with fixed buckets.
pub struct Histogram {
    counts: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_us: AtomicU64,
}

impl Histogram {
    const fn new() -> Histogram {
        Histogram {
            counts: [const { AtomicU64::new(0) }; BUCKETS.len()],
            count: AtomicU64::new(0),
            sum_us: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, d: Duration) {
        let secs = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|&b| secs <= b) {
            self.counts[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_us.fetch_add(
            u64::try_from(d.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let mut cumulative = 0;
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, bound) in BUCKETS.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let braces = if labels.is_empty() {
            String::new()
        } else {
            format!("{{{labels}}}")
        };
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum{braces} {sum}");
        let _ = writeln!(out, "{name}_count{braces} {count}");
    }
}

/// Every counter of the process.
pub struct Metrics {
    started: Instant,
    pub requests: AtomicU64,
    pub responses_5xx: AtomicU64,
    /// Route pattern → (method, status) → count; keyed by route first so counting an
    /// answer to a route seen before allocates nothing.
    by_route: Mutex<HashMap<&'static str, MethodStatusCounts>>,
    pub latency: Histogram,
    pub donations_created: AtomicU64,
    pub donations_succeeded: AtomicU64,
    pub donations_failed: AtomicU64,
    /// Payment results received again that changed nothing: answered, not recorded again.
    pub callbacks_repeated: AtomicU64,
    /// Ledger batches run again after conflicting with another server's (PostgreSQL).
    pub ledger_conflicts: AtomicU64,
    pub ledger_write: Histogram,
    pub home_cache_hits: AtomicU64,
    pub home_cache_misses: AtomicU64,
    pub stats_cache_hits: AtomicU64,
    pub stats_cache_misses: AtomicU64,
    /// Reconciliation runs finished, results and money events they healed, and runs the
    /// gateway stopped.
    pub reconcile_runs: AtomicU64,
    pub reconcile_healed: AtomicU64,
    pub reconcile_failures: AtomicU64,
    /// How long calls to the payment provider waited at the gate.
    pub gateway_wait: Histogram,
    /// 429 answers of the payment provider.
    pub gateway_429: AtomicU64,
    /// Calls to the payment provider, by what they were for (`gate::Priority` order).
    pub gateway_calls: [AtomicU64; 4],
    /// Emails the SMTP server accepted, attempts that failed for now (tried again later),
    /// and messages given up.
    pub emails_sent: AtomicU64,
    pub emails_retried: AtomicU64,
    pub emails_failed: AtomicU64,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(|| Metrics {
    started: Instant::now(),
    requests: AtomicU64::new(0),
    responses_5xx: AtomicU64::new(0),
    by_route: Mutex::new(HashMap::new()),
    latency: Histogram::new(),
    donations_created: AtomicU64::new(0),
    donations_succeeded: AtomicU64::new(0),
    donations_failed: AtomicU64::new(0),
    callbacks_repeated: AtomicU64::new(0),
    ledger_conflicts: AtomicU64::new(0),
    ledger_write: Histogram::new(),
    home_cache_hits: AtomicU64::new(0),
    home_cache_misses: AtomicU64::new(0),
    stats_cache_hits: AtomicU64::new(0),
    stats_cache_misses: AtomicU64::new(0),
    reconcile_runs: AtomicU64::new(0),
    reconcile_healed: AtomicU64::new(0),
    reconcile_failures: AtomicU64::new(0),
    gateway_wait: Histogram::new(),
    gateway_429: AtomicU64::new(0),
    gateway_calls: [const { AtomicU64::new(0) }; 4],
    emails_sent: AtomicU64::new(0),
    emails_retried: AtomicU64::new(0),
    emails_failed: AtomicU64::new(0),
});

/// Answers to one route, by (method, status).
type MethodStatusCounts = BTreeMap<(&'static str, u16), u64>;

/// The process's counters.
pub fn get() -> &'static Metrics {
    &METRICS
}

/// Adds one to a counter.
pub fn inc(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// The methods counted by name; anything else is "other".
fn method_label(method: &str) -> &'static str {
    match method {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        _ => "other",
    }
}

impl Metrics {
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    /// Counts one answered request. `route` must be a route pattern, never a raw path.
    pub fn record_request(&self, route: &'static str, method: &str, status: u16, took: Duration) {
        inc(&self.requests);
        if status >= 500 {
            inc(&self.responses_5xx);
        }
        self.latency.observe(took);
        let key = (method_label(method), status);
        let mut map = self.by_route.lock().unwrap_or_else(|e| e.into_inner());
        match map.get_mut(route) {
            Some(counts) => *counts.entry(key).or_insert(0) += 1,
            None => {
                map.insert(route, BTreeMap::from([(key, 1)]));
            }
        }
    }

    /// The Prometheus text exposition; `raised_minor` is the live total.
    /// `queued`: calls waiting at the gateway's gate, by kind (`gate::Priority` order).
    pub fn render(&self, raised_minor: i64, currency: &str, queued: [usize; 4]) -> String {
        let mut out = String::with_capacity(8192);
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        out.push_str("# HELP fundraiser_http_requests_total HTTP requests answered, by route pattern, method and status.\n");
        out.push_str("# TYPE fundraiser_http_requests_total counter\n");
        {
            let map = self.by_route.lock().unwrap_or_else(|e| e.into_inner());
            let mut series: Vec<_> = map
                .iter()
                .flat_map(|(route, counts)| {
                    counts
                        .iter()
                        .map(move |((method, status), n)| ((*method, route, *status), *n))
                })
                .collect();
            series.sort();
            for ((method, route, status), n) in series {
                let _ = writeln!(
                    out,
                    "fundraiser_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                    escape_label(route)
                );
            }
        }
        out.push_str("# HELP fundraiser_http_request_duration_seconds Time to answer a request (until the response head).\n");
        out.push_str("# TYPE fundraiser_http_request_duration_seconds histogram\n");
        self.latency
            .write(&mut out, "fundraiser_http_request_duration_seconds", "");
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        counter(
            &mut out,
            "fundraiser_donations_created_total",
            "Donations created (pending) since start.",
            load(&self.donations_created),
        );
        counter(
            &mut out,
            "fundraiser_donations_succeeded_total",
            "Donations that became succeeded since start.",
            load(&self.donations_succeeded),
        );
        counter(
            &mut out,
            "fundraiser_donations_failed_total",
            "Donations that became failed since start.",
            load(&self.donations_failed),
        );
        counter(
            &mut out,
            "fundraiser_callbacks_repeated_total",
            "Payment returns and webhooks received again with a result already recorded (answered, no new event).",
            load(&self.callbacks_repeated),
        );
        counter(
            &mut out,
            "fundraiser_ledger_conflicts_total",
            "Ledger transactions run again after conflicting with another server's (PostgreSQL).",
            load(&self.ledger_conflicts),
        );
        let _ = writeln!(
            out,
            "# HELP fundraiser_raised_minor Amount raised (succeeded donations), in minor units.\n# TYPE fundraiser_raised_minor gauge\nfundraiser_raised_minor{{currency=\"{}\"}} {raised_minor}",
            escape_label(currency)
        );
        out.push_str("# HELP fundraiser_ledger_write_seconds Time of one ledger transaction (group commit).\n");
        out.push_str("# TYPE fundraiser_ledger_write_seconds histogram\n");
        self.ledger_write
            .write(&mut out, "fundraiser_ledger_write_seconds", "");
        out.push_str("# HELP fundraiser_cache_hits_total Answers served from a cache, by cache.\n# TYPE fundraiser_cache_hits_total counter\n");
        let _ = writeln!(
            out,
            "fundraiser_cache_hits_total{{cache=\"home\"}} {}\nfundraiser_cache_hits_total{{cache=\"stats\"}} {}",
            load(&self.home_cache_hits),
            load(&self.stats_cache_hits)
        );
        out.push_str("# HELP fundraiser_cache_misses_total Answers that had to be rebuilt, by cache.\n# TYPE fundraiser_cache_misses_total counter\n");
        let _ = writeln!(
            out,
            "fundraiser_cache_misses_total{{cache=\"home\"}} {}\nfundraiser_cache_misses_total{{cache=\"stats\"}} {}",
            load(&self.home_cache_misses),
            load(&self.stats_cache_misses)
        );
        counter(
            &mut out,
            "fundraiser_reconcile_runs_total",
            "Reconciliation runs finished since start.",
            load(&self.reconcile_runs),
        );
        counter(
            &mut out,
            "fundraiser_reconcile_healed_total",
            "Payment results, refunds and disputes recorded by reconciliation that no notification had brought, since start.",
            load(&self.reconcile_healed),
        );
        counter(
            &mut out,
            "fundraiser_reconcile_failures_total",
            "Reconciliation runs stopped early (the gateway or the ledger unavailable) since start.",
            load(&self.reconcile_failures),
        );
        const KINDS: [&str; 4] = ["return", "checkout", "refund", "reconcile"];
        out.push_str("# HELP fundraiser_gateway_queue Calls waiting their turn at the payment provider's gate, by kind.\n# TYPE fundraiser_gateway_queue gauge\n");
        for (kind, n) in KINDS.iter().zip(queued) {
            let _ = writeln!(out, "fundraiser_gateway_queue{{kind=\"{kind}\"}} {n}");
        }
        out.push_str("# HELP fundraiser_gateway_calls_total Calls made to the payment provider, by kind.\n# TYPE fundraiser_gateway_calls_total counter\n");
        for (kind, n) in KINDS.iter().zip(&self.gateway_calls) {
            let _ = writeln!(
                out,
                "fundraiser_gateway_calls_total{{kind=\"{kind}\"}} {}",
                load(n)
            );
        }
        counter(
            &mut out,
            "fundraiser_gateway_429_total",
            "Answers 429 (too many requests) from the payment provider; each call is retried after a pause.",
            load(&self.gateway_429),
        );
        out.push_str("# HELP fundraiser_emails_total Emails (receipts, refund notices) by what became of each attempt: sent (accepted by the SMTP server), retried (failed for now, tried again later), failed (given up).\n# TYPE fundraiser_emails_total counter\n");
        for (result, n) in [
            ("sent", &self.emails_sent),
            ("retried", &self.emails_retried),
            ("failed", &self.emails_failed),
        ] {
            let _ = writeln!(
                out,
                "fundraiser_emails_total{{result=\"{result}\"}} {}",
                load(n)
            );
        }
        out.push_str("# HELP fundraiser_gateway_wait_seconds How long calls waited at the gate before going to the payment provider.\n# TYPE fundraiser_gateway_wait_seconds histogram\n");
        self.gateway_wait
            .write(&mut out, "fundraiser_gateway_wait_seconds", "");
        let _ = writeln!(
            out,
            "# HELP fundraiser_uptime_seconds Seconds since the process started.\n# TYPE fundraiser_uptime_seconds gauge\nfundraiser_uptime_seconds {}",
            self.uptime().as_secs()
        );
        let _ = writeln!(
            out,
            "# HELP fundraiser_build_info The running version.\n# TYPE fundraiser_build_info gauge\nfundraiser_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        out
    }
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let h = Histogram::new();
        h.observe(Duration::from_micros(300));
        h.observe(Duration::from_millis(30));
        h.observe(Duration::from_secs(9));
        let mut out = String::new();
        h.write(&mut out, "x", "");
        assert!(out.contains("x_bucket{le=\"0.0005\"} 1\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"0.05\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"5\"} 2\n"), "{out}");
        assert!(out.contains("x_bucket{le=\"+Inf\"} 3\n"), "{out}");
        assert!(out.contains("x_count 3\n"), "{out}");
    }
}
