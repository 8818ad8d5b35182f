//! Who is asking: the socket's peer, or — only when that peer is a trusted reverse
//! proxy — the address the proxy reports in `X-Forwarded-For`.

use std::net::IpAddr;

use actix_web::HttpRequest;
use ipnet::IpNet;

/// The client's address for rate limits and the ledger, canonical: an IPv4 client of an
/// IPv6 socket (`::ffff:203.0.113.7`) is `203.0.113.7`.
pub fn of(req: &HttpRequest, trusted: &[IpNet]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .collect();
    Some(resolve(peer, &forwarded, trusted))
}

/// Walks `X-Forwarded-For` from the right (the hop nearest to us), skipping trusted
/// proxies; the first untrusted address is the client. Headers from an untrusted peer
/// are ignored, since anyone can write them.
pub fn resolve(peer: IpAddr, forwarded: &[&str], trusted: &[IpNet]) -> IpAddr {
    let peer = peer.to_canonical();
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let mut client = peer;
    for entry in forwarded.iter().rev().flat_map(|h| h.rsplit(',')) {
        let Some(ip) = parse_entry(entry).map(|ip| ip.to_canonical()) else {
            // Garbage in the chain: stop at the last address we could trust.
            return client;
        };
        client = ip;
        if !is_trusted(&ip) {
            return ip;
        }
    }
    client
}

/// What per-address limits count by: an IPv4 address itself, an IPv6 address's /64 (one
/// host usually holds a whole /64, so counting single addresses would let it past every
/// limit).
pub fn limit_key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(std::net::Ipv6Addr::from(network))
        }
        v4 => v4,
    }
}

/// The /48 an IPv6 address belongs to, which limits also count as a whole (a site is
/// usually given a /48: 65,536 /64s); `None` for IPv4.
pub fn site_key(ip: IpAddr) -> Option<IpAddr> {
    match ip.to_canonical() {
        IpAddr::V6(v6) => {
            let network = u128::from(v6) & !((1u128 << 80) - 1);
            Some(IpAddr::V6(std::net::Ipv6Addr::from(network)))
        }
        IpAddr::V4(_) => None,
    }
}

/// One `X-Forwarded-For` entry: `203.0.113.7`, `2001:db8::1`, `[2001:db8::1]:443`, `203.0.113.7:80`.
fn parse_entry(entry: &str) -> Option<IpAddr> {
    let e = entry.trim();
    if let Ok(ip) = e.parse() {
        return Some(ip);
    }
    if let Some(rest) = e.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    e.rsplit_once(':')?
        .0
        .parse::<std::net::Ipv4Addr>()
        .ok()
        .map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn untrusted_peers_cannot_claim_another_address() {
        let trusted: Vec<IpNet> = vec!["10.0.0.0/8".parse().unwrap()];
        assert_eq!(
            resolve(ip("198.51.100.9"), &["1.2.3.4"], &trusted),
            ip("198.51.100.9")
        );
        assert_eq!(resolve(ip("198.51.100.9"), &[], &[]), ip("198.51.100.9"));
    }

    #[test]
    fn trusted_proxies_name_the_client() {
        let trusted: Vec<IpNet> = vec![
            "10.0.0.0/8".parse().unwrap(),
            "127.0.0.1/32".parse().unwrap(),
        ];
        assert_eq!(
            resolve(ip("127.0.0.1"), &["203.0.113.7"], &trusted),
            ip("203.0.113.7")
        );
        // A client-supplied entry on the left is not believed past an untrusted hop.
        assert_eq!(
            resolve(
                ip("127.0.0.1"),
                &["6.6.6.6, 203.0.113.7, 10.1.2.3"],
                &trusted
            ),
            ip("203.0.113.7")
        );
        assert_eq!(
            resolve(ip("10.0.0.2"), &["6.6.6.6", "203.0.113.7:443"], &trusted),
            ip("203.0.113.7")
        );
        assert_eq!(
            resolve(ip("10.0.0.2"), &["[2001:db8::1]:443"], &trusted),
            ip("2001:db8::1")
        );
        assert_eq!(
            resolve(ip("10.0.0.2"), &["garbage"], &trusted),
            ip("10.0.0.2")
        );
        assert_eq!(
            resolve(ip("10.0.0.2"), &["10.0.0.3"], &trusted),
            ip("10.0.0.3")
        );
        assert_eq!(resolve(ip("10.0.0.2"), &[], &trusted), ip("10.0.0.2"));
    }

    #[test]
    fn ipv4_mapped_addresses_are_matched_and_reported_as_ipv4() {
        let trusted: Vec<IpNet> = vec!["127.0.0.1/32".parse().unwrap()];
        // A server bound to [::] sees IPv4 peers as ::ffff:a.b.c.d.
        assert_eq!(
            resolve(ip("::ffff:127.0.0.1"), &["203.0.113.1"], &trusted),
            ip("203.0.113.1")
        );
        assert_eq!(
            resolve(ip("::ffff:127.0.0.1"), &["::ffff:203.0.113.2"], &trusted),
            ip("203.0.113.2")
        );
        assert_eq!(
            resolve(ip("::ffff:198.51.100.9"), &["1.2.3.4"], &trusted),
            ip("198.51.100.9")
        );
        // A mapped proxy in the chain is trusted as its IPv4 self.
        assert_eq!(
            resolve(
                ip("127.0.0.1"),
                &["203.0.113.3, ::ffff:127.0.0.1"],
                &trusted
            ),
            ip("203.0.113.3")
        );
    }

    #[test]
    fn limits_count_ipv6_clients_by_their_64() {
        assert_eq!(
            limit_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            ip("2001:db8:1:2::")
        );
        assert_eq!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:2::ffff"))
        );
        assert_ne!(
            limit_key(ip("2001:db8:1:2::1")),
            limit_key(ip("2001:db8:1:3::1"))
        );
        assert_eq!(limit_key(ip("203.0.113.7")), ip("203.0.113.7"));
        assert_eq!(limit_key(ip("::ffff:203.0.113.7")), ip("203.0.113.7"));
    }

    #[test]
    fn ipv6_sites_are_their_48() {
        assert_eq!(
            site_key(ip("2001:db8:1:ffff:aaaa:bbbb:cccc:dddd")),
            Some(ip("2001:db8:1::"))
        );
        assert_eq!(
            site_key(ip("2001:db8:1:2::1")),
            site_key(ip("2001:db8:1:3::1"))
        );
        assert_ne!(
            site_key(ip("2001:db8:1:2::1")),
            site_key(ip("2001:db8:2:2::1"))
        );
        assert_eq!(site_key(ip("203.0.113.7")), None);
        assert_eq!(site_key(ip("::ffff:203.0.113.7")), None);
    }
}
