//! The configuration file's sections, with the built-in defaults (`config.toml` shows
//! them all) and Debug output that never shows a secret.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::secret::Secret;

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
    pub ngenius: super::ngenius::Ngenius,
    pub limits: Limits,
    pub admin: Admin,
    pub email: super::Email,
    /// `[[funds]]`, in order; none: one fund, the campaign's (`config/funds`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub funds: Vec<super::FundSection>,
    pub zakat: super::Zakat,
}

/// The admin routes (`/admin`, `/admin/stats`, `/admin/donations.csv`, `/metrics`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Admin {
    /// The bearer token (or HTTP Basic password); empty switches the admin routes off.
    pub token: Secret,
    /// How long `/admin/stats` figures are reused before the ledger is read again.
    pub stats_cache: String,
    /// Failed admin logins one address may make per minute before 429.
    pub failures_per_ip_per_minute: u32,
}

impl Default for Admin {
    fn default() -> Self {
        Self {
            token: Secret::default(),
            stats_cache: "3s".into(),
            failures_per_ip_per_minute: 10,
        }
    }
}

/// How many times one address's allowance a whole IPv6 /48 gets by default.
pub const DEFAULT_IPV6_48_MULTIPLIER: u32 = 16;

/// Abuse and resource limits; a count of 0 switches that limit off.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    pub donate_per_ip_per_minute: u32,
    pub open_donations_per_ip: u32,
    pub callbacks_per_ip_per_minute: u32,
    pub ipv6_48_multiplier: u32,
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
            ipv6_48_multiplier: DEFAULT_IPV6_48_MULTIPLIER,
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
    /// IANA time zone receipts give their date and time in.
    pub time_zone: String,
}

impl Default for Campaign {
    fn default() -> Self {
        Self {
            currency: "AED".into(),
            goal: 1_500_000,
            ends_at: String::new(),
            time_zone: "Asia/Dubai".into(),
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
    /// The SQLite ledger file, when `url` is empty.
    pub path: PathBuf,
    /// The most writes one transaction carries (group commit); 1 commits each alone.
    pub batch_max: usize,
    /// Empty: SQLite at `path`. `postgres://user:password@host:port/db?sslmode=require`:
    /// a PostgreSQL ledger shared by every server given the same URL. A secret (it holds
    /// the password).
    pub url: Secret,
    /// A PEM file of the certificate authority a managed database's certificate is
    /// signed by, when the public roots do not cover it.
    pub ca_file: Option<PathBuf>,
}

impl Default for Ledger {
    fn default() -> Self {
        Self {
            path: PathBuf::from("data/ledger.db"),
            batch_max: crate::ledger::BATCH_MAX,
            url: Secret::default(),
            ca_file: None,
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

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Sandbox {
    pub secret: Secret,
    /// Allows the sandbox on a public address, behind a proxy or HTTPS, or with pages
    /// elsewhere (`config::privacy`): a demonstration site, marked on every page.
    pub public: bool,
    /// Whether the sandbox notifies this server by webhook, as a gateway does. Off, a
    /// donor who never comes back is counted only by reconciliation.
    pub webhooks: bool,
    /// How often reconciliation runs (`0` off) and how old a pending checkout must be
    /// before it asks the gateway about it; as in `[stripe]`.
    #[serde(deserialize_with = "duration_text")]
    pub reconcile_every: String,
    #[serde(deserialize_with = "duration_text")]
    pub reconcile_after: String,
    /// The gate of checkouts, as in `[stripe]`; `requests_per_second = 0` (the default
    /// here) lets every checkout through at once. Set it to watch the line locally.
    pub requests_per_second: u32,
    pub burst: u32,
    #[serde(deserialize_with = "duration_text")]
    pub queue_wait: String,
    pub queue_max: usize,
}

impl Default for Sandbox {
    fn default() -> Self {
        Self {
            secret: Secret::default(),
            public: false,
            webhooks: true,
            reconcile_every: RECONCILE_EVERY.into(),
            reconcile_after: RECONCILE_AFTER.into(),
            requests_per_second: 0,
            burst: BURST,
            queue_wait: QUEUE_WAIT.into(),
            queue_max: QUEUE_MAX,
        }
    }
}

/// The gate's defaults: a burst, how long a donor waits on the form's answer before the
/// waiting page, and the longest line before donors are asked to come back.
pub const BURST: u32 = 10;
pub const QUEUE_WAIT: &str = "1500ms";
pub const QUEUE_MAX: usize = 20_000;

/// A duration as written: text like `10m`, or a bare number (`0`, to switch it off), which
/// TOML and the environment give as a number.
pub(super) fn duration_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Text {
        Text(String),
        Number(u64),
    }
    Ok(match Text::deserialize(d)? {
        Text::Text(t) => t,
        Text::Number(n) => n.to_string(),
    })
}

/// The default reconciliation period and the age of a pending checkout it asks about.
pub const RECONCILE_EVERY: &str = "10m";
pub const RECONCILE_AFTER: &str = "5m";

/// Stripe Checkout, used when `gateway.kind = "stripe"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Stripe {
    /// The secret API key (`sk_test_...`, `sk_live_...` or a restricted `rk_...`).
    pub secret_key: Secret,
    /// The webhook endpoint's signing secret (`whsec_...`).
    pub webhook_secret: Secret,
    pub api_base: String,
    /// The origin the hosted checkout is served from, allowed in the CSP's `form-action`.
    pub checkout_origin: String,
    pub signature_tolerance: String,
    pub connect_timeout: String,
    pub request_timeout: String,
    /// How often reconciliation asks Stripe what the webhooks may have missed (`0` off).
    #[serde(deserialize_with = "duration_text")]
    pub reconcile_every: String,
    /// How long a checkout stays pending before reconciliation retrieves its session.
    #[serde(deserialize_with = "duration_text")]
    pub reconcile_after: String,
    /// Calls to Stripe per second, all kinds together (`0`: no limit): below Stripe's
    /// 25 a second per endpoint. Several servers on one account share its limit.
    pub requests_per_second: u32,
    /// Calls let through at once after a quiet moment.
    pub burst: u32,
    /// How long a donor's form waits for its checkout before the waiting page.
    #[serde(deserialize_with = "duration_text")]
    pub queue_wait: String,
    /// The longest line of checkouts; beyond it donors are asked to try again shortly.
    pub queue_max: usize,
}

impl Default for Stripe {
    fn default() -> Self {
        Self {
            secret_key: Secret::default(),
            webhook_secret: Secret::default(),
            api_base: "https://api.stripe.com".into(),
            checkout_origin: "https://checkout.stripe.com".into(),
            signature_tolerance: "300s".into(),
            connect_timeout: "5s".into(),
            request_timeout: "15s".into(),
            reconcile_every: RECONCILE_EVERY.into(),
            reconcile_after: RECONCILE_AFTER.into(),
            requests_per_second: 20,
            burst: BURST,
            queue_wait: QUEUE_WAIT.into(),
            queue_max: QUEUE_MAX,
        }
    }
}
