//! The sandbox's hosted checkout page: the part a payment provider would show, marked
//! as test mode, with "pay" and "decline" buttons while the donation is pending.

use maud::{Markup, html};

use crate::lang::Lang;
use crate::money::{Currency, format_money};
use crate::render::strings::Strings;

/// What the checkout page shows of one donation.
pub struct CheckoutView<'a> {
    /// The donation's id, also its reference on this page.
    pub id: &'a str,
    pub amount_minor: i64,
    /// The currency code as stored with the donation.
    pub currency: &'a str,
    /// Whether the donor can still pay or decline.
    pub pending: bool,
    /// The fund's label in the page's language, when donors choose one (two funds or
    /// more), as a provider's checkout names it.
    pub fund: Option<&'a str>,
}

/// The form posts here.
pub fn action(id: &str) -> String {
    format!("/sandbox/checkout/{id}")
}

/// The page's main content in `lang`; the site wraps it in its layout.
pub fn content(view: &CheckoutView<'_>, lang: Lang) -> Markup {
    let t = Strings::of(lang);
    let c = &t.checkout;
    let amount = Currency::from_code(view.currency)
        .map(|cur| format_money(view.amount_minor, cur, &t.numbers))
        .unwrap_or_else(|| format!("{} {}", view.currency, view.amount_minor));
    html! {
        section.checkout aria-labelledby="checkout-title" {
            p.test { (c.test_mode) }
            h1 #checkout-title { (c.title) }
            p { (c.explain) }
            dl {
                dt { (c.amount) } dd #checkout-amount { (amount) }
                @if let Some(fund) = view.fund {
                    dt { (c.fund) } dd #checkout-fund { (fund) }
                }
                dt { (c.reference) } dd { code dir="ltr" { (view.id) } }
            }
            @if view.pending {
                form method="post" action=(action(view.id)) {
                    div.actions {
                        button.button.cta type="submit" name="outcome" value="pay" { (c.pay) }
                        button.button.secondary type="submit" name="outcome" value="decline" { (c.decline) }
                    }
                }
            } @else {
                p.notice.ended { (c.already_done) }
                p { a.button href=(lang.page("")) { (t.form.back_home) } }
            }
        }
    }
}
