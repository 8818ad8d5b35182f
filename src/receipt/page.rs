//! The printable receipt's markup (the page `GET /receipt/{id}` answers, with print
//! styles: the site's header, menu and footer are left off paper), and the thank-you
//! page's line that links to it.

use maud::{Markup, html};

use super::ReceiptView;
use crate::render::strings::Strings;

/// The receipt as the page shows it.
pub fn receipt_main(view: &ReceiptView) -> Markup {
    let r = &view.strings().receipt;
    html! {
        article.receipt {
            p.eyebrow { (view.charity) }
            h1 { (Strings::fill(&r.heading, &[("number", &view.number)])) }
            p { (view.greeting()) }
            p { (view.thanks()) }
            @if view.test {
                p.test-note { (r.test) }
            }
            dl.receipt-lines {
                @for (label, value) in view.lines() {
                    div {
                        dt { (label) }
                        dd dir="auto" { (value) }
                    }
                }
            }
            p.print-only {
                (view.page_questions_words()) br;
                bdi dir="ltr" { (view.contact) }
            }
            p.no-print {
                button.button type="button" data-print hidden { (r.print) }
            }
            p.registration { (view.registration) }
        }
    }
}

/// The thank-you page's line about the receipt, with its link; when receipts are
/// emailed (`mailed`), it says a copy is on its way. With two funds or more, a line
/// names the donation's fund.
pub fn success_note(view: &ReceiptView, href: &str, mailed: bool) -> String {
    let r = &view.strings().receipt;
    html! {
        p.receipt-ready {
            (Strings::fill(&r.ready, &[("number", &view.number)]))
            " "
            @if mailed {
                (r.ready_mailed) " "
            }
            a href=(href) { (r.ready_link) }
        }
        @if let Some(fund) = &view.fund {
            p.receipt-fund { (Strings::fill(&r.ready_fund, &[("fund", fund)])) }
        }
    }
    .into_string()
}
