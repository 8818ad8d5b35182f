//! The typed settings the server works with, derived once at start-up from the sections
//! as written, each section through its validator (`checks`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::checks::{
    check_admin, check_campaign, check_donation, check_ledger, check_limits, check_queue,
    check_reconcile,
};
use super::network::{check_server, check_stripe};
use super::privacy::check_sandbox_private;
use super::{Config, ConfigError};
use crate::gateway::GatewayKind;
use crate::gateway::ngenius::NgeniusSettings;
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
    /// The campaign's time zone, for dates on receipts.
    pub time_zone: jiff::tz::TimeZone,
    // [donation]
    pub min_minor: i64,
    pub max_minor: i64,
    pub presets_minor: Vec<i64>,
    pub pending_ttl: Duration,
    pub ledger: LedgerSettings,
    pub gateway: GatewayKind,
    /// The sandbox's signing secret when configured; else one is kept in the ledger.
    pub sandbox_secret: Option<Secret>,
    /// A public demonstration: the sandbox on a public address (`sandbox.public`), every
    /// page marked as such.
    pub demo: bool,
    /// Checked whatever the gateway; the secrets are required only when it is Stripe.
    pub stripe: StripeSettings,
    /// Checked whatever the gateway; the key and outlet are required only when it is
    /// N-Genius.
    pub ngenius: NgeniusSettings,
    pub limits: LimitSettings,
    pub timeouts: Timeouts,
    pub admin: AdminSettings,
    /// Whether the sandbox sends its webhooks (`sandbox.webhooks`).
    pub sandbox_webhooks: bool,
    /// Reconciliation with the gateway in use (its section's `reconcile_*`).
    pub reconcile: ReconcileSettings,
    /// The line of calls to the gateway in use (its section's gate and queue keys).
    pub queue: QueueSettings,
    /// Receipts by email (`[email]`).
    pub email: super::EmailSettings,
    /// The funds donors give to, in the settings' order; at least one.
    pub funds: Vec<super::Fund>,
    /// The Zakat calculator's prices (`[zakat]`).
    pub zakat: super::ZakatSettings,
}

/// The gate every gateway call passes, and how donors wait for a checkout.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueSettings {
    pub gate: crate::gateway::gate::GateSettings,
    /// How long the donate form's answer waits for the checkout.
    pub wait: Duration,
    /// The most checkouts waiting before new donors are asked to come back.
    pub max: usize,
}

/// When reconciliation runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileSettings {
    /// How often the background task runs; `None` when it is off.
    pub every: Option<Duration>,
    /// How long a checkout stays pending before the gateway is asked about it.
    pub after: Duration,
}

/// The PEM files of the built-in HTTPS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[derive(Debug, Clone)]
pub struct LedgerSettings {
    /// The SQLite file (`ledger.path`), used when `location` is that file.
    pub path: PathBuf,
    /// Where the ledger is: the file, or PostgreSQL (`ledger.url`).
    pub location: crate::ledger::Location,
    /// Most writes committed in one transaction.
    pub batch_max: usize,
    /// The certificate authority of a PostgreSQL ledger's server (`ledger.ca_file`).
    pub ca_file: Option<PathBuf>,
}

/// Abuse and resource limits; a count of 0 switches that limit off.
#[derive(Debug, Clone)]
pub struct LimitSettings {
    pub donate_per_ip_per_minute: u32,
    pub open_donations_per_ip: u32,
    pub callbacks_per_ip_per_minute: u32,
    /// What one IPv6 /48 gets together, as a multiple of each per-address limit; 0: none.
    pub ipv6_48_multiplier: u32,
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

impl Config {
    /// Checks every value and derives the typed settings.
    pub fn settings(self) -> Result<Settings, ConfigError> {
        let server = check_server(&self.server)?;
        let campaign = check_campaign(&self.campaign)?;
        let donation = check_donation(&self.donation, campaign.currency)?;
        let (limits, timeouts) = check_limits(&self.limits)?;
        let gateway = GatewayKind::parse(&self.gateway.kind).ok_or_else(|| {
            ConfigError(format!(
                "gateway.kind: {:?} is not a known gateway (expected \"sandbox\", \"stripe\" or \"ngenius\")",
                self.gateway.kind
            ))
        })?;
        let stripe = check_stripe(&self.stripe, gateway)?;
        let ngenius = super::ngenius::check_ngenius(&self.ngenius, gateway)?;
        let demo = gateway == GatewayKind::Sandbox && self.sandbox.public;
        if gateway == GatewayKind::Sandbox && !self.sandbox.public {
            check_sandbox_private(&self.server, &server)?;
        }
        let admin = check_admin(&self.admin)?;
        let queue = match gateway {
            GatewayKind::Sandbox => check_queue(
                "sandbox",
                self.sandbox.requests_per_second,
                self.sandbox.burst,
                &self.sandbox.queue_wait,
                self.sandbox.queue_max,
            )?,
            GatewayKind::Stripe => check_queue(
                "stripe",
                self.stripe.requests_per_second,
                self.stripe.burst,
                &self.stripe.queue_wait,
                self.stripe.queue_max,
            )?,
            GatewayKind::Ngenius => check_queue(
                "ngenius",
                self.ngenius.requests_per_second,
                self.ngenius.burst,
                &self.ngenius.queue_wait,
                self.ngenius.queue_max,
            )?,
        };
        let reconcile = match gateway {
            GatewayKind::Sandbox => check_reconcile(
                "sandbox",
                &self.sandbox.reconcile_every,
                &self.sandbox.reconcile_after,
            )?,
            GatewayKind::Stripe => check_reconcile(
                "stripe",
                &self.stripe.reconcile_every,
                &self.stripe.reconcile_after,
            )?,
            GatewayKind::Ngenius => check_reconcile(
                "ngenius",
                &self.ngenius.reconcile_every,
                &self.ngenius.reconcile_after,
            )?,
        };
        let ledger = check_ledger(&self.ledger)?;
        let email = super::email::check_email(&self.email)?;
        let funds = super::funds::check_funds(&self.funds, campaign.currency, campaign.goal_minor)?;
        let zakat = super::zakat::check_zakat(&self.zakat, campaign.currency)?;
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
            time_zone: campaign.time_zone,
            min_minor: donation.min_minor,
            max_minor: donation.max_minor,
            presets_minor: donation.presets_minor,
            pending_ttl: donation.pending_ttl,
            ledger,
            gateway,
            sandbox_secret,
            demo,
            stripe,
            ngenius,
            limits,
            timeouts,
            admin,
            sandbox_webhooks: self.sandbox.webhooks,
            reconcile,
            queue,
            email,
            funds,
            zakat,
        })
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
        match self.gateway {
            GatewayKind::Sandbox => None,
            GatewayKind::Stripe => Some(self.stripe.checkout_origin.as_str()),
            GatewayKind::Ngenius => Some(self.ngenius.paypage_origin.as_str()),
        }
    }

    /// What the total and the figures count: the campaign's currency, in the running
    /// mode (test or live money).
    pub fn ledger_scope(&self) -> crate::ledger::Scope {
        crate::ledger::Scope::new(self.currency.code(), !self.test_mode())
            .with_emails(self.email.enabled())
            .with_funds(self.funds.iter().map(|f| f.id.to_string()).collect())
    }

    /// Whether the money taken is test money: the sandbox, Stripe with a test key, or
    /// N-Genius's sandbox.
    pub fn test_mode(&self) -> bool {
        match self.gateway {
            GatewayKind::Sandbox => true,
            GatewayKind::Stripe => {
                !self.stripe.secret_key.expose().starts_with("sk_live_")
                    && !self.stripe.secret_key.expose().starts_with("rk_live_")
            }
            GatewayKind::Ngenius => crate::gateway::ngenius::is_sandbox(&self.ngenius.api_base),
        }
    }

    pub fn campaign_ended(&self, now: time::OffsetDateTime) -> bool {
        self.ends_at.is_some_and(|end| now >= end)
    }

    /// The listed fund with this id.
    pub fn fund(&self, id: &str) -> Option<&super::Fund> {
        self.funds.iter().find(|f| f.id.as_str() == id)
    }

    /// Whether donors choose a fund: two funds or more.
    pub fn fund_choice(&self) -> bool {
        self.funds.len() > 1
    }

    /// The fund a donor is told their gift went to (checkout, thank-you page, receipt):
    /// only when donors choose one, so a site with the single default fund says nothing new.
    pub fn fund_to_name(&self, id: &str) -> Option<&super::Fund> {
        self.fund_choice().then(|| self.fund(id)).flatten()
    }

    /// Max-age of HTML pages; the home page never outlives the total's own max-age.
    pub fn home_max_age(&self) -> u32 {
        self.html_max_age.min(self.total_max_age)
    }
}
