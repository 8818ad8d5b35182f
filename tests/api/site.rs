//! The static site over HTTP: pages in both languages, redirects, 404s, conditional
//! requests, content negotiation, cache and security headers, HEAD, path traversal,
//! methods, configuration errors, shutdown and page weight.

use crate::common::*;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::Duration;

use reqwest::Method;
use reqwest::header::HeaderMap;

const PAGES_EN: [&str; 6] = [
    "/",
    "/donate/",
    "/success/",
    "/error/",
    "/contact/",
    "/about/",
];
const PAGES_AR: [&str; 6] = [
    "/ar/",
    "/ar/donate/",
    "/ar/success/",
    "/ar/error/",
    "/ar/contact/",
    "/ar/about/",
];
const HTML: &str = "text/html; charset=utf-8";
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// What came back, fully read.
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    /// A header as text; `None` when absent.
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(name)
            .map(|v| v.to_str().expect("ASCII header"))
    }

    /// A header that must be there.
    fn must(&self, name: &str) -> &str {
        self.header(name)
            .unwrap_or_else(|| panic!("no {name} header in {:?}", self.headers))
    }

    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
}

fn request(server: &Server, method: Method, path: &str, headers: &[(&str, &str)]) -> Reply {
    let mut req = client().request(method, server.url(path));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().unwrap_or_else(|e| panic!("{path}: {e}"));
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let body = resp.bytes().expect("body").to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

fn get(server: &Server, path: &str, headers: &[(&str, &str)]) -> Reply {
    request(server, Method::GET, path, headers)
}

fn head(server: &Server, path: &str, headers: &[(&str, &str)]) -> Reply {
    request(server, Method::HEAD, path, headers)
}

fn unbrotli(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(body, 4096)
        .read_to_end(&mut out)
        .expect("valid brotli");
    out
}

fn gunzip(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(body)
        .read_to_end(&mut out)
        .expect("valid gzip");
    out
}

/// The URL of a fingerprinted asset referenced by `html`: `/assets/<stem>.<hex>.<ext>`.
fn asset_url(html: &str, stem: &str, ext: &str) -> String {
    let start = format!("\"/assets/{stem}.");
    let at = html
        .find(&start)
        .unwrap_or_else(|| panic!("no {start} in the page"));
    let url = html[at + 1..].split('"').next().unwrap().to_owned();
    let hash = url
        .strip_prefix(&start[1..])
        .and_then(|rest| rest.strip_suffix(&format!(".{ext}")))
        .unwrap_or_else(|| panic!("{url} is not /assets/{stem}.<hash>.{ext}"));
    assert!(
        !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{url}: the fingerprint is not hex"
    );
    url
}

/// The CSS, JS and favicon URLs, read from the home page.
fn assets(server: &Server) -> [String; 3] {
    let html = get(server, "/", &[]).text();
    [
        asset_url(&html, "site", "css"),
        asset_url(&html, "app", "js"),
        asset_url(&html, "favicon", "svg"),
    ]
}

/// Sends `GET <path>` byte for byte (no client normalises it) and returns the status
/// code and the whole raw response.
fn raw_get(server: &Server, path: &str) -> (u16, Vec<u8>) {
    let mut stream =
        TcpStream::connect(server.base.trim_start_matches("http://")).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    let line = raw.split(|&b| b == b'\r').next().unwrap_or_default();
    let line = String::from_utf8_lossy(line);
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{path}: bad status line {line:?}"));
    (status, raw)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

// 1. Every page, both languages.

#[test]
fn every_page_answers_in_both_languages_and_links_its_twin() {
    let server = Server::start();
    for (en, ar) in PAGES_EN.iter().zip(PAGES_AR) {
        for (path, twin, lang, dir) in [(*en, ar, "en", "ltr"), (ar, *en, "ar", "rtl")] {
            let r = get(&server, path, &[]);
            assert_eq!(r.status, 200, "{path}");
            assert_eq!(r.must("content-type"), HTML, "{path}");
            let html = r.text();
            assert!(
                html.contains(&format!("<html lang=\"{lang}\" dir=\"{dir}\">")),
                "{path}: wrong <html> element"
            );
            assert!(
                html.contains(&format!("href=\"{twin}\"")),
                "{path}: no link to its twin {twin}"
            );
            // Alternates are absolute, on server.public_url (its default here).
            assert!(
                html.contains(&format!(
                    "<link rel=\"alternate\" hreflang=\"en\" href=\"http://127.0.0.1:8080{en}\">"
                )),
                "{path}: no hreflang=en alternate"
            );
            assert!(
                html.contains(&format!(
                    "<link rel=\"alternate\" hreflang=\"ar\" href=\"http://127.0.0.1:8080{ar}\">"
                )),
                "{path}: no hreflang=ar alternate"
            );
        }
    }
}

#[test]
fn home_page_shows_the_total_and_a_progress_bar() {
    let server = Server::start();
    let en = get(&server, "/", &[]).text();
    assert!(
        en.contains("<strong data-live=\"raised\">AED\u{a0}0</strong>"),
        "no AED\u{a0}0 on a fresh ledger"
    );
    assert!(en.contains("<progress"));
    let ar = get(&server, "/ar/", &[]).text();
    assert!(ar.contains("<progress"));
    assert!(ar.contains("data-live=\"raised\""));
}

/// The tally's text as a screen reader or a text browser gets it: tags dropped, hidden
/// parts (`aria-hidden`) left out, whitespace collapsed.
fn tally_text(html: &str) -> String {
    let start = html.find("<div class=\"tally\"").expect("a tally");
    let tally = &html[start..];
    let end = tally.find("</div>").expect("the tally's end");
    let mut text = String::new();
    let mut rest = &tally[..end];
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let close = rest[open..].find('>').unwrap() + open;
        let tag = &rest[open..=close];
        rest = &rest[close + 1..];
        if tag.contains("aria-hidden=\"true\"") {
            let name: String = tag[1..]
                .chars()
                .take_while(|c| c.is_alphanumeric())
                .collect();
            let end_tag = format!("</{name}>");
            let skip = rest.find(&end_tag).unwrap();
            rest = &rest[skip + end_tag.len()..];
        }
        text.push(' ');
    }
    text.push_str(rest);
    // Spaces as written: the no-break space that keeps an amount together stays.
    text.split(|c: char| c.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn the_tally_says_each_figure_once_in_both_languages() {
    let server = Server::start();
    assert_eq!(
        tally_text(&get(&server, "/", &[]).text()),
        "AED\u{a0}0 raised of AED\u{a0}1,500,000 0 donations 0% of the goal"
    );
    assert_eq!(
        tally_text(&get(&server, "/ar/", &[]).text()),
        "٠\u{a0}د.إ جُمعت من أصل ١٬٥٠٠٬٠٠٠\u{a0}د.إ لا تبرّعات بعد ٠٪ من الهدف"
    );
}

#[test]
fn donate_page_has_a_labelled_amount_field_posting_to_donate() {
    let server = Server::start();
    let html = get(&server, "/donate/", &[]).text();
    assert!(html.contains("<form class=\"donate\" method=\"post\" action=\"/donate\""));
    assert!(html.contains("<label for=\"amount\">Amount</label>"));
    assert!(html.contains("<input id=\"amount\" type=\"text\" name=\"amount\""));
    let ar = get(&server, "/ar/donate/", &[]).text();
    assert!(ar.contains("method=\"post\" action=\"/donate\""));
    assert!(ar.contains("<label for=\"amount\">"));
    assert!(ar.contains("name=\"amount\""));
    assert!(ar.contains("<input type=\"hidden\" name=\"lang\" value=\"ar\">"));
}

// 2. Unknown paths.

#[test]
fn unknown_paths_get_the_404_page_in_their_language() {
    let server = Server::start();
    for (path, lang) in [
        ("/nope", "en"),
        ("/ar/nope", "ar"),
        ("/assets/nope.css", "en"),
        // Inside the prefixes of the parameter routes, nothing else matches either.
        ("/payment", "en"),
        ("/payment/nothing", "en"),
        ("/sandbox/checkout", "en"),
        ("/ar/payment/x", "ar"),
    ] {
        let r = get(&server, path, &[]);
        assert_eq!(r.status, 404, "{path}");
        assert_eq!(r.must("content-type"), HTML, "{path}");
        assert!(
            r.text().contains(&format!("<html lang=\"{lang}\"")),
            "{path}: not the {lang} 404 page"
        );
    }
}

// 3. Trailing-slash redirects.

#[test]
fn paths_without_a_trailing_slash_redirect_permanently() {
    let server = Server::start();
    for (path, location) in [
        ("/donate", "/donate/"),
        ("/ar/donate", "/ar/donate/"),
        ("/ar", "/ar/"),
        ("/about", "/about/"),
        ("/about?x=1", "/about/?x=1"),
        ("/ar/contact?a=b&c=d", "/ar/contact/?a=b&c=d"),
    ] {
        let r = get(&server, path, &[]);
        assert_eq!(r.status, 308, "{path}");
        assert_eq!(r.must("location"), location, "{path}");
    }
}

// 4. ETag and 304.

#[test]
fn strong_etag_and_not_modified() {
    let server = Server::start();
    for path in ["/", "/about/", "/ar/donate/"] {
        let first = get(&server, path, &[]);
        assert_eq!(first.status, 200);
        let etag = first.must("etag").to_owned();
        assert!(
            etag.starts_with('"') && etag.ends_with('"') && etag.len() > 2,
            "{path}: {etag} is not a strong quoted entity tag"
        );

        let again = get(&server, path, &[("If-None-Match", &etag)]);
        assert_eq!(again.status, 304, "{path}");
        assert!(again.body.is_empty(), "{path}: 304 with a body");
        assert_eq!(again.must("etag"), etag, "{path}");

        let other = get(&server, path, &[("If-None-Match", "\"something-else\"")]);
        assert_eq!(other.status, 200, "{path}");
        assert_eq!(other.body, first.body, "{path}");
    }
}

#[test]
fn etag_differs_between_encodings() {
    let server = Server::start();
    let [css, ..] = assets(&server);
    for path in ["/", "/about/", "/ar/donate/", &css] {
        let identity = get(&server, path, &[]);
        let gzip = get(&server, path, &[("Accept-Encoding", "gzip")]);
        let br = get(&server, path, &[("Accept-Encoding", "br")]);
        let tags = [identity.must("etag"), gzip.must("etag"), br.must("etag")];
        assert_ne!(tags[0], tags[1], "{path}");
        assert_ne!(tags[0], tags[2], "{path}");
        assert_ne!(tags[1], tags[2], "{path}");
        // A cached brotli copy is not current for a gzip request.
        let cross = get(
            &server,
            path,
            &[("Accept-Encoding", "gzip"), ("If-None-Match", tags[2])],
        );
        assert_eq!(cross.status, 200, "{path}");
        let same = get(
            &server,
            path,
            &[("Accept-Encoding", "br"), ("If-None-Match", tags[2])],
        );
        assert_eq!(same.status, 304, "{path}");
    }
}

// 5. Content negotiation.

#[test]
fn compressed_bodies_decode_to_the_identity_body() {
    let server = Server::start();
    let [css, ..] = assets(&server);
    for path in ["/", "/about/", "/ar/donate/", &css] {
        let identity = get(&server, path, &[]);
        assert_eq!(identity.status, 200);
        assert_eq!(identity.header("content-encoding"), None, "{path}");
        assert_eq!(identity.must("vary"), "Accept-Encoding", "{path}");

        let br = get(&server, path, &[("Accept-Encoding", "br")]);
        assert_eq!(br.must("content-encoding"), "br", "{path}");
        assert_eq!(br.must("vary"), "Accept-Encoding", "{path}");
        assert_eq!(unbrotli(&br.body), identity.body, "{path}: brotli body");

        let gzip = get(&server, path, &[("Accept-Encoding", "gzip")]);
        assert_eq!(gzip.must("content-encoding"), "gzip", "{path}");
        assert_eq!(gzip.must("vary"), "Accept-Encoding", "{path}");
        assert_eq!(gunzip(&gzip.body), identity.body, "{path}: gzip body");
    }
}

#[test]
fn accept_encoding_quality_values_decide() {
    let server = Server::start();
    let [css, ..] = assets(&server);
    let cases = [
        ("br", Some("br")),
        ("gzip", Some("gzip")),
        ("br;q=0, gzip", Some("gzip")),
        ("gzip;q=0.5, br;q=0.9", Some("br")),
        ("gzip, deflate, br", Some("br")),
        ("identity", None),
        ("deflate", None),
    ];
    for path in ["/", "/about/", "/ar/donate/", &css] {
        for (accept, expected) in cases {
            let r = get(&server, path, &[("Accept-Encoding", accept)]);
            assert_eq!(r.status, 200, "{path} {accept}");
            assert_eq!(
                r.header("content-encoding"),
                expected,
                "{path} with Accept-Encoding: {accept}"
            );
            assert_eq!(r.must("vary"), "Accept-Encoding", "{path} {accept}");
        }
    }
}

// 6. Cache headers.

#[test]
fn fingerprinted_assets_are_immutable_with_the_right_types() {
    let server = Server::start();
    let [css, js, icon] = assets(&server);
    for (path, content_type) in [
        (&css, "text/css; charset=utf-8"),
        (&js, "text/javascript; charset=utf-8"),
        (&icon, "image/svg+xml"),
    ] {
        let r = get(&server, path, &[]);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.must("cache-control"), IMMUTABLE, "{path}");
        assert_eq!(r.must("content-type"), content_type, "{path}");
        assert!(!r.body.is_empty(), "{path}");
    }
}

#[test]
fn html_pages_cache_briefly_and_the_home_page_follows_the_total() {
    let server = Server::start();
    for path in PAGES_EN.iter().chain(&PAGES_AR) {
        let expected = if *path == "/" || *path == "/ar/" {
            "public, max-age=5"
        } else {
            "public, max-age=60"
        };
        for accept in ["identity", "br", "gzip"] {
            let r = get(&server, path, &[("Accept-Encoding", accept)]);
            assert_eq!(r.must("cache-control"), expected, "{path} {accept}");
        }
    }
}

// 7. Security headers.

fn assert_security_headers(r: &Reply, what: &str) {
    let csp = r.must("content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    assert_eq!(r.must("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(
        r.must("referrer-policy"),
        "strict-origin-when-cross-origin",
        "{what}"
    );
    assert!(!r.must("permissions-policy").is_empty(), "{what}");
}

#[test]
fn security_headers_on_every_response_and_no_hsts_by_default() {
    let server = Server::start();
    let [css, js, icon] = assets(&server);
    let etag = get(&server, "/about/", &[]).must("etag").to_owned();
    let replies = [
        ("page", get(&server, "/", &[])),
        ("arabic page", get(&server, "/ar/donate/", &[])),
        ("css", get(&server, &css, &[])),
        ("js", get(&server, &js, &[])),
        ("icon", get(&server, &icon, &[])),
        ("404", get(&server, "/nope", &[])),
        ("308", get(&server, "/donate", &[])),
        ("304", get(&server, "/about/", &[("If-None-Match", &etag)])),
        ("405", request(&server, Method::DELETE, "/", &[])),
    ];
    for (what, r) in &replies {
        assert_security_headers(r, what);
        assert_eq!(r.header("strict-transport-security"), None, "{what}");
    }
    assert_eq!(replies[5].1.status, 404);
    assert_eq!(replies[6].1.status, 308);
    assert_eq!(replies[7].1.status, 304);
}

#[test]
fn hsts_when_served_over_https() {
    let server = Server::start_with(
        Opts::default()
            .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
            .env("FUNDRAISER_SERVER__HTTPS", "true")
            .env("FUNDRAISER_SANDBOX__PUBLIC", "true"),
    );
    let [css, ..] = assets(&server);
    for path in ["/", &css, "/nope", "/donate"] {
        let r = get(&server, path, &[]);
        assert_security_headers(&r, path);
        let hsts = r.must("strict-transport-security");
        assert!(hsts.starts_with("max-age="), "{path}: {hsts}");
        let age: u64 = hsts["max-age=".len()..]
            .split(';')
            .next()
            .unwrap()
            .trim()
            .parse()
            .expect("numeric max-age");
        assert!(age >= 31_536_000, "{path}: HSTS for under a year: {hsts}");
    }
}

// 8. HEAD.

// HEAD sends the headers GET would, Content-Length included (the length of the body GET
// would send in the same encoding), and no body.
#[test]
fn head_matches_get_without_a_body() {
    let server = Server::start();
    let [css, js, _] = assets(&server);
    let mut wrong_lengths = Vec::new();
    for path in ["/", "/about/", "/ar/donate/", &css, &js, "/nope"] {
        for accept in ["identity", "gzip", "br"] {
            let h = [("Accept-Encoding", accept)];
            let g = get(&server, path, &h);
            let r = head(&server, path, &h);
            let what = format!("HEAD {path} ({accept})");
            assert_eq!(r.status, g.status, "{what}");
            assert!(r.body.is_empty(), "{what}: has a body");
            for name in [
                "content-type",
                "content-encoding",
                "etag",
                "cache-control",
                "vary",
            ] {
                assert_eq!(r.header(name), g.header(name), "{what}: {name}");
            }
            let length = r.must("content-length");
            if length != g.body.len().to_string() {
                wrong_lengths.push(format!(
                    "{what}: Content-Length {length}, GET sends {}",
                    g.body.len()
                ));
            }
        }
    }
    assert!(wrong_lengths.is_empty(), "{wrong_lengths:#?}");
}

// 9. Path traversal.

#[test]
fn path_traversal_never_serves_a_file() {
    let server = Server::start();
    for path in [
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/assets/..%2f..%2fCargo.toml",
        "/assets/%2e%2e/%2e%2e/etc/passwd",
        "/..\\Cargo.toml",
        "/assets\\..\\Cargo.toml",
        "//etc/passwd",
        "/ar/../../etc/passwd",
        "/assets/../../../../../../etc/passwd",
        "/assets/%2e%2e%5c%2e%2e%5cCargo.toml",
        "/src/main.rs",
        "/build.rs",
        "/pages/en/home.md",
    ] {
        let (status, raw) = raw_get(&server, path);
        assert!(
            status == 400 || status == 404,
            "{path}: status {status}, expected 400 or 404"
        );
        assert!(!contains(&raw, b"[package]"), "{path}: served Cargo.toml");
        assert!(!contains(&raw, b"root:"), "{path}: served /etc/passwd");
        assert!(!contains(&raw, b"fn main"), "{path}: served source code");
    }
}

// 10. Methods.

#[test]
fn other_methods_are_not_allowed_on_pages() {
    let server = Server::start();
    for (method, path) in [
        (Method::DELETE, "/"),
        (Method::PUT, "/about/"),
        (Method::POST, "/about/"),
        (Method::PATCH, "/ar/"),
    ] {
        let r = request(&server, method.clone(), path, &[]);
        assert_eq!(r.status, 405, "{method} {path}");
        assert_eq!(r.must("allow"), "GET, HEAD", "{method} {path}");
    }
}

// 11. Configuration errors and the command line.

/// Runs the binary in a fresh folder holding `config` (if any) as `config.toml`, expects
/// exit code 2 and returns the single `fundraiser:` message it printed on stderr.
fn config_error(config: Option<&str>, args: &[&str], env: &[(&str, &str)]) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    if let Some(text) = config {
        std::fs::write(dir.path().join("config.toml"), text).unwrap();
    }
    let mut all_args = vec!["serve"];
    if !args.contains(&"--bind") {
        all_args.extend(["--bind", "127.0.0.1:0"]);
    }
    all_args.extend(args);
    let out = run_briefly(command(Path::new(binary()), dir.path(), &all_args, env));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{all_args:?} {env:?}: stderr {stderr}"
    );
    let messages: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("fundraiser:"))
        .collect();
    assert_eq!(messages.len(), 1, "not one message: {stderr}");
    assert!(
        !dir.path().join("data").exists(),
        "a ledger was created despite the bad configuration"
    );
    messages[0].to_owned()
}

#[test]
fn invalid_toml_stops_start_up() {
    let msg = config_error(Some("this is [not toml\n"), &[], &[]);
    assert!(msg.contains("config.toml"), "{msg}");
}

#[test]
fn unknown_key_in_config_file_stops_start_up() {
    let msg = config_error(Some("[server]\nbindd = \"x\"\n"), &[], &[]);
    assert!(msg.contains("bindd"), "{msg}");
    assert!(msg.contains("config.toml"), "{msg}");
}

#[test]
fn unknown_key_in_environment_stops_start_up() {
    let msg = config_error(None, &[], &[("FUNDRAISER_SERVER__NOPE", "1")]);
    assert!(msg.contains("nope"), "{msg}");
    assert!(msg.contains("FUNDRAISER_"), "{msg}");
}

// An unknown key is named by its exact path, once: `server.bindd`, `server.nope`.
#[test]
fn unknown_key_is_named_by_its_exact_path() {
    let msg = config_error(Some("[server]\nbindd = \"x\"\n"), &[], &[]);
    assert!(msg.contains("\"server.bindd\""), "{msg}");
    let msg = config_error(None, &[], &[("FUNDRAISER_SERVER__NOPE", "1")]);
    assert!(msg.contains("\"server.nope\""), "{msg}");
}

#[test]
fn bad_bind_address_stops_start_up() {
    let msg = config_error(None, &["--bind", "not-an-address"], &[]);
    assert!(msg.contains("server.bind"), "{msg}");
    assert!(msg.contains("not-an-address"), "{msg}");
}

#[test]
fn wrong_type_in_environment_stops_start_up() {
    let msg = config_error(None, &[], &[("FUNDRAISER_CAMPAIGN__GOAL", "abc")]);
    assert!(msg.contains("goal"), "{msg}");
}

#[test]
fn help_and_version() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = Path::new(binary());
    let help = run_briefly(command(bin, dir.path(), &["--help"], &[]));
    assert_eq!(help.status.code(), Some(0));
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(text.contains("serve"), "{text}");
    assert!(text.contains("--bind"), "{text}");

    let version = run_briefly(command(bin, dir.path(), &["--version"], &[]));
    assert_eq!(version.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        "fundraiser 0.1.0"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "--help or --version wrote files"
    );
}

// 12. Graceful shutdown.

#[test]
fn sigterm_stops_the_server_cleanly() {
    let server = Server::start();
    assert_eq!(get(&server, "/", &[]).status, 200);
    let status = server.terminate();
    assert!(status.success(), "exit status {status:?}");
}

// 13. Page weight.

#[test]
fn every_page_fits_the_first_round_trip() {
    let server = Server::start();
    let [css, js, _] = assets(&server);
    let size = |path: &str, encoding: &str| {
        let r = get(&server, path, &[("Accept-Encoding", encoding)]);
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("content-encoding"), Some(encoding), "{path}");
        r.body.len()
    };
    let (css_br, js_br) = (size(&css, "br"), size(&js, "br"));
    println!(
        "{css}: br {css_br} B, gzip {} B; {js}: br {js_br} B, gzip {} B",
        size(&css, "gzip"),
        size(&js, "gzip")
    );
    let mut failures = Vec::new();
    for path in PAGES_EN.iter().chain(&PAGES_AR) {
        let br = size(path, "br");
        let gzip = size(path, "gzip");
        let identity = get(&server, path, &[]).body.len();
        let total = br + css_br + js_br;
        println!(
            "{path:<14} html br {br:>5} B, gzip {gzip:>5} B, identity {identity:>6} B; \
             html+css+js br {total:>5} B"
        );
        if br >= 14 * 1024 {
            failures.push(format!("{path}: br {br} B >= 14 KiB"));
        }
        if total >= 30 * 1024 {
            failures.push(format!("{path}: html+css+js br {total} B >= 30 KiB"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
