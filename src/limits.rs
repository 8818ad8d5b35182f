//! Per-address rate limits: fixed one-minute windows counted in a moka cache whose
//! entries expire by themselves, so an address that goes quiet costs nothing. IPv6
//! clients count by their /64 (`client_ip::limit_key`).

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use moka::sync::Cache;

use crate::client_ip::limit_key;

pub struct RateLimiter {
    per_minute: u32,
    windows: Cache<(IpAddr, u64), Arc<AtomicU32>>,
}

impl RateLimiter {
    /// `per_minute == 0` switches the limit off.
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            windows: Cache::builder()
                .max_capacity(200_000)
                .time_to_live(Duration::from_secs(120))
                .build(),
        }
    }

    /// Counts one attempt; `Err(seconds)` tells how long until the address may try again.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        self.check_at(ip, unix_now())
    }

    /// Whether the address is already past its limit this minute, without counting.
    pub fn exceeded(&self, ip: IpAddr) -> Option<u64> {
        let now = unix_now();
        if self.per_minute == 0 {
            return None;
        }
        let n = self
            .windows
            .get(&(limit_key(ip), now / 60))
            .map_or(0, |c| c.load(Ordering::Relaxed));
        (n >= self.per_minute).then_some(60 - now % 60)
    }

    fn check_at(&self, ip: IpAddr, now: u64) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let window = now / 60;
        let counter = self
            .windows
            .get_with((limit_key(ip), window), || Arc::new(AtomicU32::new(0)));
        let n = counter.fetch_add(1, Ordering::Relaxed).saturating_add(1);
        if n > self.per_minute {
            Err(60 - now % 60)
        } else {
            Ok(())
        }
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_address_per_minute() {
        let limiter = RateLimiter::new(3);
        let a: IpAddr = "203.0.113.1".parse().unwrap();
        let b: IpAddr = "203.0.113.2".parse().unwrap();
        let t = 60 * 16_667 + 20; // 20 s into a minute
        for _ in 0..3 {
            assert_eq!(limiter.check_at(a, t), Ok(()));
        }
        assert_eq!(limiter.check_at(a, t), Err(40));
        assert_eq!(limiter.check_at(b, t), Ok(()));
        // The next minute starts afresh.
        assert_eq!(limiter.check_at(a, t + 40), Ok(()));
    }

    #[test]
    fn one_ipv6_64_shares_one_limit() {
        let limiter = RateLimiter::new(2);
        let t = 60 * 16_667 + 20;
        let host = |last: &str| -> IpAddr { format!("2001:db8:1:2::{last}").parse().unwrap() };
        assert_eq!(limiter.check_at(host("1"), t), Ok(()));
        assert_eq!(limiter.check_at(host("2"), t), Ok(()));
        assert_eq!(limiter.check_at(host("3"), t), Err(40));
        assert_eq!(
            limiter.exceeded(host("4")).is_some(),
            limiter.exceeded(host("1")).is_some()
        );
        let elsewhere: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(limiter.check_at(elsewhere, t), Ok(()));
    }

    #[test]
    fn zero_switches_the_limit_off() {
        let limiter = RateLimiter::new(0);
        let a: IpAddr = "203.0.113.1".parse().unwrap();
        for _ in 0..1000 {
            assert_eq!(limiter.check(a), Ok(()));
        }
    }
}
