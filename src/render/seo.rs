//! What search engines read beside the pages: the sitemap, `robots.txt` and the
//! charity's structured data (schema.org), with absolute URLs on the placeholder origin.

use maud::{Markup, PreEscaped, html};

use super::origin::absolute;
use super::strings::Strings;
use super::xml_escape;

/// One page of the site in every language: (language code, path), the first language
/// being the default (`x-default`).
pub type Alternates = Vec<(String, String)>;

/// The charity as schema.org's `NGO`, as a JSON-LD block (data, never run, so the
/// Content-Security-Policy has nothing to allow).
pub fn structured_data(t: &Strings, home: &str) -> Markup {
    let data = serde_json::json!({
        "@context": "https://schema.org",
        "@type": "NGO",
        // One charity, whichever language's home page describes it.
        "@id": absolute("/#charity"),
        "name": t.charity,
        "url": absolute(home),
        "description": t.tagline,
    });
    // `<` escaped so that no text can close the script element.
    let json = data.to_string().replace('<', "\\u003c");
    html! { script type="application/ld+json" { (PreEscaped(json)) } }
}

/// `sitemap.xml`: every page in `pages`, each with its alternates in every language.
pub fn sitemap(pages: &[Alternates]) -> String {
    let mut out = String::from(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" ",
        "xmlns:xhtml=\"http://www.w3.org/1999/xhtml\">\n"
    ));
    for page in pages {
        // The calculator is listed only while a Zakat fund is (`optional`).
        let zakat = page
            .iter()
            .any(|(lang, path)| *path == super::layout::page_href(lang, super::optional::ZAKAT));
        for (_, path) in page {
            let mut url = String::from("  <url>\n");
            url.push_str(&format!("    <loc>{}</loc>\n", absolute(&xml_escape(path))));
            for (lang, alt) in page {
                url.push_str(&alternate(lang, alt));
            }
            if let Some((_, default)) = page.first() {
                url.push_str(&alternate("x-default", default));
            }
            url.push_str("  </url>\n");
            match zakat {
                true => out.push_str(&super::optional::zakat_only(&url)),
                false => out.push_str(&url),
            }
        }
    }
    out.push_str("</urlset>\n");
    out
}

fn alternate(lang: &str, path: &str) -> String {
    format!(
        "    <xhtml:link rel=\"alternate\" hreflang=\"{}\" href=\"{}\"/>\n",
        xml_escape(lang),
        absolute(&xml_escape(path))
    )
}

/// `robots.txt`: everything may be read but what is personal or transient (the admin
/// pages, payment callbacks, the sandbox checkout, the waiting pages, receipts, a
/// donor's own thank-you page with its query, the API).
pub fn robots(waiting_pages: &[String], thank_you_pages: &[String]) -> String {
    let mut out = String::from("User-agent: *\n");
    let mut disallow = vec![
        "/admin".to_owned(),
        "/api/".to_owned(),
        "/payment/".to_owned(),
        "/receipt/".to_owned(),
        "/sandbox/".to_owned(),
    ];
    disallow.extend(waiting_pages.iter().cloned());
    disallow.extend(thank_you_pages.iter().map(|p| format!("{p}?")));
    for path in disallow {
        out.push_str(&format!("Disallow: {path}\n"));
    }
    out.push_str(&format!("\nSitemap: {}\n", absolute("/sitemap.xml")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;

    #[test]
    fn sitemap_lists_each_language_with_every_alternate() {
        let page = vec![
            ("en".into(), "/about/".into()),
            ("ar".into(), "/ar/about/".into()),
        ];
        let xml = sitemap(&[page]);
        assert_eq!(xml.matches("<url>").count(), 2);
        assert!(xml.contains("<loc>https://public-url.invalid/ar/about/</loc>"));
        assert_eq!(
            xml.matches(r#"hreflang="x-default" href="https://public-url.invalid/about/""#)
                .count(),
            2
        );
    }

    #[test]
    fn structured_data_cannot_close_its_script() {
        let mut t = Strings::of(Lang::En).clone();
        t.charity = "</script><script>alert(1)</script>".into();
        let html = structured_data(&t, "/").into_string();
        assert_eq!(html.matches("</script>").count(), 1);
        assert!(html.contains(r#""url":"https://public-url.invalid/""#));
    }

    #[test]
    fn robots_keeps_transient_pages_out_and_names_the_sitemap() {
        let text = robots(&["/donate/wait/".into()], &["/success/".into()]);
        assert!(text.contains("Disallow: /admin\n"));
        assert!(text.contains("Disallow: /donate/wait/\n"));
        assert!(text.contains("Disallow: /success/?\n"));
        assert!(text.ends_with("Sitemap: https://public-url.invalid/sitemap.xml\n"));
    }
}
