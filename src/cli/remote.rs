//! The commands that ask the running server something over HTTP on its own loopback
//! address: `healthcheck` and `reconcile`.

use std::process::ExitCode;

use super::{ServeArgs, count, fail, load_settings};

/// This server's own address on loopback, as a base URL.
fn own_base(settings: &crate::config::Settings) -> String {
    let scheme = if settings.tls.is_some() {
        "https"
    } else {
        "http"
    };
    format!("{scheme}://{}", crate::server::loopback_for(settings.bind))
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

pub(super) fn reconcile(args: ServeArgs, url: Option<String>) -> ExitCode {
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
    let url = format!("{}/admin/reconcile", base.trim_end_matches('/'));
    let runtime = match runtime("reconcile") {
        Ok(r) => r,
        Err(code) => return code,
    };
    // The server's own loopback port: see `healthcheck` on certificates.
    let answer = runtime.block_on(async {
        let response = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30 * 60))
            .danger_accept_invalid_certs(true)
            .build()?
            .post(&url)
            .bearer_auth(token.expose())
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await?;
        Ok::<_, reqwest::Error>((status, body))
    });
    let (status, body) = match answer {
        Ok(a) => a,
        Err(e) => {
            eprintln!("fundraiser: reconcile: no answer from {url}: {e}; is the server running?");
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

pub(super) fn healthcheck(args: ServeArgs, url: Option<String>) -> ExitCode {
    let settings = match load_settings(args) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let url = url.unwrap_or_else(|| format!("{}/healthz", own_base(&settings)));
    let runtime = match runtime("healthcheck") {
        Ok(r) => r,
        Err(code) => return code,
    };
    // A probe of this process's own loopback port: the certificate names the public
    // host, not 127.0.0.1, so it is not verified here.
    let answer = runtime.block_on(async {
        reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(3))
            .danger_accept_invalid_certs(true)
            .build()?
            .get(&url)
            .send()
            .await
    });
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
            eprintln!("fundraiser: unhealthy: {url}: {e}");
            ExitCode::FAILURE
        }
    }
}
