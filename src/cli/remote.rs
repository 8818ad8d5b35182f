//! The commands that ask the running server something over HTTP: `healthcheck` and
//! `reconcile`, on the server's own loopback address by default.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use reqwest::Url;

use super::{ServeArgs, count, fail, load_settings};
use crate::secret::redact_url;

/// This server's own address on loopback, as a base URL.
fn own_base(settings: &crate::config::Settings) -> String {
    let scheme = if settings.tls.is_some() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{}", crate::server::loopback_for(settings.bind))
}

/// The loopback address `url` names by its IP, if it names one.
fn loopback_ip(url: &Url) -> Option<std::net::IpAddr> {
    let ip = match url.host()? {
        url::Host::Ipv4(ip) => std::net::IpAddr::V4(ip),
        url::Host::Ipv6(ip) => std::net::IpAddr::V6(ip).to_canonical(),
        url::Host::Domain(_) => return None,
    };
    ip.is_loopback().then_some(ip)
}

/// Whether `url` is this server's own loopback address from its settings: the one place
/// a certificate goes unverified, as it names the public host, not 127.0.0.1.
fn is_own_loopback(url: &Url, settings: &crate::config::Settings) -> bool {
    let own = crate::server::loopback_for(settings.bind);
    loopback_ip(url) == Some(own.ip().to_canonical())
        && url.port_or_known_default() == Some(own.port())
}

/// A client verifying certificates against the public roots and `ca_file`, unless
/// `unverified` (a loopback address, decided by the caller); it follows no redirect, so
/// what is trusted is the one address asked.
fn client(
    unverified: bool,
    ca_file: Option<&Path>,
    timeout: Duration,
) -> Result<reqwest::Client, String> {
    let mut builder = reqwest::Client::builder()
        .timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .danger_accept_invalid_certs(unverified);
    if let Some(path) = ca_file {
        let pem = std::fs::read(path).map_err(|e| format!("--ca-file {}: {e}", path.display()))?;
        let certs = reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| format!("--ca-file {}: {e}", path.display()))?;
        if certs.is_empty() {
            return Err(format!("--ca-file {}: no certificate", path.display()));
        }
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| format!("cannot start the HTTP client: {e}"))
}

/// An error and its causes on one line (a refused certificate is a cause), without the
/// URL reqwest would repeat.
fn causes(e: reqwest::Error) -> String {
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn runtime(what: &str) -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            eprintln!("fundraiser: {what}: {e}");
            ExitCode::FAILURE
        })
}

pub(super) fn reconcile(args: ServeArgs, url: Option<String>, ca_file: Option<&Path>) -> ExitCode {
    let settings = match load_settings(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let Some(token) = settings.admin.token.clone() else {
        return fail(
            "reconcile: set admin.token (or FUNDRAISER_ADMIN__TOKEN): the server runs reconciliation for admins only",
        );
    };
    let base = url.unwrap_or_else(|| own_base(&settings));
    let Ok(target) = Url::parse(&format!("{}/admin/reconcile", base.trim_end_matches('/'))) else {
        return fail(format!(
            "reconcile: --url {} is not a URL like https://give.example.org",
            redact_url(&base)
        ));
    };
    let url = redact_url(target.as_str());
    let this_machine = loopback_ip(&target).is_some() || target.host_str() == Some("localhost");
    if target.scheme() != "https" && !this_machine {
        return fail(format!(
            "reconcile: {url} would carry the admin token over the network in plain text: use https://"
        ));
    }
    // The admin token goes only where the certificate is verified, or to this server's
    // own loopback address from its settings.
    let http = match client(
        is_own_loopback(&target, &settings),
        ca_file,
        Duration::from_secs(30 * 60),
    ) {
        Ok(c) => c,
        Err(e) => return fail(format!("reconcile: {e}")),
    };
    let runtime = match runtime("reconcile") {
        Ok(r) => r,
        Err(code) => return code,
    };
    let answer = runtime.block_on(async {
        let response = http.post(target).bearer_auth(token.expose()).send().await?;
        let status = response.status();
        let body = response.text().await?;
        Ok::<_, reqwest::Error>((status, body))
    });
    let (status, body) = match answer {
        Ok(a) => a,
        Err(e) => {
            eprintln!(
                "fundraiser: reconcile: no answer from {url}: {}; is the server running (and, for a certificate of a private authority, is it given with --ca-file)?",
                causes(e)
            );
            return ExitCode::FAILURE;
        }
    };
    if !status.is_success() {
        eprintln!(
            "fundraiser: reconcile: {url} answered {status}: {}",
            body.trim()
        );
        return ExitCode::FAILURE;
    }
    let Ok(run) = serde_json::from_str::<serde_json::Value>(&body) else {
        eprintln!("fundraiser: reconcile: {url} answered something else than a run's record");
        return ExitCode::FAILURE;
    };
    let n = |key: &str| run[key].as_u64().unwrap_or(0);
    println!(
        "reconciled with {}: {} asked about, {} listed, {}",
        run["gateway"].as_str().unwrap_or("the gateway"),
        count(
            n("sessions_checked"),
            "pending checkout",
            "pending checkouts"
        ),
        count(n("events_listed"), "gateway event", "gateway events"),
        count(n("healed"), "missed result healed", "missed results healed"),
    );
    match run["error"].as_str() {
        Some(error) => {
            eprintln!("fundraiser: reconcile: stopped early: {error}; the next run resumes");
            ExitCode::FAILURE
        }
        None => ExitCode::SUCCESS,
    }
}

pub(super) fn healthcheck(
    args: ServeArgs,
    url: Option<String>,
    ca_file: Option<&Path>,
) -> ExitCode {
    let settings = match load_settings(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let given = url.unwrap_or_else(|| format!("{}/healthz", own_base(&settings)));
    let Ok(target) = Url::parse(&given) else {
        eprintln!("fundraiser: unhealthy: {} is not a URL", redact_url(&given));
        return ExitCode::FAILURE;
    };
    let url = redact_url(target.as_str());
    // A probe sends nothing secret and reads only a status, so any loopback address,
    // which is this machine, is probed without verifying a certificate that names the
    // public host; any other address is verified.
    let http = match client(
        loopback_ip(&target).is_some(),
        ca_file,
        Duration::from_secs(3),
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("fundraiser: unhealthy: {e}");
            return ExitCode::FAILURE;
        }
    };
    let runtime = match runtime("healthcheck") {
        Ok(r) => r,
        Err(code) => return code,
    };
    let answer = runtime.block_on(async { http.get(target).send().await });
    match answer {
        Ok(r) if r.status() == reqwest::StatusCode::OK => {
            println!("healthy: {url} answered 200");
            ExitCode::SUCCESS
        }
        Ok(r) => {
            eprintln!("fundraiser: unhealthy: {url} answered {}", r.status());
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("fundraiser: unhealthy: {url}: {}", causes(e));
            ExitCode::FAILURE
        }
    }
}
