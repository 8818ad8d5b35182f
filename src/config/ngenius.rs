//! The `[ngenius]` section (N-Genius Online, `gateway.kind = "ngenius"`) and its
//! validator.

use serde::{Deserialize, Serialize};

use super::ConfigError;
use super::sections::{BURST, QUEUE_MAX, QUEUE_WAIT, RECONCILE_AFTER, RECONCILE_EVERY};
use crate::gateway::GatewayKind;
use crate::gateway::ngenius::{Action, NgeniusSettings};
use crate::secret::Secret;

/// N-Genius Online's hosted payment page, used when `gateway.kind = "ngenius"`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Ngenius {
    /// The service account's API key (the portal's Settings > Integrations).
    pub api_key: Secret,
    /// The outlet's reference (a UUID), in every order's address.
    pub outlet_ref: String,
    pub api_base: String,
    /// The origin the hosted payment page is served from, allowed in the CSP's
    /// `form-action`.
    pub paypage_origin: String,
    /// The header key and value set on the webhook in the portal; both empty: webhooks
    /// are taken without one (they only name an order, whose status is then asked).
    pub webhook_header: String,
    pub webhook_secret: Secret,
    /// `PURCHASE` or `SALE`.
    pub action: String,
    /// As in `[stripe]`.
    #[serde(deserialize_with = "super::sections::duration_text")]
    pub reconcile_every: String,
    #[serde(deserialize_with = "super::sections::duration_text")]
    pub reconcile_after: String,
    pub requests_per_second: u32,
    pub burst: u32,
    #[serde(deserialize_with = "super::sections::duration_text")]
    pub queue_wait: String,
    pub queue_max: usize,
}

impl Default for Ngenius {
    fn default() -> Self {
        Self {
            api_key: Secret::default(),
            outlet_ref: String::new(),
            api_base: "https://api-gateway.ngenius-payments.com".into(),
            paypage_origin: "https://paypage.ngenius-payments.com".into(),
            webhook_header: String::new(),
            webhook_secret: Secret::default(),
            action: "PURCHASE".into(),
            reconcile_every: RECONCILE_EVERY.into(),
            reconcile_after: RECONCILE_AFTER.into(),
            requests_per_second: 20,
            burst: BURST,
            queue_wait: QUEUE_WAIT.into(),
            queue_max: QUEUE_MAX,
        }
    }
}

/// The `[ngenius]` section checked; the key and outlet are required only when N-Genius
/// is the gateway. Secrets are never quoted in a message.
pub(super) fn check_ngenius(
    s: &Ngenius,
    gateway: GatewayKind,
) -> Result<NgeniusSettings, ConfigError> {
    let api_base = super::network::api_base("ngenius.api_base", &s.api_base)?;
    let paypage_origin = super::network::origin(
        "ngenius.paypage_origin",
        &s.paypage_origin,
        "https://paypage.ngenius-payments.com",
    )?;
    let outlet_ref = s.outlet_ref.trim().to_owned();
    if !outlet_ref
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    {
        return Err(ConfigError(format!(
            "ngenius.outlet_ref: {outlet_ref:?} is not an outlet reference (letters, digits and hyphens)"
        )));
    }
    let action = Action::parse(s.action.trim()).ok_or_else(|| {
        ConfigError(format!(
            "ngenius.action: {:?} must be \"PURCHASE\" or \"SALE\"",
            s.action
        ))
    })?;
    let secret = |key: &str, v: &Secret| {
        let v = v.expose().trim();
        if v.chars().any(|c| c.is_control() || c == ' ') {
            return Err(ConfigError(format!(
                "{key}: contains spaces or control characters (value not shown)"
            )));
        }
        Ok(Secret::new(v))
    };
    let webhook_header = s.webhook_header.trim().to_owned();
    if actix_web::http::header::HeaderName::from_bytes(webhook_header.as_bytes()).is_err()
        && !webhook_header.is_empty()
    {
        return Err(ConfigError(format!(
            "ngenius.webhook_header: {webhook_header:?} is not a header name"
        )));
    }
    let settings = NgeniusSettings {
        api_key: secret("ngenius.api_key", &s.api_key)?,
        outlet_ref,
        api_base,
        paypage_origin,
        webhook_secret: secret("ngenius.webhook_secret", &s.webhook_secret)?,
        webhook_header,
        action,
    };
    if settings.webhook_header.is_empty() != settings.webhook_secret.is_empty() {
        return Err(ConfigError(
            "ngenius.webhook_header and ngenius.webhook_secret go together: set both (as in the portal's webhook) or neither".into(),
        ));
    }
    if gateway == GatewayKind::Ngenius {
        let missing: Vec<&str> = [
            ("ngenius.api_key", settings.api_key.is_empty()),
            ("ngenius.outlet_ref", settings.outlet_ref.is_empty()),
        ]
        .into_iter()
        .filter(|(_, empty)| *empty)
        .map(|(k, _)| k)
        .collect();
        if !missing.is_empty() {
            return Err(ConfigError(format!(
                "gateway.kind = \"ngenius\" needs {} (set {} in the environment, or in config.toml)",
                missing.join(" and "),
                missing
                    .iter()
                    .map(|k| format!("FUNDRAISER_{}", k.to_uppercase().replace('.', "__")))
                    .collect::<Vec<_>>()
                    .join(" and ")
            )));
        }
    }
    Ok(settings)
}

/// What `fundraiser check` warns about N-Genius: webhooks taken without a header.
pub fn ngenius_warning(settings: &super::Settings) -> Option<String> {
    (settings.gateway == GatewayKind::Ngenius && settings.ngenius.webhook_header.is_empty()).then(|| {
        "ngenius.webhook_header and ngenius.webhook_secret are empty: anyone can post to /payment/webhook/ngenius (it only makes the server ask N-Genius for an order's status, so no money moves); set a header key and value on the webhook in the N-Genius portal and here".to_owned()
    })
}
