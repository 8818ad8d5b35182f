//! The dashboard's form tokens (issue 29, item 14): dated and signed with a key derived
//! from the admin token, accepted for four hours. One read from a leaked page stops
//! working; the static token of old never did anything since.

use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use reqwest::blocking::Response;
use sha2::{Digest, Sha256};

use crate::admin::{TOKEN, admin_server, basic, form_token};
use crate::common::*;

/// A MAC under the key the server derives from the admin token, over `message`.
fn mac(message: &str) -> String {
    let key = Sha256::digest(TOKEN.as_bytes());
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).unwrap();
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// A token in the documented format, `{issued}.{MAC of "fundraiser admin form:{issued}"}`.
fn dated(issued_s: i64) -> String {
    format!(
        "{issued_s}.{}",
        mac(&format!("fundraiser admin form:{issued_s}"))
    )
}

fn now_s() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    i64::try_from(since.as_secs()).unwrap()
}

fn refund(server: &Server, id: &str, token: &str) -> Response {
    basic(client().post(server.url(&format!("/admin/donations/{id}/refund"))))
        .form(&[("amount", "1"), ("form_token", token)])
        .send()
        .unwrap()
}

#[test]
fn a_form_token_older_than_four_hours_or_static_is_refused() {
    let server = admin_server(&[]);
    let paid = server.pay("100");
    let raised = || server.total()["raised_minor"].as_i64().unwrap();

    // The dashboard's own token works, and is dated now.
    let token = form_token(&server);
    let (issued, _) = token.split_once('.').expect("a dated token");
    let issued: i64 = issued.parse().unwrap();
    assert!((issued - now_s()).abs() < 600, "{token}");
    assert_eq!(
        refund(&server, &paid, &token).status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(raised(), 9_900);

    // Signed with the right key but issued five hours ago: refused.
    let r = refund(&server, &paid, &dated(now_s() - 5 * 3600));
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().unwrap().contains("too old"));
    // The static token of old (a MAC of a fixed label), and one redated by hand.
    let old_static = mac("fundraiser admin form");
    assert_eq!(
        refund(&server, &paid, &old_static).status(),
        StatusCode::FORBIDDEN
    );
    let (_, sig) = token.split_once('.').unwrap();
    let redated = format!("{}.{sig}", issued + 1);
    assert_eq!(
        refund(&server, &paid, &redated).status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(raised(), 9_900, "no refused form refunded anything");

    // An hour old, in the same format: still within its time.
    assert_eq!(
        refund(&server, &paid, &dated(now_s() - 3600)).status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(raised(), 9_800);
}
