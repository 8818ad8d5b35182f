//! The access token every API call carries: one kept, renewed a while before it
//! expires, and renewed by one caller at a time however many are waiting for it.

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::secret::Secret;

/// How long before its expiry a token is renewed, at most a fifth of its life: a call
/// that starts with it must still carry a live token when N-Genius reads it.
const MARGIN: Duration = Duration::from_secs(30);

struct Held {
    token: Secret,
    renew_at: Instant,
}

#[derive(Default)]
pub(super) struct Tokens {
    /// Held across a renewal: the callers that find the token expired wait here for
    /// the one renewal instead of each asking for a token.
    held: Mutex<Option<Held>>,
}

impl Tokens {
    /// The token kept, or one obtained by `renew` (its value and lifetime) when none
    /// is kept or it is about to expire.
    pub(super) async fn get<F, Fut, E>(&self, renew: F) -> Result<Secret, E>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<(Secret, Duration), E>>,
    {
        let mut held = self.held.lock().await;
        if let Some(h) = held.as_ref()
            && Instant::now() < h.renew_at
        {
            return Ok(h.token.clone());
        }
        let (token, lifetime) = renew().await?;
        let margin = MARGIN.min(lifetime / 5);
        *held = Some(Held {
            token: token.clone(),
            renew_at: Instant::now() + lifetime.saturating_sub(margin),
        });
        Ok(token)
    }

    /// Forgets `token` (N-Genius refused it): the next call renews.
    pub(super) async fn forget(&self, token: &Secret) {
        let mut held = self.held.lock().await;
        if held
            .as_ref()
            .is_some_and(|h| h.token.expose() == token.expose())
        {
            *held = None;
        }
    }
}
