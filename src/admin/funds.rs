//! The dashboard's figures per fund (with two funds or more): the same figures as
//! `/admin/stats` `funds`, each with its label and its own goal.

use maud::{Markup, html};

use super::figures::FundJson;
use crate::config::Fund;
use crate::lang::Lang;
use crate::money::{Currency, format_count, format_money};
use crate::render::strings::Strings;

/// A table of every fund's figures in the settings' order; nothing with a single fund,
/// whose figures are the headline's.
pub fn panel(figures: &[FundJson], funds: &[Fund], currency: Currency) -> Option<Markup> {
    if funds.len() < 2 {
        return None;
    }
    let fmt = &Strings::of(Lang::En).numbers;
    let money = |m: i64| format_money(m, currency, fmt);
    Some(html! {
        section.panel #funds {
            h2 { "By fund" }
            table {
                thead {
                    tr {
                        th { "Fund" } th.num { "Raised" } th.num { "Goal" } th.num { "Donations" }
                        th.num { "Paid" } th.num { "Refunded" } th.num { "Disputed" }
                    }
                }
                tbody {
                    @for f in figures {
                        @let fund = funds.iter().find(|l| l.id.as_str() == f.id);
                        tr data-fund=(f.id) {
                            td { (fund.map_or(f.id.as_str(), |l| l.label(Lang::En))) " " code { (f.id) } }
                            td.num { (money(f.raised_minor)) }
                            td.num {
                                @match fund.and_then(|l| l.goal_minor) {
                                    Some(goal) => {
                                        (money(goal)) " ("
                                        (crate::money::percent_of(f.raised_minor, goal)) "%)"
                                    }
                                    None => "—",
                                }
                            }
                            td.num { (format_count(f.donations, fmt)) }
                            td.num { (money(f.gross_minor)) }
                            td.num { (money(f.refunded_minor)) }
                            td.num { (money(f.disputed_minor)) }
                        }
                    }
                }
            }
        }
    })
}
