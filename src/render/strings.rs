//! Site-wide strings of one language: `pages/<lang>/site.toml`.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Strings {
    /// BCP 47 code: `en`, `ar`.
    pub lang: String,
    /// `ltr` or `rtl`.
    pub dir: String,
    /// The language's own name, shown on the link that leads to it.
    pub language_name: String,
    pub charity: String,
    pub campaign: String,
    pub tagline: String,
    pub skip_link: String,
    pub menu_label: String,
    pub switch_language_label: String,
    pub footer: String,
    pub footer_secure: String,
    pub donate_cta: String,
    pub raised_of_goal: String,
    pub donations_count: Plural,
    pub percent_of_goal: String,
    pub form: FormStrings,
    pub errors: ErrorStrings,
    pub checkout: CheckoutStrings,
    pub numbers: NumberFormat,
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
    pub too_long: String,
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
    pub pay: String,
    pub decline: String,
    pub already_done: String,
    pub not_found: String,
}

/// A text about a count, in each CLDR plural category its language uses: English needs
/// `one` and `other`; Arabic `zero`, `one`, `two`, `few`, `many` and `other`. `{count}`
/// is replaced by the number. `crate::plural` chooses the form.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plural {
    pub zero: Option<String>,
    pub one: Option<String>,
    pub two: Option<String>,
    pub few: Option<String>,
    pub many: Option<String>,
    pub other: String,
}

/// How numbers and amounts are written in a language.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NumberFormat {
    /// The ten digits, `0123456789` or `٠١٢٣٤٥٦٧٨٩`.
    pub digits: String,
    pub group_separator: String,
    pub decimal_separator: String,
    pub percent_sign: String,
    /// `{currency}` and `{amount}`, e.g. `{currency} {amount}` or `{amount} {currency}`.
    pub money_pattern: String,
    /// Currency code → symbol in this language; codes not listed are written as the code.
    #[serde(default)]
    pub currency_symbols: BTreeMap<String, String>,
    /// Currency code → the words running text uses for it (`درهم`, `dirhams`), so that
    /// `fundraiser check` can tell when the pages speak of another currency than the
    /// campaign's.
    #[serde(default)]
    pub currency_words: BTreeMap<String, Vec<String>>,
}

impl Strings {
    /// Replaces `{name}` placeholders in a message.
    pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
        let mut out = template.to_owned();
        for (name, value) in values {
            out = out.replace(&format!("{{{name}}}"), value);
        }
        out
    }

    pub fn is_rtl(&self) -> bool {
        self.dir == "rtl"
    }
}

impl NumberFormat {
    /// Writes ASCII digits in this language's digits, leaving other characters alone.
    pub fn localize_digits(&self, ascii: &str) -> String {
        let digits: Vec<char> = self.digits.chars().collect();
        ascii
            .chars()
            .map(|c| match c.to_digit(10) {
                Some(d) if digits.len() == 10 => digits[d as usize],
                _ => c,
            })
            .collect()
    }
}
