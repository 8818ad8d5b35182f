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
