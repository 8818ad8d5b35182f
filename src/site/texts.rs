//! What the embedded page texts say about money. The goal and currency come from the
//! configuration, but the campaign's texts are written by hand ("AED 50 buys a filter");
//! `fundraiser check` uses this to warn when they name a currency other than the
//! campaign's, e.g. after `campaign.currency` changed without the texts.

use super::Embedded;
use crate::lang::Lang;
use crate::money::Currency;
use crate::render::strings::Strings;

/// A page whose text names another currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mention {
    /// The page's path on the site: `/`, `/ar/donate/`, `/404.html`.
    pub page: String,
    /// The file to edit: the Markdown the page was made from (`pages/ar/404.md`).
    pub source: &'static str,
    /// The site-wide texts of the page's language (`pages/ar/site.toml`), which the page's
    /// shell and form also show.
    pub strings: &'static str,
    pub currency: &'static str,
    /// The code, symbol or word found.
    pub word: String,
}

/// Every page that names a currency other than `campaign`, by its ISO code, its symbol in
/// the page's language (`numbers.currency_symbols`) or a word for it
/// (`numbers.currency_words`).
pub fn other_currencies(campaign: Currency) -> Vec<Mention> {
    let mut found = Vec::new();
    for name in Embedded::iter().filter(|n| n.ends_with(".html")) {
        let Some(file) = Embedded::get(&name) else {
            continue;
        };
        let html = String::from_utf8_lossy(&file.data);
        let text = text_of(&html);
        let page = format!("/{}", name.trim_end_matches("index.html"));
        let lang = Lang::of_path(&page);
        let numbers = &Strings::of(lang).numbers;
        let source = super::manifest::SOURCES
            .iter()
            .find(|(rel, _)| *rel == name.as_ref())
            .map_or("", |(_, source)| *source);
        let strings = match lang {
            Lang::En => "pages/en/site.toml",
            Lang::Ar => "pages/ar/site.toml",
        };
        for currency in Currency::all().filter(|c| *c != campaign) {
            let code = currency.code();
            let words = std::iter::once(code)
                .chain(
                    numbers
                        .currency_symbols
                        .get(code)
                        .into_iter()
                        .flat_map(|name| name.all()),
                )
                .chain(
                    numbers
                        .currency_words
                        .get(code)
                        .into_iter()
                        .flatten()
                        .map(String::as_str),
                );
            if let Some(word) = words.into_iter().find(|w| contains_word(&text, w)) {
                found.push(Mention {
                    page: page.clone(),
                    source,
                    strings,
                    currency: code,
                    word: word.to_owned(),
                });
            }
        }
    }
    found.sort_by(|a, b| (&a.page, a.currency).cmp(&(&b.page, b.currency)));
    found
}

/// The text of an HTML document: what lies between tags, outside `<head>`.
fn text_of(html: &str) -> String {
    let body = html.find("<body").map_or(html, |i| &html[i..]);
    let mut text = String::with_capacity(body.len());
    let mut in_tag = false;
    for c in body.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// `word` occurs in `text` with no letter or digit right before or after it.
fn contains_word(text: &str, word: &str) -> bool {
    if word.is_empty() {
        return false;
    }
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn currency(code: &str) -> Currency {
        Currency::from_code(code).unwrap()
    }

    #[test]
    fn words_match_whole_only() {
        assert!(contains_word("AED 50 buys", "AED"));
        assert!(contains_word("٥٠ درهمًا تمنح", "درهمًا"));
        assert!(!contains_word("try again", "TRY"));
        assert!(!contains_word("SAEDX", "AED"));
        assert!(!contains_word("بين", "ين"));
        assert!(!contains_word("anything", ""));
    }

    #[test]
    fn text_leaves_out_tags_and_the_head() {
        let t = text_of(
            r#"<head><title>USD</title></head><body><p class="AED">Give <b>EUR</b></p></body>"#,
        );
        assert!(!t.contains("USD") && !t.contains("AED"), "{t}");
        assert!(t.contains("EUR"), "{t}");
    }

    /// The campaign's currency as the repository's `config.toml` sets it (AED as
    /// shipped): a charity that changes it changes its pages' money words too.
    fn campaign() -> Currency {
        let config: toml::Table = include_str!("../../config.toml").parse().unwrap();
        currency(config["campaign"]["currency"].as_str().unwrap())
    }

    #[test]
    fn the_shipped_pages_name_only_the_campaign_currency() {
        assert_eq!(other_currencies(campaign()), []);
    }

    #[test]
    fn pages_for_aed_name_it_when_the_campaign_is_in_another_currency() {
        if campaign().code() != "AED" {
            return; // the pages are no longer the example campaign's
        }
        let found = other_currencies(currency("USD"));
        assert!(
            found.contains(&Mention {
                page: "/404.html".into(),
                source: "pages/en/404.md",
                strings: "pages/en/site.toml",
                currency: "AED",
                word: "AED".into()
            }),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|m| m.page == "/ar/" && m.currency == "AED" && m.word.starts_with("درهم")),
            "{found:?}"
        );
        assert!(found.iter().all(|m| m.currency == "AED"), "{found:?}");
    }
}
