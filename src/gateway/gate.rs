//! The one gate every call to a payment provider passes: a token bucket sized below the
//! provider's own rate limit, served by priority (a donor completing a payment first,
//! then new checkouts, then refunds, then reconciliation), that pauses for a while when
//! the provider answers 429. Calls wait in line instead of failing; the line's length
//! tells a waiting donor how long it will be.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::time::Duration;

use tokio::sync::{Notify, oneshot};
use tokio::time::Instant;

/// What a call is for, most urgent first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// A donor back from the checkout: their payment's result.
    Return = 0,
    /// A new checkout for a donor who is waiting.
    Checkout = 1,
    Refund = 2,
    Reconcile = 3,
}

impl Priority {
    pub const ALL: [Priority; 4] = [
        Priority::Return,
        Priority::Checkout,
        Priority::Refund,
        Priority::Reconcile,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Return => "return",
            Priority::Checkout => "checkout",
            Priority::Refund => "refund",
            Priority::Reconcile => "reconcile",
        }
    }
}

/// The pause after the `n`th 429 in a row: 0.5 s doubling up to 8 s, less up to a
/// quarter at random, so that servers sharing an account do not retry in step.
pub fn backoff(n: u32) -> Duration {
    let full = Duration::from_millis(500).saturating_mul(1 << n.min(4));
    let jitter = rand::random::<f64>() * 0.25;
    full.mul_f64(1.0 - jitter)
}

/// The gate's size: `None` lets every call through at once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GateSettings {
    pub per_second: Option<f64>,
    pub burst: u32,
}

struct Line {
    waiting: [VecDeque<oneshot::Sender<()>>; 4],
    tokens: f64,
    refilled: Instant,
    paused_until: Option<Instant>,
}

pub struct Gate {
    settings: GateSettings,
    line: Mutex<Line>,
    wake: Notify,
    /// Calls waiting, by priority (for `/metrics` and the waiting page).
    queued: [AtomicUsize; 4],
    /// When the last pause began (ms since start), so it is logged once.
    paused_logged: AtomicI64,
    started: Instant,
}

impl Gate {
    /// A gate; a limited one needs [`Gate::run`] spawned on the runtime.
    pub fn new(settings: GateSettings) -> Gate {
        Gate {
            settings,
            line: Mutex::new(Line {
                waiting: Default::default(),
                tokens: f64::from(settings.burst.max(1)),
                refilled: Instant::now(),
                paused_until: None,
            }),
            wake: Notify::new(),
            queued: Default::default(),
            paused_logged: AtomicI64::new(-1),
            started: Instant::now(),
        }
    }

    pub fn unlimited() -> Gate {
        Gate::new(GateSettings {
            per_second: None,
            burst: 1,
        })
    }

    pub fn limited(&self) -> bool {
        self.settings.per_second.is_some()
    }

    /// Calls waiting at `priority`.
    pub fn queued(&self, priority: Priority) -> usize {
        self.queued[priority as usize].load(Ordering::Relaxed)
    }

    /// Calls waiting at `priority` or ahead of it.
    pub fn queued_ahead(&self, priority: Priority) -> usize {
        Priority::ALL
            .iter()
            .filter(|p| **p <= priority)
            .map(|p| self.queued(*p))
            .sum()
    }

    /// About how long a call of `priority` joining now waits.
    pub fn expected_wait(&self, priority: Priority) -> Duration {
        match self.settings.per_second {
            Some(rate) if rate > 0.0 => {
                let pause = self
                    .line
                    .lock()
                    .map(|l| l.paused_until)
                    .unwrap_or(None)
                    .map_or(Duration::ZERO, |until| {
                        until.saturating_duration_since(Instant::now())
                    });
                pause + Duration::from_secs_f64((self.queued_ahead(priority) as f64 + 1.0) / rate)
            }
            _ => Duration::ZERO,
        }
    }

    /// Waits for the call's turn. Dropping the future leaves the line.
    pub async fn admit(&self, priority: Priority) {
        if !self.limited() {
            return;
        }
        let (tx, rx) = oneshot::channel();
        {
            let mut line = self.line.lock().unwrap_or_else(|e| e.into_inner());
            line.waiting[priority as usize].push_back(tx);
        }
        self.queued[priority as usize].fetch_add(1, Ordering::Relaxed);
        self.wake.notify_one();
        let waited = Instant::now();
        let _ = rx.await;
        let m = crate::metrics::get();
        m.gateway_wait.observe(waited.elapsed());
    }

    /// The provider answered 429: nobody is let through for `pause`.
    pub fn pause(&self, pause: Duration) {
        let until = Instant::now() + pause;
        {
            let mut line = self.line.lock().unwrap_or_else(|e| e.into_inner());
            if line.paused_until.is_some_and(|p| p >= until) {
                return;
            }
            line.paused_until = Some(until);
            line.tokens = 0.0;
        }
        let now_ms = i64::try_from(self.started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let last = self.paused_logged.load(Ordering::Relaxed);
        // One warning per burst of 429s, not one per call.
        if last < 0 || now_ms - last > 10_000 {
            self.paused_logged.store(now_ms, Ordering::Relaxed);
            tracing::warn!(
                pause_ms = pause.as_millis() as u64,
                "the payment provider is limiting our requests (429): calls wait and are retried"
            );
        }
    }

    /// Lets calls through, one token each, most urgent first. Runs for the life of the
    /// process (spawned once for a limited gate).
    pub async fn run(&self) {
        let Some(rate) = self.settings.per_second.filter(|r| *r > 0.0) else {
            return;
        };
        let burst = f64::from(self.settings.burst.max(1));
        loop {
            let next = {
                let mut line = self.line.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                match line.paused_until {
                    Some(until) if until > now => Some(until),
                    _ => {
                        line.paused_until = None;
                        let elapsed = now.duration_since(line.refilled).as_secs_f64();
                        line.tokens = (line.tokens + elapsed * rate).min(burst);
                        line.refilled = now;
                        let mut waiting = false;
                        while line.tokens >= 1.0 {
                            let Some((p, tx)) = pop(&mut line.waiting) else {
                                break;
                            };
                            self.queued[p].fetch_sub(1, Ordering::Relaxed);
                            // A caller that left the line takes no token.
                            if tx.send(()).is_ok() {
                                line.tokens -= 1.0;
                            }
                        }
                        if line.waiting.iter().any(|q| !q.is_empty()) {
                            waiting = true;
                        }
                        waiting.then(|| {
                            now + Duration::from_secs_f64(((1.0 - line.tokens) / rate).max(0.0))
                        })
                    }
                }
            };
            match next {
                Some(at) => tokio::time::sleep_until(at).await,
                None => self.wake.notified().await,
            }
        }
    }
}

fn pop(waiting: &mut [VecDeque<oneshot::Sender<()>>; 4]) -> Option<(usize, oneshot::Sender<()>)> {
    waiting
        .iter_mut()
        .enumerate()
        .find_map(|(p, q)| q.pop_front().map(|tx| (p, tx)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[tokio::test(start_paused = true)]
    async fn calls_go_through_at_the_rate_most_urgent_first() {
        let gate = Arc::new(Gate::new(GateSettings {
            per_second: Some(10.0),
            burst: 1,
        }));
        let runner = gate.clone();
        tokio::spawn(async move { runner.run().await });
        // The one token of the burst is taken: everyone below joins the line.
        gate.admit(Priority::Checkout).await;
        let order = Arc::new(Mutex::new(Vec::new()));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for p in [
            Priority::Reconcile,
            Priority::Checkout,
            Priority::Checkout,
            Priority::Return,
            Priority::Refund,
        ] {
            let (gate, order) = (gate.clone(), order.clone());
            tasks.push(tokio::spawn(async move {
                gate.admit(p).await;
                order.lock().unwrap().push((p, start.elapsed()));
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        let order = order.lock().unwrap().clone();
        let priorities: Vec<Priority> = order.iter().map(|(p, _)| *p).collect();
        assert_eq!(
            priorities,
            [
                Priority::Return,
                Priority::Checkout,
                Priority::Checkout,
                Priority::Refund,
                Priority::Reconcile
            ]
        );
        // One every 100 ms.
        let times: Vec<u128> = order.iter().map(|(_, t)| t.as_millis()).collect();
        for (i, t) in times.iter().enumerate() {
            let expected = 100 * (i as u128 + 1);
            assert!((expected..expected + 20).contains(t), "{times:?}");
        }
        assert_eq!(gate.queued_ahead(Priority::Reconcile), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_every_call() {
        let gate = Arc::new(Gate::new(GateSettings {
            per_second: Some(100.0),
            burst: 5,
        }));
        let runner = gate.clone();
        tokio::spawn(async move { runner.run().await });
        gate.pause(Duration::from_secs(2));
        let start = Instant::now();
        gate.admit(Priority::Return).await;
        assert!(start.elapsed() >= Duration::from_secs(2));
        assert!(gate.expected_wait(Priority::Checkout) <= Duration::from_millis(20));
    }

    #[tokio::test]
    async fn an_unlimited_gate_lets_everything_through() {
        let gate = Gate::unlimited();
        gate.admit(Priority::Checkout).await;
        assert_eq!(gate.expected_wait(Priority::Checkout), Duration::ZERO);
    }
}
