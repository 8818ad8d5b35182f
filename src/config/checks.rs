//! One validator per section of the configuration (the addresses, URLs and origins of
//! `[server]` and `[stripe]` in `network`): each checks its values, names the
//! key it refuses (never quoting a secret), and returns them in the types the server
//! works with.

use std::time::Duration;

use super::settings::{AdminSettings, LedgerSettings, LimitSettings, Timeouts};
use super::{Admin, Campaign, ConfigError, Donation, Ledger, Limits};
use crate::money::Currency;
use crate::secret::Secret;

/// The `[campaign]` values, checked.
pub(super) struct CampaignChecked {
    pub(super) currency: Currency,
    pub(super) goal_minor: i64,
    pub(super) ends_at: Option<time::OffsetDateTime>,
    pub(super) time_zone: jiff::tz::TimeZone,
}

/// The `[donation]` values, checked, in the campaign's currency.
pub(super) struct DonationChecked {
    pub(super) min_minor: i64,
    pub(super) max_minor: i64,
    pub(super) presets_minor: Vec<i64>,
    pub(super) pending_ttl: Duration,
}

/// A duration like `5s` or `2m`, at least `min`.
pub(super) fn duration(key: &str, v: &str, min: Duration) -> Result<Duration, ConfigError> {
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

pub(super) fn check_campaign(c: &Campaign) -> Result<CampaignChecked, ConfigError> {
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
    at_most(
        currency,
        "campaign.goal",
        c.goal,
        crate::money::MAX_GOAL_MINOR,
    )?;
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
    let time_zone = jiff::tz::TimeZone::get(c.time_zone.trim()).map_err(|_| {
        ConfigError(format!(
            "campaign.time_zone: {:?} is not a time zone name like Asia/Dubai, Europe/London or UTC",
            c.time_zone
        ))
    })?;
    Ok(CampaignChecked {
        currency,
        goal_minor,
        ends_at,
        time_zone,
    })
}

/// Whole units of the currency in minor units, or which key is too large.
pub(super) fn to_minor(currency: Currency, key: &str, v: u64) -> Result<i64, ConfigError> {
    currency
        .major_to_minor(v)
        .ok_or_else(|| ConfigError(format!("{key}: {v} is too large for {}", currency.code())))
}

/// Refuses a value above `limit` minor units: totals are sums of such values, and must
/// fit in 64 bits.
fn at_most(currency: Currency, key: &str, v: u64, limit: i64) -> Result<(), ConfigError> {
    let scale = currency.major_to_minor(1).unwrap_or(1);
    match currency.major_to_minor(v) {
        Some(minor) if minor <= limit => Ok(()),
        _ => Err(ConfigError(format!(
            "{key}: {v} is more than this site handles; at most {} {}",
            limit / scale,
            currency.code()
        ))),
    }
}

pub(super) fn check_donation(
    d: &Donation,
    currency: Currency,
) -> Result<DonationChecked, ConfigError> {
    let min_minor = to_minor(currency, "donation.min", d.min)?;
    let max_minor = to_minor(currency, "donation.max", d.max)?;
    if min_minor <= 0 {
        return Err(ConfigError("donation.min: must be more than 0".into()));
    }
    at_most(
        currency,
        "donation.max",
        d.max,
        crate::money::MAX_DONATION_MINOR,
    )?;
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

pub(super) fn check_limits(l: &Limits) -> Result<(LimitSettings, Timeouts), ConfigError> {
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
    // Past 65,536 (the /64s of a /48) the /48 bucket could never be reached.
    if l.ipv6_48_multiplier > 65_536 {
        return Err(ConfigError(format!(
            "limits.ipv6_48_multiplier: {} is more than 65536 (0 switches the /48 limit off)",
            l.ipv6_48_multiplier
        )));
    }
    let limits = LimitSettings {
        donate_per_ip_per_minute: l.donate_per_ip_per_minute,
        open_donations_per_ip: l.open_donations_per_ip,
        callbacks_per_ip_per_minute: l.callbacks_per_ip_per_minute,
        ipv6_48_multiplier: l.ipv6_48_multiplier,
        form_body_bytes: l.form_body_bytes,
        webhook_body_bytes: l.webhook_body_bytes,
        header_bytes: l.header_bytes,
        max_connections: l.max_connections.max(1),
    };
    Ok((limits, timeouts))
}

pub(super) fn check_ledger(l: &Ledger) -> Result<LedgerSettings, ConfigError> {
    if !(1..=crate::ledger::BATCH_MAX).contains(&l.batch_max) {
        return Err(ConfigError(format!(
            "ledger.batch_max: {} must be between 1 and {}",
            l.batch_max,
            crate::ledger::BATCH_MAX
        )));
    }
    let url = l.url.expose().trim();
    let location = if url.is_empty() {
        crate::ledger::Location::File(l.path.clone())
    } else {
        let source = crate::ledger::postgres::PgSource::parse(url, l.ca_file.as_deref())
            .map_err(ConfigError)?;
        crate::ledger::Location::Postgres(std::sync::Arc::new(source))
    };
    Ok(LedgerSettings {
        path: l.path.clone(),
        location,
        batch_max: l.batch_max,
        ca_file: l.ca_file.clone(),
    })
}

pub(super) fn check_admin(a: &Admin) -> Result<AdminSettings, ConfigError> {
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

/// `{section}.reconcile_every` (`0` off, else at least 1s) and `reconcile_after`.
pub(super) fn check_reconcile(
    section: &str,
    every: &str,
    after: &str,
) -> Result<super::settings::ReconcileSettings, ConfigError> {
    let every = match every.trim() {
        "0" | "0s" | "off" => None,
        v => Some(duration(
            &format!("{section}.reconcile_every"),
            v,
            Duration::from_secs(1),
        )?),
    };
    let after = match after.trim() {
        "0" => Duration::ZERO,
        v => duration(&format!("{section}.reconcile_after"), v, Duration::ZERO)?,
    };
    Ok(super::settings::ReconcileSettings { every, after })
}

/// `{section}.requests_per_second` (0: no limit), `burst`, `queue_wait`, `queue_max`.
pub(super) fn check_queue(
    section: &str,
    per_second: u32,
    burst: u32,
    wait: &str,
    max: usize,
) -> Result<super::settings::QueueSettings, ConfigError> {
    if burst == 0 {
        return Err(ConfigError(format!("{section}.burst: must be at least 1")));
    }
    if max == 0 {
        return Err(ConfigError(format!(
            "{section}.queue_max: must be at least 1"
        )));
    }
    let wait = duration(&format!("{section}.queue_wait"), wait, Duration::ZERO)?;
    if wait > Duration::from_secs(20) {
        return Err(ConfigError(format!(
            "{section}.queue_wait: at most 20s, past which donors are shown the waiting page"
        )));
    }
    Ok(super::settings::QueueSettings {
        gate: crate::gateway::gate::GateSettings {
            per_second: (per_second > 0).then_some(f64::from(per_second)),
            burst,
        },
        wait,
        max,
    })
}
