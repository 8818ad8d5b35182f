//! `GET /api/total`: the amount raised, for the page's refresh script and anyone else.

use std::collections::BTreeMap;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, web};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use crate::lang::Lang;
use crate::state::AppState;
use crate::total::TotalDisplay;

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

pub async fn total(state: web::Data<AppState>) -> HttpResponse {
    let snapshot = state.ledger.total().load();
    let s = &state.settings;
    let display: BTreeMap<_, _> = Lang::ALL
        .iter()
        .map(|&l| (l.code(), TotalDisplay::new(l, s, &snapshot)))
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
    HttpResponse::Ok()
        .insert_header((
            header::CACHE_CONTROL,
            HeaderValue::from_str(&format!("public, max-age={}", s.raw.server.total_max_age))
                .unwrap_or_else(|_| HeaderValue::from_static("no-cache")),
        ))
        .json(body)
}
