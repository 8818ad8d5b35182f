//! Per-address rate limits: fixed one-minute windows counted in a moka cache whose
//! entries expire by themselves, so an address that goes quiet costs nothing. IPv6
//! clients count by their /64 (`client_ip::limit_key`), and each /48 together
//! (`client_ip::site_key`) by a coarser bucket: one site holds 65,536 /64s, each of
//! which would otherwise have a whole allowance of its own.

use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use moka::sync::Cache;

use crate::client_ip::{limit_key, site_key};
use crate::config::DEFAULT_IPV6_48_MULTIPLIER;

pub struct RateLimiter {
    per_minute: u32,
    /// What one IPv6 /48 may make together; 0 for no /48 bucket.
    per_48: u32,
    /// Keyed by the bucket's network, its prefix length (a /48's network address is also
    /// the /64 of its first subnet) and the minute.
    windows: Cache<(IpAddr, u8, u64), Arc<AtomicU32>>,
}

impl RateLimiter {
    /// `per_minute == 0` switches the limit off; a /48 gets the default multiple
    /// (`limits.ipv6_48_multiplier`'s default).
    pub fn new(per_minute: u32) -> RateLimiter {
        RateLimiter::with_ipv6_48(per_minute, DEFAULT_IPV6_48_MULTIPLIER)
    }

    /// A /48 gets `multiplier` times `per_minute` in all; `multiplier == 0` leaves only
    /// the per-address limit.
    pub fn with_ipv6_48(per_minute: u32, multiplier: u32) -> RateLimiter {
        RateLimiter {
            per_minute,
            per_48: per_minute.saturating_mul(multiplier),
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

    /// Whether the address (or its /48) is already past its limit this minute, without
    /// counting.
    pub fn exceeded(&self, ip: IpAddr) -> Option<u64> {
        let now = unix_now();
        if self.per_minute == 0 {
            return None;
        }
        let window = now / 60;
        let count = |key: IpAddr, prefix: u8| {
            self.windows
                .get(&(key, prefix, window))
                .map_or(0, |c| c.load(Ordering::Relaxed))
        };
        let over = count(limit_key(ip), 64) >= self.per_minute
            || self
                .site_bucket(ip)
                .is_some_and(|site| count(site, 48) >= self.per_48);
        over.then_some(60 - now % 60)
    }

    fn check_at(&self, ip: IpAddr, now: u64) -> Result<(), u64> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let window = now / 60;
        let count = |key: IpAddr, prefix: u8| {
            self.windows
                .get_with((key, prefix, window), || Arc::new(AtomicU32::new(0)))
                .fetch_add(1, Ordering::Relaxed)
                .saturating_add(1)
        };
        // The /48 counts only attempts its /64 was allowed, so one /64 hammering away
        // spends its own allowance, not its neighbours'.
        if count(limit_key(ip), 64) > self.per_minute
            || self
                .site_bucket(ip)
                .is_some_and(|site| count(site, 48) > self.per_48)
        {
            Err(60 - now % 60)
        } else {
            Ok(())
        }
    }

    /// The /48 an IPv6 address counts in too, when there is a /48 bucket.
    fn site_bucket(&self, ip: IpAddr) -> Option<IpAddr> {
        site_key(ip).filter(|_| self.per_48 > 0)
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
    fn one_ipv6_48_shares_a_coarser_limit() {
        let limiter = RateLimiter::with_ipv6_48(2, 3);
        let t = 60 * 16_667 + 20;
        let subnet = |n: u16| -> IpAddr { format!("2001:db8:1:{n:x}::1").parse().unwrap() };
        // Three /64s of one /48 use up its 2 × 3 = 6.
        for n in 1..=3 {
            assert_eq!(limiter.check_at(subnet(n), t), Ok(()));
            assert_eq!(limiter.check_at(subnet(n), t), Ok(()));
        }
        assert_eq!(limiter.check_at(subnet(4), t), Err(40));
        assert_eq!(limiter.check_at(subnet(0xffff), t), Err(40));
        // Another /48, and IPv4, are not touched; the next minute starts afresh.
        let other: IpAddr = "2001:db8:2:1::1".parse().unwrap();
        assert_eq!(limiter.check_at(other, t), Ok(()));
        assert_eq!(limiter.check_at("203.0.113.1".parse().unwrap(), t), Ok(()));
        assert_eq!(limiter.check_at(subnet(4), t + 40), Ok(()));
    }

    #[test]
    fn a_64_past_its_limit_does_not_spend_its_48_s() {
        let limiter = RateLimiter::with_ipv6_48(2, 2);
        let t = 60 * 16_667 + 20;
        let noisy: IpAddr = "2001:db8:1:1::1".parse().unwrap();
        for _ in 0..50 {
            let _ = limiter.check_at(noisy, t);
        }
        assert_eq!(limiter.check_at(noisy, t), Err(40));
        let neighbour: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        assert_eq!(limiter.check_at(neighbour, t), Ok(()));
        assert_eq!(limiter.check_at(neighbour, t), Ok(()));
        assert_eq!(limiter.check_at(neighbour, t), Err(40));
    }

    #[test]
    fn a_zero_multiplier_leaves_only_the_64_limit() {
        let limiter = RateLimiter::with_ipv6_48(1, 0);
        let t = 60 * 16_667 + 20;
        for n in 1..=100_u16 {
            let ip: IpAddr = format!("2001:db8:1:{n:x}::1").parse().unwrap();
            assert_eq!(limiter.check_at(ip, t), Ok(()));
        }
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
