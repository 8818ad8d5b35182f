//! The home page's live total: the amount raised, its bar, and with two funds or more
//! each fund's figures under it (`render::funds`).

use maud::{Markup, html};

use super::strings::Strings;

/// What the live total island shows, already formatted for the page's language.
pub struct TallyView<'a> {
    pub raised: &'a str,
    pub raised_of_goal: &'a str,
    pub donations: &'a str,
    pub percent_of_goal: &'a str,
    pub raised_minor: i64,
    pub goal_minor: i64,
    /// Where the script fetches the total: `/api/total`, or on the API's origin.
    pub total_url: &'a str,
    /// Each fund's figures under the main bar, with two funds or more; `None` with
    /// one, and the island is what it was before funds.
    pub funds: Option<Markup>,
}

/// The amount raised and the progress bar; `data-live` marks what the script refreshes.
pub fn tally(t: &Strings, v: &TallyView<'_>) -> Markup {
    let max = v.goal_minor.max(1);
    let value = v.raised_minor.clamp(0, max);
    html! {
        div.tally data-total-lang=(t.lang) data-total-url=(v.total_url) {
            p.raised {
                strong data-live="raised" { (v.raised) }
                " "
                span data-live="raised_of_goal" { (v.raised_of_goal) }
            }
            // The bar draws what the text below says; hidden from screen readers and
            // without fallback text, so each figure is read once.
            progress #progress max=(max) value=(value) aria-hidden="true" {}
            p.meta {
                span data-live="donations" { (v.donations) }
                span.sep aria-hidden="true" { " · " }
                span data-live="percent" { (v.percent_of_goal) }
            }
            @if let Some(funds) = &v.funds {
                (funds)
            }
        }
    }
}
