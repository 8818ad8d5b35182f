//! What an outside security review found (issue 14), each finding proven fixed over
//! HTTP or through the command line, against the real binary.

use std::path::Path;

use crate::common::*;
use reqwest::StatusCode;

fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = run_briefly(command(Path::new(binary()), dir, args, env));
    let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.push_str(&String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

fn get(server: &Server, path: &str) -> (StatusCode, String) {
    let r = client().get(server.url(path)).send().unwrap();
    (r.status(), r.text().unwrap())
}

const BANNER_EN: &str = "Demonstration site — no real money is taken.";
const BANNER_AR: &str = "موقع تجريبي — لا تُؤخذ أي أموال حقيقية.";

#[test]
fn the_sandbox_refuses_to_start_in_public_unless_asked_for_a_demonstration() {
    let dir = tempfile::tempdir().unwrap();
    let public = [
        vec![("FUNDRAISER_SERVER__PUBLIC_URL", "https://give.example.org")],
        vec![("FUNDRAISER_SERVER__PUBLIC_URL", "http://give.example.org")],
        vec![("FUNDRAISER_SERVER__BIND", "0.0.0.0:0")],
        vec![("FUNDRAISER_SERVER__BIND", "[::]:0")],
        vec![
            ("FUNDRAISER_SERVER__TLS_CERT", "cert.pem"),
            ("FUNDRAISER_SERVER__TLS_KEY", "key.pem"),
        ],
    ];
    for env in &public {
        for command in [&["check"][..], &["serve"][..]] {
            let (code, text) = run(dir.path(), command, env);
            assert_eq!(code, Some(2), "{command:?} {env:?}: {text}");
            assert!(
                text.contains("gateway.kind = \"sandbox\" takes test payments"),
                "{text}"
            );
            assert!(text.contains("gateway.kind = \"stripe\""), "{text}");
            assert!(
                text.contains("sandbox.public = true (FUNDRAISER_SANDBOX__PUBLIC=true)"),
                "{text}"
            );
            assert_eq!(text.trim().lines().count(), 1, "one message: {text}");
        }
    }
    // Each reason is named.
    let (_, text) = run(dir.path(), &["check"], &public[2]);
    assert!(
        text.contains("server.bind 0.0.0.0:0 is not a loopback address"),
        "{text}"
    );
    let (_, text) = run(dir.path(), &["check"], &public[0]);
    assert!(
        text.contains("server.public_url \"https://give.example.org\""),
        "{text}"
    );
    let (_, text) = run(dir.path(), &["check"], &public[4]);
    assert!(text.contains("built-in HTTPS is on"), "{text}");
    // Private runs, the built-in defaults among them, are fine.
    for env in [
        vec![],
        vec![("FUNDRAISER_SERVER__PUBLIC_URL", "http://localhost:8080/")],
        vec![("FUNDRAISER_SERVER__PUBLIC_URL", "http://[::1]:8080")],
    ] {
        let (code, text) = run(dir.path(), &["check"], &env);
        assert_eq!(code, Some(0), "{env:?}: {text}");
    }
    // A public demonstration is allowed when asked for.
    let (code, text) = run(
        dir.path(),
        &["check"],
        &[
            ("FUNDRAISER_SERVER__PUBLIC_URL", "https://give.example.org"),
            ("FUNDRAISER_SANDBOX__PUBLIC", "true"),
        ],
    );
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn a_public_demonstration_says_so_on_every_page_in_both_languages() {
    let server = Server::start_with(
        Opts::default()
            .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
            .env("FUNDRAISER_SERVER__PUBLIC_URL", "https://give.example.org")
            .env("FUNDRAISER_SANDBOX__PUBLIC", "true"),
    );
    let warning = server
        .wait_for_log("public demonstration")
        .expect("start-up warns of the demonstration");
    assert!(warning.contains("WARN"), "{warning}");
    for (path, banner) in [
        ("/", BANNER_EN),
        ("/ar/", BANNER_AR),
        ("/donate/", BANNER_EN),
        ("/ar/donate/", BANNER_AR),
        ("/success/", BANNER_EN),
        ("/ar/success/", BANNER_AR),
        ("/no-such-page", BANNER_EN),
        ("/ar/no-such-page", BANNER_AR),
    ] {
        let (_, page) = get(&server, path);
        assert!(
            page.contains(r#"<div class="demo-notice" role="note">"#),
            "{path}"
        );
        assert!(page.contains(banner), "{path}");
    }
    // The checkout, in the donor's language, and a page made for a refused form.
    let r = server.donate("50", "ar");
    let checkout = location(&r);
    let (_, page) = get(&server, &checkout);
    assert!(page.contains(BANNER_AR), "{page}");
    let r = server.donate("nothing", "en");
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().unwrap().contains(BANNER_EN));
    // An error page rendered at run time.
    let (status, page) = get(&server, "/sandbox/checkout/AAAAAAAAAAAAAAAAAAAAAA");
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains(BANNER_EN), "{page}");
    assert_eq!(server.total()["test"], true);
}

#[test]
fn a_private_run_carries_no_banner_but_its_total_is_still_test_money() {
    let server = Server::start();
    for path in ["/", "/ar/", "/donate/", "/success/"] {
        let (_, page) = get(&server, path);
        assert!(!page.contains("demo-notice"), "{path}");
    }
    assert_eq!(server.total()["test"], true);
}
