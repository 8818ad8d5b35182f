//! Configuration: built-in defaults, then `config.toml`, then `FUNDRAISER_<SECTION>__<KEY>`
//! environment variables. Every section refuses unknown keys, so a typo stops start-up
//! with a message naming the key instead of being silently ignored.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::money::Currency;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub server: Server,
    pub campaign: Campaign,
    pub donation: Donation,
    pub ledger: Ledger,
    pub gateway: Gateway,
    pub sandbox: Sandbox,
    pub stripe: Stripe,
    pub limits: Limits,
    pub admin: Admin,
}

/// The admin routes (`/admin`, `/admin/stats`, `/admin/donations.csv`, `/metrics`).
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Admin {
    /// The bearer token (or HTTP Basic password); empty switches the admin routes off.
    pub token: String,
    /// How long `/admin/stats` figures are reused before the ledger is read again.
    pub stats_cache: String,
    /// Failed admin logins one address may make per minute before 429.
    pub failures_per_ip_per_minute: u32,
}

impl Default for Admin {
    fn default() -> Self {
        Self {
            token: String::new(),
            stats_cache: "3s".into(),
            failures_per_ip_per_minute: 10,
        }
    }
}

/// Never prints the token.
impl std::fmt::Debug for Admin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Admin")
            .field("token", &"***")
            .field("stats_cache", &self.stats_cache)
            .field(
                "failures_per_ip_per_minute",
                &self.failures_per_ip_per_minute,
            )
            .finish()
    }
}

/// Abuse and resource limits; a count of 0 switches that limit off.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub donate_per_ip_per_minute: u32,
    pub open_donations_per_ip: u32,
    pub callbacks_per_ip_per_minute: u32,
    pub form_body_bytes: usize,
    pub webhook_body_bytes: usize,
    pub header_bytes: usize,
    pub header_timeout: String,
    pub body_timeout: String,
    pub keep_alive: String,
    pub shutdown_timeout: String,
    pub max_connections: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            donate_per_ip_per_minute: 10,
            open_donations_per_ip: 5,
            callbacks_per_ip_per_minute: 120,
            form_body_bytes: 4096,
            webhook_body_bytes: 65_536,
            header_bytes: 16_384,
            header_timeout: "5s".into(),
            body_timeout: "10s".into(),
            keep_alive: "5s".into(),
            shutdown_timeout: "30s".into(),
            max_connections: 10_000,
        }
    }
}

/// The limits as durations and networks.
#[derive(Debug, Clone)]
pub struct Timeouts {
    pub header: Duration,
    pub body: Duration,
    pub keep_alive: Duration,
    pub shutdown: Duration,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Server {
    pub bind: String,
    pub public_url: String,
    pub https: bool,
    pub trusted_proxies: Vec<String>,
    pub workers: usize,
    pub html_max_age: u32,
    pub total_max_age: u32,
    /// Where exported pages find the API (`/api/total`, `/donate`), e.g.
    /// `https://api.example.org`; empty: the same origin as the pages.
    pub api_origin: String,
    /// PEM certificate chain and private key; both set: HTTPS (and HTTP/2) on `bind`.
    pub tls_cert: String,
    pub tls_key: String,
    /// With TLS on, a plain-HTTP address that redirects every request to `public_url`.
    pub http_redirect_bind: String,
}

impl Default for Server {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            https: false,
            trusted_proxies: Vec::new(),
            workers: 0,
            html_max_age: 60,
            total_max_age: 5,
            api_origin: String::new(),
            tls_cert: String::new(),
            tls_key: String::new(),
            http_redirect_bind: String::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Campaign {
    pub currency: String,
    pub goal: u64,
    pub ends_at: String,
}

impl Default for Campaign {
    fn default() -> Self {
        Self {
            currency: "AED".into(),
            goal: 1_500_000,
            ends_at: String::new(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Donation {
    pub min: u64,
    pub max: u64,
    pub presets: Vec<u64>,
    pub pending_ttl: String,
}

impl Default for Donation {
    fn default() -> Self {
        Self {
            min: 5,
            max: 50_000,
            presets: vec![50, 100, 250, 500],
            pending_ttl: "2h".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ledger {
    pub path: PathBuf,
    /// The most writes one transaction carries (group commit); 1 commits each alone.
    pub batch_max: usize,
}

impl Default for Ledger {
    fn default() -> Self {
        Self {
            path: PathBuf::from("data/ledger.db"),
            batch_max: crate::ledger::BATCH_MAX,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Gateway {
    pub kind: String,
}

impl Default for Gateway {
    fn default() -> Self {
        Self {
            kind: "sandbox".into(),
        }
    }
}

#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sandbox {
    pub secret: String,
}

/// Never prints the secret.
impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox").field("secret", &"***").finish()
    }
}

/// Stripe Checkout, used when `gateway.kind = "stripe"`.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Stripe {
    /// The secret API key (`sk_test_...`, `sk_live_...` or a restricted `rk_...`).
    pub secret_key: String,
    /// The webhook endpoint's signing secret (`whsec_...`).
    pub webhook_secret: String,
    pub api_base: String,
    /// The origin the hosted checkout is served from, allowed in the CSP's `form-action`.
    pub checkout_origin: String,
    pub signature_tolerance: String,
    pub connect_timeout: String,
    pub request_timeout: String,
}

impl Default for Stripe {
    fn default() -> Self {
        Self {
            secret_key: String::new(),
            webhook_secret: String::new(),
            api_base: "https://api.stripe.com".into(),
            checkout_origin: "https://checkout.stripe.com".into(),
            signature_tolerance: "300s".into(),
            connect_timeout: "5s".into(),
            request_timeout: "15s".into(),
        }
    }
}

/// How a secret prints: whether it is set, never what it is.
fn redacted(secret: &str) -> &'static str {
    if secret.is_empty() { "\"\"" } else { "***" }
}

/// Prints Stripe settings with both secrets redacted; shared by the raw and typed forms.
fn debug_stripe(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    secrets: [&str; 2],
    rest: &[(&str, &dyn std::fmt::Debug)],
) -> std::fmt::Result {
    let mut d = f.debug_struct(name);
    d.field("secret_key", &format_args!("{}", redacted(secrets[0])))
        .field("webhook_secret", &format_args!("{}", redacted(secrets[1])));
    for (field, value) in rest {
        d.field(field, value);
    }
    d.finish()
}

impl std::fmt::Debug for Stripe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_stripe(
            f,
            "Stripe",
            [&self.secret_key, &self.webhook_secret],
            &[
                ("api_base", &self.api_base),
                ("checkout_origin", &self.checkout_origin),
                ("signature_tolerance", &self.signature_tolerance),
                ("connect_timeout", &self.connect_timeout),
                ("request_timeout", &self.request_timeout),
            ],
        )
    }
}

/// The Stripe settings in the types the gateway works with.
#[derive(Clone)]
pub struct StripeSettings {
    pub secret_key: String,
    pub webhook_secret: String,
    /// Without a trailing slash.
    pub api_base: String,
    pub checkout_origin: String,
    pub signature_tolerance: Duration,
    pub connect_timeout: Duration,
    pub request_timeout: Duration,
}

impl std::fmt::Debug for StripeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_stripe(
            f,
            "StripeSettings",
            [&self.secret_key, &self.webhook_secret],
            &[
                ("api_base", &self.api_base),
                ("checkout_origin", &self.checkout_origin),
                ("signature_tolerance", &self.signature_tolerance),
                ("connect_timeout", &self.connect_timeout),
                ("request_timeout", &self.request_timeout),
            ],
        )
    }
}

/// The admin token; its Debug output never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct AdminToken(pub String);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("***")
    }
}

/// A configuration problem, worded for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

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

/// Where the configuration comes from.
#[derive(Debug, Default, Clone)]
pub struct Sources {
    /// An explicit `--config FILE`: it must exist.
    pub file: Option<PathBuf>,
    pub bind: Option<String>,
    pub db: Option<PathBuf>,
}

impl Config {
    /// Defaults ← `config.toml` (or `--config`) ← environment ← command-line flags.
    pub fn load(sources: &Sources) -> Result<Config, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match &sources.file {
            Some(path) => {
                if !path.is_file() {
                    return Err(ConfigError(format!(
                        "configuration file {} does not exist",
                        path.display()
                    )));
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None => {
                let default = Path::new("config.toml");
                if default.is_file() {
                    figment = figment.merge(Toml::file_exact(default));
                }
            }
        }
        figment = figment.merge(Env::prefixed("FUNDRAISER_").split("__"));
        if let Some(bind) = &sources.bind {
            figment = figment.merge(Serialized::default("server.bind", bind));
        }
        if let Some(db) = &sources.db {
            figment = figment.merge(Serialized::default("ledger.path", db));
        }
        figment.extract().map_err(|e| ConfigError(describe(e)))
    }

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

/// Keys whose values are secrets: never quoted in a message.
fn is_secret_key(key: &str) -> bool {
    key.ends_with("secret") || key.ends_with("secret_key") || key.ends_with("token")
}

/// One line naming the key, the source and the problem.
fn describe(e: figment::Error) -> String {
    use figment::error::Kind;
    let key = if e.path.is_empty() {
        None
    } else {
        Some(e.path.join("."))
    };
    let source = e
        .metadata
        .as_ref()
        .map(|m| match &m.source {
            Some(src) => format!("{} {src}", m.name),
            None => m.name.to_string(),
        })
        .unwrap_or_default();
    let what = match &e.kind {
        Kind::UnknownField(field, _) => {
            // figment's path already ends with the unknown field.
            let full = key.clone().unwrap_or_else(|| field.clone());
            return format!(
                "unknown configuration key {full:?}{}",
                if source.is_empty() {
                    String::new()
                } else {
                    format!(" in {source}")
                }
            );
        }
        // A secret's value is never quoted, not even when it is of the wrong type.
        _ if key.as_deref().is_some_and(is_secret_key) => "not a valid value (not shown)".into(),
        Kind::InvalidType(actual, expected) => format!("expected {expected}, found {actual}"),
        other => other.to_string(),
    };
    match key {
        Some(k) => format!(
            "configuration key {k:?}{}: {what}",
            if source.is_empty() {
                String::new()
            } else {
                format!(" in {source}")
            }
        ),
        None => format!(
            "configuration{}: {what}",
            if source.is_empty() {
                String::new()
            } else {
                format!(" in {source}")
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_config_file_equals_the_built_in_defaults() {
        let documented: toml::Value = toml::from_str(include_str!("../config.toml")).unwrap();
        let defaults = toml::Value::try_from(Config::default()).unwrap();
        assert_eq!(documented, defaults);
        let parsed: Config = toml::from_str(include_str!("../config.toml")).unwrap();
        parsed.settings().unwrap();
    }

    #[test]
    fn defaults_make_valid_settings() {
        let s = Config::default().settings().unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(s.currency.code(), "AED");
        assert_eq!(s.goal_minor, 150_000_000);
        assert_eq!((s.min_minor, s.max_minor), (500, 5_000_000));
        assert_eq!(s.pending_ttl, Duration::from_secs(7200));
        assert_eq!(s.home_max_age(), 5);
    }

    #[test]
    fn bad_values_are_named() {
        let bad = |f: fn(&mut Config)| {
            let mut c = Config::default();
            f(&mut c);
            c.settings().unwrap_err().0
        };
        assert!(bad(|c| c.server.bind = "nope".into()).contains("server.bind"));
        assert!(bad(|c| c.campaign.currency = "XYZ".into()).contains("campaign.currency"));
        assert!(bad(|c| c.donation.max = 1).contains("donation.max"));
        assert!(bad(|c| c.donation.presets = vec![1]).contains("donation.presets"));
        assert!(bad(|c| c.campaign.ends_at = "tomorrow".into()).contains("campaign.ends_at"));
        assert!(bad(|c| c.donation.pending_ttl = "soon".into()).contains("donation.pending_ttl"));
        assert!(bad(|c| c.gateway.kind = "paypal".into()).contains("gateway.kind"));
        assert!(bad(|c| c.server.public_url = "example.org".into()).contains("server.public_url"));
        assert!(bad(|c| c.stripe.api_base = "api.stripe.com".into()).contains("stripe.api_base"));
        assert!(
            bad(|c| c.stripe.checkout_origin = "https://x.com; script-src *".into())
                .contains("stripe.checkout_origin")
        );
        assert!(
            bad(|c| c.stripe.signature_tolerance = "0s".into())
                .contains("stripe.signature_tolerance")
        );
        assert!(
            bad(|c| c.stripe.request_timeout = "soon".into()).contains("stripe.request_timeout")
        );
    }

    #[test]
    fn stripe_needs_both_secrets_and_never_shows_them() {
        let with = |key: &str, hook: &str| {
            let mut c = Config::default();
            c.gateway.kind = "stripe".into();
            c.stripe.secret_key = key.into();
            c.stripe.webhook_secret = hook.into();
            c.settings()
        };
        let e = with("", "whsec_hidden").unwrap_err().0;
        assert!(e.contains("stripe.secret_key"), "{e}");
        assert!(e.contains("FUNDRAISER_STRIPE__SECRET_KEY"), "{e}");
        assert!(
            !e.contains("webhook_secret") && !e.contains("whsec_hidden"),
            "{e}"
        );
        let e = with("sk_test_hidden", "").unwrap_err().0;
        assert!(e.contains("stripe.webhook_secret"), "{e}");
        assert!(!e.contains("sk_test_hidden"), "{e}");
        let e = with("", "").unwrap_err().0;
        assert!(
            e.contains("stripe.secret_key and stripe.webhook_secret"),
            "{e}"
        );
        let e = with("pk_test_hidden", "whsec_hidden").unwrap_err().0;
        assert!(e.contains("publishable") && !e.contains("hidden"), "{e}");
        let e = with("sk_test_hid den", "whsec_hidden").unwrap_err().0;
        assert!(e.contains("stripe.secret_key") && !e.contains("hid"), "{e}");

        let s = with(" sk_test_hidden ", "whsec_hidden").unwrap();
        assert_eq!(s.stripe.secret_key, "sk_test_hidden");
        assert_eq!(s.stripe.api_base, "https://api.stripe.com");
        assert_eq!(s.stripe.checkout_origin, "https://checkout.stripe.com");
        assert_eq!(s.stripe.signature_tolerance, Duration::from_secs(300));
        assert_eq!(s.stripe.connect_timeout, Duration::from_secs(5));
        assert_eq!(s.stripe.request_timeout, Duration::from_secs(15));
        // Debug output (of the settings and of the raw config) never shows a secret.
        let debug = format!("{s:?}");
        assert!(!debug.contains("hidden"), "{debug}");
        assert!(debug.contains("***"), "{debug}");
        // The sandbox does not need Stripe's secrets.
        Config::default().settings().unwrap();
    }

    #[test]
    fn the_admin_token_is_checked_and_never_shown() {
        let with = |token: &str| {
            let mut c = Config::default();
            c.admin.token = token.into();
            c.settings()
        };
        assert_eq!(with("").unwrap().admin_token, None);
        let s = with(" a-long-enough-admin-token ").unwrap();
        assert_eq!(
            s.admin_token,
            Some(AdminToken("a-long-enough-admin-token".into()))
        );
        let debug = format!("{s:?}");
        assert!(!debug.contains("a-long-enough"), "{debug}");
        let e = with("short").unwrap_err().0;
        assert!(e.contains("admin.token") && !e.contains("short"), "{e}");
        let e = with("hidden-part another-hidden-part").unwrap_err().0;
        assert!(e.contains("admin.token") && !e.contains("hidden"), "{e}");
        let mut c = Config::default();
        c.admin.stats_cache = "soon".into();
        assert!(c.settings().unwrap_err().0.contains("admin.stats_cache"));
        let e = figment::Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string("[admin]\ntoken = 123456789123456789"))
            .extract::<Config>()
            .unwrap_err();
        assert!(!describe(e).contains("123456789"));
    }

    #[test]
    fn a_secret_of_the_wrong_type_is_not_quoted() {
        let e = figment::Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::string("[stripe]\nsecret_key = 424242424242"))
            .extract::<Config>()
            .unwrap_err();
        let message = describe(e);
        assert!(message.contains("stripe.secret_key"), "{message}");
        assert!(!message.contains("424242"), "{message}");
    }
}
