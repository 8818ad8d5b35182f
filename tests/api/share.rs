//! Shared on every phone: absolute links from `server.public_url`, the share cards a chat
//! unfolds (Open Graph, Twitter), the share images, the thank-you page's share links, the
//! sitemap, `robots.txt` and the charity's structured data. Pages are read with an HTML5
//! parser and the sitemap with an XML parser, as a crawler would.

use crate::common::*;

use std::collections::{BTreeMap, BTreeSet};

use reqwest::StatusCode;
use scraper::{Html, Selector};

const ORIGIN: &str = "https://give.example.org";
/// Every page of the site and the language it is in.
const PAGES: [(&str, &str); 12] = [
    ("/", "en"),
    ("/donate/", "en"),
    ("/about/", "en"),
    ("/contact/", "en"),
    ("/success/", "en"),
    ("/error/", "en"),
    ("/ar/", "ar"),
    ("/ar/donate/", "ar"),
    ("/ar/about/", "ar"),
    ("/ar/contact/", "ar"),
    ("/ar/success/", "ar"),
    ("/ar/error/", "ar"),
];

/// A server whose public address is not its own: a public demonstration (the sandbox
/// runs off loopback only as one), as a charity previews its campaign.
fn server() -> Server {
    Server::start_with(
        Opts::default()
            .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
            .env("FUNDRAISER_SANDBOX__PUBLIC", "true")
            .env("FUNDRAISER_SERVER__PUBLIC_URL", &format!("{ORIGIN}/")),
    )
}

fn page(server: &Server, path: &str) -> Html {
    let r = client().get(server.url(path)).send().unwrap();
    let status = r.status();
    let body = r.text().unwrap();
    assert!(
        status == StatusCode::OK || status == StatusCode::NOT_FOUND,
        "{path}: {status}"
    );
    assert!(!body.contains("public-url.invalid"), "{path}: {body}");
    Html::parse_document(&body)
}

fn attr(doc: &Html, selector: &str, name: &str) -> Option<String> {
    let sel = Selector::parse(selector).unwrap();
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr(name))
        .map(str::to_owned)
}

/// The `content` of `<meta property=...>` (Open Graph) or `<meta name=...>`.
fn meta(doc: &Html, key: &str) -> String {
    attr(doc, &format!(r#"meta[property="{key}"]"#), "content")
        .or_else(|| attr(doc, &format!(r#"meta[name="{key}"]"#), "content"))
        .unwrap_or_else(|| panic!("no {key}"))
}

fn title(doc: &Html) -> String {
    let sel = Selector::parse("title").unwrap();
    doc.select(&sel).next().unwrap().text().collect()
}

/// The same page in the other language.
fn twin(path: &str) -> String {
    match path.strip_prefix("/ar") {
        Some(rest) => rest.to_owned(),
        None => format!("/ar{path}"),
    }
}

/// Width and height of a PNG, from its header; the bytes must be a whole PNG.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    assert_eq!(&png[12..16], b"IHDR");
    assert_eq!(&png[png.len() - 8..png.len() - 4], b"IEND", "the PNG ends");
    let be = |at: usize| u32::from_be_bytes(png[at..at + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn every_page_carries_absolute_share_tags_in_its_own_language() {
    every_page_tags(&server(), ORIGIN);
}

/// The same on a server that is no demonstration (pages filled as they are built).
#[test]
fn every_page_carries_the_tags_on_a_server_that_is_no_demonstration() {
    let origin = "http://localhost:4321";
    let server = Server::start_with(
        Opts::default()
            .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
            .env("FUNDRAISER_SERVER__PUBLIC_URL", origin),
    );
    every_page_tags(&server, origin);
}

fn every_page_tags(server: &Server, origin: &str) {
    let mut titles = BTreeSet::new();
    let mut descriptions = BTreeSet::new();
    for (path, lang) in PAGES {
        let doc = page(server, path);
        let (en, ar) = if lang == "en" {
            (path.to_owned(), twin(path))
        } else {
            (twin(path), path.to_owned())
        };
        assert_eq!(attr(&doc, "html", "lang").as_deref(), Some(lang), "{path}");
        let url = format!("{origin}{path}");
        // A canonical address on every page a search may show (not the error page).
        let indexed = !path.ends_with("/error/");
        assert_eq!(
            attr(&doc, r#"link[rel="canonical"]"#, "href"),
            indexed.then(|| url.clone()),
            "{path}"
        );
        for (hreflang, target) in [("en", &en), ("ar", &ar), ("x-default", &en)] {
            assert_eq!(
                attr(
                    &doc,
                    &format!(r#"link[rel="alternate"][hreflang="{hreflang}"]"#),
                    "href"
                ),
                Some(format!("{origin}{target}")),
                "{path} {hreflang}"
            );
        }
        assert_eq!(meta(&doc, "og:url"), url);
        assert_eq!(meta(&doc, "og:type"), "website");
        let (locale, other) = match lang {
            "en" => ("en_US", "ar_AE"),
            _ => ("ar_AE", "en_US"),
        };
        let (charity, campaign) = (site_text(lang, "charity"), site_text(lang, "campaign"));
        assert_eq!(meta(&doc, "og:locale"), locale);
        assert_eq!(meta(&doc, "og:locale:alternate"), other);
        assert_eq!(meta(&doc, "og:site_name"), charity);
        let page_title = title(&doc);
        assert!(page_title.starts_with(&meta(&doc, "og:title")), "{path}");
        assert_eq!(meta(&doc, "og:description"), meta(&doc, "description"));
        let image = meta(&doc, "og:image");
        assert!(
            image.starts_with(&format!("{origin}/assets/share-{lang}.")) && image.ends_with(".png"),
            "{path}: {image}"
        );
        assert_eq!(meta(&doc, "og:image:width"), "1200");
        assert_eq!(meta(&doc, "og:image:height"), "630");
        assert_eq!(meta(&doc, "og:image:type"), "image/png");
        assert!(meta(&doc, "og:image:alt").contains(&campaign), "{path}");
        assert_eq!(meta(&doc, "twitter:card"), "summary_large_image");
        assert!(titles.insert(page_title), "{path}: a title used twice");
        assert!(
            descriptions.insert(meta(&doc, "description")),
            "{path}: a description used twice"
        );
        // The charity's structured data, on the home pages.
        let ld = Selector::parse(r#"script[type="application/ld+json"]"#).unwrap();
        let blocks: Vec<String> = doc.select(&ld).map(|e| e.text().collect()).collect();
        if path == "/" || path == "/ar/" {
            assert_eq!(blocks.len(), 1, "{path}");
            let data: serde_json::Value = serde_json::from_str(&blocks[0]).unwrap();
            assert_eq!(data["@context"], "https://schema.org");
            assert_eq!(data["@type"], "NGO");
            assert_eq!(data["@id"], format!("{origin}/#charity"));
            assert_eq!(data["name"], charity);
            assert_eq!(data["url"], url);
        } else {
            assert!(blocks.is_empty(), "{path}");
        }
        // Only the error page stays out of search engines.
        let robots = attr(&doc, r#"meta[name="robots"]"#, "content");
        let expect = (!indexed).then(|| "noindex".to_owned());
        assert_eq!(robots, expect, "{path}");
    }
    // The not-found page points at the home pages, and claims no address of its own.
    for (path, lang) in [("/no-such-page/", "en"), ("/ar/no-such-page/", "ar")] {
        let doc = page(server, path);
        assert_eq!(attr(&doc, r#"link[rel="canonical"]"#, "href"), None);
        let home = if lang == "en" { "/" } else { "/ar/" };
        assert_eq!(meta(&doc, "og:url"), format!("{origin}{home}"));
        assert_eq!(meta(&doc, "robots"), "noindex");
    }
    // Pages made at run time (the sandbox checkout) link to the same origin.
    let checkout = location(&server.donate("25", "ar"));
    let doc = page(server, &checkout);
    let alternates = Selector::parse(r#"link[rel="alternate"]"#).unwrap();
    for link in doc.select(&alternates) {
        let href = link.value().attr("href").unwrap();
        assert!(href.starts_with(&format!("{origin}/")), "{href}");
    }
    assert_eq!(doc.select(&alternates).count(), 3);
    assert_eq!(meta(&doc, "robots"), "noindex");
}

#[test]
fn the_share_image_of_each_language_is_a_1200_by_630_png() {
    let server = server();
    let mut images = BTreeMap::new();
    for home in ["/", "/ar/"] {
        let doc = page(&server, home);
        let url = meta(&doc, "og:image");
        let path = url.strip_prefix(ORIGIN).unwrap().to_owned();
        let r = client().get(server.url(&path)).send().unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["content-type"], "image/png");
        assert_eq!(
            r.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        let png = r.bytes().unwrap().to_vec();
        assert_eq!(png_size(&png), (1200, 630), "{path}");
        assert!(
            png.len() > 10_000,
            "{path}: {} bytes, a blank card?",
            png.len()
        );
        images.insert(home, png);
    }
    assert_ne!(
        images["/"], images["/ar/"],
        "each language has its own card"
    );
}

#[test]
fn the_sitemap_lists_every_page_of_both_languages_with_alternates() {
    let server = server();
    let r = client().get(server.url("/sitemap.xml")).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/xml");
    let xml = r.text().unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("the sitemap is well-formed XML");
    let sitemaps = "http://www.sitemaps.org/schemas/sitemap/0.9";
    let xhtml = "http://www.w3.org/1999/xhtml";
    let root = doc.root_element();
    assert!(root.has_tag_name((sitemaps, "urlset")));
    let mut listed = BTreeSet::new();
    for url in root.children().filter(|n| n.is_element()) {
        assert!(url.has_tag_name((sitemaps, "url")));
        let loc = url
            .children()
            .find(|n| n.has_tag_name((sitemaps, "loc")))
            .and_then(|n| n.text())
            .unwrap();
        let path = loc
            .strip_prefix(ORIGIN)
            .expect("absolute, on the public origin");
        let alternates: BTreeMap<&str, String> = url
            .children()
            .filter(|n| n.has_tag_name((xhtml, "link")))
            .map(|n| {
                assert_eq!(n.attribute("rel"), Some("alternate"));
                (
                    n.attribute("hreflang").unwrap(),
                    n.attribute("href").unwrap().to_owned(),
                )
            })
            .collect();
        let en = if path.starts_with("/ar/") {
            twin(path)
        } else {
            path.to_owned()
        };
        let expected = BTreeMap::from([
            ("ar", format!("{ORIGIN}{}", twin(&en))),
            ("en", format!("{ORIGIN}{en}")),
            ("x-default", format!("{ORIGIN}{en}")),
        ]);
        assert_eq!(alternates, expected, "{loc}");
        assert_eq!(
            client().get(server.url(path)).send().unwrap().status(),
            StatusCode::OK,
            "{loc}"
        );
        listed.insert(path.to_owned());
    }
    let expected: BTreeSet<String> = [
        "/",
        "/donate/",
        "/about/",
        "/contact/",
        "/ar/",
        "/ar/donate/",
        "/ar/about/",
        "/ar/contact/",
    ]
    .map(String::from)
    .into();
    assert_eq!(listed, expected);

    let r = client().get(server.url("/robots.txt")).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "text/plain; charset=utf-8");
    let robots = r.text().unwrap();
    let mut disallowed = BTreeSet::new();
    let mut sitemap = None;
    for line in robots.lines().filter(|l| !l.is_empty()) {
        let (field, value) = line.split_once(':').expect("field: value");
        match (field, value.trim()) {
            ("User-agent", agent) => assert_eq!(agent, "*"),
            ("Disallow", path) => {
                disallowed.insert(path.to_owned());
            }
            ("Sitemap", url) => sitemap = Some(url.to_owned()),
            other => panic!("unexpected line {other:?}"),
        }
    }
    assert_eq!(sitemap, Some(format!("{ORIGIN}/sitemap.xml")));
    for path in [
        "/admin",
        "/payment/",
        "/sandbox/",
        "/donate/wait/",
        "/ar/donate/wait/",
        "/receipt/",
        "/success/?",
        "/ar/success/?",
    ] {
        assert!(disallowed.contains(path), "{path} in {robots}");
    }
    for path in &listed {
        assert!(
            !disallowed.iter().any(|d| path.starts_with(d.as_str())),
            "{path} is listed and disallowed"
        );
    }
}

#[test]
fn the_thank_you_page_invites_sharing_with_prefilled_links_in_its_language() {
    let server = server();
    for (path, home, lang) in [("/success/", "/", "en"), ("/ar/success/", "/ar/", "ar")] {
        let campaign = &site_text(lang, "campaign");
        let doc = page(&server, path);
        let home_url = format!("{ORIGIN}{home}");
        let sel = Selector::parse(".share a.share-link").unwrap();
        let links: BTreeMap<String, url::Url> = doc
            .select(&sel)
            .map(|a| {
                let class = a.value().attr("class").unwrap();
                let network = class.trim_start_matches("share-link ").to_owned();
                (
                    network,
                    url::Url::parse(a.value().attr("href").unwrap()).unwrap(),
                )
            })
            .collect();
        let networks: Vec<&str> = links.keys().map(String::as_str).collect();
        assert_eq!(
            networks,
            ["email", "facebook", "telegram", "whatsapp", "x"],
            "{path}"
        );
        let query = |network: &str| -> BTreeMap<String, String> {
            links[network].query_pairs().into_owned().collect()
        };
        let whatsapp = &query("whatsapp")["text"];
        assert_eq!(links["whatsapp"].host_str(), Some("wa.me"));
        assert!(
            whatsapp.contains(campaign) && whatsapp.ends_with(&format!(" {home_url}")),
            "{whatsapp}"
        );
        let message = whatsapp.strip_suffix(&format!(" {home_url}")).unwrap();
        assert_eq!(links["x"].host_str(), Some("x.com"));
        assert_eq!(query("x")["text"], message);
        assert_eq!(query("x")["url"], home_url);
        assert_eq!(links["facebook"].host_str(), Some("www.facebook.com"));
        assert_eq!(query("facebook")["u"], home_url);
        assert_eq!(links["telegram"].host_str(), Some("t.me"));
        assert_eq!(query("telegram")["url"], home_url);
        assert_eq!(query("telegram")["text"], message);
        assert_eq!(links["email"].scheme(), "mailto");
        assert!(query("email")["subject"].contains(campaign));
        assert_eq!(
            query("email")["body"],
            format!("{message}\r\n\r\n{home_url}")
        );
        // The copy button and the share sheet wait for the script, with the same link.
        assert_eq!(
            attr(&doc, "[data-share-url]", "data-share-url"),
            Some(home_url.clone())
        );
        assert_eq!(
            attr(&doc, "[data-share-url]", "data-share-text").as_deref(),
            Some(message)
        );
        assert_eq!(
            attr(&doc, "[data-share-url]", "hidden").as_deref(),
            Some("")
        );
        assert!(attr(&doc, r#"script[src^="/assets/app."]"#, "src").is_some());
    }
}
