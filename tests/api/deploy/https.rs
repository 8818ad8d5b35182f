//! Built-in HTTPS (RFC 8446 TLS via rustls, RFC 9113 HTTP/2 chosen by ALPN, RFC 6797
//! Strict-Transport-Security), the plain-HTTP redirect port, certificate reload on
//! SIGHUP, and `fundraiser healthcheck`. Certificates are generated in the test (rcgen).

use crate::common::*;

use std::path::Path;

use reqwest::StatusCode;

struct TestCert {
    cert_pem: String,
    key_pem: String,
}

fn generate() -> TestCert {
    let names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    let rcgen::CertifiedKey { cert, signing_key } =
        rcgen::generate_simple_self_signed(names).expect("generate a certificate");
    TestCert {
        cert_pem: cert.pem(),
        key_pem: signing_key.serialize_pem(),
    }
}

fn write(dir: &Path, cert: &TestCert) {
    std::fs::write(dir.join("cert.pem"), &cert.cert_pem).unwrap();
    std::fs::write(dir.join("key.pem"), &cert.key_pem).unwrap();
}

/// A client trusting only `cert`, following no redirects.
fn tls_client(cert: &TestCert, http1_only: bool) -> reqwest::blocking::Client {
    let root = reqwest::Certificate::from_pem(cert.cert_pem.as_bytes()).unwrap();
    let mut builder = reqwest::blocking::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(root)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30));
    if http1_only {
        builder = builder.http1_only();
    }
    builder.build().unwrap()
}

/// Starts the server with HTTPS on from `cert.pem`/`key.pem` in a folder of its own.
fn start_tls(cert: &TestCert, extra: &[(&str, &str)]) -> (Server, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), cert);
    let mut opts = Opts {
        dir: Some(dir.path().to_path_buf()),
        ..Opts::default()
    }
    .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
    // HTTPS is for a public site: the sandbox runs there only as a demonstration.
    .env("FUNDRAISER_SANDBOX__PUBLIC", "true")
    .env("FUNDRAISER_SERVER__TLS_CERT", "cert.pem")
    .env("FUNDRAISER_SERVER__TLS_KEY", "key.pem");
    for (k, v) in extra {
        opts = opts.env(k, v);
    }
    let server = Server::start_with(opts);
    assert!(server.base.starts_with("https://"), "{}", server.base);
    (server, dir)
}

/// The server's URL with `localhost` for the address, as the certificate names it.
fn named(server: &Server, path: &str) -> String {
    server.url(path).replace("127.0.0.1", "localhost")
}

#[test]
fn https_serves_the_site_over_http2_and_http1_with_hsts() {
    let cert = generate();
    let (server, _dir) = start_tls(&cert, &[]);
    let h2 = tls_client(&cert, false)
        .get(named(&server, "/"))
        .send()
        .unwrap();
    assert_eq!(h2.status(), StatusCode::OK);
    assert_eq!(h2.version(), reqwest::Version::HTTP_2);
    assert_eq!(
        h2.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
    let h2_body = h2.text().unwrap();
    assert!(h2_body.contains("<html lang=\"en\""));

    let h1 = tls_client(&cert, true)
        .get(named(&server, "/"))
        .header("Accept-Encoding", "identity")
        .send()
        .unwrap();
    assert_eq!(h1.version(), reqwest::Version::HTTP_11);
    assert_eq!(h1.text().unwrap(), h2_body);

    // A plain-HTTP request to the TLS port gets no page.
    let plain = client()
        .get(server.url("/").replace("https://", "http://"))
        .send();
    assert!(plain.map(|r| r.status() != StatusCode::OK).unwrap_or(true));
}

#[test]
fn a_sandbox_donation_completes_over_https() {
    let cert = generate();
    let (server, _dir) = start_tls(&cert, &[]);
    let http = tls_client(&cert, false);
    let r = http
        .post(named(&server, "/donate"))
        .form(&[("amount", "42"), ("lang", "ar")])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let checkout = location(&r);
    let r = http
        .post(named(&server, &checkout))
        .form(&[("outcome", "pay")])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = http.get(named(&server, &location(&r))).send().unwrap();
    assert_eq!(page_of(&location(&r)), "/ar/success/");
    let t: serde_json::Value = http
        .get(named(&server, "/api/total"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(t["raised_minor"], 4200);
}

#[test]
fn the_plain_http_port_redirects_to_the_public_https_url() {
    let cert = generate();
    let (server, _dir) = start_tls(
        &cert,
        &[
            ("FUNDRAISER_SERVER__PUBLIC_URL", "https://give.example.org"),
            ("FUNDRAISER_SERVER__HTTP_REDIRECT_BIND", "127.0.0.1:0"),
        ],
    );
    let line = server
        .wait_for_log("redirecting http://")
        .expect("the redirect port is logged");
    let at = line.find("redirecting http://").unwrap() + "redirecting ".len();
    let base = line[at..].split_whitespace().next().unwrap().to_owned();
    for path in [
        "/",
        "/ar/donate/?amount=50",
        "/payment/return/sandbox?ref=x",
    ] {
        let r = client()
            .get(format!("{base}{path}"))
            .header("Host", "evil.example")
            .send()
            .unwrap();
        assert_eq!(r.status(), StatusCode::PERMANENT_REDIRECT, "{path}");
        assert_eq!(location(&r), format!("https://give.example.org{path}"));
    }
}

#[test]
fn a_redirect_port_without_https_is_refused_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let out = run_briefly(command(
        Path::new(binary()),
        dir.path(),
        &["check"],
        &[("FUNDRAISER_SERVER__HTTP_REDIRECT_BIND", "127.0.0.1:0")],
    ));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("server.http_redirect_bind"), "{stderr}");
}

#[test]
fn sighup_reloads_a_renewed_certificate_and_keeps_the_old_one_on_a_bad_file() {
    let old = generate();
    let (server, dir) = start_tls(&old, &[]);
    assert!(
        tls_client(&old, false)
            .get(named(&server, "/healthz"))
            .send()
            .is_ok()
    );

    // A broken renewal: the old certificate stays in use.
    std::fs::write(dir.path().join("cert.pem"), "not a certificate").unwrap();
    server.signal(1);
    let line = server
        .wait_for_log("not reloaded")
        .expect("the failure is logged");
    assert!(line.contains("server.tls_cert"), "{line}");
    assert!(
        tls_client(&old, false)
            .get(named(&server, "/healthz"))
            .send()
            .is_ok()
    );

    let new = generate();
    write(dir.path(), &new);
    server.signal(1);
    server
        .wait_for_log("TLS certificate reloaded")
        .expect("the reload is logged");
    let r = tls_client(&new, false)
        .get(named(&server, "/healthz"))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        tls_client(&old, false)
            .get(named(&server, "/healthz"))
            .send()
            .is_err(),
        "new connections no longer get the old certificate"
    );
}

#[test]
fn healthcheck_exits_0_when_the_server_answers_and_1_when_not() {
    let probe = |args: &[&str]| {
        let dir = tempfile::tempdir().unwrap();
        let out = run_briefly(command(Path::new(binary()), dir.path(), args, &[]));
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let server = Server::start();
    let (code, stdout) = probe(&["healthcheck", "--url", &server.url("/healthz")]);
    assert_eq!(code, Some(0));
    assert!(stdout.contains("answered 200"), "{stdout}");
    let bind = server.base.trim_start_matches("http://").to_owned();
    assert_eq!(probe(&["healthcheck", "--bind", &bind]).0, Some(0));

    let cert = generate();
    let (tls, _dir) = start_tls(&cert, &[]);
    let bind = tls.base.trim_start_matches("https://").to_owned();
    let (code, _) = probe(&["healthcheck", "--url", &format!("https://{bind}/healthz")]);
    assert_eq!(code, Some(0), "a TLS server's own loopback port is probed");

    assert_eq!(
        probe(&["healthcheck", "--url", &server.url("/missing")]).0,
        Some(1)
    );
    let addr = server.base.clone();
    drop(server);
    assert_eq!(
        probe(&["healthcheck", "--url", &format!("{addr}/healthz")]).0,
        Some(1)
    );
}
