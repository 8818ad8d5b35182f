//! The Zakat calculator's texts (`[zakat]` in `site.toml`) and its form and result, as
//! maud components. The server fills them in (`site::zakat`); the script recomputes the
//! result as the donor types, from the figures the form carries in `data-zakat`.

use maud::{Markup, html};
use serde::Deserialize;

use super::strings::Strings;

/// The calculator's texts in one language.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZakatStrings {
    pub assets_legend: String,
    pub cash_label: String,
    pub gold_label: String,
    pub silver_label: String,
    pub investments_label: String,
    pub receivables_label: String,
    pub debts_legend: String,
    pub debts_label: String,
    /// Under the fields: an empty one counts as nothing.
    pub blank_hint: String,
    pub nisab_legend: String,
    /// `{value}`: the nisab's value (or `no_price`).
    pub nisab_gold: String,
    pub nisab_silver: String,
    /// `{gold}`, `{silver}`: the prices of a gram; `prices_dated` adds `{date}`.
    pub prices: String,
    pub prices_dated: String,
    /// What stands for a price the charity has not set.
    pub no_price: String,
    pub submit: String,
    pub result_heading: String,
    /// `{net}`, `{nisab}`.
    pub net: String,
    pub below: String,
    /// `{due}`.
    pub due: String,
    /// The nisab's metal has no price: nothing is worked out.
    pub unpriced: String,
    pub give: String,
    pub not_a_number: String,
    pub negative: String,
    /// `{decimals}`.
    pub too_many_decimals: String,
    pub too_large: String,
}

/// One figure of the form as shown.
pub struct FieldView<'a> {
    pub name: &'a str,
    pub label: &'a str,
    pub value: &'a str,
    pub error: Option<&'a str>,
}

/// The result under the form: the net, and the Zakat due (with its donate link) or why
/// none is.
pub struct ResultView {
    pub net: String,
    pub verdict: String,
    /// The donate form with the fund and the amount chosen, when Zakat is due.
    pub give_href: Option<String>,
}

/// The calculator as shown.
pub struct CalculatorView<'a> {
    /// The page itself (`/zakat/`): the form is sent to it by GET.
    pub action: &'a str,
    pub assets: [FieldView<'a>; 5],
    pub debts: FieldView<'a>,
    pub silver: bool,
    pub nisab_gold: &'a str,
    pub nisab_silver: &'a str,
    pub prices: &'a str,
    /// What the script needs to work the result out as the donor types (JSON).
    pub script_data: &'a str,
    /// `None` before the form is sent: the result stays hidden until the script fills it.
    pub result: Option<ResultView>,
}

fn field(f: &FieldView<'_>) -> Markup {
    let error_id = format!("{}-error", f.name);
    html! {
        div.field.invalid[f.error.is_some()] {
            label for=(f.name) { (f.label) }
            @if let Some(e) = f.error {
                p.field-error id=(error_id) { (e) }
                input id=(f.name) type="text" name=(f.name) inputmode="decimal" autocomplete="off"
                    value=(f.value) aria-invalid="true" aria-describedby=(error_id);
            } @else {
                input id=(f.name) type="text" name=(f.name) inputmode="decimal" autocomplete="off"
                    value=(f.value);
            }
        }
    }
}

pub fn calculator(t: &Strings, v: &CalculatorView<'_>) -> Markup {
    let z = &t.zakat;
    let any_error = v.assets.iter().chain([&v.debts]).any(|f| f.error.is_some());
    html! {
        form.zakat method="get" action=(v.action) data-zakat=(v.script_data) novalidate {
            @if any_error {
                div.error-summary role="alert" { p { (t.form.error_summary) } }
            }
            p.hint { (z.blank_hint) }
            fieldset {
                legend { (z.assets_legend) }
                @for f in &v.assets { (field(f)) }
            }
            fieldset {
                legend { (z.debts_legend) }
                (field(&v.debts))
            }
            fieldset.nisab {
                legend { (z.nisab_legend) }
                label.check {
                    input type="radio" name="nisab" value="gold" checked[!v.silver];
                    span { (v.nisab_gold) }
                }
                label.check {
                    input type="radio" name="nisab" value="silver" checked[v.silver];
                    span { (v.nisab_silver) }
                }
                p.hint { (v.prices) }
            }
            button.button type="submit" { (z.submit) }
        }
        (result(t, v.result.as_ref()))
    }
}

/// The result, always in the page (hidden until there is one) so that the script has a
/// place to write it; its verdict is announced when it changes.
fn result(t: &Strings, r: Option<&ResultView>) -> Markup {
    let z = &t.zakat;
    let (net, verdict, give) = match r {
        Some(r) => (r.net.as_str(), r.verdict.as_str(), r.give_href.as_deref()),
        None => ("", "", None),
    };
    html! {
        section.zakat-result #zakat-result aria-labelledby="zakat-result-title" hidden[r.is_none()] {
            h2 #zakat-result-title { (z.result_heading) }
            p data-zakat-out="net" { (net) }
            p.verdict data-zakat-out="verdict" role="status" { (verdict) }
            a.button.cta data-zakat-out="give" href=(give.unwrap_or("")) hidden[give.is_none()] { (z.give) }
        }
    }
}
