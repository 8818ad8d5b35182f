//! Abuse controls and input limits, over HTTP against the real binary.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use crate::common::*;
use reqwest::StatusCode;

fn limited(env: &[(&str, &str)]) -> Server {
    let mut opts = Opts::default().env("FUNDRAISER_SANDBOX__SECRET", SECRET);
    for (k, v) in env {
        opts = opts.env(k, v);
    }
    Server::start_with(opts)
}

fn donate(server: &Server, headers: &[(&str, &str)], lang: &str) -> reqwest::blocking::Response {
    let mut req = client()
        .post(server.url("/donate"))
        .form(&[("amount", "50"), ("lang", lang)]);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().unwrap()
}

#[test]
fn donation_attempts_per_minute_are_limited_with_retry_after() {
    let server = limited(&[("FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE", "3")]);
    for _ in 0..3 {
        assert_eq!(donate(&server, &[], "en").status(), StatusCode::SEE_OTHER);
    }
    let r = donate(&server, &[], "ar");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
    let page = r.text().unwrap();
    assert!(page.contains("محاولات كثيرة"), "{page}");
    // Nothing was written for the refused attempt.
    assert_eq!(server.ledger().count(), 3);
}

#[test]
fn open_donations_per_address_are_limited() {
    let server = limited(&[("FUNDRAISER_LIMITS__OPEN_DONATIONS_PER_IP", "2")]);
    assert_eq!(donate(&server, &[], "en").status(), StatusCode::SEE_OTHER);
    assert_eq!(donate(&server, &[], "en").status(), StatusCode::SEE_OTHER);
    let r = donate(&server, &[], "en");
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    assert!(r.text().unwrap().contains("Too many attempts"));
}

#[test]
fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    // Untrusted peer: X-Forwarded-For is ignored, so all attempts share one address.
    let server = limited(&[("FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE", "1")]);
    let a = [("X-Forwarded-For", "203.0.113.1")];
    let b = [("X-Forwarded-For", "203.0.113.2")];
    assert_eq!(donate(&server, &a, "en").status(), StatusCode::SEE_OTHER);
    assert_eq!(
        donate(&server, &b, "en").status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // Loopback trusted: each forwarded client has its own budget.
    let server = limited(&[
        ("FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE", "1"),
        ("FUNDRAISER_SERVER__TRUSTED_PROXIES", "[\"127.0.0.1\"]"),
        // Behind a proxy the sandbox is public: a demonstration.
        ("FUNDRAISER_SANDBOX__PUBLIC", "true"),
    ]);
    assert_eq!(donate(&server, &a, "en").status(), StatusCode::SEE_OTHER);
    assert_eq!(donate(&server, &b, "en").status(), StatusCode::SEE_OTHER);
    assert_eq!(
        donate(&server, &a, "en").status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let first = server.ledger().donations().remove(0);
    assert_eq!(first.client_ip.as_deref(), Some("203.0.113.1"));
}

/// Waits, if need be, for a minute with at least 15 s left: the limits count in
/// one-minute windows, and a test of where a limit falls must not straddle two.
fn fresh_minute() {
    let second = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        % 60;
    if second > 45 {
        std::thread::sleep(Duration::from_secs(61 - second));
    }
}

#[test]
fn an_ipv6_48_shares_a_coarser_limit_than_its_64s() {
    let server = limited(&[
        ("FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE", "1"),
        ("FUNDRAISER_LIMITS__IPV6_48_MULTIPLIER", "3"),
        ("FUNDRAISER_SERVER__TRUSTED_PROXIES", "[\"127.0.0.1\"]"),
        // Behind a proxy the sandbox runs only as a public demonstration.
        ("FUNDRAISER_SANDBOX__PUBLIC", "true"),
    ]);
    let from = |client: &str| donate(&server, &[("X-Forwarded-For", client)], "en").status();
    fresh_minute();
    // One /64 has one attempt a minute, whichever of its addresses asks.
    assert_eq!(from("2001:db8:1:1::1"), StatusCode::SEE_OTHER);
    assert_eq!(from("2001:db8:1:1::2"), StatusCode::TOO_MANY_REQUESTS);
    // Its /48 has three in all, then none of its 65,536 /64s gets one.
    assert_eq!(from("2001:db8:1:2::1"), StatusCode::SEE_OTHER);
    assert_eq!(from("2001:db8:1:ffff::1"), StatusCode::SEE_OTHER);
    for subnet in ["3", "4", "abcd"] {
        assert_eq!(
            from(&format!("2001:db8:1:{subnet}::1")),
            StatusCode::TOO_MANY_REQUESTS,
            "{subnet}"
        );
    }
    // Another /48, and IPv4 clients, have their own.
    assert_eq!(from("2001:db8:2:1::1"), StatusCode::SEE_OTHER);
    assert_eq!(from("203.0.113.1"), StatusCode::SEE_OTHER);
    assert_eq!(server.ledger().count(), 5);
}

#[test]
fn a_trusted_proxy_written_as_ipv4_mapped_ipv6_is_trusted() {
    let server = limited(&[
        ("FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE", "1"),
        (
            "FUNDRAISER_SERVER__TRUSTED_PROXIES",
            "[\"::ffff:127.0.0.1\"]",
        ),
        ("FUNDRAISER_SANDBOX__PUBLIC", "true"),
    ]);
    let a = [("X-Forwarded-For", "203.0.113.1")];
    let b = [("X-Forwarded-For", "203.0.113.2")];
    fresh_minute();
    assert_eq!(donate(&server, &a, "en").status(), StatusCode::SEE_OTHER);
    assert_eq!(donate(&server, &b, "en").status(), StatusCode::SEE_OTHER);
    assert_eq!(
        donate(&server, &a, "en").status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    let first = server.ledger().donations().remove(0);
    assert_eq!(first.client_ip.as_deref(), Some("203.0.113.1"));
}

#[test]
fn callbacks_per_minute_are_limited() {
    let server = limited(&[("FUNDRAISER_LIMITS__CALLBACKS_PER_IP_PER_MINUTE", "2")]);
    for _ in 0..2 {
        let r = client()
            .get(server.url("/payment/return/sandbox?x=1"))
            .send()
            .unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    }
    let r = client()
        .get(server.url("/payment/return/sandbox?x=1"))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let r = client()
        .post(server.url("/payment/webhook/sandbox"))
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(r.headers().contains_key("retry-after"));
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
}

#[test]
fn bodies_over_their_limits_get_413() {
    let server = Server::start();
    let r = client()
        .post(server.url("/payment/webhook/sandbox"))
        .body(vec![b'x'; 64 * 1024 + 1])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let r = client()
        .post(server.url("/donate"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 4097])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

/// Opens a raw connection and sends `head`, then trickles or stalls.
fn raw(server: &Server) -> TcpStream {
    let addr = server.base.trim_start_matches("http://").to_string();
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

#[test]
fn slow_headers_and_slow_bodies_are_cut_off() {
    let server = Server::start_with(
        Opts::default()
            .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
            .env("FUNDRAISER_LIMITS__HEADER_TIMEOUT", "500ms")
            .env("FUNDRAISER_LIMITS__BODY_TIMEOUT", "700ms"),
    );
    // Headers that never finish: the server closes the connection (or answers 408).
    let mut s = raw(&server);
    s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\n").unwrap();
    let start = Instant::now();
    let mut buf = Vec::new();
    let _ = s.read_to_end(&mut buf);
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "slow headers not cut off"
    );
    let text = String::from_utf8_lossy(&buf);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 408"),
        "{text}"
    );

    // A body trickled slower than the body timeout: 408, and no donation.
    let mut s = raw(&server);
    s.write_all(
        b"POST /donate HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 40\r\n\r\namount=5",
    )
    .unwrap();
    let start = Instant::now();
    let mut buf = Vec::new();
    for _ in 0..30 {
        if s.write_all(b"0").is_err() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        s.set_nonblocking(true).unwrap();
        let mut chunk = [0u8; 4096];
        if let Ok(n) = s.read(&mut chunk) {
            buf.extend_from_slice(&chunk[..n]);
            if n > 0 {
                break;
            }
        }
        s.set_nonblocking(false).unwrap();
    }
    assert!(
        start.elapsed() < Duration::from_secs(3),
        "slow body not cut off"
    );
    let text = String::from_utf8_lossy(&buf);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    // Others are served meanwhile.
    assert_eq!(
        client().get(server.url("/")).send().unwrap().status(),
        StatusCode::OK
    );
}

#[test]
fn every_response_carries_a_request_id() {
    let server = Server::start();
    let mut seen = std::collections::HashSet::new();
    for path in [
        "/",
        "/nope",
        "/donate",
        "/api/total",
        "/payment/return/sandbox",
    ] {
        let r = client().get(server.url(path)).send().unwrap();
        let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert_eq!(id.len(), 16, "{path}");
        assert!(seen.insert(id), "ids are unique");
    }
    let r = client()
        .post(server.url("/donate"))
        .form(&[("amount", "x")])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.headers().contains_key("x-request-id"));
}

#[test]
fn oversized_request_headers_get_431() {
    let server = Server::start();
    let r = client()
        .get(server.url("/"))
        .header("X-Padding", "a".repeat(20_000))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE);
    assert!(r.headers().contains_key("x-request-id"));
    assert!(r.headers().contains_key("content-security-policy"));
    let r = client()
        .get(server.url("/"))
        .header("X-Padding", "a".repeat(8_000))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
}
