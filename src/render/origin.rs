//! The site's public origin in pre-rendered pages.
//!
//! Pages are rendered at compile time, before anyone knows where they will be served.
//! Every absolute URL in them (canonical, alternates, share cards, share links, the
//! structured data, the sitemap and `robots.txt`) starts with [`MARKER`], an origin that can never resolve (`.invalid` is
//! reserved); the server swaps in `server.public_url` once, when it loads the site, and
//! `fundraiser export` writes the same.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// The placeholder origin of every absolute URL in a pre-rendered file.
pub const MARKER: &str = "https://public-url.invalid";

/// What `encodeURIComponent` leaves as it is: letters, digits and `-_.!~*'()`.
const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// `text` percent-encoded as one URL component (a query value, a `mailto:` body).
pub fn encode_component(text: &str) -> String {
    utf8_percent_encode(text, COMPONENT).to_string()
}

/// The absolute URL of a path of the site, still with the placeholder origin.
pub fn absolute(path: &str) -> String {
    format!("{MARKER}{path}")
}

/// Whether a file holds the placeholder (plainly or percent-encoded).
pub fn holds_marker(bytes: &[u8]) -> bool {
    let encoded = encode_component(MARKER);
    let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
    has(MARKER.as_bytes()) || has(encoded.as_bytes())
}

/// `text` with the placeholder origin replaced by `origin` (`server.public_url`, which
/// configuration checks holds no character that HTML, XML, JSON or a URL would need to
/// escape), both as it is and percent-encoded inside share links.
pub fn fill(text: &str, origin: &str) -> String {
    text.replace(&encode_component(MARKER), &encode_component(origin))
        .replace(MARKER, origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fills_plain_and_encoded_origins() {
        let page = format!(
            r#"<link rel="canonical" href="{}"><a href="https://wa.me/?text={}">"#,
            absolute("/ar/"),
            encode_component(&format!("Give now {}", absolute("/")))
        );
        assert!(holds_marker(page.as_bytes()));
        let filled = fill(&page, "https://give.example.org");
        assert_eq!(
            filled,
            r#"<link rel="canonical" href="https://give.example.org/ar/"><a href="https://wa.me/?text=Give%20now%20https%3A%2F%2Fgive.example.org%2F">"#
        );
        assert!(!holds_marker(filled.as_bytes()));
    }

    #[test]
    fn encodes_like_encode_uri_component() {
        assert_eq!(
            encode_component("a b&c=d/é؟'()*!~-_."),
            "a%20b%26c%3Dd%2F%C3%A9%D8%9F'()*!~-_."
        );
    }
}
