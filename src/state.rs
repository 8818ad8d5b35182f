//! What every request handler shares.

use std::sync::Arc;

use crate::config::Settings;
use crate::gateway::Gateway;
use crate::gateway::sandbox::Sandbox;
use crate::ledger::Ledger;
use crate::routes::api::TotalCache;
use crate::site::Site;

#[derive(Clone)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub site: Arc<Site>,
    pub ledger: Ledger,
    pub gateway: Arc<dyn Gateway>,
    /// The sandbox's hosted checkout, when the sandbox is the gateway.
    pub sandbox: Option<Arc<Sandbox>>,
    pub total_json: Arc<TotalCache>,
}
