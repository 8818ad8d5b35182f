//! Deploying by copying one file: the binary alone in an empty folder, `fundraiser export`
//! for a static host (pages identical to what the server answers, fingerprinted assets,
//! `.br`/`.gz` siblings, `_headers`, the split deployment's CORS), `fundraiser backup`
//! while donations commit, `fundraiser check`'s exit codes; built-in HTTPS in `https`.
//! One test binary for both, as each release-profile test binary costs a full LTO link.

mod https;

use crate::common::*;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reqwest::StatusCode;
use sha2::{Digest, Sha256};

/// Runs `fundraiser ARGS...` in `dir` with only `env` as configuration; returns the exit
/// code, stdout and stderr.
fn run_cli(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = run_briefly(command(Path::new(binary()), dir, args, env));
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Every file under `dir`, relative and with `/` separators, with its bytes.
fn files_under(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().to_string_lossy();
                out.insert(rel.replace('\\', "/"), std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The URL path an exported file is served at (`donate/index.html` → `/donate/`).
fn url_of(file: &str) -> String {
    match file.strip_suffix("index.html") {
        Some(dir) => format!("/{dir}"),
        None => format!("/{file}"),
    }
}

/// The body the server sends for `path` with `encoding`, and its status.
fn served(server: &Server, path: &str, encoding: &str) -> (StatusCode, Vec<u8>) {
    let r = client()
        .get(server.url(path))
        .header("Accept-Encoding", encoding)
        .send()
        .unwrap();
    (r.status(), r.bytes().unwrap().to_vec())
}

fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn unbrotli(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    brotli::Decompressor::new(bytes, 4096)
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn ledger_path(server: &Server) -> PathBuf {
    server.workdir().join("data/ledger.db")
}

#[test]
fn the_binary_alone_in_an_empty_folder_serves_the_site_and_takes_a_sandbox_donation() {
    let dir = tempfile::tempdir().expect("temp dir");
    let bin = dir.path().join("fundraiser");
    std::fs::copy(binary(), &bin).expect("copy the binary");
    // No config file, no sandbox secret: only what the binary carries.
    let server = Server::start_with(Opts {
        bin: Some(bin),
        dir: Some(dir.path().to_path_buf()),
        ..Opts::default()
    });
    let home = client().get(server.url("/")).send().unwrap();
    assert_eq!(home.status(), StatusCode::OK);
    assert!(home.text().unwrap().contains("<html lang=\"en\""));
    let ar = client().get(server.url("/ar/donate/")).send().unwrap();
    assert_eq!(ar.status(), StatusCode::OK);
    assert!(ar.text().unwrap().contains("<html lang=\"ar\""));

    server.pay("75");
    let t = server.total();
    assert_eq!(t["raised_minor"], 7500);
    assert_eq!(t["donations"], 1);
    drop(server);

    let mut entries: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    entries.sort();
    assert_eq!(entries, ["data", "fundraiser"], "unexpected files");
    for name in files_under(&dir.path().join("data")).keys() {
        assert!(name.starts_with("ledger.db"), "unexpected data/{name}");
    }
}

#[test]
fn export_writes_every_page_and_asset_exactly_as_the_server_serves_them() {
    let server = Server::start();
    server.pay("50");
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("site");
    let db = ledger_path(&server);
    let (code, stdout, stderr) = run_cli(
        server.workdir(),
        &[
            "export",
            target.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("the home pages show AED\u{a0}50 raised"),
        "{stdout}"
    );
    let files = files_under(&target);

    let mut pages = BTreeSet::new();
    for prefix in ["", "ar/"] {
        for page in ["", "donate/", "success/", "error/", "contact/", "about/"] {
            pages.insert(format!("{prefix}{page}index.html"));
        }
        pages.insert(format!("{prefix}404.html"));
    }
    let primary: BTreeSet<String> = files
        .keys()
        .filter(|f| !f.ends_with(".gz") && !f.ends_with(".br") && *f != "_headers")
        .cloned()
        .collect();
    let (html, assets): (BTreeSet<String>, BTreeSet<String>) =
        primary.into_iter().partition(|f| f.ends_with(".html"));
    assert_eq!(html, pages);
    let asset_kinds: BTreeSet<&str> = assets
        .iter()
        .map(|a| a.rsplit('.').next().unwrap())
        .collect();
    assert_eq!(
        asset_kinds,
        BTreeSet::from(["css", "js", "png", "svg", "txt", "xml"]),
        "{assets:?}"
    );
    assert!(assets.contains("sitemap.xml") && assets.contains("robots.txt"));

    for file in html.iter().chain(&assets) {
        let body = &files[file];
        let (path, status) = if let Some(prefix) = file.strip_suffix("404.html") {
            (format!("/{prefix}no-such-page/"), StatusCode::NOT_FOUND)
        } else {
            (url_of(file), StatusCode::OK)
        };
        assert_eq!(
            served(&server, &path, "identity"),
            (status, body.clone()),
            "{file}"
        );
        for (ext, encoding, decode) in [
            ("gz", "gzip", gunzip as fn(&[u8]) -> Vec<u8>),
            ("br", "br", unbrotli),
        ] {
            // A PNG is compressed already: no sibling, the same bytes whatever is asked.
            let Some(sibling) = files.get(&format!("{file}.{ext}")) else {
                assert!(file.ends_with(".png"), "{file}.{ext} is missing");
                assert_eq!(served(&server, &path, encoding), (status, body.clone()));
                continue;
            };
            assert_eq!(
                &decode(sibling),
                body,
                "{file}.{ext} decompresses to {file}"
            );
            assert!(sibling.len() < body.len(), "{file}.{ext} is smaller");
            // What the server sends decodes to the same page (the export compresses its
            // copy again, at the strongest setting).
            let (served_status, served_body) = served(&server, &path, encoding);
            assert_eq!(served_status, status);
            assert_eq!(&decode(&served_body), body, "{path} as {encoding}");
        }
        if let Some(asset) = file.strip_prefix("assets/") {
            // site.<first 5 bytes of SHA-256, hex>.css
            let hash = asset.split('.').nth(1).unwrap();
            assert_eq!(hash, hex::encode(&Sha256::digest(body)[..5]), "{file}");
        }
    }
    let home = String::from_utf8(files["index.html"].clone()).unwrap();
    assert!(home.contains("<strong data-live=\"raised\">AED\u{a0}50</strong>"));
    // Absolute links name the public address, as the server's pages do.
    assert!(home.contains(r#"<link rel="canonical" href="http://127.0.0.1:8080/">"#));
    let sitemap = String::from_utf8(files["sitemap.xml"].clone()).unwrap();
    assert!(sitemap.contains("<loc>http://127.0.0.1:8080/ar/donate/</loc>"));
    for (file, body) in &files {
        let marker = b"public-url.invalid";
        assert!(!body.windows(marker.len()).any(|w| w == marker), "{file}");
    }
    let headers = String::from_utf8(files["_headers"].clone()).unwrap();
    assert!(headers.contains("content-security-policy: default-src 'none';"));
    assert!(headers.contains("/assets/*\n  Cache-Control: public, max-age=31536000, immutable"));
}

#[test]
fn a_split_deployment_points_the_pages_at_the_api_origin_and_allows_them_by_cors() {
    let split = [
        ("FUNDRAISER_SERVER__PUBLIC_URL", "https://give.example.org"),
        ("FUNDRAISER_SERVER__API_ORIGIN", "https://api.example.org"),
        ("FUNDRAISER_SANDBOX__PUBLIC", "true"),
    ];
    let mut opts = Opts::default().env("FUNDRAISER_SANDBOX__SECRET", SECRET);
    for (k, v) in split {
        opts = opts.env(k, v);
    }
    let server = Server::start_with(opts);
    let out = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run_cli(out.path(), &["export", "site"], &split);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("refresh it from https://api.example.org/api/total"),
        "{stdout}"
    );
    let files = files_under(&out.path().join("site"));
    let home = String::from_utf8(files["index.html"].clone()).unwrap();
    assert!(home.contains("https://api.example.org/api/total"), "{home}");
    let donate = String::from_utf8(files["ar/donate/index.html"].clone()).unwrap();
    assert!(donate.contains(r#"action="https://api.example.org/donate""#));
    // Absolute links name the pages' own public address, not the API's.
    assert!(
        donate.contains(r#"<link rel="canonical" href="https://give.example.org/ar/donate/">"#)
    );
    assert!(donate.contains(
        r#"<meta property="og:image" content="https://give.example.org/assets/share-ar."#
    ));
    let robots = String::from_utf8(files["robots.txt"].clone()).unwrap();
    assert!(
        robots.ends_with("Sitemap: https://give.example.org/sitemap.xml\n"),
        "{robots}"
    );
    let headers = String::from_utf8(files["_headers"].clone()).unwrap();
    assert!(headers.contains("connect-src 'self' https://api.example.org;"));
    assert!(headers.contains("form-action 'self' https://api.example.org;"));

    let r = client().get(server.url("/api/total")).send().unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://give.example.org"
    );
    let r = client()
        .request(reqwest::Method::OPTIONS, server.url("/api/total"))
        .header("Origin", "https://give.example.org")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        r.headers()["access-control-allow-origin"],
        "https://give.example.org"
    );
    assert_eq!(r.headers()["access-control-allow-methods"], "GET, HEAD");

    // After paying, the donor goes back to the pages' host, not the API's.
    let ret = server.sandbox_checkout("20", "en", "pay");
    let r = client().get(server.url(&ret)).send().unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "https://give.example.org/success/");
}

#[test]
fn a_backup_taken_during_donations_holds_every_confirmed_one() {
    let server = Arc::new(Server::start());
    let db = ledger_path(&server);
    let confirmed = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let donors: Vec<_> = (0..4)
        .map(|_| {
            let (server, confirmed, stop) = (server.clone(), confirmed.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let id = server.pay("10");
                    confirmed.lock().unwrap().push(id);
                }
            })
        })
        .collect();
    assert!(eventually(|| confirmed.lock().unwrap().len() >= 20));

    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("ledger-backup.db");
    for round in 0..3 {
        let before: Vec<String> = confirmed.lock().unwrap().clone();
        let (code, stdout, stderr) = run_cli(
            out.path(),
            &[
                "backup",
                dest.to_str().unwrap(),
                "--db",
                db.to_str().unwrap(),
            ],
            &[],
        );
        assert_eq!(code, 0, "round {round}: {stderr}");
        assert!(stdout.contains(": verified, schema "), "{stdout}");
        let copy = rusqlite::Connection::open(&dest).unwrap();
        let check: String = copy
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(check, "ok");
        let mut stmt = copy
            .prepare("SELECT id FROM donations WHERE status = 'succeeded'")
            .unwrap();
        let held: BTreeSet<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let missing: Vec<&String> = before.iter().filter(|id| !held.contains(*id)).collect();
        assert!(
            missing.is_empty(),
            "round {round}: {missing:?} not in the backup"
        );
        let sum: i64 = copy
            .query_row(
                "SELECT COALESCE(SUM(amount_minor), 0) FROM donations WHERE status = 'succeeded'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(sum, 1000 * held.len() as i64);
        assert!(
            stdout.contains(&format!("{} succeeded", held.len())),
            "{stdout}"
        );
        // A self-contained file: no write-ahead log or partial copy left beside it.
        let beside: Vec<String> = files_under(out.path()).into_keys().collect();
        assert_eq!(beside, ["ledger-backup.db"]);
    }
    stop.store(true, Ordering::Relaxed);
    for d in donors {
        d.join().unwrap();
    }
}

#[test]
fn export_without_a_ledger_says_so_naming_the_path_and_db() {
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr) = run_cli(dir.path(), &["export", "site"], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("warning: no ledger at data/ledger.db")
            && stderr.contains("AED\u{a0}0 raised")
            && stderr.contains("--db PATH"),
        "{stderr}"
    );
    assert!(
        stdout.contains("the home pages show AED\u{a0}0 raised"),
        "{stdout}"
    );
    assert!(dir.path().join("site/index.html").is_file());

    // With a ledger there is nothing to warn about.
    let server = Server::start();
    let db = ledger_path(&server);
    let (code, _, stderr) = run_cli(
        dir.path(),
        &["export", "again", "--db", db.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains("warning"), "{stderr}");
}

#[test]
fn backup_refuses_a_missing_ledger_and_the_ledger_itself() {
    let server = Server::start();
    let db = ledger_path(&server);
    let dir = tempfile::tempdir().unwrap();
    let (code, _, stderr) = run_cli(dir.path(), &["backup", "copy.db"], &[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no ledger at data/ledger.db"), "{stderr}");
    let (code, _, stderr) = run_cli(
        dir.path(),
        &["backup", db.to_str().unwrap(), "--db", db.to_str().unwrap()],
        &[],
    );
    assert_eq!(code, 2);
    assert!(stderr.contains("must not overwrite the ledger"), "{stderr}");
    assert_eq!(server.total()["raised_minor"], 0, "the server still serves");
}

/// Arguments, environment and what the message must say, for one `check` that fails.
type CheckCase<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);

#[test]
fn check_exits_0_for_a_usable_setup_and_2_naming_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    // The pages speak of the campaign's currency (config.toml's; AED as shipped).
    let currency = campaign_currency();
    let (code, stdout, stderr) = run_cli(
        dir.path(),
        &["check"],
        &[("FUNDRAISER_CAMPAIGN__CURRENCY", &currency)],
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("config: ok (built-in defaults;"),
        "{stdout}"
    );
    assert!(stdout.contains("data/ledger.db does not exist yet; serve will create it"));
    assert!(stdout.contains("tls: off"), "{stdout}");

    assert!(!stdout.contains("warning"), "{stdout}");

    // Pages that speak of the campaign's currency in a campaign now counted in another:
    // a warning per page and language naming the file to edit, and still exit 0 (the
    // operator decides).
    let other = if currency == "USD" { "JPY" } else { "USD" };
    let (code, stdout, stderr) = run_cli(
        dir.path(),
        &["check"],
        &[("FUNDRAISER_CAMPAIGN__CURRENCY", other)],
    );
    assert_eq!(code, 0, "{stderr}");
    for warning in stdout.lines().filter(|l| l.starts_with("warning")) {
        assert!(
            warning.starts_with("warning: pages/")
                && warning.contains(&format!(" names {currency} ("))
                && warning.contains(&format!(
                    "but campaign.currency is {other}: edit it, or the texts in pages/"
                )),
            "{warning}"
        );
    }
    // Arabic words as written, never as escapes.
    assert!(!stdout.contains("\\u{"), "{stdout}");
    if currency == "AED" {
        // The example campaign's pages name dirhams in English and Arabic.
        assert!(
            stdout.contains(
                "warning: pages/en/404.md (the page /404.html) names AED (\"AED\") but campaign.currency is USD: edit it, or the texts in pages/en/site.toml, and rebuild"
            ),
            "{stdout}"
        );
        assert!(
            stdout.contains("warning: pages/ar/home.md (the page /ar/) names AED (\"درهم"),
            "{stdout}"
        );
    }
    assert!(stdout.contains("config: ok"), "{stdout}");

    let server = Server::start();
    server.pay("30");
    let db = ledger_path(&server);
    let (code, stdout, stderr) = run_cli(dir.path(), &["check", "--db", db.to_str().unwrap()], &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stdout.contains("1 donation, 1 succeeded, AED\u{a0}30 raised"),
        "{stdout}"
    );
    drop(server);

    let corrupt = dir.path().join("corrupt.db");
    std::fs::write(&corrupt, vec![0x5a; 8192]).unwrap();
    let newer = dir.path().join("newer.db");
    rusqlite::Connection::open(&newer)
        .unwrap()
        .pragma_update(None, "user_version", 999)
        .unwrap();
    std::fs::write(dir.path().join("bad.toml"), "[server]\nbnid = \"x\"\n").unwrap();
    std::fs::write(dir.path().join("a-file"), "").unwrap();
    let cases: [CheckCase; 7] = [
        (
            &[],
            &[("FUNDRAISER_LEDGER__BATCH_MAX", "0")],
            "ledger.batch_max: 0 must be between 1 and 1024",
        ),
        (
            &["--db", corrupt.to_str().unwrap()],
            &[],
            "is not a readable ledger",
        ),
        (
            &["--db", newer.to_str().unwrap()],
            &[],
            "newer than this program's",
        ),
        (&["--config", "bad.toml"], &[], "server.bnid"),
        (&["--db", "a-file/ledger.db"], &[], "a-file is not a folder"),
        (
            &[],
            &[("FUNDRAISER_SERVER__TLS_CERT", "missing.pem")],
            "set both (PEM files) or neither",
        ),
        (
            &[],
            &[
                ("FUNDRAISER_SERVER__TLS_CERT", "a-file"),
                ("FUNDRAISER_SERVER__TLS_KEY", "a-file"),
            ],
            "server.tls_cert",
        ),
    ];
    for (args, env, needle) in cases {
        let mut all = vec!["check"];
        all.extend(args);
        let (code, _, stderr) = run_cli(dir.path(), &all, env);
        assert_eq!(code, 2, "{all:?} {env:?}: {stderr}");
        assert!(stderr.contains(needle), "{all:?} {env:?}: {stderr}");
    }
    assert_eq!(
        std::fs::read(&corrupt).unwrap(),
        vec![0x5a; 8192],
        "check changes nothing"
    );
}
