//! Rendering shared by `build.rs` (every page, at compile time) and the server
//! (the dynamic islands of a page, and the donate form after a refused submission).
//!
//! This module depends only on maud, serde, serde_json, toml, pulldown-cmark and
//! percent-encoding so that the build script can include it with `#[path]`.

pub mod compress;
pub mod content;
pub mod funds;
pub mod layout;
pub mod optional;
pub mod origin;
pub mod seo;
pub mod share;
pub mod strings;
pub mod tally;
pub mod wrap;
pub mod zakat;

/// Where every page may carry a site-wide notice (the demonstration banner), filled by
/// the server at start-up when one applies; otherwise it stays an empty comment.
pub const NOTICE_MARKER: &str = "<!--notice-->";

/// Whether a file is text (a page, a style sheet, a script, the sitemap): only text names
/// the site's origin or is worth compressing; images and fonts are compressed already.
pub fn is_text(path: &str) -> bool {
    !matches!(
        path.rsplit('.').next(),
        Some("png" | "jpg" | "jpeg" | "webp" | "gif" | "ico" | "woff" | "woff2" | "ttf" | "otf")
    )
}

/// Escapes text for XML or HTML, in a text node or a quoted attribute.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Marker that a pre-rendered page carries where the server splices a live island.
pub fn slot(name: &str) -> String {
    format!("<!--slot:{name}-->")
}
