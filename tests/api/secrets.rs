//! Secrets and trust (issue 29, items 8–11), each repro run against the real binary: the
//! admin token goes only to a verified certificate (RFC 5280 via rustls) or the server's
//! own loopback address; a PostgreSQL server that answers an SSLRequest with `N`
//! (PostgreSQL protocol 3, "SSL Session Encryption") never gets the password unless
//! `sslmode=disable` is written; a password with an unencoded `@` (RFC 3986 userinfo) is
//! refused and never printed; a proxied, HTTPS or split sandbox counts as public.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::admin::TOKEN;
use crate::common::*;

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = run_briefly(command(Path::new(binary()), dir, args, env));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

/// A self-signed certificate for `localhost` and `127.0.0.1`, as a private authority's.
fn self_signed() -> (String, String) {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(names).expect("generate a certificate");
    (cert.pem(), signing_key.serialize_pem())
}

/// The settings of a server with built-in HTTPS and an admin token, as its operator
/// writes them (the server's bind comes on top).
const TLS_ENV: [(&str, &str); 5] = [
    ("FUNDRAISER_SANDBOX__SECRET", SECRET),
    ("FUNDRAISER_SANDBOX__PUBLIC", "true"),
    ("FUNDRAISER_SERVER__TLS_CERT", "cert.pem"),
    ("FUNDRAISER_SERVER__TLS_KEY", "key.pem"),
    ("FUNDRAISER_ADMIN__TOKEN", TOKEN),
];

/// `fundraiser_reconcile_runs_total` of a TLS server, asked with the certificate trusted.
fn reconcile_runs(server: &Server, cert_pem: &str) -> u64 {
    let root = reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap();
    let tls = reqwest::blocking::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(root)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let text = tls
        .get(server.url("/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .unwrap()
        .text()
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("fundraiser_reconcile_runs_total "))
        .expect("the runs' counter")
        .parse()
        .unwrap()
}

#[test]
fn reconcile_sends_the_token_only_to_a_verified_certificate_or_the_servers_own_loopback() {
    let (cert, key) = self_signed();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("cert.pem"), &cert).unwrap();
    std::fs::write(dir.path().join("key.pem"), &key).unwrap();
    let mut opts = Opts {
        dir: Some(dir.path().to_path_buf()),
        ..Opts::default()
    };
    for (k, v) in TLS_ENV {
        opts = opts.env(k, v);
    }
    let server = Server::start_with(opts);
    let bind = server.base.trim_start_matches("https://").to_owned();
    let port = bind.rsplit(':').next().unwrap().to_owned();
    assert_eq!(reconcile_runs(&server, &cert), 0);

    // From elsewhere (settings that name another address): a name, and a loopback
    // address that is not this machine's server by its settings. The self-signed
    // certificate is refused before any request, so the token never leaves.
    let elsewhere = tempfile::tempdir().unwrap();
    let token = [("FUNDRAISER_ADMIN__TOKEN", TOKEN)];
    for url in [
        format!("https://localhost:{port}"),
        format!("https://127.0.0.1:{port}"),
    ] {
        let (code, text) = run(elsewhere.path(), &["reconcile", "--url", &url], &token);
        assert_eq!(code, Some(1), "{url}: {text}");
        assert!(text.contains("certificate"), "{url}: {text}");
        assert!(text.contains("--ca-file"), "{url}: {text}");
        let (code, text) = run(
            elsewhere.path(),
            &["healthcheck", "--url", &format!("{url}/healthz")],
            &[],
        );
        let verified = url.contains("localhost");
        assert_eq!(code, Some(if verified { 1 } else { 0 }), "{url}: {text}");
    }
    // Nor over plain HTTP off this machine.
    let (code, text) = run(
        elsewhere.path(),
        &["reconcile", "--url", "http://give.example.org"],
        &token,
    );
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("in plain text: use https://"), "{text}");
    assert_eq!(
        reconcile_runs(&server, &cert),
        0,
        "the token was never sent"
    );

    // The private authority given: verified, and sent.
    std::fs::write(elsewhere.path().join("ca.pem"), &cert).unwrap();
    let url = format!("https://localhost:{port}");
    let (code, text) = run(
        elsewhere.path(),
        &["reconcile", "--url", &url, "--ca-file", "ca.pem"],
        &token,
    );
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("reconciled with sandbox"), "{text}");
    assert_eq!(reconcile_runs(&server, &cert), 1);
    let (code, text) = run(
        elsewhere.path(),
        &[
            "healthcheck",
            "--url",
            &format!("{url}/healthz"),
            "--ca-file",
            "ca.pem",
        ],
        &[],
    );
    assert_eq!(code, Some(0), "{text}");

    // Beside the server with its own settings: its own loopback address, asked without
    // verifying a certificate that names the public host.
    let mut own = TLS_ENV.to_vec();
    own.push(("FUNDRAISER_SERVER__BIND", bind.as_str()));
    let (code, text) = run(server.workdir(), &["reconcile"], &own);
    assert_eq!(code, Some(0), "{text}");
    assert_eq!(reconcile_runs(&server, &cert), 2);
}

/// A PostgreSQL server on loopback that refuses TLS (answers the SSLRequest with `N`),
/// then asks for the password in clear text; it keeps every byte sent after its `N`.
struct FakePostgres {
    port: u16,
    received: Arc<Mutex<Vec<u8>>>,
}

impl FakePostgres {
    fn start() -> FakePostgres {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let keep = received.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                let _ = Self::talk(&mut conn, &keep);
            }
        });
        FakePostgres { port, received }
    }

    fn talk(conn: &mut TcpStream, keep: &Mutex<Vec<u8>>) -> std::io::Result<()> {
        conn.set_read_timeout(Some(Duration::from_secs(10)))?;
        let mut first = [0u8; 8];
        conn.read_exact(&mut first)?;
        let startup = if first[4..] == 80_877_103u32.to_be_bytes() {
            conn.write_all(b"N")?;
            let mut len = [0u8; 4];
            conn.read_exact(&mut len)?;
            let mut rest = vec![
                0u8;
                (u32::from_be_bytes(len) as usize)
                    .saturating_sub(4)
                    .min(1 << 16)
            ];
            conn.read_exact(&mut rest)?;
            [&len[..], &rest].concat()
        } else {
            let len = u32::from_be_bytes([first[0], first[1], first[2], first[3]]) as usize;
            let mut rest = vec![0u8; len.saturating_sub(8).min(1 << 16)];
            conn.read_exact(&mut rest)?;
            [&first[..], &rest].concat()
        };
        keep.lock().unwrap().extend_from_slice(&startup);
        // AuthenticationCleartextPassword.
        conn.write_all(&[b'R', 0, 0, 0, 8, 0, 0, 0, 3])?;
        let mut head = [0u8; 5];
        conn.read_exact(&mut head)?;
        let len = u32::from_be_bytes([head[1], head[2], head[3], head[4]]) as usize;
        let mut body = vec![0u8; len.saturating_sub(4).min(1 << 16)];
        conn.read_exact(&mut body)?;
        let mut kept = keep.lock().unwrap();
        kept.extend_from_slice(&head);
        kept.extend_from_slice(&body);
        Ok(())
    }

    fn received(&self) -> String {
        String::from_utf8_lossy(&self.received.lock().unwrap()).into_owned()
    }
}

#[test]
fn a_postgres_server_refusing_tls_never_gets_the_password_unless_disable_is_written() {
    let fake = FakePostgres::start();
    let dir = tempfile::tempdir().unwrap();
    // The written host is a name (the TLS decision); hostaddr only says where it is.
    let url = format!(
        "postgres://fund:tPa55word@db.example:{}/ledger?hostaddr=127.0.0.1",
        fake.port
    );
    for command in ["check", "serve"] {
        let (code, text) = run(dir.path(), &[command], &[("FUNDRAISER_LEDGER__URL", &url)]);
        let seen = fake.received();
        assert!(
            !seen.contains("tPa55word"),
            "{command}: the password was sent: {seen:?}"
        );
        assert_eq!(code, Some(2), "{command}: {text}");
        assert!(text.contains("TLS"), "{command}: {text}");
        assert!(!text.contains("tPa55word"), "{command}: {text}");
    }
    let seen = fake.received();
    assert!(
        !seen.contains("tPa55word"),
        "the password was sent: {seen:?}"
    );
    assert!(
        !seen.contains("fund"),
        "a startup message was sent: {seen:?}"
    );

    // Plain text written out: check warns before connecting, and the fake proves it
    // would have seen the password.
    let plain = format!("{url}&sslmode=disable");
    let (code, text) = run(
        dir.path(),
        &["check"],
        &[("FUNDRAISER_LEDGER__URL", &plain)],
    );
    assert_eq!(code, Some(2), "{text}");
    let warning = text
        .find("warning: ledger.url says sslmode=disable")
        .expect("a warning");
    assert!(
        warning < text.find("cannot reach").expect("the connection failed"),
        "{text}"
    );
    assert!(text.contains("postgres://fund@db.example:"), "{text}");
    assert!(!text.contains("tPa55word"), "{text}");
    assert!(fake.received().contains("tPa55word"));
}

#[test]
fn a_password_with_an_unencoded_at_is_refused_and_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        "postgres://fund@tPa55word@127.0.0.1:9/ledger",
        "postgres://fund:tPa@55word@127.0.0.1:9/ledger?sslmode=disable",
    ] {
        for command in ["check", "serve", "stats"] {
            let (code, text) = run(dir.path(), &[command], &[("FUNDRAISER_LEDGER__URL", url)]);
            assert_eq!(code, Some(2), "{command} {url}: {text}");
            assert!(text.contains("percent-encode"), "{command} {url}: {text}");
            assert!(text.contains("%40"), "{command} {url}: {text}");
            assert!(!text.contains("55word"), "{command} {url}: {text}");
        }
    }
    // The same password percent-encoded is a URL like any other, shown without it.
    let (code, text) = run(
        dir.path(),
        &["check"],
        &[(
            "FUNDRAISER_LEDGER__URL",
            "postgres://fund:tPa%4055word@127.0.0.1:9/ledger",
        )],
    );
    assert_eq!(code, Some(2), "{text}");
    assert!(
        text.contains("postgres://fund@127.0.0.1:9/ledger"),
        "{text}"
    );
    assert!(!text.contains("55word"), "{text}");
}

#[test]
fn a_sandbox_behind_a_proxy_over_https_or_split_from_its_pages_is_public() {
    let dir = tempfile::tempdir().unwrap();
    let public: [(&str, &str, &str); 3] = [
        (
            "FUNDRAISER_SERVER__HTTPS",
            "true",
            "server.https = true says a proxy serves the site over HTTPS",
        ),
        (
            "FUNDRAISER_SERVER__TRUSTED_PROXIES",
            "[\"10.0.0.1\"]",
            "server.trusted_proxies is set",
        ),
        (
            "FUNDRAISER_SERVER__API_ORIGIN",
            "https://api.example.org",
            "server.api_origin \"https://api.example.org\" is set",
        ),
    ];
    for (key, value, why) in public {
        for command in ["check", "serve"] {
            let (code, text) = run(dir.path(), &[command], &[(key, value)]);
            assert_eq!(code, Some(2), "{command} {key}: {text}");
            assert!(
                text.contains("gateway.kind = \"sandbox\" takes test payments"),
                "{text}"
            );
            assert!(text.contains(why), "{key}: {text}");
            assert!(
                text.contains("sandbox.public = true (FUNDRAISER_SANDBOX__PUBLIC=true)"),
                "{text}"
            );
        }
        let (code, text) = run(
            dir.path(),
            &["check"],
            &[(key, value), ("FUNDRAISER_SANDBOX__PUBLIC", "true")],
        );
        assert_eq!(code, Some(0), "{key} as a demonstration: {text}");
    }
}
