//! N-Genius's HTTP client: the access token, every call through the gate, a 429 waited
//! out and tried again, a network error tried once more only where sending twice does
//! no harm; answers are read without ever quoting a body.

use std::time::Duration;

use serde_json::Value;

use super::api::{IDENTITY_JSON, Order, PAYMENT_JSON, api_error, network_error};
use super::{Ngenius, RETRIES_429, valid_reference};
use crate::gateway::GatewayError;
use crate::gateway::gate::{Priority, backoff};
use crate::secret::Secret;

/// How a request goes out.
pub(super) enum Body {
    None,
    Json(Value),
}

impl Ngenius {
    /// A new access token and its lifetime: `POST /identity/auth/access-token`.
    pub(super) async fn renew(
        &self,
        priority: Priority,
    ) -> Result<(Secret, Duration), GatewayError> {
        #[derive(serde::Deserialize)]
        struct Token {
            access_token: String,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let url = format!("{}/identity/auth/access-token", self.settings.api_base);
        let key = self.settings.api_key.expose();
        let (status, answer) = self
            .exchange("request an access token", priority, true, || {
                self.http
                    .post(&url)
                    .header(reqwest::header::AUTHORIZATION, format!("Basic {key}"))
                    .header(reqwest::header::CONTENT_TYPE, IDENTITY_JSON)
                    .header(reqwest::header::ACCEPT, IDENTITY_JSON)
            })
            .await?;
        if status == reqwest::StatusCode::UNAUTHORIZED || status == reqwest::StatusCode::FORBIDDEN {
            tracing::error!(
                status = status.as_u16(),
                "N-Genius refused the API key: check ngenius.api_key"
            );
        }
        let token: Token = parsed("request an access token", status, &answer)?;
        if token.access_token.is_empty() {
            return Err(GatewayError::Unavailable(
                "request an access token: no token".into(),
            ));
        }
        let lifetime = Duration::from_secs(token.expires_in.unwrap_or(300).clamp(10, 3600));
        Ok((Secret::new(token.access_token), lifetime))
    }

    /// Sends a request built by `build` through the gate, again after a 429 (N-Genius
    /// refused it unread), and once more after a network error when `resend` (a request
    /// that does no harm made twice) or when it never connected. Answers the status and
    /// body of whatever N-Genius answered.
    pub(super) async fn exchange(
        &self,
        what: &str,
        priority: Priority,
        resend: bool,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<(reqwest::StatusCode, bytes::Bytes), GatewayError> {
        let mut attempt = 1;
        let mut limited = 0;
        let m = crate::metrics::get();
        loop {
            self.gate.admit(priority).await;
            crate::metrics::inc(&m.gateway_calls[priority as usize]);
            let result = match build().send().await {
                Ok(response) => {
                    let status = response.status();
                    response.bytes().await.map(|body| (status, body))
                }
                Err(e) => Err(e),
            };
            match result {
                Ok((status, _))
                    if status == reqwest::StatusCode::TOO_MANY_REQUESTS
                        && limited < RETRIES_429 =>
                {
                    crate::metrics::inc(&m.gateway_429);
                    self.gate.pause(backoff(limited));
                    limited += 1;
                }
                Ok(answer) => return Ok(answer),
                Err(e) if attempt == 1 && !e.is_builder() && (resend || e.is_connect()) => {
                    tracing::warn!(
                        what,
                        error = network_error(&e),
                        "N-Genius not reached; retrying once"
                    );
                    attempt += 1;
                }
                Err(e) => {
                    return Err(GatewayError::Unavailable(format!(
                        "{what}: N-Genius not reached ({})",
                        network_error(&e)
                    )));
                }
            }
        }
    }

    /// A call of the payment API with the access token; once more with a new token if
    /// N-Genius refuses the one kept (it may have expired early).
    pub(super) async fn call(
        &self,
        what: &str,
        priority: Priority,
        method: reqwest::Method,
        url: &str,
        body: Body,
    ) -> Result<(reqwest::StatusCode, bytes::Bytes), GatewayError> {
        let resend = method == reqwest::Method::GET;
        let mut fresh = false;
        loop {
            let token = self.tokens.get(|| self.renew(priority)).await?;
            let answer = self
                .exchange(what, priority, resend, || {
                    let request = self
                        .http
                        .request(method.clone(), url)
                        .bearer_auth(token.expose())
                        .header(reqwest::header::ACCEPT, PAYMENT_JSON);
                    match &body {
                        Body::None => request,
                        Body::Json(v) => request
                            .header(reqwest::header::CONTENT_TYPE, PAYMENT_JSON)
                            .body(v.to_string()),
                    }
                })
                .await?;
            if answer.0 == reqwest::StatusCode::UNAUTHORIZED && !fresh {
                self.tokens.forget(&token).await;
                fresh = true;
                continue;
            }
            return Ok(answer);
        }
    }

    /// `GET .../orders/{reference}`: the order and the bytes it was read from.
    pub(super) async fn retrieve_order(
        &self,
        reference: &str,
        priority: Priority,
    ) -> Result<(Order, bytes::Bytes), GatewayError> {
        if !valid_reference(reference) {
            return Err(GatewayError::Rejected(
                "not an N-Genius order reference".into(),
            ));
        }
        let url = format!("{}/{reference}", self.orders_url());
        let (status, answer) = self
            .call(
                "retrieve order",
                priority,
                reqwest::Method::GET,
                &url,
                Body::None,
            )
            .await?;
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(GatewayError::Rejected("no such order".into()));
        }
        let order: Order = parsed("retrieve order", status, &answer)?;
        if order.reference != reference {
            return Err(GatewayError::Unavailable(
                "retrieve order: another order was answered".into(),
            ));
        }
        Ok((order, answer))
    }
}

/// A success answer of N-Genius's, read as `T`; any other answer is N-Genius
/// unavailable, named by its status only.
pub(super) fn parsed<T: serde::de::DeserializeOwned>(
    what: &str,
    status: reqwest::StatusCode,
    answer: &[u8],
) -> Result<T, GatewayError> {
    if !status.is_success() {
        return Err(GatewayError::Unavailable(format!(
            "{what}: {}",
            api_error(status)
        )));
    }
    serde_json::from_slice(answer)
        .map_err(|_| GatewayError::Unavailable(format!("{what}: unexpected answer")))
}
