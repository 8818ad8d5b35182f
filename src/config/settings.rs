//! Checking every value once, at start-up, and deriving the typed settings: one
//! validator per section, each naming the key it refuses.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::{Admin, Campaign, Config, ConfigError, Donation, Ledger, Limits, Server, Stripe};
use crate::gateway::GatewayKind;
use crate::gateway::stripe::StripeSettings;
use crate::money::Currency;
use crate::secret::Secret;

/// Validated settings derived from [`Config`], in the types the server works with.
#[derive(Debug, Clone)]
pub struct Settings {
    // [server]
    pub bind: SocketAddr,
    /// Without a trailing slash.
    pub public_url: String,
    /// The origin of `public_url`: the pages' origin, allowed by CORS on `/api/total`.
    pub site_origin: String,
    /// The API's origin when it differs from the pages' (`server.api_origin`).
    pub api_origin: Option<String>,
    /// `server.https`, or built-in HTTPS on: responses carry Strict-Transport-Security.
    pub https: bool,
    /// Certificate and key files when HTTPS is on.
    pub tls: Option<TlsFiles>,
    /// The plain-HTTP address redirecting to HTTPS, when configured.
    pub http_redirect_bind: Option<SocketAddr>,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    pub html_max_age: u32,
    pub total_max_age: u32,
    // [campaign]
    pub currency: Currency,
    pub goal_minor: i64,
    pub ends_at: Option<time::OffsetDateTime>,
    // [donation]
    pub min_minor: i64,
    pub max_minor: i64,
    pub presets_minor: Vec<i64>,
    pub pending_ttl: Duration,
    pub ledger: LedgerSettings,
    pub gateway: GatewayKind,
    /// The sandbox's signing secret when configured; else one is kept in the ledger.
    pub sandbox_secret: Option<Secret>,
    /// Checked whatever the gateway; the secrets are required only when it is Stripe.
    pub stripe: StripeSettings,
    pub limits: LimitSettings,
    pub timeouts: Timeouts,
    pub admin: AdminSettings,
}

/// The PEM files of the built-in HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone)]
pub struct LedgerSettings {
    pub path: PathBuf,
    /// Most writes committed in one transaction.
    pub batch_max: usize,
}

/// Abuse and resource limits; a count of 0 switches that limit off.
#[derive(Debug, Clone)]
pub struct LimitSettings {
    pub donate_per_ip_per_minute: u32,
    pub open_donations_per_ip: u32,
    pub callbacks_per_ip_per_minute: u32,
    pub form_body_bytes: usize,
    pub webhook_body_bytes: usize,
    pub header_bytes: usize,
    pub max_connections: usize,
}

/// The time limits of `[limits]` as durations.
#[derive(Debug, Clone)]
pub struct Timeouts {
    pub header: Duration,
    pub body: Duration,
    pub keep_alive: Duration,
    pub shutdown: Duration,
}

#[derive(Debug, Clone)]
pub struct AdminSettings {
    /// The admin token, trimmed; `None` when the admin routes are off.
    pub token: Option<Secret>,
    /// How long `/admin/stats` figures are reused.
    pub stats_cache: Duration,
    pub failures_per_ip_per_minute: u32,
}

/// The `[server]` values, checked.
struct ServerChecked {
    bind: SocketAddr,
    public_url: String,
    site_origin: String,
    api_origin: Option<String>,
    tls: Option<TlsFiles>,
    http_redirect_bind: Option<SocketAddr>,
    trusted_proxies: Vec<ipnet::IpNet>,
}

/// The `[campaign]` values, checked.
struct CampaignChecked {
    currency: Currency,
    goal_minor: i64,
    ends_at: Option<time::OffsetDateTime>,
}

/// The `[donation]` values, checked, in the campaign's currency.
struct DonationChecked {
    min_minor: i64,
    max_minor: i64,
    presets_minor: Vec<i64>,
    pending_ttl: Duration,
}

impl Config {
    /// Checks every value and derives the typed settings.
    pub fn settings(self) -> Result<Settings, ConfigError> {
        let server = check_server(&self.server)?;
        let campaign = check_campaign(&self.campaign)?;
        let donation = check_donation(&self.donation, campaign.currency)?;
        let (limits, timeouts) = check_limits(&self.limits)?;
        let gateway = GatewayKind::parse(&self.gateway.kind).ok_or_else(|| {
            ConfigError(format!(
                "gateway.kind: {:?} is not a known gateway (expected \"sandbox\" or \"stripe\")",
                self.gateway.kind
            ))
        })?;
        let stripe = check_stripe(&self.stripe, gateway)?;
        let admin = check_admin(&self.admin)?;
        let ledger = check_ledger(&self.ledger)?;
        let secret = self.sandbox.secret.expose().trim();
        let sandbox_secret = (!secret.is_empty()).then(|| Secret::new(secret));
        Ok(Settings {
            https: self.server.https || server.tls.is_some(),
            bind: server.bind,
            public_url: server.public_url,
            site_origin: server.site_origin,
            api_origin: server.api_origin,
            tls: server.tls,
            http_redirect_bind: server.http_redirect_bind,
            trusted_proxies: server.trusted_proxies,
            workers: self.server.workers,
            html_max_age: self.server.html_max_age,
            total_max_age: self.server.total_max_age,
            currency: campaign.currency,
            goal_minor: campaign.goal_minor,
            ends_at: campaign.ends_at,
            min_minor: donation.min_minor,
            max_minor: donation.max_minor,
            presets_minor: donation.presets_minor,
            pending_ttl: donation.pending_ttl,
            ledger,
            gateway,
            sandbox_secret,
            stripe,
            limits,
            timeouts,
            admin,
        })
    }
}

/// A duration like `5s` or `2m`, at least `min`.
fn duration(key: &str, v: &str, min: Duration) -> Result<Duration, ConfigError> {
    let d = humantime::parse_duration(v).map_err(|e| {
        ConfigError(format!(
            "{key}: {v:?} is not a duration like 5s or 2m ({e})"
        ))
    })?;
    if d < min {
        return Err(ConfigError(format!("{key}: must be at least {min:?}")));
    }
    Ok(d)
}

fn check_server(s: &Server) -> Result<ServerChecked, ConfigError> {
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
    let trusted_proxies = s
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

fn check_campaign(c: &Campaign) -> Result<CampaignChecked, ConfigError> {
    let currency = Currency::from_code(&c.currency).ok_or_else(|| {
        ConfigError(format!(
            "campaign.currency: {:?} is not a supported ISO 4217 currency code",
            c.currency
        ))
    })?;
    let goal_minor = to_minor(currency, "campaign.goal", c.goal)?;
    if goal_minor <= 0 {
        return Err(ConfigError("campaign.goal: must be more than 0".into()));
    }
    let ends_at = match c.ends_at.trim() {
        "" => None,
        end => Some(
            time::OffsetDateTime::parse(end, &time::format_description::well_known::Rfc3339)
                .map_err(|_| {
                    ConfigError(format!(
                        "campaign.ends_at: {:?} is not an RFC 3339 time like 2026-12-31T23:59:59+04:00",
                        c.ends_at
                    ))
                })?,
        ),
    };
    Ok(CampaignChecked {
        currency,
        goal_minor,
        ends_at,
    })
}

/// Whole units of the currency in minor units, or which key is too large.
fn to_minor(currency: Currency, key: &str, v: u64) -> Result<i64, ConfigError> {
    currency
        .major_to_minor(v)
        .ok_or_else(|| ConfigError(format!("{key}: {v} is too large for {}", currency.code())))
}

fn check_donation(d: &Donation, currency: Currency) -> Result<DonationChecked, ConfigError> {
    let min_minor = to_minor(currency, "donation.min", d.min)?;
    let max_minor = to_minor(currency, "donation.max", d.max)?;
    if min_minor <= 0 {
        return Err(ConfigError("donation.min: must be more than 0".into()));
    }
    if max_minor < min_minor {
        return Err(ConfigError(format!(
            "donation.max: {} is below donation.min ({})",
            d.max, d.min
        )));
    }
    let mut presets_minor = Vec::with_capacity(d.presets.len());
    for &p in &d.presets {
        let m = to_minor(currency, "donation.presets", p)?;
        if m < min_minor || m > max_minor {
            return Err(ConfigError(format!(
                "donation.presets: {p} is outside donation.min..donation.max ({}..{})",
                d.min, d.max
            )));
        }
        presets_minor.push(m);
    }
    if presets_minor.len() > 8 {
        return Err(ConfigError("donation.presets: at most 8 presets".into()));
    }
    let pending_ttl = humantime::parse_duration(&d.pending_ttl).map_err(|e| {
        ConfigError(format!(
            "donation.pending_ttl: {:?} is not a duration like 2h or 90m ({e})",
            d.pending_ttl
        ))
    })?;
    if pending_ttl < Duration::from_secs(60) {
        return Err(ConfigError(
            "donation.pending_ttl: must be at least 1m, donors need time to pay".into(),
        ));
    }
    Ok(DonationChecked {
        min_minor,
        max_minor,
        presets_minor,
        pending_ttl,
    })
}

fn check_limits(l: &Limits) -> Result<(LimitSettings, Timeouts), ConfigError> {
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
    let limits = LimitSettings {
        donate_per_ip_per_minute: l.donate_per_ip_per_minute,
        open_donations_per_ip: l.open_donations_per_ip,
        callbacks_per_ip_per_minute: l.callbacks_per_ip_per_minute,
        form_body_bytes: l.form_body_bytes,
        webhook_body_bytes: l.webhook_body_bytes,
        header_bytes: l.header_bytes,
        max_connections: l.max_connections.max(1),
    };
    Ok((limits, timeouts))
}

fn check_ledger(l: &Ledger) -> Result<LedgerSettings, ConfigError> {
    if !(1..=crate::ledger::BATCH_MAX).contains(&l.batch_max) {
        return Err(ConfigError(format!(
            "ledger.batch_max: {} must be between 1 and {}",
            l.batch_max,
            crate::ledger::BATCH_MAX
        )));
    }
    Ok(LedgerSettings {
        path: l.path.clone(),
        batch_max: l.batch_max,
    })
}

fn check_admin(a: &Admin) -> Result<AdminSettings, ConfigError> {
    let stats_cache = duration("admin.stats_cache", &a.stats_cache, Duration::ZERO)?;
    let token = a.token.expose().trim();
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
    Ok(AdminSettings {
        token: (!token.is_empty()).then(|| Secret::new(token)),
        stats_cache,
        failures_per_ip_per_minute: a.failures_per_ip_per_minute,
    })
}

/// The `[stripe]` section checked, secrets trimmed but never quoted in a message; the
/// secrets are required only when Stripe is the gateway.
fn check_stripe(s: &Stripe, gateway: GatewayKind) -> Result<StripeSettings, ConfigError> {
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

    /// The origin of the gateway's hosted checkout when it is elsewhere: Chrome applies
    /// the CSP's form-action to the redirect after the donate form's POST.
    pub fn checkout_origin(&self) -> Option<&str> {
        (self.gateway == GatewayKind::Stripe).then_some(self.stripe.checkout_origin.as_str())
    }

    pub fn campaign_ended(&self, now: time::OffsetDateTime) -> bool {
        self.ends_at.is_some_and(|end| now >= end)
    }

    /// Max-age of HTML pages; the home page never outlives the total's own max-age.
    pub fn home_max_age(&self) -> u32 {
        self.html_max_age.min(self.total_max_age)
    }
}
