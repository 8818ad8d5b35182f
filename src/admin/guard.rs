//! The guard of every state-changing admin form (refunds, reconciliation): cross-site
//! requests are refused. A browser sends HTTP Basic credentials by itself, so a page
//! elsewhere could otherwise make an admin's browser post one. A request whose
//! `Sec-Fetch-Site` or `Origin` shows another site is refused, and a form sent with Basic
//! credentials must carry a form token the dashboard put in it lately (signed with a key
//! derived from the admin token, and dated: a page elsewhere cannot make one, and one
//! read from a leaked page stops working after [`FORM_TOKEN_VALID`]). A `Bearer` request
//! (a script; browsers never add that header by themselves) needs no form token.

use std::time::Duration;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use super::{Admin, authorize};
use crate::http::plain;
use crate::state::AppState;

/// How long a form token is accepted after the dashboard issued it: a working session,
/// not the token's lifetime.
pub const FORM_TOKEN_VALID: Duration = Duration::from_secs(4 * 3600);
/// A token dated this far ahead is still accepted (another server's clock a little fast).
const CLOCK_AHEAD: i64 = 300;

/// The token the dashboard's forms carry, issued at `now_s` (unix seconds):
/// `{issued}.{hex HMAC-SHA256 of "fundraiser admin form:{issued}"}` under the SHA-256 of
/// the admin token, so every server sharing the token accepts it and none without it can
/// make one.
pub fn form_token(admin: &Admin, now_s: i64) -> String {
    form_mac(admin, now_s).map_or_else(String::new, |mac| format!("{now_s}.{mac}"))
}

fn form_mac(admin: &Admin, issued_s: i64) -> Option<String> {
    let key = admin.token_digest?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).ok()?;
    mac.update(format!("fundraiser admin form:{issued_s}").as_bytes());
    Some(hex::encode(mac.finalize().into_bytes()))
}

/// Whether `given` is a form token this admin token signed, issued within
/// [`FORM_TOKEN_VALID`] of `now_s`. The signature is compared in constant time.
pub fn form_token_valid(admin: &Admin, given: &str, now_s: i64) -> bool {
    let Some((issued, mac)) = given.split_once('.') else {
        return false;
    };
    let Ok(issued_s) = issued.parse::<i64>() else {
        return false;
    };
    let valid_s = i64::try_from(FORM_TOKEN_VALID.as_secs()).unwrap_or(i64::MAX);
    let age = now_s.saturating_sub(issued_s);
    if age > valid_s || age < -CLOCK_AHEAD {
        return false;
    }
    form_mac(admin, issued_s)
        .is_some_and(|expected| bool::from(mac.as_bytes().ct_eq(expected.as_bytes())))
}

/// Now, in unix seconds, as form tokens are dated.
pub fn now_s() -> i64 {
    crate::ledger::now_ms() / 1000
}

/// Whether the request comes from this site's own pages (or from no page at all).
fn same_site(req: &HttpRequest, state: &AppState) -> bool {
    let fetch_site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("cross-site" | "same-site")) {
        return false;
    }
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return true;
    };
    let origin = origin.to_str().unwrap_or_default();
    let own = req.connection_info();
    let served = format!("{}://{}", own.scheme(), own.host());
    let settings = &state.settings;
    origin == served
        || origin == settings.site_origin
        || settings.api_origin.as_deref() == Some(origin)
}

/// Whether the request was sent by a script with a `Bearer` token.
pub fn is_bearer(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
}

#[derive(Deserialize)]
struct TokenOnly {
    #[serde(default)]
    form_token: String,
}

/// Authorizes a state-changing admin request and reads its form; answers the refusal
/// (404/401/429, 403 cross-site or without the form token, 400 malformed) otherwise.
pub async fn admit<F: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    admin: &Admin,
) -> Result<F, HttpResponse> {
    authorize(req, state, admin)?;
    if !same_site(req, state) {
        tracing::warn!(
            path = req.path(),
            "admin form refused: sent from another site"
        );
        return Err(plain(
            StatusCode::FORBIDDEN,
            "Refused: this request came from another site.",
        ));
    }
    let limit = state.settings.limits.form_body_bytes;
    let body = state
        .read_body(req, payload, limit)
        .await
        .map_err(|e| crate::http::errors::PageError::from(e).answer(crate::lang::Lang::En))?;
    let malformed = || plain(StatusCode::BAD_REQUEST, "The form is malformed.");
    let token: TokenOnly = serde_urlencoded::from_bytes(&body).map_err(|_| malformed())?;
    if !is_bearer(req) && !form_token_valid(admin, &token.form_token, now_s()) {
        return Err(plain(
            StatusCode::FORBIDDEN,
            "Refused: the form token is missing, wrong or too old. Reload the dashboard and try again.",
        ));
    }
    serde_urlencoded::from_bytes(&body).map_err(|_| malformed())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest as _;

    fn admin(token: &str) -> Admin {
        Admin {
            token_digest: Some(Sha256::digest(token.as_bytes()).into()),
            failures: crate::limits::RateLimiter::new(5),
            stats: None,
        }
    }

    #[test]
    fn a_form_token_is_accepted_for_four_hours_then_refused() {
        let a = admin("admin-token");
        let issued = 1_800_000_000;
        let token = form_token(&a, issued);
        assert!(token.starts_with("1800000000."), "{token}");
        assert!(form_token_valid(&a, &token, issued));
        assert!(form_token_valid(&a, &token, issued + 4 * 3600));
        assert!(!form_token_valid(&a, &token, issued + 4 * 3600 + 1));
        // Another server's clock a little behind still takes it; far behind does not.
        assert!(form_token_valid(&a, &token, issued - 60));
        assert!(!form_token_valid(&a, &token, issued - 3600));
    }

    #[test]
    fn a_form_token_cannot_be_redated_forged_or_used_with_another_admin_token() {
        let a = admin("admin-token");
        let now = 1_800_000_000;
        let token = form_token(&a, now - 5 * 3600);
        let (_, mac) = token.split_once('.').unwrap();
        assert!(!form_token_valid(&a, &format!("{now}.{mac}"), now));
        assert!(!form_token_valid(
            &admin("other"),
            &form_token(&a, now),
            now
        ));
        for bad in ["", ".", "1800000000", "1800000000.", "x.y", "-1.00"] {
            assert!(!form_token_valid(&a, bad, now), "{bad:?}");
        }
        // The static token of old (a MAC of a fixed label) is no longer accepted.
        let mut mac = Hmac::<Sha256>::new_from_slice(&Sha256::digest(b"admin-token")).unwrap();
        mac.update(b"fundraiser admin form");
        let old = hex::encode(mac.finalize().into_bytes());
        assert!(!form_token_valid(&a, &old, now));
    }
}
