//! The `Stripe-Signature` header, verified as Stripe specifies: a timestamp within the
//! tolerance and an HMAC-SHA256 of `<timestamp>.<body>` under the endpoint's secret.

use std::time::Duration;

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureError {
    /// Not `t=<unix time>,v1=<hex>[,v1=<hex>...]`.
    Malformed,
    /// No `v1` signature in the header.
    NoSignature,
    /// No `v1` signature matches the body.
    Mismatch,
    /// The timestamp is older than the tolerance.
    TooOld,
    /// The timestamp is further in the future than the tolerance.
    TooNew,
}

impl SignatureError {
    pub(super) fn message(self) -> &'static str {
        match self {
            SignatureError::Malformed => "the Stripe-Signature header is malformed",
            SignatureError::NoSignature => "the Stripe-Signature header has no v1 signature",
            SignatureError::Mismatch => "the signature does not match the body",
            SignatureError::TooOld => "the signature's timestamp is too old",
            SignatureError::TooNew => "the signature's timestamp is in the future",
        }
    }
}

/// Verifies a `Stripe-Signature` header as Stripe specifies: `t=<unix time>` and one or
/// more `v1=<hex>`, each an HMAC-SHA256 of `"<t>.<raw body>"` keyed by the endpoint's
/// signing secret. Accepted when any `v1` matches (compared in constant time) and the
/// timestamp is within `tolerance` of `now`, either way. Other schemes (`v0`) are ignored.
pub fn verify_signature(
    header: &str,
    body: &[u8],
    secret: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<(), SignatureError> {
    let mut timestamp: Option<i64> = None;
    let mut signatures: Vec<Vec<u8>> = Vec::new();
    let mut any_v1 = false;
    for item in header.split(',') {
        let (key, value) = item
            .trim()
            .split_once('=')
            .ok_or(SignatureError::Malformed)?;
        match key {
            "t" => {
                if timestamp.is_some()
                    || value.is_empty()
                    || value.len() > 18
                    || !value.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(SignatureError::Malformed);
                }
                timestamp = Some(value.parse().map_err(|_| SignatureError::Malformed)?);
            }
            "v1" => {
                any_v1 = true;
                // A value that is not hex cannot match; the others may still.
                if let Ok(sig) = hex::decode(value) {
                    signatures.push(sig);
                }
            }
            _ => {}
        }
    }
    let t = timestamp.ok_or(SignatureError::Malformed)?;
    if !any_v1 {
        return Err(SignatureError::NoSignature);
    }
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let matched = signatures
        .iter()
        .any(|sig| mac.clone().verify_slice(sig).is_ok());
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    let age = i128::from(now) - i128::from(t);
    let tolerance = i128::from(tolerance.as_secs());
    if age > tolerance {
        return Err(SignatureError::TooOld);
    }
    if -age > tolerance {
        return Err(SignatureError::TooNew);
    }
    Ok(())
}
