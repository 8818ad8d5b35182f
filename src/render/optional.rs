//! Parts of pre-rendered files that exist only under a run-time setting: the Zakat
//! calculator's menu item and sitemap entry, while a fund `zakat` is listed. The fund list
//! is read at start-up, after the pages were built, so the build writes such a part
//! between two comments, and the server (and `fundraiser export`) keeps it, without the
//! comments, or drops it whole: without it a page is byte for byte what it was before
//! the calculator existed.

/// The calculator's page slug: `/zakat/`, `/ar/zakat/`.
pub const ZAKAT: &str = "zakat";

const OPEN: &str = "<!--if:zakat-->";
const CLOSE: &str = "<!--end:zakat-->";

/// `part` marked as present only with the calculator.
pub fn zakat_only(part: &str) -> String {
    format!("{OPEN}{part}{CLOSE}")
}

/// Whether a file holds a part that depends on the calculator.
pub fn holds_marker(bytes: &[u8]) -> bool {
    bytes.windows(OPEN.len()).any(|w| w == OPEN.as_bytes())
}

/// `text` with the calculator's parts kept (`zakat`) or dropped.
pub fn fill(text: &str, zakat: bool) -> String {
    if !text.contains(OPEN) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(OPEN) {
        out.push_str(&rest[..start]);
        let inner = &rest[start + OPEN.len()..];
        let Some(end) = inner.find(CLOSE) else {
            // A part never closed (no build writes one): left as it is.
            out.push_str(&rest[start..]);
            return out;
        };
        if zakat {
            out.push_str(&inner[..end]);
        }
        rest = &inner[end + CLOSE.len()..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_or_drops_every_part_whole() {
        let text = format!(
            "<ul><li>a</li>{}<li>c</li></ul>{}",
            zakat_only("<li>z</li>"),
            zakat_only("!")
        );
        assert!(holds_marker(text.as_bytes()));
        assert_eq!(
            fill(&text, true),
            "<ul><li>a</li><li>z</li><li>c</li></ul>!"
        );
        assert_eq!(fill(&text, false), "<ul><li>a</li><li>c</li></ul>");
        assert_eq!(fill("plain", false), "plain");
    }
}
