//! The admin side: the dashboard (`/admin`), its figures (`/admin/stats`), the donations
//! export (`/admin/donations.csv`), `/metrics`, refunds and reconciliation, all behind
//! the admin token.
//!
//! Access: `Authorization: Bearer <token>`, or HTTP Basic with any user name and the
//! token as password (so a browser can open the dashboard). The token is compared in
//! constant time; failed attempts are counted per address and answered 429 past the
//! limit. With no token configured the routes answer 404, as if they did not exist.

pub mod charts;
pub mod csv;
pub mod dashboard;
pub mod figures;
pub mod funds;
pub mod guard;
pub mod reconcile;
pub mod refund;
pub mod resend;
pub mod table;

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;

use crate::config::Settings;
use crate::http::errors::AdminError;
use crate::ledger::{LedgerError, LedgerStats, now_ms};
use crate::limits::RateLimiter;
use crate::state::AppState;
use figures::Figures;

/// Admin access and the figures cache, shared by every worker.
pub struct Admin {
    /// SHA-256 of the token; `None` switches the admin routes off.
    token_digest: Option<[u8; 32]>,
    failures: RateLimiter,
    stats: Option<moka::sync::Cache<(), Arc<LedgerStats>>>,
}

impl Admin {
    pub fn new(settings: &Settings) -> Admin {
        Admin {
            token_digest: settings
                .admin
                .token
                .as_ref()
                .map(|t| Sha256::digest(t.expose().as_bytes()).into()),
            failures: RateLimiter::new(settings.admin.failures_per_ip_per_minute),
            stats: (!settings.admin.stats_cache.is_zero()).then(|| {
                moka::sync::Cache::builder()
                    .max_capacity(1)
                    .time_to_live(settings.admin.stats_cache)
                    .build()
            }),
        }
    }

    /// Drops the cached figures: the next read computes them afresh.
    pub fn forget_figures(&self) {
        if let Some(cache) = &self.stats {
            cache.invalidate_all();
        }
    }

    pub fn enabled(&self) -> bool {
        self.token_digest.is_some()
    }

    /// Whether `given` is the token, in time independent of where they differ.
    fn is_token(&self, given: &str) -> bool {
        let Some(expected) = &self.token_digest else {
            return false;
        };
        let digest: [u8; 32] = Sha256::digest(given.as_bytes()).into();
        bool::from(digest.ct_eq(expected))
    }
}

/// The credential a request carries: a bearer token or a Basic password.
pub fn credential(req: &HttpRequest) -> Option<String> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .trim();
    let (scheme, rest) = value.split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        Some(rest.to_owned())
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(rest)
            .ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (_user, password) = text.split_once(':')?;
        Some(password.to_owned())
    } else {
        None
    }
}

/// Lets the request through, or answers 404 (admin off), 401 or 429.
pub fn authorize(req: &HttpRequest, state: &AppState, admin: &Admin) -> Result<(), HttpResponse> {
    check(req, state, admin).map_err(|e| e.answer())
}

fn check(req: &HttpRequest, state: &AppState, admin: &Admin) -> Result<(), AdminError> {
    if !admin.enabled() {
        return Err(AdminError::Off);
    }
    // The right token is always let in: only failures are slowed, so nobody (behind the
    // same proxy, say) can lock the admins out by failing on purpose.
    if credential(req).is_some_and(|c| admin.is_token(&c)) {
        return Ok(());
    }
    let ip = state.client_ip(req);
    if let Some(wait) = ip.and_then(|ip| admin.failures.exceeded(ip)) {
        return Err(AdminError::TooMany { retry_after: wait });
    }
    if req.headers().contains_key(header::AUTHORIZATION) {
        tracing::warn!(client = ?ip, path = req.path(), "admin access refused: wrong credentials");
        if let Some(ip) = ip
            && let Err(wait) = admin.failures.check(ip)
        {
            return Err(AdminError::TooMany { retry_after: wait });
        }
    }
    Err(AdminError::Unauthorized)
}

/// The ledger figures, from the cache when they are fresh enough.
async fn ledger_stats(
    state: &AppState,
    admin: &Admin,
    now: i64,
) -> Result<Arc<LedgerStats>, LedgerError> {
    let m = crate::metrics::get();
    if let Some(cache) = &admin.stats
        && let Some(hit) = cache.get(&())
    {
        crate::metrics::inc(&m.stats_cache_hits);
        return Ok(hit);
    }
    crate::metrics::inc(&m.stats_cache_misses);
    let fresh = Arc::new(state.ledger.stats(now).await?);
    if let Some(cache) = &admin.stats {
        cache.insert((), fresh.clone());
    }
    Ok(fresh)
}

async fn figures(
    state: &AppState,
    admin: &Admin,
) -> Result<(Figures, Arc<LedgerStats>), LedgerError> {
    let now = now_ms();
    let stats = ledger_stats(state, admin, now).await?;
    let s = &state.settings;
    let f = Figures::compute(
        &stats,
        s.currency,
        s.goal_minor,
        now,
        figures::server_json(),
    )
    .with_funds(&stats, s.funds.iter().map(|f| f.id.as_str()));
    Ok((f, stats))
}

/// `GET /admin/stats`
pub async fn stats(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: web::Data<Admin>,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state, &admin) {
        return r;
    }
    match figures(&state, &admin).await {
        Ok((f, _)) => HttpResponse::Ok()
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(f),
        Err(e) => {
            tracing::warn!(error = %e, "admin figures unavailable");
            AdminError::Unavailable.answer()
        }
    }
}

/// `GET /admin`
pub async fn dashboard(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: web::Data<Admin>,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state, &admin) {
        return r;
    }
    let recent = state.ledger.recent_succeeded(RECENT).await;
    let outbox = state.ledger.outbox(RECENT).await;
    match (figures(&state, &admin).await, recent, outbox) {
        (Ok((f, stats)), Ok(donations), Ok(outbox)) => {
            let token = guard::form_token(&admin, guard::now_s());
            let recent = dashboard::Recent {
                donations: &donations,
                form_token: &token,
                outbox: &outbox,
                emails: state.settings.email.enabled(),
                funds: &state.settings.funds,
            };
            let page = dashboard::page(&f, &stats, state.settings.currency, now_ms(), &recent);
            crate::http::html(StatusCode::OK, page)
        }
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => {
            tracing::warn!(error = %e, "admin figures unavailable");
            AdminError::Unavailable.answer()
        }
    }
}

/// Donations listed on the dashboard, with their refund forms.
const RECENT: i64 = 20;

/// `GET /admin/donations.csv`
pub async fn donations_csv(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: web::Data<Admin>,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state, &admin) {
        return r;
    }
    // `?fund=zakat`: that fund's donations (of every status) alone.
    #[derive(serde::Deserialize)]
    struct Query {
        fund: Option<String>,
    }
    let fund = match web::Query::<Query>::from_query(req.query_string()) {
        Ok(q) => q.into_inner().fund,
        Err(_) => return AdminError::UnknownFund.answer(),
    };
    if let Some(id) = &fund
        && state.settings.fund(id).is_none()
    {
        return AdminError::UnknownFund.answer();
    }
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"donations.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(csv::stream(state.ledger.clone(), fund))
}

/// `GET /metrics`
pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: web::Data<Admin>,
) -> HttpResponse {
    if let Err(r) = authorize(&req, &state, &admin) {
        return r;
    }
    let raised = state.ledger.total().load().raised_minor;
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(crate::metrics::get().render(
            raised,
            state.settings.currency.code(),
            crate::gateway::gate::Priority::ALL.map(|p| state.gate.queued(p)),
        ))
}
