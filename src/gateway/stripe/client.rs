//! Stripe's HTTP client: every call waits its turn at the gate, a 429 is waited out and
//! tried again with the same idempotency key, a network error is tried once more; answers
//! are read without ever quoting a body.

use super::api::{Session, api_error, network_error};
use super::{API_VERSION, Stripe};
use crate::gateway::GatewayError;
use crate::gateway::gate::{Priority, backoff};

/// How many times a call Stripe answered 429 is tried again, each after a longer pause
/// (0.5 s doubling to 8 s, with jitter): about a minute in all before giving up.
const RETRIES_429: u32 = 9;

impl Stripe {
    /// POSTs a form to `path` with an idempotency key: retried, it never acts twice.
    pub(super) async fn post_form(
        &self,
        what: &str,
        priority: Priority,
        path: &str,
        key: &str,
        form: &[(&'static str, String)],
    ) -> Result<(reqwest::StatusCode, bytes::Bytes), GatewayError> {
        let body = serde_urlencoded::to_string(form)
            .map_err(|_| GatewayError::Unavailable(format!("{what}: cannot encode the form")))?;
        let url = format!("{}{path}", self.api_base);
        self.send(what, priority, || {
            self.http
                .post(&url)
                .header("Idempotency-Key", key)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body.clone())
        })
        .await
    }

    /// Sends a request built by `build`, once more after a network error or timeout
    /// (`build` gives the same request, idempotency key included). Answers the status
    /// and body of whatever Stripe answered.
    pub(super) async fn send(
        &self,
        what: &str,
        priority: Priority,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<(reqwest::StatusCode, bytes::Bytes), GatewayError> {
        let mut attempt = 1;
        let mut limited = 0;
        let m = crate::metrics::get();
        loop {
            self.gate.admit(priority).await;
            crate::metrics::inc(&m.gateway_calls[priority as usize]);
            let request = build()
                .bearer_auth(self.secret_key.expose())
                .header("Stripe-Version", API_VERSION);
            let result = match request.send().await {
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
                    // Everyone waits a while; this call goes back in line, with the
                    // same idempotency key.
                    crate::metrics::inc(&m.gateway_429);
                    self.gate.pause(backoff(limited));
                    limited += 1;
                }
                Ok(answer) => return Ok(answer),
                Err(e) if attempt == 1 && !e.is_builder() => {
                    tracing::warn!(
                        what,
                        error = network_error(&e),
                        "Stripe not reached; retrying once"
                    );
                    attempt += 1;
                }
                Err(e) => {
                    return Err(GatewayError::Unavailable(format!(
                        "{what}: Stripe not reached ({})",
                        network_error(&e)
                    )));
                }
            }
        }
    }

    /// `GET /v1/checkout/sessions/{id}`: the session and the bytes it was read from.
    pub(super) async fn retrieve_session(
        &self,
        id: &str,
        priority: Priority,
    ) -> Result<(Session, bytes::Bytes), GatewayError> {
        let url = format!("{}/v1/checkout/sessions/{id}", self.api_base);
        let (status, answer) = self
            .send("retrieve checkout session", priority, || {
                self.http.get(&url)
            })
            .await?;
        if status == reqwest::StatusCode::NOT_FOUND {
            return Err(GatewayError::Rejected("no such checkout session".into()));
        }
        let session: Session = parsed("retrieve checkout session", status, &answer)?;
        if session.id != id {
            return Err(GatewayError::Unavailable(
                "retrieve checkout session: another session was answered".into(),
            ));
        }
        Ok((session, answer))
    }
}

/// A success answer of Stripe's, read as `T`; any other answer is Stripe unavailable,
/// named by status and Stripe's error type and code only.
pub(super) fn parsed<T: serde::de::DeserializeOwned>(
    what: &str,
    status: reqwest::StatusCode,
    answer: &[u8],
) -> Result<T, GatewayError> {
    if !status.is_success() {
        return Err(GatewayError::Unavailable(format!(
            "{what}: {}",
            api_error(status, answer)
        )));
    }
    serde_json::from_slice(answer)
        .map_err(|_| GatewayError::Unavailable(format!("{what}: unexpected answer")))
}
