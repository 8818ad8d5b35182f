//! What every request handler shares.

use std::sync::Arc;

use crate::config::Settings;
use crate::gateway::ActiveGateway;
use crate::ledger::Ledger;
use crate::limits::RateLimiter;
use crate::site::Site;
use crate::site::tally::TotalCache;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub site: Arc<Site>,
    pub ledger: Ledger,
    pub gateway: ActiveGateway,
    pub total_json: Arc<TotalCache>,
    pub donate_limiter: Arc<RateLimiter>,
    pub callback_limiter: Arc<RateLimiter>,
    pub reconciler: Arc<crate::reconcile::Reconciler>,
    /// The line every gateway call waits in.
    pub gate: Arc<crate::gateway::gate::Gate>,
    /// Checkouts being started, which donors may be waiting for.
    pub checkouts: Arc<crate::checkout::Checkouts>,
    /// Signs and checks the links to printable receipts.
    pub receipts: crate::receipt::ReceiptKey,
}

impl AppState {
    /// What starting a checkout needs, from this state.
    pub fn starter(&self) -> crate::checkout::Starter {
        crate::checkout::Starter {
            settings: self.settings.clone(),
            ledger: self.ledger.clone(),
            gateway: self.gateway.clone(),
        }
    }

    /// The client's address, as the rate limits and the ledger see it.
    pub fn client_ip(&self, req: &actix_web::HttpRequest) -> Option<std::net::IpAddr> {
        crate::client_ip::of(req, &self.settings.trusted_proxies)
    }

    /// Counts a payment return or webhook against its sender's budget.
    pub fn check_callback_limit(&self, req: &actix_web::HttpRequest) -> Result<(), u64> {
        match self.client_ip(req) {
            Some(ip) => self.callback_limiter.check(ip),
            None => Ok(()),
        }
    }

    /// Whether the sender is already past its callback budget, without counting: a
    /// webhook counts against it only once it fails verification.
    pub fn callback_limit_exceeded(&self, req: &actix_web::HttpRequest) -> Option<u64> {
        self.client_ip(req)
            .and_then(|ip| self.callback_limiter.exceeded(ip))
    }

    /// Reads a request body within the configured size and time limits.
    pub async fn read_body(
        &self,
        req: &actix_web::HttpRequest,
        payload: actix_web::web::Payload,
        limit: usize,
    ) -> Result<bytes::Bytes, crate::http::body::BodyError> {
        crate::http::body::read_limited(req, payload, limit, self.settings.timeouts.body).await
    }
}
