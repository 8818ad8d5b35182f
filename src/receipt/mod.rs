//! Receipts for donors: what a receipt says ([`ReceiptView`], one place for the email
//! and the printable page), the signed link to the printable page ([`ReceiptKey`]), the
//! email itself ([`email`]), the page ([`page`]) and the task that sends the outbox
//! ([`sender`]).

pub mod email;
pub mod page;
pub mod sender;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Settings;
use crate::lang::Lang;
use crate::ledger::{Receipt, receipt_label};
use crate::money::{Currency, format_money};
use crate::render::strings::Strings;
use crate::secret::Secret;

/// Signs the links to printable receipts: whoever has a donation's link (its donor, by
/// email or from the thank-you page) can open it; no one can guess another's.
#[derive(Clone)]
pub struct ReceiptKey(Secret);

impl ReceiptKey {
    pub fn new(secret: Secret) -> ReceiptKey {
        ReceiptKey(secret)
    }

    /// The token of a donation's receipt link.
    pub fn token(&self, donation_id: &str) -> String {
        URL_SAFE_NO_PAD.encode(&self.mac(donation_id)[..16])
    }

    /// Whether `token` is this donation's, compared in constant time.
    pub fn verify(&self, donation_id: &str, token: &str) -> bool {
        use subtle::ConstantTimeEq as _;
        let Ok(given) = URL_SAFE_NO_PAD.decode(token) else {
            return false;
        };
        given.len() == 16 && bool::from(given.ct_eq(&self.mac(donation_id)[..16]))
    }

    fn mac(&self, donation_id: &str) -> Vec<u8> {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.0.expose().as_bytes()) else {
            // HMAC takes a key of any length; this cannot happen.
            return vec![0; 32];
        };
        mac.update(b"receipt:");
        mac.update(donation_id.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// The printable receipt's address, absolute (emails are read far from the site).
    pub fn url(&self, settings: &Settings, donation_id: &str) -> String {
        format!(
            "{}/receipt/{donation_id}?t={}",
            settings.callback_base(),
            self.token(donation_id)
        )
    }
}

impl std::fmt::Debug for ReceiptKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ReceiptKey(***)")
    }
}

/// Everything a receipt shows, formatted in its donor's language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptView {
    pub lang: Lang,
    /// `R-000042`.
    pub number: String,
    /// In the campaign's time zone, e.g. `4 December 2026, 22:08 (UTC+4)`.
    pub date: String,
    pub amount: String,
    /// Refunded so far, when any.
    pub refunded: Option<String>,
    pub donation_id: String,
    pub campaign: String,
    /// The fund's label, when donors choose one (two funds or more): a receipt with
    /// the single default fund says nothing new.
    pub fund: Option<String>,
    pub charity: String,
    /// The charity's registration line (`footer` of `site.toml`).
    pub registration: String,
    /// The donor's name as given, when given.
    pub name: Option<String>,
    /// The printable receipt, absolute.
    pub link: String,
    /// The contact page, absolute.
    pub contact: String,
    /// Test money: the receipt says no money was taken.
    pub test: bool,
}

impl ReceiptView {
    pub fn new(receipt: &Receipt, settings: &Settings, key: &ReceiptKey) -> ReceiptView {
        let lang = receipt.lang;
        let t = Strings::of(lang);
        let money = |minor: i64| match Currency::from_code(&receipt.currency) {
            Some(c) => format_money(minor, c, &t.numbers),
            None => format!("{minor} {}", receipt.currency),
        };
        ReceiptView {
            lang,
            number: receipt_label(receipt.number),
            date: local_date(receipt.at_ms, &settings.time_zone, t),
            amount: money(receipt.amount_minor),
            refunded: (receipt.refunded_minor > 0).then(|| money(receipt.refunded_minor)),
            donation_id: receipt.donation_id.clone(),
            campaign: t.campaign.clone(),
            fund: settings
                .fund_to_name(&receipt.fund)
                .map(|f| f.label(lang).to_owned()),
            charity: t.charity.clone(),
            registration: t.footer.clone(),
            name: receipt
                .donor_name
                .as_deref()
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned),
            link: key.url(settings, &receipt.donation_id),
            contact: format!("{}{}", settings.public_url, lang.page("contact")),
            test: !receipt.live,
        }
    }

    pub fn strings(&self) -> &'static Strings {
        Strings::of(self.lang)
    }

    /// `Dear Amal,` or `Dear friend,`.
    pub fn greeting(&self) -> String {
        let r = &self.strings().receipt;
        match &self.name {
            Some(name) => Strings::fill(&r.greeting, &[("name", name)]),
            None => r.greeting_anonymous.clone(),
        }
    }

    pub fn subject(&self) -> String {
        let r = &self.strings().receipt;
        Strings::fill(
            &r.subject,
            &[("number", &self.number), ("charity", &self.charity)],
        )
    }

    pub fn thanks(&self) -> String {
        Strings::fill(
            &self.strings().receipt.thanks,
            &[("campaign", &self.campaign)],
        )
    }

    /// The question line's words, without the address that ends it (for HTML, which
    /// links the address instead).
    pub fn questions_words(&self) -> String {
        words_before_contact(&self.strings().receipt.questions)
    }

    /// The printable page's question line, without the address (there is no email to
    /// reply to on a page).
    pub fn page_questions_words(&self) -> String {
        words_before_contact(&self.strings().receipt.questions_page)
    }

    pub fn questions(&self) -> String {
        Strings::fill(
            &self.strings().receipt.questions,
            &[("contact", &self.contact)],
        )
    }

    /// The labelled lines of the receipt, in order.
    pub fn lines(&self) -> Vec<(&'static str, String)> {
        let r = &self.strings().receipt;
        let mut lines = vec![
            (r.number.as_str(), self.number.clone()),
            (r.date.as_str(), self.date.clone()),
            (r.amount.as_str(), self.amount.clone()),
        ];
        if let Some(refunded) = &self.refunded {
            lines.push((r.refunded.as_str(), refunded.clone()));
        }
        lines.push((r.donation_id.as_str(), self.donation_id.clone()));
        lines.push((r.campaign_label.as_str(), self.campaign.clone()));
        if let Some(fund) = &self.fund {
            lines.push((r.fund.as_str(), fund.clone()));
        }
        lines.push((r.received_by.as_str(), self.charity.clone()));
        lines
    }
}

/// A moment in the campaign's time zone, in the language's words and digits.
pub fn local_date(at_ms: i64, zone: &jiff::tz::TimeZone, t: &Strings) -> String {
    let Ok(at) = jiff::Timestamp::from_millisecond(at_ms) else {
        return String::new();
    };
    let local = at.to_zoned(zone.clone());
    let month = usize::try_from(local.month() - 1)
        .ok()
        .and_then(|i| t.receipt.months.get(i))
        .map_or("", String::as_str);
    let offset = local.offset().seconds();
    let (sign, abs) = if offset < 0 {
        ('-', -offset)
    } else {
        ('+', offset)
    };
    let zone = match (abs / 3600, abs % 3600 / 60) {
        (0, 0) => "UTC".to_owned(),
        (h, 0) => format!("UTC{sign}{h}"),
        (h, m) => format!("UTC{sign}{h}:{m:02}"),
    };
    // Left to right inside right-to-left text (Unicode's isolates), or "UTC+4" reads "4+UTC".
    let zone = if t.is_rtl() {
        format!("\u{2066}{zone}\u{2069}")
    } else {
        zone
    };
    let filled = Strings::fill(
        &t.receipt.date_pattern,
        &[
            ("day", &local.day().to_string()),
            ("month", month),
            ("year", &local.year().to_string()),
            (
                "time",
                &format!("{:02}:{:02}", local.hour(), local.minute()),
            ),
            ("zone", &zone),
        ],
    );
    t.numbers.localize_digits(&filled)
}

/// A question line's words before `{contact}`.
fn words_before_contact(q: &str) -> String {
    q.split("{contact}")
        .next()
        .unwrap_or(q)
        .trim_end()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_its_own_receipt_only() {
        let key = ReceiptKey::new(Secret::new("k"));
        let t = key.token("d1");
        assert_eq!(t.len(), 22);
        assert!(key.verify("d1", &t));
        assert!(!key.verify("d2", &t));
        assert!(!key.verify("d1", "AAAAAAAAAAAAAAAAAAAAAA"));
        assert!(!key.verify("d1", "not base64 !"));
        assert!(!ReceiptKey::new(Secret::new("other")).verify("d1", &t));
    }

    #[test]
    fn dates_are_in_the_campaign_zone_in_each_language() {
        let dubai = jiff::tz::TimeZone::get("Asia/Dubai").unwrap();
        // 2026-12-04T18:08:00Z is 22:08 in Dubai.
        let at = 1_796_407_680_000;
        assert_eq!(
            local_date(at, &dubai, Strings::of(Lang::En)),
            "4 December 2026, 22:08 (UTC+4)"
        );
        assert_eq!(
            local_date(at, &dubai, Strings::of(Lang::Ar)),
            "٤ ديسمبر ٢٠٢٦، الساعة ٢٢:٠٨ (\u{2066}UTC+٤\u{2069})"
        );
        let kolkata = jiff::tz::TimeZone::get("Asia/Kolkata").unwrap();
        assert_eq!(
            local_date(at, &kolkata, Strings::of(Lang::En)),
            "4 December 2026, 23:38 (UTC+5:30)"
        );
        // London keeps summer time: 12:00Z on 1 July 2026 is 13:00 there.
        let london = jiff::tz::TimeZone::get("Europe/London").unwrap();
        assert_eq!(
            local_date(1_782_907_200_000, &london, Strings::of(Lang::En)),
            "1 July 2026, 13:00 (UTC+1)"
        );
    }
}
