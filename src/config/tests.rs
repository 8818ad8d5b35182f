//! Loading and checking the configuration.

use std::time::Duration;

use figment::providers::{Format, Serialized, Toml};

use super::load::describe;
use super::*;

/// Every key of the settings, as dotted paths (`server.bind`); a list is one key.
fn keys(value: &toml::Value, prefix: &str, out: &mut Vec<String>) {
    if let toml::Value::Table(table) = value {
        for (k, v) in table {
            let path = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            out.push(path.clone());
            keys(v, &path, out);
        }
    }
}

/// `config.toml` documents every key and nothing else, and makes valid settings. Its
/// values are the built-in defaults as shipped, but a charity edits them (goal,
/// currency, ...), so only the keys are compared.
#[test]
fn the_documented_config_file_names_every_key_of_the_built_in_defaults() {
    let documented: toml::Value = toml::from_str(include_str!("../../config.toml")).unwrap();
    let defaults = toml::Value::try_from(Config::default()).unwrap();
    let (mut d, mut k) = (Vec::new(), Vec::new());
    keys(&documented, "", &mut d);
    keys(&defaults, "", &mut k);
    d.sort();
    k.sort();
    assert_eq!(d, k);
    let parsed: Config = toml::from_str(include_str!("../../config.toml")).unwrap();
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
    // Within i64 as minor units, but sums of them would not be: refused, bound named.
    let too_large = bad(|c| c.donation.max = 1_000_000_000_000_000);
    assert!(
        too_large.contains("donation.max") && too_large.contains("at most 100000000000 AED"),
        "{too_large}"
    );
    let too_large = bad(|c| c.campaign.goal = 10_000_000_000_000_000);
    assert!(
        too_large.contains("campaign.goal") && too_large.contains("at most 10000000000000 AED"),
        "{too_large}"
    );
    let mut c = Config::default();
    (c.donation.max, c.campaign.goal) = (100_000_000_000, 10_000_000_000_000);
    c.settings()
        .expect("the largest bounds themselves are allowed");
    assert!(bad(|c| c.donation.presets = vec![1]).contains("donation.presets"));
    assert!(bad(|c| c.campaign.ends_at = "tomorrow".into()).contains("campaign.ends_at"));
    assert!(bad(|c| c.donation.pending_ttl = "soon".into()).contains("donation.pending_ttl"));
    assert!(bad(|c| c.gateway.kind = "paypal".into()).contains("gateway.kind"));
    assert!(bad(|c| c.limits.ipv6_48_multiplier = 65_537).contains("limits.ipv6_48_multiplier"));
    assert!(bad(|c| c.server.public_url = "example.org".into()).contains("server.public_url"));
    // Written as it is into pages and share links: nothing a page would have to escape.
    for odd in [
        "http://127.0.0.1:8080/?a=1",
        "http://127.0.0.1:8080/\"><script>",
        "http://127.0.0.1:8080/a b",
        "http://127.0.0.1:8080/#top",
    ] {
        let mut c = Config::default();
        c.server.public_url = odd.into();
        let e = c.settings().unwrap_err().0;
        assert!(e.contains("give the site's address alone"), "{odd}: {e}");
    }
    assert!(bad(|c| c.stripe.api_base = "api.stripe.com".into()).contains("stripe.api_base"));
    assert!(
        bad(|c| c.stripe.checkout_origin = "https://x.com; script-src *".into())
            .contains("stripe.checkout_origin")
    );
    assert!(
        bad(|c| c.stripe.signature_tolerance = "0s".into()).contains("stripe.signature_tolerance")
    );
    assert!(bad(|c| c.stripe.request_timeout = "soon".into()).contains("stripe.request_timeout"));
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
    assert_eq!(s.stripe.secret_key.expose(), "sk_test_hidden");
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
    assert_eq!(with("").unwrap().admin.token, None);
    let s = with(" a-long-enough-admin-token ").unwrap();
    assert_eq!(
        s.admin.token,
        Some(crate::secret::Secret::new("a-long-enough-admin-token"))
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

#[test]
fn reconciliation_is_set_in_the_gateway_s_own_section() {
    let defaults = Config::default().settings().unwrap();
    assert_eq!(
        defaults.reconcile,
        ReconcileSettings {
            every: Some(Duration::from_secs(600)),
            after: Duration::from_secs(300),
        }
    );
    assert!(defaults.sandbox_webhooks);
    // A bare 0 (as TOML and the environment give it) switches the task off.
    let parsed: Config = toml::from_str(
        "[sandbox]\nreconcile_every = 0\nreconcile_after = \"0s\"\nwebhooks = false\n",
    )
    .unwrap();
    let s = parsed.settings().unwrap();
    assert_eq!(s.reconcile.every, None);
    assert_eq!(s.reconcile.after, Duration::ZERO);
    assert!(!s.sandbox_webhooks);
    // With Stripe, [stripe]'s keys count; [sandbox]'s are not read.
    let mut c = Config::default();
    c.gateway.kind = "stripe".into();
    c.stripe.secret_key = "sk_test_x".into();
    c.stripe.webhook_secret = "whsec_x".into();
    c.stripe.reconcile_every = "1m".into();
    c.sandbox.reconcile_every = "nonsense".into();
    assert_eq!(
        c.clone().settings().unwrap().reconcile.every,
        Some(Duration::from_secs(60))
    );
    c.stripe.reconcile_every = "soon".into();
    assert!(
        c.clone()
            .settings()
            .unwrap_err()
            .0
            .contains("stripe.reconcile_every")
    );
    c.stripe.reconcile_every = "500ms".into();
    assert!(c.settings().unwrap_err().0.contains("at least"));
}

#[test]
fn funds_are_read_from_the_file_in_order() {
    let toml = r#"
[[funds]]
id = "general"
label = { en = "Where most needed", ar = "حيث الحاجة أكبر" }
[[funds]]
id = "zakat"
goal = 500000
label = { en = "Zakat", ar = "زكاة" }
description = { en = "For eligible recipients only", ar = "للمستحقين فقط" }
"#;
    let config: Config = figment::Figment::from(Serialized::defaults(Config::default()))
        .merge(Toml::string(toml))
        .extract()
        .unwrap();
    let s = config.settings().unwrap();
    let ids: Vec<_> = s.funds.iter().map(|f| f.id.as_str()).collect();
    assert_eq!(ids, ["general", "zakat"]);
    assert!(s.fund_choice());
    let zakat = s.fund("zakat").unwrap();
    assert_eq!(zakat.goal_minor, Some(50_000_000));
    assert_eq!(zakat.label(crate::lang::Lang::Ar), "زكاة");
    assert_eq!(
        zakat.description(crate::lang::Lang::En),
        "For eligible recipients only"
    );
    assert_eq!(s.fund("general").unwrap().goal_minor, None);
    assert!(s.fund("sadaqah").is_none());
    let unknown = figment::Figment::from(Serialized::defaults(Config::default()))
        .merge(Toml::string("[[funds]]\nid = \"x\"\ncolour = \"red\""))
        .extract::<Config>()
        .unwrap_err();
    assert!(describe(unknown).contains("colour"));
}

#[test]
fn without_funds_the_campaign_is_the_one_fund() {
    let s = Config::default().settings().unwrap();
    assert_eq!(s.funds.len(), 1);
    assert_eq!(s.funds[0].id.as_str(), "general");
    assert_eq!(s.funds[0].goal_minor, Some(s.goal_minor));
    assert!(!s.fund_choice());
    assert!(s.fund("general").is_some());
}
