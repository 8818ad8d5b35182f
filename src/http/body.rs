//! Request bodies read with a hard size limit.

use actix_web::web;
use bytes::BytesMut;
use futures_util::StreamExt as _;

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("body too large")]
    TooLarge,
    #[error("body could not be read")]
    Broken,
    /// The client took longer than the body timeout to send it.
    #[error("body too slow")]
    TooSlow,
}

/// Reads at most `limit` bytes within `timeout`; a longer body (declared or sent) is
/// refused, and so is a client trickling its body (the server's header timeout does not
/// cover bodies).
pub async fn read_limited(
    req: &actix_web::HttpRequest,
    payload: web::Payload,
    limit: usize,
    timeout: std::time::Duration,
) -> Result<bytes::Bytes, BodyError> {
    tokio::time::timeout(timeout, read(req, payload, limit))
        .await
        .unwrap_or(Err(BodyError::TooSlow))
}

async fn read(
    req: &actix_web::HttpRequest,
    mut payload: web::Payload,
    limit: usize,
) -> Result<bytes::Bytes, BodyError> {
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge);
    }
    let mut body = BytesMut::with_capacity(declared.map_or(1024, |n| n as usize).min(limit));
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| BodyError::Broken)?;
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}
