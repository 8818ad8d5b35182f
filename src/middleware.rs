//! Headers every response carries, and the access log.

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::DefaultHeaders;

use crate::config::Settings;

/// The Content-Security-Policy: same-origin everything, no inline code, no framing.
pub fn content_security_policy(form_action_extra: Option<&str>) -> String {
    let form_action = match form_action_extra {
        Some(origin) => format!("'self' {origin}"),
        None => "'self'".to_owned(),
    };
    format!(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; \
         connect-src 'self'; manifest-src 'self'; form-action {form_action}; base-uri 'none'; \
         frame-ancestors 'none'"
    )
}

pub fn security_headers(settings: &Settings, form_action_extra: Option<&str>) -> DefaultHeaders {
    let csp = HeaderValue::from_str(&content_security_policy(form_action_extra))
        .unwrap_or_else(|_| HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"));
    let mut headers = DefaultHeaders::new()
        .add((HeaderName::from_static("content-security-policy"), csp))
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "strict-origin-when-cross-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()",
        ))
        .add(("X-Frame-Options", "DENY"))
        .add(("Cross-Origin-Opener-Policy", "same-origin"));
    if settings.raw.server.https {
        headers = headers.add((
            "Strict-Transport-Security",
            "max-age=63072000; includeSubDomains",
        ));
    }
    headers
}
