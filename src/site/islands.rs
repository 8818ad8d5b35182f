//! The live parts of pre-rendered pages, rendered by the server with the layouts'
//! components: the amount raised on the home page, and the donate form.

use crate::config::Settings;
use crate::lang::Lang;
use crate::money::format_money;
use crate::render::funds::{FundChoice, FundTally, fund_tallies};
use crate::render::layout::{self, DonateFormView, Preset};
use crate::render::strings::Strings;
use crate::render::tally::{TallyView, tally as tally_markup};
use crate::site::tally::TotalDisplay;
use crate::total::TotalSnapshot;

pub fn tally(lang: Lang, settings: &Settings, total: &TotalSnapshot) -> String {
    let d = TotalDisplay::new(lang, settings, total);
    let view = TallyView {
        raised: &d.raised,
        raised_of_goal: &d.raised_of_goal,
        donations: &d.donations,
        percent_of_goal: &d.percent,
        raised_minor: total.raised_minor,
        goal_minor: settings.goal_minor,
        total_url: &settings.api_url("/api/total"),
        funds: settings
            .fund_choice()
            .then(|| funds_tally(lang, settings, total)),
    };
    tally_markup(Strings::of(lang), &view).into_string()
}

/// Each fund's figures, as `/api/total`'s `funds[].display` gives them for the refresh.
fn funds_tally(lang: Lang, settings: &Settings, total: &TotalSnapshot) -> maud::Markup {
    let figures: Vec<_> = settings
        .funds
        .iter()
        .map(|f| {
            let d = TotalDisplay::fund(lang, settings, f, total);
            (f, total.fund(f.id.as_str()).raised_minor, d)
        })
        .collect();
    let views: Vec<FundTally> = figures
        .iter()
        .map(|(f, raised_minor, d)| FundTally {
            id: f.id.as_str(),
            label: f.label(lang),
            raised: &d.raised,
            raised_of_goal: &d.raised_of_goal,
            donations: &d.donations,
            percent: &d.percent,
            raised_minor: *raised_minor,
            goal_minor: f.goal_minor,
        })
        .collect();
    fund_tallies(Strings::of(lang), &views)
}

/// What a donor typed, and what was wrong with it, to show the form again.
#[derive(Debug, Default, Clone)]
pub struct FormState {
    pub amount: String,
    /// The preset chosen, in minor units.
    pub preset: Option<i64>,
    pub name: String,
    pub email: String,
    pub anonymous: bool,
    pub amount_error: Option<String>,
    pub name_error: Option<String>,
    pub email_error: Option<String>,
    /// A message above the form (the line of checkouts is full: try again).
    pub notice: Option<String>,
    /// The fund chosen; `None`: the first.
    pub fund: Option<String>,
}

impl FormState {
    /// The form as first shown: the second preset chosen, as most donors pick a middle amount.
    pub fn initial(settings: &Settings) -> FormState {
        FormState {
            preset: settings
                .presets_minor
                .get(1)
                .or(settings.presets_minor.first())
                .copied(),
            ..FormState::default()
        }
    }
}

pub fn donate_form(lang: Lang, settings: &Settings, state: &FormState, ended: bool) -> String {
    let t = Strings::of(lang);
    let fmt = &t.numbers;
    let currency = settings.currency;
    let presets: Vec<Preset> = settings
        .presets_minor
        .iter()
        .map(|&minor| Preset {
            value: crate::money::minor_to_plain(minor, currency),
            label: format_money(minor, currency, fmt),
            checked: state.preset == Some(minor),
        })
        .collect();
    let hint = Strings::fill(
        &t.form.amount_hint,
        &[
            ("min", &format_money(settings.min_minor, currency, fmt)),
            ("max", &format_money(settings.max_minor, currency, fmt)),
        ],
    );
    // With one fund there is nothing to choose, and the form is what it was before funds.
    let chosen = state
        .fund
        .as_deref()
        .and_then(|id| settings.fund(id))
        .or(settings.funds.first())
        .map(|f| f.id.as_str());
    let funds: Vec<FundChoice> = if settings.fund_choice() {
        settings
            .funds
            .iter()
            .map(|f| FundChoice {
                id: f.id.as_str(),
                label: f.label(lang),
                description: f.description(lang),
                checked: Some(f.id.as_str()) == chosen,
            })
            .collect()
    } else {
        Vec::new()
    };
    let view = DonateFormView {
        presets: &presets,
        amount: &state.amount,
        amount_hint: &hint,
        amount_error: state.amount_error.as_deref(),
        name: &state.name,
        email: &state.email,
        email_error: state.email_error.as_deref(),
        name_error: state.name_error.as_deref(),
        notice: state.notice.as_deref(),
        anonymous: state.anonymous,
        ended,
        action: &settings.api_url("/donate"),
        funds: &funds,
    };
    layout::donate_form(t, &view).into_string()
}
