//! The guard of every state-changing admin form (refunds, reconciliation): cross-site
//! requests are refused. A browser sends HTTP Basic credentials by itself, so a page
//! elsewhere could otherwise make an admin's browser post one. A request whose
//! `Sec-Fetch-Site` or `Origin` shows another site is refused, and a form sent with Basic
//! credentials must carry the form token the dashboard puts in it (derived from the admin
//! token: a page elsewhere cannot know it). A `Bearer` request (a script; browsers never
//! add that header by themselves) needs no form token.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

use super::{Admin, authorize};
use crate::http::plain;
use crate::state::AppState;

/// The token the dashboard's forms carry: HMAC of a fixed label under the admin token's
/// digest. Stable while the token is, unknowable without it.
pub fn form_token(admin: &Admin) -> String {
    let Some(key) = admin.token_digest else {
        return String::new();
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
        return String::new();
    };
    mac.update(b"fundraiser admin form");
    hex::encode(mac.finalize().into_bytes())
}

/// Whether the request comes from this site's own pages (or from no page at all).
fn same_site(req: &HttpRequest, state: &AppState) -> bool {
    let fetch_site = req
        .headers()
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok());
    if matches!(fetch_site, Some("cross-site" | "same-site")) {
        return false;
    }
    let Some(origin) = req.headers().get(header::ORIGIN) else {
        return true;
    };
    let origin = origin.to_str().unwrap_or_default();
    let own = req.connection_info();
    let served = format!("{}://{}", own.scheme(), own.host());
    let settings = &state.settings;
    origin == served
        || origin == settings.site_origin
        || settings.api_origin.as_deref() == Some(origin)
}

/// Whether the request was sent by a script with a `Bearer` token.
pub fn is_bearer(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
}

#[derive(Deserialize)]
struct TokenOnly {
    #[serde(default)]
    form_token: String,
}

/// Authorizes a state-changing admin request and reads its form; answers the refusal
/// (404/401/429, 403 cross-site or without the form token, 400 malformed) otherwise.
pub async fn admit<F: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    admin: &Admin,
) -> Result<F, HttpResponse> {
    authorize(req, state, admin)?;
    if !same_site(req, state) {
        tracing::warn!(
            path = req.path(),
            "admin form refused: sent from another site"
        );
        return Err(plain(
            StatusCode::FORBIDDEN,
            "Refused: this request came from another site.",
        ));
    }
    let limit = state.settings.limits.form_body_bytes;
    let body = state
        .read_body(req, payload, limit)
        .await
        .map_err(|e| crate::http::errors::PageError::from(e).answer(crate::lang::Lang::En))?;
    let malformed = || plain(StatusCode::BAD_REQUEST, "The form is malformed.");
    let token: TokenOnly = serde_urlencoded::from_bytes(&body).map_err(|_| malformed())?;
    let expected = form_token(admin);
    if !is_bearer(req) && !bool::from(token.form_token.as_bytes().ct_eq(expected.as_bytes())) {
        return Err(plain(
            StatusCode::FORBIDDEN,
            "Refused: the form token is missing or wrong. Reload the dashboard and try again.",
        ));
    }
    serde_urlencoded::from_bytes(&body).map_err(|_| malformed())
}
