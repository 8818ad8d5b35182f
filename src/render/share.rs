//! The thank-you page's invitation to share the campaign: plain links to each network's
//! own share page with a prefilled message, in the page's language. No third-party
//! script, no tracking: each is an ordinary link that works without JavaScript; the
//! script adds a "copy link" button and, where the browser has one, the system share
//! sheet.

use maud::{Markup, html};

use super::layout::home_href;
use super::origin::{absolute, encode_component};
use super::strings::Strings;

/// One network's share link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareLink {
    /// A stable name for styles and tests: `whatsapp`, `x`, `facebook`, `telegram`, `email`.
    pub network: &'static str,
    pub label: String,
    pub href: String,
}

/// The prefilled message of a language, without the link.
pub fn message(t: &Strings) -> String {
    Strings::fill(
        &t.share.message,
        &[("campaign", &t.campaign), ("charity", &t.charity)],
    )
}

/// The share links of a language, for the campaign's home page in that language.
pub fn links(t: &Strings) -> Vec<ShareLink> {
    let url = absolute(&home_href(&t.lang));
    let text = message(t);
    let subject = Strings::fill(
        &t.share.email_subject,
        &[("campaign", &t.campaign), ("charity", &t.charity)],
    );
    let (url_q, text_q) = (encode_component(&url), encode_component(&text));
    let link = |network, label: &str, href: String| ShareLink {
        network,
        label: label.to_owned(),
        href,
    };
    vec![
        link(
            "whatsapp",
            &t.share.whatsapp,
            format!(
                "https://wa.me/?text={}",
                encode_component(&format!("{text} {url}"))
            ),
        ),
        link(
            "x",
            &t.share.x,
            format!("https://x.com/intent/post?text={text_q}&url={url_q}"),
        ),
        link(
            "facebook",
            &t.share.facebook,
            format!("https://www.facebook.com/sharer/sharer.php?u={url_q}"),
        ),
        link(
            "telegram",
            &t.share.telegram,
            format!("https://t.me/share/url?url={url_q}&text={text_q}"),
        ),
        link(
            "email",
            &t.share.email,
            format!(
                "mailto:?subject={}&body={}",
                encode_component(&subject),
                encode_component(&format!("{text}\n\n{url}"))
            ),
        ),
    ]
}

/// The share section of the thank-you page.
pub fn section(t: &Strings) -> Markup {
    let s = &t.share;
    let url = absolute(&home_href(&t.lang));
    html! {
        section.share aria-labelledby="share-title" {
            h2 #share-title { (s.heading) }
            p { (s.intro) }
            ul.share-links {
                @for l in links(t) {
                    li {
                        @if l.network == "email" {
                            a class={"share-link " (l.network)} href=(l.href) { (l.label) }
                        } @else {
                            a class={"share-link " (l.network)} href=(l.href)
                                target="_blank" rel="noopener noreferrer" { (l.label) }
                        }
                    }
                }
            }
            // Shown by the script, which alone can copy or open the share sheet.
            div.share-actions data-share-url=(url) data-share-text=(message(t)) hidden {
                button.button.outline type="button" data-share="copy" { (s.copy) }
                button.button.outline type="button" data-share="native" hidden { (s.more) }
                span.share-status role="status" data-share-copied=(s.copied) {}
            }
        }
    }
}
