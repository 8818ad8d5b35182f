//! Every error a request can meet, and its answer, in one exhaustive `match` per kind of
//! answer: a page in the donor's language for the routes people use (`PageError`), JSON
//! for the routes machines use (`ApiError`), plain text for the admin's (`AdminError`).

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use maud::html;
use serde_json::json;

use super::body::BodyError;
use super::{html, retry_after};
use crate::lang::Lang;
use crate::render::strings::Strings;

/// Why a donor-facing request was refused. Nothing was charged in any of these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    /// Malformed, forged or tampered with.
    #[error("bad request")]
    BadRequest,
    #[error("{0}")]
    Body(BodyError),
    #[error("too many requests")]
    TooMany { retry_after: u64 },
    /// The gateway or the ledger cannot do it right now; trying again later will.
    #[error("unavailable")]
    Unavailable,
    /// The sandbox's checkout link names no donation of its own.
    #[error("no such checkout")]
    CheckoutNotFound,
    /// The sandbox's checkout was already paid or declined.
    #[error("checkout already completed")]
    CheckoutDone,
}

impl From<BodyError> for PageError {
    fn from(e: BodyError) -> Self {
        PageError::Body(e)
    }
}

impl PageError {
    /// The page that tells the donor what happened, in their language.
    pub fn answer(self, lang: Lang) -> HttpResponse {
        let t = Strings::of(lang);
        let (e, checkout) = (&t.errors, &t.checkout);
        let bad = &e.bad_request_title;
        match self {
            PageError::BadRequest => message(lang, StatusCode::BAD_REQUEST, bad, &e.bad_request),
            PageError::Body(BodyError::TooLarge) => {
                message(lang, StatusCode::PAYLOAD_TOO_LARGE, bad, &e.too_large_body)
            }
            PageError::Body(BodyError::TooSlow) => {
                message(lang, StatusCode::REQUEST_TIMEOUT, bad, &e.too_slow)
            }
            PageError::Body(BodyError::Broken) => {
                message(lang, StatusCode::BAD_REQUEST, bad, &e.bad_request)
            }
            PageError::TooMany { retry_after: wait } => retry_after(
                message(
                    lang,
                    StatusCode::TOO_MANY_REQUESTS,
                    &e.too_many_title,
                    &e.too_many,
                ),
                wait,
            ),
            PageError::Unavailable => retry_after(
                message(
                    lang,
                    StatusCode::SERVICE_UNAVAILABLE,
                    &e.unavailable_title,
                    &e.unavailable,
                ),
                30,
            ),
            PageError::CheckoutNotFound => message(
                lang,
                StatusCode::NOT_FOUND,
                &checkout.title,
                &checkout.not_found,
            ),
            PageError::CheckoutDone => message(
                lang,
                StatusCode::CONFLICT,
                &checkout.title,
                &checkout.already_done,
            ),
        }
    }
}

/// Why a machine-facing request (a gateway's webhook) was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("unknown gateway")]
    UnknownGateway,
    #[error("too many requests")]
    TooMany { retry_after: u64 },
    #[error("{0}")]
    Body(BodyError),
    /// Not what the gateway signed; the reason is safe to tell the sender.
    #[error("{0}")]
    Rejected(String),
    /// Without the credential the gateway sends (N-Genius's webhook header).
    #[error("{0}")]
    Unauthenticated(String),
    #[error("try again later")]
    GatewayUnavailable,
    /// A reference we never issued: the gateway should stop retrying.
    #[error("unknown payment reference")]
    UnknownReference,
    #[error("ledger unavailable; retry later")]
    LedgerUnavailable,
}

impl From<BodyError> for ApiError {
    fn from(e: BodyError) -> Self {
        ApiError::Body(e)
    }
}

impl ApiError {
    /// `{"error": "..."}` with the status this error means.
    pub fn answer(&self) -> HttpResponse {
        let status = match self {
            ApiError::UnknownGateway | ApiError::UnknownReference => StatusCode::NOT_FOUND,
            ApiError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Body(BodyError::TooLarge) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Body(BodyError::TooSlow) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Body(BodyError::Broken) | ApiError::Rejected(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            ApiError::GatewayUnavailable | ApiError::LedgerUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
        };
        let response = HttpResponse::build(status).json(json!({ "error": self.to_string() }));
        match self {
            ApiError::TooMany { retry_after: wait } => retry_after(response, *wait),
            _ => response,
        }
    }
}

/// Why an admin route was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AdminError {
    /// No admin token is configured: the admin routes do not exist.
    #[error("not found")]
    Off,
    #[error("admin token required")]
    Unauthorized,
    /// Too many failed logins from one address.
    #[error("too many failed logins")]
    TooMany { retry_after: u64 },
    /// The ledger cannot be read right now.
    #[error("the ledger cannot be read")]
    Unavailable,
    /// A query naming a fund the settings do not list.
    #[error("no such fund")]
    UnknownFund,
}

impl AdminError {
    /// Plain text with the status this error means; never cached.
    pub fn answer(self) -> HttpResponse {
        let (status, text) = match self {
            AdminError::Off => (StatusCode::NOT_FOUND, "Not Found"),
            AdminError::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                "Admin token required: Authorization: Bearer <token>, or Basic with the token as password.",
            ),
            AdminError::TooMany { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "Too many failed admin logins from this address; try again later.",
            ),
            AdminError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "The ledger cannot be read right now.",
            ),
            AdminError::UnknownFund => (
                StatusCode::BAD_REQUEST,
                "No such fund: give fund= one of the ids listed in [[funds]].",
            ),
        };
        let mut r = super::plain(status, text);
        match self {
            AdminError::Unauthorized => {
                let h = r.headers_mut();
                h.append(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"fundraiser admin\""),
                );
                h.append(
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Basic realm=\"fundraiser admin\", charset=\"UTF-8\""),
                );
                r
            }
            AdminError::TooMany { retry_after: wait } => retry_after(r, wait),
            AdminError::Unavailable => retry_after(r, 5),
            AdminError::Off | AdminError::UnknownFund => r,
        }
    }
}

/// A short page in the donor's language for answers such as 400, 413 or 503: what
/// happened, that nothing was charged, and the way back to the donate page.
pub fn message(lang: Lang, status: StatusCode, title: &str, text: &str) -> HttpResponse {
    let t = Strings::of(lang);
    let donate = lang.page("donate");
    let main = html! {
        section.notice.warn {
            h1 { (title) }
            p { (text) }
            p { a.button.cta href=(donate) { (t.form.try_again) } }
        }
    };
    let body = crate::site::runtime_page(
        lang,
        &donate,
        &lang.other().page("donate"),
        title,
        main,
        false,
    );
    html(status, body)
}
