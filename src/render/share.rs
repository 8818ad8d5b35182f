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

/// What is shared: the campaign's home page in the page's language, and the message.
struct Shared {
    url: String,
    message: String,
}

impl Shared {
    fn of(t: &Strings) -> Shared {
        Shared {
            url: absolute(&home_href(&t.lang)),
            message: t.about_campaign(&t.share.message),
        }
    }
}

/// The share links of a language, for the campaign's home page in that language.
pub fn links(t: &Strings) -> Vec<ShareLink> {
    let Shared { url, message } = Shared::of(t);
    let subject = t.about_campaign(&t.share.email_subject);
    let (url_q, text_q) = (encode_component(&url), encode_component(&message));
    let link = |network, label: &str, href: String| ShareLink {
        network,
        label: label.to_owned(),
        href,
    };
    let whatsapp = encode_component(&format!("{message} {url}"));
    // RFC 6068: line breaks in a mailto body are CRLF.
    let body = encode_component(&format!("{message}\r\n\r\n{url}"));
    vec![
        link(
            "whatsapp",
            &t.share.whatsapp,
            format!("https://wa.me/?text={whatsapp}"),
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
            format!("mailto:?subject={}&body={body}", encode_component(&subject)),
        ),
    ]
}

/// The share section of the thank-you page.
pub fn section(t: &Strings) -> Markup {
    let s = &t.share;
    let shared = Shared::of(t);
    html! {
        section.share aria-labelledby="share-title" {
            h2 #share-title { (s.heading) }
            p { (s.intro) }
            ul.share-links {
                @for l in links(t) {
                    // The networks open beside the thank-you page (and say so to screen
                    // readers); email opens the mail program.
                    @let new_tab = l.network != "email";
                    li {
                        a class={"share-link " (l.network)} href=(l.href)
                            target=[new_tab.then_some("_blank")]
                            rel=[new_tab.then_some("noopener noreferrer")] {
                            (l.label)
                            @if new_tab { span.visually-hidden { " " (s.new_tab) } }
                        }
                    }
                }
            }
            // Shown by the script, which alone can copy or open the share sheet.
            div.share-actions data-share-url=(shared.url) data-share-text=(shared.message) hidden {
                button.button.outline type="button" data-share="copy" { (s.copy) }
                button.button.outline type="button" data-share="native" hidden { (s.more) }
                p.share-status role="status" data-share-copied=(s.copied)
                    data-share-failed=(s.copy_failed) {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;

    /// A charity whose texts hold every character a URL treats specially.
    fn awkward() -> Strings {
        let mut t = Strings::of(Lang::En).clone();
        t.charity = r#"A & B <C> "D" #1 + 100%"#.into();
        t.campaign = "Wells? Yes/No; café".into();
        t
    }

    #[test]
    fn every_special_character_is_percent_encoded_in_each_link() {
        let t = awkward();
        for l in links(&t) {
            let query = l.href.split_once('?').map_or("", |(_, q)| q);
            for (name, value) in query.split('&').filter_map(|p| p.split_once('=')) {
                assert!(
                    !value.contains([' ', '&', '#', '+', '<', '>', '"', '?', '/', ';']),
                    "{} {name}={value}",
                    l.network
                );
            }
        }
        let whatsapp = &links(&t)[0].href;
        assert!(whatsapp.contains("A%20%26%20B%20%3CC%3E%20%22D%22%20%231%20%2B%20100%25"));
        assert!(whatsapp.contains("Wells%3F%20Yes%2FNo%3B%20caf%C3%A9"));
        let email = &links(&t)[4].href;
        assert!(email.contains("%0D%0A%0D%0Ahttps%3A%2F%2Fpublic-url.invalid%2F"));
    }

    #[test]
    fn the_section_escapes_the_texts_it_carries() {
        let html = section(&awkward()).into_string();
        assert!(html.contains(r#"data-share-text="I just gave to Wells? Yes/No; café, a campaign by A &amp; B &lt;C&gt; &quot;D&quot; #1 + 100%"#));
        assert_eq!(html.matches(r#"target="_blank""#).count(), 4);
        assert!(!html.contains("<C>"));
    }
}
