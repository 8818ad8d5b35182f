//! Pages as written by people: Markdown with TOML front matter.

use serde::Deserialize;

/// The front matter of a page in `pages/<lang>/<name>.md`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrontMatter {
    pub title: String,
    pub description: String,
    /// Position in the main menu; pages without one stay out of it.
    pub menu: Option<u32>,
    pub menu_label: Option<String>,
    /// Path segment: `""` for home, `"donate"`, ... and `"404"` for the not-found page.
    pub slug: String,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub meta: FrontMatter,
    /// The Markdown body rendered to HTML.
    pub body_html: String,
}

#[derive(Debug)]
pub struct ContentError(pub String);

impl std::fmt::Display for ContentError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Splits `+++`-delimited TOML front matter from the Markdown body and renders it.
pub fn parse_page(source: &str) -> Result<Page, ContentError> {
    let source = source.strip_prefix('\u{feff}').unwrap_or(source);
    let rest = source
        .strip_prefix("+++\n")
        .or_else(|| source.strip_prefix("+++\r\n"))
        .ok_or_else(|| ContentError("a page must start with a `+++` line".into()))?;
    let end = rest
        .find("\n+++")
        .ok_or_else(|| ContentError("front matter is not closed by a `+++` line".into()))?;
    let (front, body) = rest.split_at(end);
    let body = body
        .trim_start_matches("\n+++")
        .trim_start_matches(['\r', '\n']);
    let meta: FrontMatter =
        toml::from_str(front).map_err(|e| ContentError(format!("front matter: {e}")))?;
    Ok(Page {
        meta,
        body_html: markdown_to_html(body),
    })
}

/// CommonMark with tables and smart punctuation; raw HTML in the source is escaped,
/// so content cannot smuggle scripts or inline styles past the CSP.
pub fn markdown_to_html(markdown: &str) -> String {
    use pulldown_cmark::{Event, Options, Parser, html};
    let options = Options::ENABLE_TABLES | Options::ENABLE_SMART_PUNCTUATION;
    let parser = Parser::new_ext(markdown, options).map(|event| match event {
        Event::Html(raw) | Event::InlineHtml(raw) => Event::Text(raw),
        other => other,
    });
    let mut out = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut out, parser);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_front_matter_and_markdown() {
        let page = parse_page(
            "+++\ntitle = \"About\"\ndescription = \"Who we are\"\nmenu = 3\nmenu_label = \"About us\"\nslug = \"about\"\n+++\n\n## Hello\n\nText <script>x</script>\n",
        )
        .unwrap();
        assert_eq!(page.meta.title, "About");
        assert_eq!(page.meta.menu, Some(3));
        assert_eq!(page.meta.slug, "about");
        assert!(page.body_html.contains("<h2>Hello</h2>"));
        assert!(page.body_html.contains("&lt;script&gt;"));
        assert!(!page.body_html.contains("<script>"));
    }

    #[test]
    fn refuses_pages_without_front_matter() {
        assert!(parse_page("## no front matter").is_err());
        assert!(parse_page("+++\ntitle = \"x\"\n").is_err());
        assert!(parse_page("+++\ntitle = 1\n+++\n").is_err());
    }
}
