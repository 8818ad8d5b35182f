//! The validators of the sections made of addresses, URLs and origins: `[server]` and
//! `[stripe]`. An origin goes into a CSP header as is, so it is checked to the byte.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::checks::duration;
use super::settings::TlsFiles;
use super::{ConfigError, Server, Stripe};
use crate::gateway::GatewayKind;
use crate::gateway::stripe::StripeSettings;
use crate::secret::Secret;

/// The `[server]` values, checked.
pub(super) struct ServerChecked {
    pub(super) bind: SocketAddr,
    pub(super) public_url: String,
    pub(super) site_origin: String,
    pub(super) api_origin: Option<String>,
    pub(super) tls: Option<TlsFiles>,
    pub(super) http_redirect_bind: Option<SocketAddr>,
    pub(super) trusted_proxies: Vec<ipnet::IpNet>,
}

pub(super) fn check_server(s: &Server) -> Result<ServerChecked, ConfigError> {
    let bind: SocketAddr = s.bind.parse().map_err(|_| {
        ConfigError(format!(
            "server.bind: {:?} is not an address like 127.0.0.1:8080",
            s.bind
        ))
    })?;
    let public_url = s.public_url.trim_end_matches('/').to_owned();
    if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
        return Err(ConfigError(format!(
            "server.public_url: {:?} must start with http:// or https://",
            s.public_url
        )));
    }
    // Written as it is into pages, share links, the sitemap and structured data.
    if let Some(c) = public_url
        .chars()
        .find(|c| c.is_whitespace() || c.is_control() || "\"'<>&\\?#`{}|^".contains(*c))
    {
        return Err(ConfigError(format!(
            "server.public_url: {:?} holds {c:?}; give the site's address alone, like https://give.example.org",
            s.public_url
        )));
    }
    let trusted_proxies = s
        .trusted_proxies
        .iter()
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map(canonical_net)
                .map_err(|_| {
                    ConfigError(format!(
                        "server.trusted_proxies: {p:?} is not an address or network like 10.0.0.1 or 10.0.0.0/8"
                    ))
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    if s.html_max_age > 86_400 || s.total_max_age > 3_600 {
        return Err(ConfigError(
            "server.html_max_age must be at most 86400 and server.total_max_age at most 3600"
                .into(),
        ));
    }
    let site_origin = origin_of(&public_url);
    let api_origin = match s.api_origin.trim().trim_end_matches('/') {
        "" => None,
        o if is_origin(o) => Some(o.to_owned()),
        _ => {
            return Err(ConfigError(format!(
                "server.api_origin: {:?} must be an origin like https://api.example.org (no path)",
                s.api_origin
            )));
        }
    };
    let tls = match (s.tls_cert.trim(), s.tls_key.trim()) {
        ("", "") => None,
        ("", _) | (_, "") => {
            return Err(ConfigError(
                "server.tls_cert and server.tls_key: set both (PEM files) or neither".into(),
            ));
        }
        (cert, key) => Some(TlsFiles {
            cert: PathBuf::from(cert),
            key: PathBuf::from(key),
        }),
    };
    let http_redirect_bind = match s.http_redirect_bind.trim() {
        "" => None,
        a => {
            let addr: SocketAddr = a.parse().map_err(|_| {
                ConfigError(format!(
                    "server.http_redirect_bind: {a:?} is not an address like 0.0.0.0:80"
                ))
            })?;
            if tls.is_none() {
                return Err(ConfigError(
                    "server.http_redirect_bind: needs HTTPS on (server.tls_cert and server.tls_key)"
                        .into(),
                ));
            }
            if !public_url.starts_with("https://") {
                return Err(ConfigError(format!(
                    "server.http_redirect_bind: redirects go to server.public_url, which must start with https:// (it is {public_url:?})"
                )));
            }
            // Port 0 asks the system for a free port, which two listeners never share.
            if addr == bind && addr.port() != 0 {
                return Err(ConfigError(
                    "server.http_redirect_bind: must differ from server.bind".into(),
                ));
            }
            Some(addr)
        }
    };
    Ok(ServerChecked {
        bind,
        public_url,
        site_origin,
        api_origin,
        tls,
        http_redirect_bind,
        trusted_proxies,
    })
}

/// A trusted proxy as the peers it is compared with: those are canonical (a server
/// bound to `[::]` sees `::ffff:10.0.0.1`, and `client_ip` makes it `10.0.0.1`), so an
/// IPv4-mapped address or network in the settings is made IPv4 too, or it never matches.
fn canonical_net(net: ipnet::IpNet) -> ipnet::IpNet {
    match net {
        ipnet::IpNet::V6(v6) if v6.prefix_len() >= 96 => v6
            .addr()
            .to_ipv4_mapped()
            .and_then(|v4| ipnet::Ipv4Net::new(v4, v6.prefix_len() - 96).ok())
            .map_or(net, ipnet::IpNet::V4),
        other => other,
    }
}

/// A gateway's API address (`<section>.api_base`), trimmed of a final `/`.
pub(super) fn api_base(key: &str, raw: &str) -> Result<String, ConfigError> {
    let base = raw.trim().trim_end_matches('/').to_owned();
    if !(base.starts_with("http://") || base.starts_with("https://"))
        || base.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ConfigError(format!(
            "{key}: {raw:?} must start with http:// or https://"
        )));
    }
    Ok(base)
}

/// A gateway's hosted page origin (for the CSP's form-action), like `example`.
pub(super) fn origin(key: &str, raw: &str, example: &str) -> Result<String, ConfigError> {
    let origin = raw.trim().trim_end_matches('/').to_owned();
    if !is_origin(&origin) {
        return Err(ConfigError(format!(
            "{key}: {raw:?} must be an origin like {example}"
        )));
    }
    Ok(origin)
}

/// The `[stripe]` section checked, secrets trimmed but never quoted in a message; the
/// secrets are required only when Stripe is the gateway.
pub(super) fn check_stripe(
    s: &Stripe,
    gateway: GatewayKind,
) -> Result<StripeSettings, ConfigError> {
    let api_base = api_base("stripe.api_base", &s.api_base)?;
    let checkout_origin = origin(
        "stripe.checkout_origin",
        &s.checkout_origin,
        "https://checkout.stripe.com",
    )?;
    let secret = |key: &str, v: &Secret| {
        let v = v.expose().trim();
        if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ConfigError(format!(
                "{key}: contains spaces or control characters (value not shown)"
            )));
        }
        Ok(Secret::new(v))
    };
    let settings = StripeSettings {
        secret_key: secret("stripe.secret_key", &s.secret_key)?,
        webhook_secret: secret("stripe.webhook_secret", &s.webhook_secret)?,
        api_base,
        checkout_origin,
        signature_tolerance: duration(
            "stripe.signature_tolerance",
            &s.signature_tolerance,
            Duration::from_secs(1),
        )?,
        connect_timeout: duration(
            "stripe.connect_timeout",
            &s.connect_timeout,
            Duration::from_millis(100),
        )?,
        request_timeout: duration(
            "stripe.request_timeout",
            &s.request_timeout,
            Duration::from_millis(100),
        )?,
    };
    if gateway == GatewayKind::Stripe {
        let missing: Vec<&str> = [
            ("stripe.secret_key", &settings.secret_key),
            ("stripe.webhook_secret", &settings.webhook_secret),
        ]
        .into_iter()
        .filter(|(_, v)| v.is_empty())
        .map(|(k, _)| k)
        .collect();
        if !missing.is_empty() {
            return Err(ConfigError(format!(
                "gateway.kind = \"stripe\" needs {} (set {} in the environment, or in config.toml)",
                missing.join(" and "),
                missing
                    .iter()
                    .map(|k| format!("FUNDRAISER_{}", k.to_uppercase().replace('.', "__")))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )));
        }
        if settings.secret_key.expose().starts_with("pk_") {
            return Err(ConfigError(
                "stripe.secret_key: this is a publishable key (pk_...); use the secret key (sk_...)"
                    .into(),
            ));
        }
    }
    Ok(settings)
}

/// `scheme://host[:port]` and nothing else: it goes into a CSP header as is.
pub(super) fn is_origin(s: &str) -> bool {
    let Some(rest) = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
    else {
        return false;
    };
    !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
}

/// `scheme://host[:port]` of a URL already known to start with http:// or https://.
pub(super) fn origin_of(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => url[..after_scheme + i].to_owned(),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;

    #[test]
    fn ipv4_mapped_trusted_proxies_are_made_ipv4() {
        let mut c = Config::default();
        // A proxy makes the site public: the sandbox only as a demonstration.
        c.sandbox.public = true;
        c.server.trusted_proxies = [
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.0/104",
            "::ffff:0:0/96",
            "10.1.0.0/16",
            "2001:db8::/32",
            "::1",
        ]
        .map(String::from)
        .to_vec();
        let nets: Vec<String> = c
            .settings()
            .unwrap()
            .trusted_proxies
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            nets,
            [
                "127.0.0.1/32",
                "10.0.0.0/8",
                "0.0.0.0/0",
                "10.1.0.0/16",
                "2001:db8::/32",
                "::1/128"
            ]
        );
    }
}
