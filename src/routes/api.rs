//! `GET /api/total`: the amount raised, for the page's refresh script and anyone else.

use std::collections::BTreeMap;

use actix_web::http::header::{self, HeaderValue};
use std::sync::Arc;

use actix_web::{HttpResponse, web};
use arc_swap::ArcSwap;
use bytes::Bytes;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use crate::config::Settings;
use crate::lang::Lang;
use crate::site::resource::forever_value;
use crate::state::AppState;
use crate::total::{TotalDisplay, TotalSnapshot};

#[derive(Serialize)]
struct Total<'a> {
    currency: &'a str,
    raised_minor: i64,
    /// Exactly what the English home page shows.
    raised: String,
    goal_minor: i64,
    donations: u64,
    updated_at: String,
    /// The figures as each language's home page writes them.
    display: BTreeMap<&'static str, TotalDisplay>,
}

/// The JSON body of the current total, rendered once per change of the total.
pub struct TotalCache {
    body: ArcSwap<(u64, Bytes)>,
    cache_control: HeaderValue,
    /// `Access-Control-Allow-Origin` when the pages are hosted on another origin.
    allow_origin: Option<HeaderValue>,
}

impl TotalCache {
    pub fn new(settings: &Settings) -> TotalCache {
        TotalCache {
            body: ArcSwap::from_pointee((0, Bytes::new())),
            // Made static once so that cloning them per answer shares no counter.
            cache_control: forever_value(
                &HeaderValue::from_str(&format!(
                    "public, max-age={}",
                    settings.raw.server.total_max_age
                ))
                .unwrap_or_else(|_| HeaderValue::from_static("no-cache")),
            ),
            allow_origin: settings
                .api_origin
                .as_ref()
                .and_then(|_| HeaderValue::from_str(&settings.site_origin).ok())
                .map(|v| forever_value(&v)),
        }
    }

    fn body(&self, settings: &Settings, snapshot: &TotalSnapshot) -> Bytes {
        let current = self.body.load();
        if current.0 == snapshot.version {
            return current.1.clone();
        }
        let body = render(settings, snapshot);
        self.body.store(Arc::new((snapshot.version, body.clone())));
        body
    }
}

pub async fn total(state: web::Data<AppState>) -> HttpResponse {
    let snapshot = state.ledger.total().load();
    let cache = &state.total_json;
    let mut res = HttpResponse::Ok();
    if let Some(origin) = &cache.allow_origin {
        res.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()));
    }
    res.insert_header((header::CACHE_CONTROL, cache.cache_control.clone()))
        .insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        ))
        .body(cache.body(&state.settings, &snapshot))
}

/// `OPTIONS /api/total`: a CORS preflight from the pages' origin (split deployment).
/// Browsers need none for the page's plain GET; this answers stricter clients.
pub async fn preflight(state: web::Data<AppState>) -> HttpResponse {
    let mut res = HttpResponse::NoContent();
    res.insert_header((header::ALLOW, "GET, HEAD, OPTIONS"));
    if let Some(origin) = &state.total_json.allow_origin {
        res.insert_header((header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone()))
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, "Accept"))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"));
    }
    res.finish()
}

fn render(s: &Settings, snapshot: &TotalSnapshot) -> Bytes {
    let display: BTreeMap<_, _> = Lang::ALL
        .iter()
        .map(|&l| (l.code(), TotalDisplay::new(l, s, snapshot)))
        .collect();
    let body = Total {
        currency: s.currency.code(),
        raised_minor: snapshot.raised_minor,
        raised: display
            .get("en")
            .map(|d| d.raised.clone())
            .unwrap_or_default(),
        goal_minor: s.goal_minor,
        donations: snapshot.donations,
        updated_at: snapshot.updated_at.format(&Rfc3339).unwrap_or_default(),
        display,
    };
    serde_json::to_vec(&body)
        .map(Bytes::from)
        .unwrap_or_default()
}
