//! Checking every value once, at start-up, and deriving the typed settings.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{AdminToken, Config, ConfigError, StripeSettings, Timeouts};
use crate::money::Currency;

/// Validated settings derived from [`Config`], in the types the server works with.
#[derive(Debug, Clone)]
pub struct Settings {
    pub raw: Config,
    pub bind: SocketAddr,
    pub currency: Currency,
    pub goal_minor: i64,
    pub min_minor: i64,
    pub max_minor: i64,
    pub presets_minor: Vec<i64>,
    pub ends_at: Option<time::OffsetDateTime>,
    pub pending_ttl: Duration,
    pub public_url: String,
    pub timeouts: Timeouts,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Checked whatever the gateway; the secrets are required only when it is Stripe.
    pub stripe: StripeSettings,
    /// The admin token, trimmed; `None` when the admin routes are off.
    pub admin_token: Option<AdminToken>,
    pub stats_cache: Duration,
    /// The API's origin when it differs from the pages' (`server.api_origin`).
    pub api_origin: Option<String>,
    /// The origin of `public_url`: the pages' origin, allowed by CORS on `/api/total`.
    pub site_origin: String,
    /// Certificate and key files when HTTPS is on.
    pub tls: Option<TlsFiles>,
    /// The plain-HTTP address redirecting to HTTPS, when configured.
    pub http_redirect_bind: Option<SocketAddr>,
}

/// The PEM files of the built-in HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl Config {
    /// Checks every value and derives the typed settings.
    pub fn settings(self) -> Result<Settings, ConfigError> {
        let bind: SocketAddr = self.server.bind.parse().map_err(|_| {
            ConfigError(format!(
                "server.bind: {:?} is not an address like 127.0.0.1:8080",
                self.server.bind
            ))
        })?;
        let public_url = self.server.public_url.trim_end_matches('/').to_owned();
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(ConfigError(format!(
                "server.public_url: {:?} must start with http:// or https://",
                self.server.public_url
            )));
        }
        let currency = Currency::from_code(&self.campaign.currency).ok_or_else(|| {
            ConfigError(format!(
                "campaign.currency: {:?} is not a supported ISO 4217 currency code",
                self.campaign.currency
            ))
        })?;
        let major = |key: &str, v: u64| {
            currency.major_to_minor(v).ok_or_else(|| {
                ConfigError(format!("{key}: {v} is too large for {}", currency.code()))
            })
        };
        let goal_minor = major("campaign.goal", self.campaign.goal)?;
        if goal_minor <= 0 {
            return Err(ConfigError("campaign.goal: must be more than 0".into()));
        }
        let min_minor = major("donation.min", self.donation.min)?;
        let max_minor = major("donation.max", self.donation.max)?;
        if min_minor <= 0 {
            return Err(ConfigError("donation.min: must be more than 0".into()));
        }
        if max_minor < min_minor {
            return Err(ConfigError(format!(
                "donation.max: {} is below donation.min ({})",
                self.donation.max, self.donation.min
            )));
        }
        let mut presets_minor = Vec::with_capacity(self.donation.presets.len());
        for &p in &self.donation.presets {
            let m = major("donation.presets", p)?;
            if m < min_minor || m > max_minor {
                return Err(ConfigError(format!(
                    "donation.presets: {p} is outside donation.min..donation.max ({}..{})",
                    self.donation.min, self.donation.max
                )));
            }
            presets_minor.push(m);
        }
        if presets_minor.len() > 8 {
            return Err(ConfigError("donation.presets: at most 8 presets".into()));
        }
        let ends_at = if self.campaign.ends_at.trim().is_empty() {
            None
        } else {
            Some(
                time::OffsetDateTime::parse(
                    self.campaign.ends_at.trim(),
                    &time::format_description::well_known::Rfc3339,
                )
                .map_err(|_| {
                    ConfigError(format!(
                        "campaign.ends_at: {:?} is not an RFC 3339 time like 2026-12-31T23:59:59+04:00",
                        self.campaign.ends_at
                    ))
                })?,
            )
        };
        let pending_ttl = humantime::parse_duration(&self.donation.pending_ttl).map_err(|e| {
            ConfigError(format!(
                "donation.pending_ttl: {:?} is not a duration like 2h or 90m ({e})",
                self.donation.pending_ttl
            ))
        })?;
        if pending_ttl < Duration::from_secs(60) {
            return Err(ConfigError(
                "donation.pending_ttl: must be at least 1m, donors need time to pay".into(),
            ));
        }
        let duration = |key: &str, v: &str, min: Duration| {
            let d = humantime::parse_duration(v).map_err(|e| {
                ConfigError(format!(
                    "{key}: {v:?} is not a duration like 5s or 2m ({e})"
                ))
            })?;
            if d < min {
                return Err(ConfigError(format!("{key}: must be at least {min:?}")));
            }
            Ok(d)
        };
        let l = &self.limits;
        let timeouts = Timeouts {
            header: duration(
                "limits.header_timeout",
                &l.header_timeout,
                Duration::from_millis(100),
            )?,
            body: duration(
                "limits.body_timeout",
                &l.body_timeout,
                Duration::from_millis(100),
            )?,
            keep_alive: duration("limits.keep_alive", &l.keep_alive, Duration::ZERO)?,
            shutdown: duration(
                "limits.shutdown_timeout",
                &l.shutdown_timeout,
                Duration::ZERO,
            )?,
        };
        if l.form_body_bytes < 256 || l.webhook_body_bytes < 1024 || l.header_bytes < 1024 {
            return Err(ConfigError(
                "limits.form_body_bytes must be at least 256, limits.webhook_body_bytes and limits.header_bytes at least 1024"
                    .into(),
            ));
        }
        let trusted_proxies = self
            .server
            .trusted_proxies
            .iter()
            .map(|p| {
                p.parse::<ipnet::IpNet>()
                    .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        ConfigError(format!(
                            "server.trusted_proxies: {p:?} is not an address or network like 10.0.0.1 or 10.0.0.0/8"
                        ))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let stripe = self.stripe_settings(&duration)?;
        let stats_cache = duration("admin.stats_cache", &self.admin.stats_cache, Duration::ZERO)?;
        let token = self.admin.token.trim();
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ConfigError(
                "admin.token: contains spaces or control characters (value not shown)".into(),
            ));
        }
        if !token.is_empty() && token.len() < 16 {
            return Err(ConfigError(
                "admin.token: must be at least 16 characters (value not shown)".into(),
            ));
        }
        let admin_token = (!token.is_empty()).then(|| AdminToken(token.to_owned()));
        match self.gateway.kind.as_str() {
            "sandbox" => {}
            "stripe" => {
                let missing: Vec<&str> = [
                    ("stripe.secret_key", &stripe.secret_key),
                    ("stripe.webhook_secret", &stripe.webhook_secret),
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
                if stripe.secret_key.starts_with("pk_") {
                    return Err(ConfigError(
                        "stripe.secret_key: this is a publishable key (pk_...); use the secret key (sk_...)"
                            .into(),
                    ));
                }
            }
            other => {
                return Err(ConfigError(format!(
                    "gateway.kind: {other:?} is not a known gateway (expected \"sandbox\" or \"stripe\")"
                )));
            }
        }
        if !(1..=crate::ledger::BATCH_MAX).contains(&self.ledger.batch_max) {
            return Err(ConfigError(format!(
                "ledger.batch_max: {} must be between 1 and {}",
                self.ledger.batch_max,
                crate::ledger::BATCH_MAX
            )));
        }
        if self.server.html_max_age > 86_400 || self.server.total_max_age > 3_600 {
            return Err(ConfigError(
                "server.html_max_age must be at most 86400 and server.total_max_age at most 3600"
                    .into(),
            ));
        }
        let site_origin = origin_of(&public_url);
        let api_origin = match self.server.api_origin.trim().trim_end_matches('/') {
            "" => None,
            o if is_origin(o) => Some(o.to_owned()),
            _ => {
                return Err(ConfigError(format!(
                    "server.api_origin: {:?} must be an origin like https://api.example.org (no path)",
                    self.server.api_origin
                )));
            }
        };
        let tls = match (self.server.tls_cert.trim(), self.server.tls_key.trim()) {
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
        let http_redirect_bind = match self.server.http_redirect_bind.trim() {
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
        Ok(Settings {
            bind,
            api_origin,
            site_origin,
            tls,
            http_redirect_bind,
            currency,
            goal_minor,
            min_minor,
            max_minor,
            presets_minor,
            ends_at,
            pending_ttl,
            public_url,
            timeouts,
            trusted_proxies,
            stripe,
            admin_token,
            stats_cache,
            raw: self,
        })
    }

    /// The `[stripe]` section checked, secrets trimmed but never quoted in a message.
    fn stripe_settings(
        &self,
        duration: &impl Fn(&str, &str, Duration) -> Result<Duration, ConfigError>,
    ) -> Result<StripeSettings, ConfigError> {
        let s = &self.stripe;
        let api_base = s.api_base.trim().trim_end_matches('/').to_owned();
        if !(api_base.starts_with("http://") || api_base.starts_with("https://"))
            || api_base
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ConfigError(format!(
                "stripe.api_base: {:?} must start with http:// or https://",
                s.api_base
            )));
        }
        let checkout_origin = s.checkout_origin.trim().trim_end_matches('/').to_owned();
        if !is_origin(&checkout_origin) {
            return Err(ConfigError(format!(
                "stripe.checkout_origin: {:?} must be an origin like https://checkout.stripe.com",
                s.checkout_origin
            )));
        }
        let secret = |key: &str, v: &str| {
            let v = v.trim();
            if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(ConfigError(format!(
                    "{key}: contains spaces or control characters (value not shown)"
                )));
            }
            Ok(v.to_owned())
        };
        Ok(StripeSettings {
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
        })
    }
}

/// `scheme://host[:port]` and nothing else: it goes into a CSP header as is.
fn is_origin(s: &str) -> bool {
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
fn origin_of(url: &str) -> String {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => url[..after_scheme + i].to_owned(),
        None => url.to_owned(),
    }
}

impl Settings {
    /// A path of the API as pages link to it: absolute on `server.api_origin` when the
    /// pages are hosted elsewhere, else the path itself.
    pub fn api_url(&self, path: &str) -> String {
        match &self.api_origin {
            Some(origin) => format!("{origin}{path}"),
            None => path.to_owned(),
        }
    }

    /// A page as the API links to it (redirects after payment): absolute on
    /// `server.public_url` when the pages are hosted elsewhere, else the path itself.
    pub fn page_url(&self, path: &str) -> String {
        match &self.api_origin {
            Some(_) => format!("{}{path}", self.public_url),
            None => path.to_owned(),
        }
    }

    /// Where the payment gateway sends donors and webhooks back to: the API.
    pub fn callback_base(&self) -> &str {
        self.api_origin.as_deref().unwrap_or(&self.public_url)
    }

    /// Whether responses should carry Strict-Transport-Security.
    pub fn https(&self) -> bool {
        self.raw.server.https || self.tls.is_some()
    }

    pub fn campaign_ended(&self, now: time::OffsetDateTime) -> bool {
        self.ends_at.is_some_and(|end| now >= end)
    }

    /// Max-age of HTML pages; the home page never outlives the total's own max-age.
    pub fn home_max_age(&self) -> u32 {
        self.raw
            .server
            .html_max_age
            .min(self.raw.server.total_max_age)
    }
}
