//! Start-up and the HTTP server.

mod redirect;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{App, HttpServer, web};
use rand::RngCore as _;
use tracing_subscriber::EnvFilter;

use crate::config::Settings;
use crate::gateway::sandbox::Sandbox;
use crate::gateway::stripe::Stripe;
use crate::gateway::{ActiveGateway, GatewayKind};
use crate::http::security::SecurityHeaders;
use crate::ledger::Ledger;
use crate::limits::RateLimiter;
use crate::middleware::observe;
use crate::site::Site;
use crate::state::AppState;
use crate::tls::CertStore;

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// Start-up refused: bad settings or a ledger that cannot be used (exit code 2).
    #[error("{0}")]
    Start(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

/// Logs to stderr; `RUST_LOG` chooses what (default `info`).
pub fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

pub async fn run(settings: Settings) -> Result<(), ServeError> {
    let settings = Arc::new(settings);
    let ledger = Ledger::open_at(
        &settings.ledger.location,
        settings.ledger.batch_max,
        settings.ledger_scope(),
    )
    .map_err(|e| ServeError::Start(e.to_string()))?;
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| ServeError::Start(format!("cannot start the HTTP client: {e}")))?;

    let gate = Arc::new(crate::gateway::gate::Gate::new(settings.queue.gate));
    if gate.limited() {
        let running = gate.clone();
        actix_web::rt::spawn(async move { running.run().await });
    }
    let gateway = match settings.gateway {
        GatewayKind::Sandbox => {
            let secret = sandbox_secret(&settings, &ledger).await?;
            // The sandbox posts its webhooks to this very process's own address
            // (`loopback_for` the bound one, below) and nowhere else, and a public
            // certificate does not name 127.0.0.1; following no redirect keeps the
            // unverified client to that one address.
            let own = if settings.tls.is_some() {
                reqwest::Client::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .timeout(Duration::from_secs(15))
                    .redirect(reqwest::redirect::Policy::none())
                    .danger_accept_invalid_certs(true)
                    .build()
                    .map_err(|e| ServeError::Start(format!("cannot start the HTTP client: {e}")))?
            } else {
                http.clone()
            };
            ActiveGateway::Sandbox(Arc::new(
                Sandbox::new(secret.as_bytes(), settings.sandbox_webhooks, own)
                    .with_gate(gate.clone()),
            ))
        }
        GatewayKind::Stripe => ActiveGateway::Stripe(Arc::new(
            Stripe::new(&settings.stripe)
                .map_err(ServeError::Start)?
                .with_gate(gate.clone()),
        )),
        GatewayKind::Ngenius => ActiveGateway::Ngenius(Arc::new(
            crate::gateway::ngenius::Ngenius::new(&settings.ngenius)
                .map_err(ServeError::Start)?
                .with_gate(gate.clone()),
        )),
    };

    let receipts = receipt_key(&ledger).await?;
    let now = time::OffsetDateTime::now_utc();
    let site = Arc::new(
        Site::load(settings.clone(), &ledger.total().load(), now)
            .map_err(|e| ServeError::Start(e.to_string()))?,
    );
    let reconciler = Arc::new(crate::reconcile::Reconciler::new(&settings.reconcile));
    let state = AppState {
        settings: settings.clone(),
        site,
        ledger: ledger.clone(),
        gateway: gateway.clone(),
        total_json: Arc::new(crate::site::tally::TotalCache::new(&settings)),
        donate_limiter: Arc::new(RateLimiter::with_ipv6_48(
            settings.limits.donate_per_ip_per_minute,
            settings.limits.ipv6_48_multiplier,
        )),
        callback_limiter: Arc::new(RateLimiter::with_ipv6_48(
            settings.limits.callbacks_per_ip_per_minute,
            settings.limits.ipv6_48_multiplier,
        )),
        reconciler: reconciler.clone(),
        gate: gate.clone(),
        checkouts: Arc::new(crate::checkout::Checkouts::new()),
        receipts: receipts.clone(),
    };
    let admin = web::Data::new(crate::admin::Admin::new(&settings));

    let workers = match settings.workers {
        0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
        n => n,
    };
    let app_state = web::Data::new(state);
    let security = Arc::new(SecurityHeaders::new(&settings, settings.checkout_origin()));
    let header_limit = settings.limits.header_bytes;
    let server = HttpServer::new(move || {
        let headers = security.clone();
        App::new()
            .app_data(app_state.clone())
            .app_data(admin.clone())
            .wrap_fn(move |req, srv| observe(req, srv, headers.clone(), header_limit))
            .configure(crate::routes::configure)
    })
    .workers(workers)
    .on_connect(no_delay)
    .client_request_timeout(settings.timeouts.header)
    .client_disconnect_timeout(Duration::from_secs(2))
    .keep_alive(settings.timeouts.keep_alive)
    .max_connections(settings.limits.max_connections)
    .shutdown_timeout(settings.timeouts.shutdown.as_secs());
    let cannot_listen = |e| ServeError::Start(format!("cannot listen on {}: {e}", settings.bind));
    let (server, scheme) = match &settings.tls {
        Some(files) => {
            let store = CertStore::load(files).map_err(|e| ServeError::Start(e.to_string()))?;
            let config = store
                .server_config()
                .map_err(|e| ServeError::Start(e.to_string()))?;
            crate::tls::reload_on_sighup(store)?;
            let server = server
                .bind_rustls_0_23(settings.bind, config)
                .map_err(cannot_listen)?;
            (server, "https")
        }
        None => (server.bind(settings.bind).map_err(cannot_listen)?, "http"),
    };

    let addr = server
        .addrs()
        .first()
        .copied()
        .ok_or_else(|| ServeError::Start("the server is not listening".into()))?;
    if let Some(s) = gateway.sandbox() {
        s.set_webhook_url(format!(
            "{scheme}://{}/payment/webhook/sandbox",
            loopback_for(addr)
        ));
    }
    spawn_expiry(ledger.clone(), settings.pending_ttl);
    crate::receipt::sender::spawn(ledger.clone(), settings.clone(), receipts)
        .map_err(ServeError::Start)?;
    if let Some(every) = settings.reconcile.every {
        crate::reconcile::spawn(reconciler, ledger.clone(), gateway.clone(), every);
    }
    tracing::info!(
        version = env!("CARGO_PKG_VERSION"),
        ledger = %settings.ledger.location.describe(),
        gateway = settings.gateway.name(),
        "fundraiser listening on {scheme}://{addr}"
    );
    let redirect = match settings.http_redirect_bind {
        Some(bind) => Some(redirect::server(&settings, bind)?),
        None => None,
    };
    if settings.demo {
        tracing::warn!(
            "public demonstration (sandbox.public = true): payments are tests, anyone can fake one, no real money is taken; every page says so. Set gateway.kind = \"stripe\" to take real donations"
        );
    }
    if let Some(warning) = public_url_elsewhere(&settings.public_url, settings.bind) {
        tracing::warn!("{warning}");
    }
    if settings.admin.token.is_none() {
        tracing::warn!(
            "no admin token configured (admin.token / FUNDRAISER_ADMIN__TOKEN): /admin, /admin/stats, /admin/donations.csv and /metrics answer 404"
        );
    }
    match redirect {
        Some(redirect) => {
            futures_util::future::try_join(server.run(), redirect).await?;
        }
        None => server.run().await?,
    }
    tracing::info!("fundraiser stopped");
    Ok(())
}

/// A warning when the server listens on a loopback port that `server.public_url`, itself
/// on loopback, does not name: every absolute link (canonical, share, receipt) would lead
/// to another port. A bind to port 0 (tests, a port chosen by the system) never warns.
fn public_url_elsewhere(public_url: &str, listening: SocketAddr) -> Option<String> {
    if listening.port() == 0 {
        return None;
    }
    let url = url::Url::parse(public_url).ok()?;
    let on_loopback = match url.host()? {
        url::Host::Domain(d) => d.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    let port = url.port_or_known_default()?;
    (on_loopback && listening.ip().is_loopback() && port != listening.port()).then(|| {
        format!(
            "server.public_url is {public_url} but the server listens on port {}: the pages' absolute links (canonical, share, receipts) lead to port {port}. Set server.public_url = \"http://{listening}\" with server.bind",
            listening.port()
        )
    })
}

/// Turns Nagle's algorithm off on every accepted connection, plain or TLS: each answer
/// is written whole, so nothing is gained by holding its last segment back for an ACK.
fn no_delay(conn: &dyn std::any::Any, _: &mut actix_web::dev::Extensions) {
    use actix_tls::accept::rustls_0_23::TlsStream;
    use actix_web::rt::net::TcpStream;
    let socket = match conn.downcast_ref::<TcpStream>() {
        Some(tcp) => Some(tcp),
        None => conn
            .downcast_ref::<TlsStream<TcpStream>>()
            .map(|tls| tls.get_ref().0),
    };
    if let Some(Err(e)) = socket.map(|s| s.set_nodelay(true)) {
        tracing::debug!(error = %e, "TCP_NODELAY not set");
    }
}

/// The sandbox's signing secret: from config, else one generated once and kept in the ledger.
async fn sandbox_secret(settings: &Settings, ledger: &Ledger) -> Result<String, ServeError> {
    if let Some(configured) = &settings.sandbox_secret {
        return Ok(configured.expose().to_owned());
    }
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    ledger
        .setting_or_insert("sandbox.secret", &hex::encode(bytes))
        .await
        .map_err(|e| ServeError::Start(format!("cannot store the sandbox secret: {e}")))
}

/// The key of the printable receipts' links: generated once and kept in the ledger, so
/// every server of a shared ledger signs alike and links outlive restarts.
async fn receipt_key(ledger: &Ledger) -> Result<crate::receipt::ReceiptKey, ServeError> {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let key = ledger
        .setting_or_insert("receipt.key", &hex::encode(bytes))
        .await
        .map_err(|e| ServeError::Start(format!("cannot store the receipts' key: {e}")))?;
    Ok(crate::receipt::ReceiptKey::new(crate::secret::Secret::new(
        key,
    )))
}

/// An address this process can reach itself on, for the sandbox's webhooks.
pub fn loopback_for(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port())
        }
        IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port())
        }
        _ => addr,
    }
}

/// Expires abandoned pending donations in the background.
fn spawn_expiry(ledger: Ledger, ttl: Duration) {
    let every = (ttl / 4).clamp(Duration::from_secs(15), Duration::from_secs(300));
    actix_web::rt::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match ledger.expire_pending(ttl).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(expired = n, "pending donations expired"),
                Err(e) => tracing::warn!(error = %e, "could not expire pending donations"),
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::public_url_elsewhere;

    #[test]
    fn a_loopback_public_url_on_another_port_than_the_bind_warns() {
        let bind = |s: &str| s.parse().unwrap();
        let warning = public_url_elsewhere("http://127.0.0.1:8080", bind("127.0.0.1:9090"));
        assert!(warning.is_some_and(|w| w.contains("port 9090") && w.contains("127.0.0.1:9090")),);
        assert!(public_url_elsewhere("http://localhost:8080", bind("127.0.0.1:9090")).is_some());
        // Same port, a public address, or a port the system chooses: nothing to say.
        assert!(public_url_elsewhere("http://127.0.0.1:9090", bind("127.0.0.1:9090")).is_none());
        assert!(public_url_elsewhere("https://give.example.org", bind("127.0.0.1:9090")).is_none());
        assert!(public_url_elsewhere("http://127.0.0.1:8080", bind("127.0.0.1:0")).is_none());
        assert!(public_url_elsewhere("http://127.0.0.1:8080", bind("0.0.0.0:9090")).is_none());
    }
}
