//! The funds a donor may give to, as the donate form offers them: shown only when the
//! settings list two funds or more (with one, the pages are what they were without).

use maud::{Markup, html};

use super::strings::Strings;

/// One fund as the form offers it.
pub struct FundChoice<'a> {
    pub id: &'a str,
    pub label: &'a str,
    /// May be empty.
    pub description: &'a str,
    pub checked: bool,
}

/// Radios named `fund`, each with its label and description (tied to the radio by
/// `aria-describedby`), in a fieldset of their own; plain HTML, no script needed.
pub fn fund_choice(t: &Strings, funds: &[FundChoice<'_>]) -> Markup {
    html! {
        fieldset.funds {
            legend { (t.form.fund_legend) }
            @for f in funds {
                @let described = format!("fund-{}-about", f.id);
                label.fund {
                    @if f.description.is_empty() {
                        input type="radio" name="fund" value=(f.id) checked[f.checked];
                    } @else {
                        input type="radio" name="fund" value=(f.id) checked[f.checked]
                            aria-describedby=(described);
                    }
                    span.fund-label { (f.label) }
                    @if !f.description.is_empty() {
                        span.fund-about id=(described) { (f.description) }
                    }
                }
            }
        }
    }
}

/// One fund's figures as the home page shows them, formatted for the page's language.
pub struct FundTally<'a> {
    pub id: &'a str,
    pub label: &'a str,
    pub raised: &'a str,
    /// Empty without a goal of its own, as `percent`.
    pub raised_of_goal: &'a str,
    pub donations: &'a str,
    pub percent: &'a str,
    pub raised_minor: i64,
    /// `None`: no goal of its own, and no bar.
    pub goal_minor: Option<i64>,
}

/// Each fund's amount (and bar, when it has a goal) under the main bar; `data-fund` and
/// `data-fund-live` mark what the script refreshes from `/api/total`'s `funds`.
pub fn fund_tallies(t: &Strings, funds: &[FundTally<'_>]) -> Markup {
    html! {
        ul.fund-tallies aria-label=(t.form.fund_legend) {
            @for f in funds {
                li.fund-tally data-fund=(f.id) {
                    p.fund-raised {
                        span.fund-label { (f.label) }
                        " "
                        strong data-fund-live="raised" { (f.raised) }
                        " "
                        span data-fund-live="raised_of_goal" { (f.raised_of_goal) }
                    }
                    @if let Some(goal) = f.goal_minor {
                        // As the main bar: the text says it, the bar only draws it.
                        progress max=(goal.max(1)) value=(f.raised_minor.clamp(0, goal.max(1)))
                            aria-hidden="true" {}
                    }
                    p.meta {
                        span data-fund-live="donations" { (f.donations) }
                        @if f.goal_minor.is_some() {
                            span.sep aria-hidden="true" { " · " }
                            span data-fund-live="percent" { (f.percent) }
                        }
                    }
                }
            }
        }
    }
}
