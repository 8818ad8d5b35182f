//! The live total as each language shows it: the figures of the home page's tally, and
//! the JSON of `/api/total` (rendered once per change of the total).

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::http::header::HeaderValue;
use arc_swap::ArcSwap;
use bytes::Bytes;
use serde::Serialize;
use time::format_description::well_known::Rfc3339;

use super::resource::forever_value;
use crate::config::Settings;
use crate::lang::Lang;
use crate::money::{format_money, format_percent, percent_of};
use crate::plural;
use crate::render::strings::Strings;
use crate::total::TotalSnapshot;

/// The total as a language shows it; the keys match the page's `data-live` marks.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TotalDisplay {
    pub raised: String,
    pub raised_of_goal: String,
    pub donations: String,
    pub percent: String,
    pub percent_value: String,
}

impl TotalDisplay {
    pub fn new(lang: Lang, settings: &Settings, total: &TotalSnapshot) -> TotalDisplay {
        TotalDisplay::of(
            lang,
            settings,
            total.raised_minor,
            total.donations,
            Some(settings.goal_minor),
        )
    }

    /// A fund's figures against its own goal: what the home page shows under the main
    /// bar and `/api/total`'s `funds[].display` gives its refresh.
    pub fn fund(
        lang: Lang,
        settings: &Settings,
        fund: &crate::config::Fund,
        total: &TotalSnapshot,
    ) -> TotalDisplay {
        let figures = total.fund(fund.id.as_str());
        let donations = u64::try_from(figures.donations).unwrap_or(0);
        TotalDisplay::of(
            lang,
            settings,
            figures.raised_minor,
            donations,
            fund.goal_minor,
        )
    }

    /// Some figures (the total's, or a fund's) against `goal_minor`; without a goal, the
    /// texts about it are empty.
    pub fn of(
        lang: Lang,
        settings: &Settings,
        raised_minor: i64,
        donations: u64,
        goal_minor: Option<i64>,
    ) -> TotalDisplay {
        let t = Strings::of(lang);
        let fmt = &t.numbers;
        let (raised_of_goal, percent, percent_value) = match goal_minor {
            Some(goal_minor) => {
                let goal = format_money(goal_minor, settings.currency, fmt);
                let value = format_percent(percent_of(raised_minor, goal_minor), fmt);
                (
                    Strings::fill(&t.raised_of_goal, &[("goal", &goal)]),
                    Strings::fill(&t.percent_of_goal, &[("percent", &value)]),
                    value,
                )
            }
            None => Default::default(),
        };
        TotalDisplay {
            raised: format_money(raised_minor, settings.currency, fmt),
            raised_of_goal,
            donations: plural::counted(lang, &t.donations_count, donations),
            percent,
            percent_value,
        }
    }
}

/// One fund's figures in `/api/total`, in the settings' order.
#[derive(Serialize)]
struct FundJson<'a> {
    id: &'a str,
    label: BTreeMap<&'static str, &'a str>,
    raised_minor: i64,
    /// Exactly what the English home page shows.
    raised: String,
    /// `null`: no goal of its own.
    goal_minor: Option<i64>,
    donations: u64,
    display: BTreeMap<&'static str, TotalDisplay>,
}

fn funds_json<'a>(s: &'a Settings, snapshot: &TotalSnapshot) -> Vec<FundJson<'a>> {
    s.funds
        .iter()
        .map(|f| {
            let figures = snapshot.fund(f.id.as_str());
            let donations = u64::try_from(figures.donations).unwrap_or(0);
            let display: BTreeMap<_, _> = Lang::ALL
                .iter()
                .map(|&l| (l.code(), TotalDisplay::fund(l, s, f, snapshot)))
                .collect();
            FundJson {
                id: f.id.as_str(),
                label: Lang::ALL.iter().map(|&l| (l.code(), f.label(l))).collect(),
                raised_minor: figures.raised_minor,
                raised: display
                    .get("en")
                    .map(|d| d.raised.clone())
                    .unwrap_or_default(),
                goal_minor: f.goal_minor,
                donations,
                display,
            }
        })
        .collect()
}

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
    /// Test money (the sandbox, or Stripe with a test key), not the charity's.
    test: bool,
    /// Each fund's share, in the settings' order; they add up to `raised_minor`.
    funds: Vec<FundJson<'a>>,
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
                &HeaderValue::from_str(&format!("public, max-age={}", settings.total_max_age))
                    .unwrap_or_else(|_| HeaderValue::from_static("no-cache")),
            ),
            allow_origin: settings
                .api_origin
                .as_ref()
                .and_then(|_| HeaderValue::from_str(&settings.site_origin).ok())
                .map(|v| forever_value(&v)),
        }
    }

    /// `Cache-Control` of every answer.
    pub fn cache_control(&self) -> HeaderValue {
        self.cache_control.clone()
    }

    /// `Access-Control-Allow-Origin` of every answer, in a split deployment.
    pub fn allow_origin(&self) -> Option<&HeaderValue> {
        self.allow_origin.as_ref()
    }

    /// The JSON of `snapshot`, rendered once per version.
    pub fn body(&self, settings: &Settings, snapshot: &TotalSnapshot) -> Bytes {
        let current = self.body.load();
        if current.0 == snapshot.version {
            return current.1.clone();
        }
        let body = render(settings, snapshot);
        self.body.store(Arc::new((snapshot.version, body.clone())));
        body
    }
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
        test: s.test_mode(),
        funds: funds_json(s, snapshot),
    };
    serde_json::to_vec(&body)
        .map(Bytes::from)
        .unwrap_or_default()
}
