//! The security headers every answer carries, computed once at start-up: the
//! Content-Security-Policy (no inline code, no framing), nosniff, the referrer and
//! permissions policies, and HSTS when the site is served over HTTPS.

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};

use crate::config::Settings;

/// The Content-Security-Policy: same-origin everything, no inline code, no framing. The
/// API's origin (split deployment) may be fetched from and posted to; a hosted checkout's
/// origin may be posted to.
pub fn content_security_policy(api_origin: Option<&str>, checkout_origin: Option<&str>) -> String {
    let with = |extra: &[Option<&str>]| {
        let mut v = "'self'".to_owned();
        for origin in extra.iter().flatten() {
            v.push(' ');
            v.push_str(origin);
        }
        v
    };
    let connect = with(&[api_origin]);
    let form_action = with(&[api_origin, checkout_origin]);
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         connect-src {connect}; manifest-src 'self'; form-action {form_action}; base-uri 'none'; \
         frame-ancestors 'none'"
    )
}

/// The headers every response carries, computed once.
#[derive(Debug, Clone)]
pub struct SecurityHeaders(Vec<(HeaderName, HeaderValue)>);

impl SecurityHeaders {
    pub fn new(settings: &Settings, checkout_origin: Option<&str>) -> SecurityHeaders {
        let csp = HeaderValue::from_str(&content_security_policy(
            settings.api_origin.as_deref(),
            checkout_origin,
        ))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"));
        let mut headers = vec![
            (HeaderName::from_static("content-security-policy"), csp),
            (
                HeaderName::from_static("x-content-type-options"),
                HeaderValue::from_static("nosniff"),
            ),
            (
                HeaderName::from_static("referrer-policy"),
                HeaderValue::from_static("strict-origin-when-cross-origin"),
            ),
            (
                HeaderName::from_static("permissions-policy"),
                HeaderValue::from_static(
                    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()",
                ),
            ),
            (
                HeaderName::from_static("x-frame-options"),
                HeaderValue::from_static("DENY"),
            ),
            (
                HeaderName::from_static("cross-origin-opener-policy"),
                HeaderValue::from_static("same-origin"),
            ),
        ];
        if settings.https {
            headers.push((
                HeaderName::from_static("strict-transport-security"),
                HeaderValue::from_static("max-age=63072000; includeSubDomains"),
            ));
        }
        SecurityHeaders(headers)
    }

    /// The headers, for `fundraiser export`'s `_headers` file.
    pub fn pairs(&self) -> impl Iterator<Item = (&HeaderName, &HeaderValue)> {
        self.0.iter().map(|(n, v)| (n, v))
    }

    /// Puts every header on `map` that the handler did not set itself.
    pub fn apply(&self, map: &mut HeaderMap) {
        for (name, value) in &self.0 {
            if !map.contains_key(name) {
                map.insert(name.clone(), value.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_action_lists_the_checkout_origin_only_when_given() {
        let own = content_security_policy(None, None);
        assert!(own.contains("form-action 'self';"), "{own}");
        assert!(own.contains("connect-src 'self';"), "{own}");
        let split = content_security_policy(Some("https://api.example.org"), None);
        assert!(
            split.contains("connect-src 'self' https://api.example.org;")
                && split.contains("form-action 'self' https://api.example.org;"),
            "{split}"
        );
        let stripe = content_security_policy(None, Some("https://checkout.stripe.com"));
        assert!(
            stripe.contains("form-action 'self' https://checkout.stripe.com;"),
            "{stripe}"
        );
        assert_eq!(
            stripe.replace(" https://checkout.stripe.com", ""),
            own,
            "nothing else changes"
        );
    }
}
