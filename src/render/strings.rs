//! Site-wide strings of one language: `pages/<lang>/site.toml`.

use std::sync::LazyLock;

use serde::Deserialize;

use crate::lang::Lang;
pub use crate::money::{NumberFormat, Plural};

static STRINGS: LazyLock<[Strings; 2]> = LazyLock::new(|| {
    [
        parse(include_str!("../../pages/en/site.toml")),
        parse(include_str!("../../pages/ar/site.toml")),
    ]
});

/// The strings files are checked by `build.rs`, which refuses to build when one does not
/// parse, so this cannot fail in a built binary.
fn parse(text: &str) -> Strings {
    match toml::from_str::<Strings>(text) {
        Ok(mut s) => {
            s.numbers.plural_rules = crate::money::PluralRules::of_lang(&s.lang);
            s
        }
        Err(e) => panic!("site strings checked at build time no longer parse: {e}"),
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strings {
    /// BCP 47 code: `en`, `ar`.
    pub lang: String,
    /// `ltr` or `rtl`.
    pub dir: String,
    /// The language's own name, shown on the link that leads to it.
    pub language_name: String,
    /// The share cards' locale (Open Graph `og:locale`): `en_US`, `ar_AE`.
    pub locale: String,
    pub charity: String,
    pub campaign: String,
    pub tagline: String,
    pub skip_link: String,
    pub menu_label: String,
    pub switch_language_label: String,
    pub footer: String,
    pub footer_secure: String,
    /// The banner of a public demonstration site (`sandbox.public`).
    pub demo_notice: String,
    pub donate_cta: String,
    pub raised_of_goal: String,
    pub donations_count: Plural,
    pub percent_of_goal: String,
    pub form: FormStrings,
    pub errors: ErrorStrings,
    pub checkout: CheckoutStrings,
    pub wait: WaitStrings,
    pub receipt: ReceiptStrings,
    pub share: ShareStrings,
    pub zakat: super::zakat::ZakatStrings,
    pub numbers: NumberFormat,
}

/// The thank-you page's invitation to share the campaign, and the share image's text
/// alternative.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShareStrings {
    pub heading: String,
    pub intro: String,
    /// The prefilled message, before the link; `{campaign}`, `{charity}`.
    pub message: String,
    /// The subject of a shared email; `{campaign}`, `{charity}`.
    pub email_subject: String,
    pub whatsapp: String,
    pub x: String,
    pub facebook: String,
    pub telegram: String,
    pub email: String,
    pub copy: String,
    pub copied: String,
    /// When the browser would not copy: the link follows, to copy by hand.
    pub copy_failed: String,
    /// Said to screen readers after a link that opens a new tab.
    pub new_tab: String,
    /// The button that opens the phone's own share sheet, where the browser has one.
    pub more: String,
    /// The share image's description, for people who cannot see it; `{campaign}`, `{charity}`.
    pub image_alt: String,
}

/// A receipt: its email, its printable page, and a refund notice.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptStrings {
    pub subject: String,
    pub refund_subject: String,
    pub heading: String,
    /// `{name}`: the donor's name.
    pub greeting: String,
    pub greeting_anonymous: String,
    pub thanks: String,
    pub refund: String,
    pub number: String,
    pub date: String,
    pub amount: String,
    pub refunded: String,
    pub donation_id: String,
    pub campaign_label: String,
    /// The donation's fund, a line of its own with two funds or more.
    pub fund: String,
    pub received_by: String,
    pub test: String,
    /// The first line of a receipt of test money.
    pub test_mark: String,
    /// `{subject}`: the subject of a message of test money.
    pub test_subject: String,
    /// `{contact}`: the contact page's address, on a line of its own (after `\n`): the
    /// HTML part makes it a link.
    pub questions: String,
    /// The printable page's question line (no email to reply to), as `questions`.
    pub questions_page: String,
    pub view_online: String,
    pub print: String,
    /// The success page's line, and its link to the printable receipt.
    pub ready: String,
    /// Added to `ready` when receipts are emailed.
    pub ready_mailed: String,
    pub ready_link: String,
    /// `{fund}`: the donation's fund, named with two funds or more.
    pub ready_fund: String,
    pub sign_off: String,
    /// `{day} {month} {year}, {time} ({zone})`.
    pub date_pattern: String,
    pub months: [String; 12],
}

/// The waiting page of a donor in line for a checkout, and the page of a full line.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaitStrings {
    pub title: String,
    /// `{wait}`: how long, from `seconds`.
    pub status: String,
    pub seconds: Plural,
    pub explain: String,
    pub now: String,
    pub busy: String,
    /// Above the donate form, for a donation begun under another way of paying.
    pub start_again: String,
    /// A donor back from paying while the gateway still confirms the payment.
    pub confirming_title: String,
    pub confirming: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormStrings {
    pub choose_amount: String,
    pub amount_label: String,
    pub amount_hint: String,
    pub details_legend: String,
    pub name_label: String,
    pub email_label: String,
    pub anonymous_label: String,
    pub submit: String,
    pub try_again: String,
    pub back_home: String,
    pub ended: String,
    pub error_summary: String,
    /// The legend of the fund choice (shown with two funds or more).
    pub fund_legend: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorStrings {
    pub empty: String,
    pub not_a_number: String,
    pub not_positive: String,
    pub too_many_decimals: String,
    pub too_small: String,
    pub too_large: String,
    pub email: String,
    /// An email with spaces, tabs or line breaks in it.
    pub email_spaces: String,
    pub too_long: String,
    /// A fund the settings do not list (a stale or altered form).
    pub unknown_fund: String,
    pub ended: String,
    pub unavailable_title: String,
    pub unavailable: String,
    pub bad_request_title: String,
    pub bad_request: String,
    pub too_large_body: String,
    pub too_many_title: String,
    pub too_many: String,
    pub too_slow: String,
    pub server_error: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckoutStrings {
    pub title: String,
    pub test_mode: String,
    pub explain: String,
    pub amount: String,
    pub reference: String,
    /// The donation's fund, shown with two funds or more.
    pub fund: String,
    pub pay: String,
    pub decline: String,
    pub already_done: String,
    pub not_found: String,
}

impl Strings {
    /// The strings of a language.
    pub fn of(lang: Lang) -> &'static Strings {
        &STRINGS[lang.index()]
    }

    /// Replaces `{name}` placeholders in a message.
    pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
        let mut out = template.to_owned();
        for (name, value) in values {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    /// A text about the campaign: `{campaign}` and `{charity}` filled in.
    pub fn about_campaign(&self, template: &str) -> String {
        Strings::fill(
            template,
            &[("campaign", &self.campaign), ("charity", &self.charity)],
        )
    }

    pub fn is_rtl(&self) -> bool {
        self.dir == "rtl"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_load_for_every_language() {
        for lang in Lang::ALL {
            assert_eq!(Strings::of(lang).lang, lang.code());
        }
        assert!(Strings::of(Lang::Ar).is_rtl());
    }

    /// The Arabic hint ends with an amount whose symbol holds a dot (`د.إ`): a full stop
    /// after it reads as a double dot, so the hint has none.
    #[test]
    fn the_arabic_hint_ends_with_its_amount_not_a_second_dot() {
        let hint = &Strings::of(Lang::Ar).form.amount_hint;
        let filled = Strings::fill(hint, &[("min", "٥ د.إ"), ("max", "٥٠٬٠٠٠ د.إ")]);
        assert!(filled.ends_with("٥٠٬٠٠٠ د.إ"), "{filled}");
    }
}
