//! The sandbox's privacy rule: it takes anyone's word that they paid, so it runs only
//! where nobody else can reach it, unless the operator asks for a public demonstration
//! (`sandbox.public`). Any setting that only makes sense for visitors from elsewhere (a
//! proxy in front, HTTPS, pages hosted on another origin) says the site is public.

use super::network::ServerChecked;
use super::{ConfigError, Server};

pub(super) fn check_sandbox_private(s: &Server, server: &ServerChecked) -> Result<(), ConfigError> {
    let why = if !server.bind.ip().to_canonical().is_loopback() {
        format!("server.bind {} is not a loopback address", server.bind)
    } else if !is_loopback_http(&server.public_url) {
        format!(
            "server.public_url {:?} is not an http:// loopback URL",
            s.public_url
        )
    } else if server.tls.is_some() {
        "built-in HTTPS is on (server.tls_cert, server.tls_key)".to_owned()
    } else if s.https {
        "server.https = true says a proxy serves the site over HTTPS".to_owned()
    } else if !server.trusted_proxies.is_empty() {
        "server.trusted_proxies is set: a proxy forwards visitors from elsewhere".to_owned()
    } else if let Some(origin) = &server.api_origin {
        format!("server.api_origin {origin:?} is set: pages hosted elsewhere call this server")
    } else {
        return Ok(());
    };
    Err(ConfigError(format!(
        "gateway.kind = \"sandbox\" takes test payments that anyone can fake, but {why}. To take real donations set gateway.kind = \"stripe\" with stripe.secret_key and stripe.webhook_secret (FUNDRAISER_GATEWAY__KIND=stripe, FUNDRAISER_STRIPE__SECRET_KEY, FUNDRAISER_STRIPE__WEBHOOK_SECRET); to run a public demonstration with no real money set sandbox.public = true (FUNDRAISER_SANDBOX__PUBLIC=true)"
    )))
}

/// `http://` to `localhost`, `127.x.y.z` or `[::1]`, with any port and path.
fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}
