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

fn donate_from(server: &Server, forwarded: &str) -> StatusCode {
    client()
        .post(server.url("/donate"))
        .header("X-Forwarded-For", forwarded)
        .form(&[("amount", "50"), ("lang", "en")])
        .send()
        .unwrap()
        .status()
}

#[test]
fn trusted_proxies_match_ipv4_peers_of_an_ipv6_socket() {
    // An IPv6 socket bound to the IPv4-mapped loopback address sees its IPv4 peers as
    // ::ffff:127.0.0.1, exactly as a server bound to [::] does.
    let server = Server::start_with(Opts {
        bind: Some("[::ffff:127.0.0.1]:0".into()),
        ..Opts::default()
            .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
            .env("FUNDRAISER_SERVER__TRUSTED_PROXIES", "[\"127.0.0.1\"]")
            .env("FUNDRAISER_SANDBOX__PUBLIC", "true")
            .env("FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE", "1")
    });
    assert!(
        server.base.contains("[::ffff:127.0.0.1]"),
        "{}",
        server.base
    );
    for client in ["203.0.113.1", "203.0.113.2", "203.0.113.3"] {
        assert_eq!(
            donate_from(&server, client),
            StatusCode::SEE_OTHER,
            "{client}"
        );
    }
    assert_eq!(
        donate_from(&server, "203.0.113.1"),
        StatusCode::TOO_MANY_REQUESTS
    );
    let first = server.ledger().donations().remove(0);
    assert_eq!(first.client_ip.as_deref(), Some("203.0.113.1"));
}

#[test]
fn ipv6_clients_are_limited_by_their_64() {
    let server = Server::start_with(
        Opts::default()
            .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
            .env("FUNDRAISER_SERVER__TRUSTED_PROXIES", "[\"127.0.0.1\"]")
            .env("FUNDRAISER_SANDBOX__PUBLIC", "true")
            .env("FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE", "2"),
    );
    assert_eq!(
        donate_from(&server, "2001:db8:1:2::1"),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        donate_from(&server, "2001:db8:1:2::2"),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        donate_from(&server, "2001:db8:1:2:ffff::3"),
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        donate_from(&server, "2001:db8:1:3::1"),
        StatusCode::SEE_OTHER
    );

    // The open-donations cap too.
    let server = Server::start_with(
        Opts::default()
            .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
            .env("FUNDRAISER_SERVER__TRUSTED_PROXIES", "[\"127.0.0.1\"]")
            .env("FUNDRAISER_SANDBOX__PUBLIC", "true")
            .env("FUNDRAISER_LIMITS__OPEN_DONATIONS_PER_IP", "1"),
    );
    assert_eq!(
        donate_from(&server, "2001:db8:9:9::1"),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        donate_from(&server, "2001:db8:9:9::2"),
        StatusCode::TOO_MANY_REQUESTS
    );
    let stored = server.ledger().only();
    assert_eq!(stored.client_ip.as_deref(), Some("2001:db8:9:9::1"));
}

#[test]
fn concurrent_donations_cannot_pass_the_open_donations_cap() {
    let server = Server::start_with(
        Opts::default()
            .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
            .env("FUNDRAISER_LIMITS__OPEN_DONATIONS_PER_IP", "2")
            .env("FUNDRAISER_LIMITS__DONATE_PER_IP_PER_MINUTE", "50"),
    );
    let url = server.url("/donate");
    let answers: Vec<StatusCode> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..12)
            .map(|_| {
                s.spawn(|| {
                    client()
                        .post(&url)
                        .form(&[("amount", "50"), ("lang", "en")])
                        .send()
                        .unwrap()
                        .status()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created = answers
        .iter()
        .filter(|s| **s == StatusCode::SEE_OTHER)
        .count();
    let refused = answers
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((created, refused), (2, 10), "{answers:?}");
    assert_eq!(server.ledger().count(), 2);
}

/// A script that runs the binary with a permissive umask (000), as an unlucky operator's
/// shell might.
fn permissive(dir: &Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let script = dir.join("fundraiser-umask-000");
    std::fs::write(
        &script,
        format!("#!/bin/sh\numask 000\nexec '{}' \"$@\"\n", binary()),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    script
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

#[test]
fn the_ledger_and_its_backups_are_readable_by_their_owner_alone_whatever_the_umask() {
    let tools = tempfile::tempdir().unwrap();
    let wrapper = permissive(tools.path());
    let server = Server::start_with(Opts {
        bin: Some(wrapper.clone()),
        ..Opts::default().env("FUNDRAISER_SANDBOX__SECRET", SECRET)
    });
    server.pay("50");
    let data = server.workdir().join("data");
    assert_eq!(mode(&data), 0o700, "the ledger folder");
    for file in [
        "ledger.db",
        "ledger.db-wal",
        "ledger.db-shm",
        "ledger.db.lock",
    ] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    let out = run_briefly(command(
        &wrapper,
        server.workdir(),
        &["backup", "backups/copy.db"],
        &[],
    ));
    assert_eq!(out.status.code(), Some(2), "no folder, no backup");
    std::fs::create_dir(server.workdir().join("backups")).unwrap();
    let out = run_briefly(command(
        &wrapper,
        server.workdir(),
        &["backup", "backups/copy.db"],
        &[],
    ));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mode(&server.workdir().join("backups/copy.db")), 0o600);
}

#[test]
fn an_existing_world_readable_ledger_is_narrowed_at_start_up() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let first = Server::start_with(Opts {
        dir: Some(dir.path().to_path_buf()),
        ..Opts::default().env("FUNDRAISER_SANDBOX__SECRET", SECRET)
    });
    first.pay("20");
    drop(first);
    let db = dir.path().join("data/ledger.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let server = Server::start_with(Opts {
        dir: Some(dir.path().to_path_buf()),
        ..Opts::default().env("FUNDRAISER_SANDBOX__SECRET", SECRET)
    });
    assert_eq!(mode(&db), 0o600);
    assert_eq!(server.total()["raised_minor"], 2000);
}

#[test]
fn a_backup_never_replaces_the_ledger_or_a_file_beside_it() {
    let server = Server::start();
    server.pay("10");
    let data = server.workdir().join("data");
    for target in [
        "data/ledger.db",
        "data/ledger.db-wal",
        "data/ledger.db-shm",
        "data/ledger.db-journal",
        "data/ledger.db.lock",
        "./data/../data/ledger.db-wal",
    ] {
        // A replaced file would be a new inode; a created companion would exist.
        let inodes = || -> Vec<Option<u64>> {
            use std::os::unix::fs::MetadataExt;
            [
                "ledger.db",
                "ledger.db-wal",
                "ledger.db-shm",
                "ledger.db.lock",
            ]
            .iter()
            .map(|f| std::fs::metadata(data.join(f)).ok().map(|m| m.ino()))
            .collect()
        };
        let before = inodes();
        let (code, text) = run(server.workdir(), &["backup", target], &[]);
        assert_eq!(code, Some(2), "{target}: {text}");
        assert!(
            text.contains("must not overwrite the ledger or the files beside it"),
            "{text}"
        );
        assert_eq!(before, inodes(), "{target} replaced a ledger file");
        assert!(!data.join("ledger.db-journal").exists(), "{target}");
    }
    assert_eq!(server.total()["raised_minor"], 1000);
}

#[test]
fn a_replayed_return_adds_nothing_to_the_audit_trail() {
    let server = Server::start_with(
        Opts::default()
            .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
            .env("FUNDRAISER_ADMIN__TOKEN", "a-token-for-the-security-tests"),
    );
    let ret = server.sandbox_checkout("25", "en", "pay");
    let id = donation_id(&ret);
    let follow = || client().get(server.url(&ret)).send().unwrap();
    assert_eq!(page_of(&location(&follow())), "/success/");
    // Created, paid by the return, and the sandbox's own webhook (another payload): 3.
    assert!(eventually(|| server.ledger().events(&id) == 3));
    for _ in 0..100 {
        let r = follow();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        assert_eq!(page_of(&location(&r)), "/success/");
    }
    assert_eq!(server.ledger().events(&id), 3);
    assert_eq!(server.total()["raised_minor"], 2500);
    let metrics = client()
        .get(server.url("/metrics"))
        .bearer_auth("a-token-for-the-security-tests")
        .send()
        .unwrap()
        .text()
        .unwrap();
    let repeated: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("fundraiser_callbacks_repeated_total "))
        .expect("the counter is exported")
        .parse()
        .unwrap();
    assert!(repeated >= 100, "{repeated}");
}

#[test]
fn names_with_line_breaks_are_folded_and_spaced_emails_get_their_own_message() {
    let server = Server::start();
    let post = |form: &[(&str, &str)]| {
        client()
            .post(server.url("/donate"))
            .form(form)
            .send()
            .unwrap()
    };
    let r = post(&[
        ("amount", "20"),
        ("lang", "en"),
        ("name", "Amina\r\n\tSaleh "),
    ]);
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        server.ledger().only().donor_name.as_deref(),
        Some("Amina Saleh")
    );
    for (lang, message) in [
        ("en", "An email address has no spaces or line breaks"),
        ("ar", "لا يحتوي البريد الإلكتروني على مسافات أو فواصل أسطر"),
    ] {
        let r = post(&[
            ("amount", "20"),
            ("lang", lang),
            ("email", "amina@exa\nmple.org"),
        ]);
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().unwrap();
        assert!(page.contains(message), "{lang}");
        assert!(
            !page.contains("too long") && !page.contains("طويل"),
            "{lang}"
        );
    }
    assert_eq!(server.ledger().count(), 1);
}

fn in_folder(dir: &Path) -> Opts {
    Opts {
        dir: Some(dir.to_path_buf()),
        ..Opts::default().env("FUNDRAISER_SANDBOX__SECRET", SECRET)
    }
}

const ADMIN: &str = "an-admin-token-for-the-mode-tests";

fn csv(server: &Server) -> String {
    client()
        .get(server.url("/admin/donations.csv"))
        .bearer_auth(ADMIN)
        .send()
        .unwrap()
        .text()
        .unwrap()
}

#[test]
fn test_money_never_enters_a_live_total() {
    let dir = tempfile::tempdir().unwrap();
    let sandbox = Server::start_with(in_folder(dir.path()));
    sandbox.pay("50");
    assert_eq!(sandbox.total()["raised_minor"], 5000);
    drop(sandbox);

    // The same ledger, now live with Stripe: the sandbox's 50 is test money.
    let live = Server::start_with(
        in_folder(dir.path())
            .env("FUNDRAISER_GATEWAY__KIND", "stripe")
            .env(
                "FUNDRAISER_STRIPE__SECRET_KEY",
                "sk_live_51NotARealKeyForTheTests",
            )
            .env("FUNDRAISER_STRIPE__WEBHOOK_SECRET", "whsec_NotARealSecret")
            .env("FUNDRAISER_STRIPE__API_BASE", "http://127.0.0.1:9")
            .env("FUNDRAISER_SERVER__PUBLIC_URL", "https://give.example.org")
            .env("FUNDRAISER_ADMIN__TOKEN", ADMIN),
    );
    let line = live
        .wait_for_log("left out of the total")
        .expect("start-up says what the total leaves out");
    assert!(line.contains("1 succeeded donation"), "{line}");
    let total = live.total();
    assert_eq!(
        (total["raised_minor"].as_i64(), total["donations"].as_i64()),
        (Some(0), Some(0))
    );
    assert_eq!(total["test"], false);
    let (_, home) = get(&live, "/");
    assert!(
        home.contains("<strong data-live=\"raised\">AED\u{a0}0</strong>"),
        "the home page too"
    );
    let stats: serde_json::Value = client()
        .get(live.url("/admin/stats"))
        .bearer_auth(ADMIN)
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(stats["raised_minor"], 0);
    // Still in the ledger, listed with its gateway and mode.
    let export = csv(&live);
    let header = export.lines().next().unwrap();
    let columns: Vec<&str> = header.split(',').collect();
    let mode = columns
        .iter()
        .position(|c| *c == "\"mode\"")
        .expect("a mode column");
    let gateway = columns.iter().position(|c| *c == "\"gateway\"").unwrap();
    let row = export.lines().nth(1).expect("the test donation is listed");
    let cells: Vec<&str> = row.split(',').collect();
    assert_eq!(
        (cells[gateway], cells[mode]),
        ("\"sandbox\"", "\"test\""),
        "{row}"
    );
    drop(live);

    // Back in test mode, the test money counts again.
    let again = Server::start_with(in_folder(dir.path()));
    assert_eq!(again.total()["raised_minor"], 5000);
}

#[test]
fn a_new_currency_never_relabels_money_already_counted() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(in_folder(dir.path()));
    server.pay("50");
    drop(server);
    let jpy = [
        ("FUNDRAISER_SANDBOX__SECRET", SECRET),
        ("FUNDRAISER_CAMPAIGN__CURRENCY", "JPY"),
        ("FUNDRAISER_DONATION__MIN", "100"),
        ("FUNDRAISER_DONATION__MAX", "1000000"),
        ("FUNDRAISER_DONATION__PRESETS", "[]"),
        ("FUNDRAISER_CAMPAIGN__GOAL", "1000000"),
    ];
    for args in [&["check"][..], &["serve", "--bind", "127.0.0.1:0"][..]] {
        let (code, text) = run(dir.path(), args, &jpy);
        assert_eq!(code, Some(2), "{args:?}: {text}");
        assert!(
            text.contains("1 succeeded donation in AED, but campaign.currency is JPY"),
            "{text}"
        );
    }
    // The ledger is untouched and still counts in dirhams.
    let server = Server::start_with(in_folder(dir.path()));
    assert_eq!(server.total()["raised_minor"], 5000);
    assert_eq!(server.total()["currency"], "AED");
}

fn ledger_writes(server: &Server) -> u64 {
    let metrics = client()
        .get(server.url("/metrics"))
        .bearer_auth(ADMIN)
        .send()
        .unwrap()
        .text()
        .unwrap();
    metrics
        .lines()
        .find_map(|l| l.strip_prefix("fundraiser_ledger_write_seconds_count "))
        .expect("the ledger's write count is exported")
        .parse()
        .unwrap()
}

#[test]
fn readiness_probes_cost_at_most_one_ledger_write_a_second() {
    let server = Server::start_with(
        Opts::default()
            .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
            .env("FUNDRAISER_ADMIN__TOKEN", ADMIN),
    );
    let before = ledger_writes(&server);
    let started = std::time::Instant::now();
    for _ in 0..300 {
        let r = client().get(server.url("/readyz")).send().unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let seconds = started.elapsed().as_secs();
    let writes = ledger_writes(&server) - before;
    // One probe per started second at most, plus the server's own background write (the
    // expiry sweep at start-up); without the fix, one per probe. None at all when every
    // probe came within a second of a start-up write, which already proved the ledger
    // writable.
    assert!(
        writes <= seconds + 2,
        "{writes} ledger writes for 300 probes in {seconds} s"
    );
}
