//! Several servers on one PostgreSQL ledger: a load balancer's worth of `fundraiser`
//! processes, each donation's steps landing on different ones, a server killed in the
//! middle, and the database itself stopped and started under donations. Needs the test
//! PostgreSQL `tests/run.sh` starts; without it each test says SKIPPED.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::blocking::Response;

use crate::common::postgres::{self, Cluster, LedgerDb};
use crate::common::{
    Opts, SECRET, Server, binary, client, command, donation_id, location, page_of, run_briefly,
    sandbox_webhook,
};

fn on_ledger(url: &str) -> Opts {
    Opts::default()
        .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
        .env("FUNDRAISER_LEDGER__URL", url)
        // The test delivers each webhook itself, to another server than the donor's.
        .env("FUNDRAISER_SANDBOX__WEBHOOKS", "false")
}

/// The servers' addresses, as a load balancer in front of them knows them.
struct Balancer(RwLock<Vec<String>>);

impl Balancer {
    fn new(servers: &[&Server]) -> Balancer {
        Balancer(RwLock::new(
            servers.iter().map(|s| s.base.clone()).collect(),
        ))
    }

    /// Sends with `send` to server `first`, and on to the next when one cannot be
    /// reached (killed, restarting), as a load balancer does, for up to 30 s.
    fn send(&self, first: usize, send: impl Fn(&str) -> reqwest::Result<Response>) -> Response {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut k = first;
        loop {
            let base = {
                let bases = self.0.read().unwrap();
                bases[k % bases.len()].clone()
            };
            match send(&base) {
                Ok(r) => return r,
                Err(e) => {
                    assert!(Instant::now() < deadline, "no server answered: {e}");
                    k += 1;
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
    }

    fn bases(&self) -> Vec<String> {
        self.0.read().unwrap().clone()
    }
}

/// The sandbox's webhook for a paid donation, signed with the test secret.
fn paid_webhook(base: &str, id: &str, minor: i64) -> reqwest::Result<Response> {
    sandbox_webhook(base, id, "paid", minor)
}

fn total_at(base: &str) -> Option<(i64, i64)> {
    let t: serde_json::Value = client()
        .get(format!("{base}/api/total"))
        .send()
        .ok()?
        .json()
        .ok()?;
    Some((t["raised_minor"].as_i64()?, t["donations"].as_i64()?))
}

/// Waits up to `within` for every server's `/api/total` to say `expected`.
fn totals_agree(bases: &[String], expected: (i64, i64), within: Duration) -> Result<(), String> {
    let deadline = Instant::now() + within;
    loop {
        let seen: Vec<_> = bases.iter().map(|b| total_at(b)).collect();
        if seen.iter().all(|t| *t == Some(expected)) {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("totals {seen:?}, the database says {expected:?}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One donation of `5 + i % 40` AED: the form posted to server `i`, paid on its
/// checkout there, the webhook delivered to server `i + 1` and the donor's return to
/// server `i + 2`. Returns its id and amount once both confirmations answered.
fn donate_across(lb: &Balancer, i: usize) -> (String, i64) {
    let amount = 5 + (i % 40) as i64;
    let lang = if i.is_multiple_of(2) { "en" } else { "ar" };
    let r = lb.send(i, |b| {
        client()
            .post(format!("{b}/donate"))
            .form(&[("amount", amount.to_string().as_str()), ("lang", lang)])
            .send()
    });
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "donation {i}");
    let checkout = location(&r);
    let id = donation_id(&checkout);
    let r = lb.send(i, |b| {
        client()
            .post(format!("{b}{checkout}"))
            .form(&[("outcome", "pay")])
            .send()
    });
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "checkout of {i}");
    let ret = location(&r);
    let r = lb.send(i + 1, |b| paid_webhook(b, &id, amount * 100));
    assert_eq!(r.status(), StatusCode::OK, "webhook of {i}");
    let r = lb.send(i + 2, |b| client().get(format!("{b}{ret}")).send());
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "return of {i}");
    assert!(
        page_of(&location(&r)).ends_with("/success/"),
        "return of {i}"
    );
    (id, amount * 100)
}

#[test]
fn three_servers_share_one_ledger_through_a_crash() {
    let Some(server) = postgres::server("three_servers_share_one_ledger_through_a_crash") else {
        return;
    };
    let url = postgres::fresh_database(&server);
    let mut servers: Vec<Server> = (0..3)
        .map(|_| Server::start_with(on_ledger(&url)))
        .collect();
    let lb = Balancer::new(&servers.iter().collect::<Vec<_>>());
    const DONATIONS: usize = 300;
    let next = AtomicUsize::new(0);
    let confirmed = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..6 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= DONATIONS {
                        break;
                    }
                    let done = donate_across(&lb, i);
                    confirmed.lock().unwrap().push(done);
                }
            });
        }
        // A third of the way in, one server is SIGKILLed with donations in flight, and
        // started again (on a new port the balancer is told of).
        let deadline = Instant::now() + Duration::from_secs(120);
        while confirmed.lock().unwrap().len() < DONATIONS / 3 {
            assert!(Instant::now() < deadline, "donations stalled");
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut victim = servers.remove(1);
        victim.child.kill().unwrap();
        victim.child.wait().unwrap();
        drop(victim);
        std::thread::sleep(Duration::from_millis(300));
        let again = Server::start_with(on_ledger(&url));
        lb.0.write().unwrap()[1] = again.base.clone();
        servers.insert(1, again);
    });
    let confirmed = confirmed.into_inner().unwrap();
    assert_eq!(confirmed.len(), DONATIONS);
    let expected = (
        confirmed.iter().map(|(_, minor)| minor).sum::<i64>(),
        DONATIONS as i64,
    );
    // Every server shows the sum within a second of the last confirmation.
    totals_agree(&lb.bases(), expected, Duration::from_secs(1)).unwrap();
    // Every confirmation answered is in the database, each counted once.
    let mut db = LedgerDb::open(&url);
    assert_eq!(db.kept(), expected);
    for (id, _) in &confirmed {
        assert_eq!(db.status(id).as_deref(), Some("succeeded"), "{id}");
        assert_eq!(db.transitions(id, "pending", "succeeded"), 1, "{id}");
    }
}

/// Tells the donors' threads to stop when dropped, a failed assertion included.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// What one attempt of a donor or gateway got, and when it started.
struct Attempt {
    at: Instant,
    what: &'static str,
    status: StatusCode,
}

#[test]
fn the_database_stopped_and_started_under_donations() {
    if postgres::server("the_database_stopped_and_started_under_donations").is_none() {
        return;
    }
    let cluster = Cluster::start();
    let servers = [
        Server::start_with(on_ledger(&cluster.url)),
        Server::start_with(on_ledger(&cluster.url)),
    ];
    let lb = Balancer::new(&[&servers[0], &servers[1]]);
    let attempts = Mutex::new(Vec::<Attempt>::new());
    let acknowledged = Mutex::new(Vec::<(String, i64)>::new());
    let stop = AtomicBool::new(false);
    let next = AtomicUsize::new(0);
    let note = |what, at, r: &Response| {
        attempts.lock().unwrap().push(Attempt {
            at,
            what,
            status: r.status(),
        });
        r.status()
    };
    let (down_at, up_at, seen) = std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                while !stop.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let amount = 5 + (i % 40) as i64;
                    let lang = if i.is_multiple_of(2) { "en" } else { "ar" };
                    let at = Instant::now();
                    let r = lb.send(i, |b| {
                        client()
                            .post(format!("{b}/donate"))
                            .form(&[("amount", amount.to_string().as_str()), ("lang", lang)])
                            .send()
                    });
                    if note("donate", at, &r) != StatusCode::SEE_OTHER {
                        // The donor is told to try again in their language.
                        let body = r.text().unwrap();
                        assert!(body.contains(&format!(r#"lang="{lang}""#)), "{body}");
                        std::thread::sleep(Duration::from_millis(50));
                        continue;
                    }
                    let checkout = location(&r);
                    let id = donation_id(&checkout);
                    let at = Instant::now();
                    let r = lb.send(i, |b| {
                        client()
                            .post(format!("{b}{checkout}"))
                            .form(&[("outcome", "pay")])
                            .send()
                    });
                    if note("checkout", at, &r) != StatusCode::SEE_OTHER {
                        continue;
                    }
                    // The gateway delivers the webhook until it is acknowledged.
                    loop {
                        let at = Instant::now();
                        let r = lb.send(i + 1, |b| paid_webhook(b, &id, amount * 100));
                        if note("webhook", at, &r) == StatusCode::OK {
                            acknowledged
                                .lock()
                                .unwrap()
                                .push((id.clone(), amount * 100));
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(100));
                    }
                }
            });
        }
        // A donor who keeps arriving and is never held up paying: whatever the others
        // are doing (all three may be redelivering webhooks), someone asks to donate
        // while the database is down.
        s.spawn(|| {
            let mut i = 1_000_000usize;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let lang = if i.is_multiple_of(2) { "en" } else { "ar" };
                let at = Instant::now();
                let r = lb.send(i, |b| {
                    client()
                        .post(format!("{b}/donate"))
                        .form(&[("amount", "7"), ("lang", lang)])
                        .send()
                });
                if note("donate", at, &r) != StatusCode::SEE_OTHER {
                    let body = r.text().unwrap();
                    assert!(body.contains(&format!(r#"lang="{lang}""#)), "{body}");
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
        // The outage is staged here and what it shows noted; asserted once the donors
        // have stopped (a failed assertion inside would leave them running).
        let stop_donors = StopOnDrop(&stop);
        std::thread::sleep(Duration::from_millis(1500));
        let down_at = Instant::now();
        cluster.down();
        std::thread::sleep(Duration::from_millis(500));
        // While it is down: pages and the last known total still served, /readyz not.
        let mut seen = Vec::new();
        for server in &servers {
            let status = |path: &str| client().get(server.url(path)).send().map(|r| r.status());
            seen.push((
                total_at(&server.base).is_some(),
                status("/").ok(),
                status("/ar/").ok(),
                status("/readyz").ok(),
            ));
        }
        std::thread::sleep(Duration::from_millis(1500));
        cluster.up();
        let up_at = Instant::now();
        std::thread::sleep(Duration::from_millis(2500));
        drop(stop_donors);
        (down_at, up_at, seen)
    });
    for (total, home, home_ar, ready) in seen {
        assert!(total, "no total while the database is down");
        assert_eq!(home, Some(StatusCode::OK));
        assert_eq!(home_ar, Some(StatusCode::OK));
        assert_eq!(ready, Some(StatusCode::SERVICE_UNAVAILABLE));
    }
    let attempts = attempts.into_inner().unwrap();
    let refused: Vec<_> = attempts
        .iter()
        .filter(|a| a.status != StatusCode::SEE_OTHER && a.status != StatusCode::OK)
        .collect();
    for a in &refused {
        assert_eq!(a.status, StatusCode::SERVICE_UNAVAILABLE, "{}", a.what);
        assert!(
            a.at > down_at,
            "{} refused before the database stopped",
            a.what
        );
        assert!(
            a.at < up_at,
            "{} refused after the database was back",
            a.what
        );
    }
    assert!(
        refused.iter().any(|a| a.what == "donate"),
        "no donor saw the outage"
    );
    assert!(
        attempts.iter().filter(|a| a.at > up_at).count() > 10,
        "too few attempts after the database came back"
    );
    // Every webhook acknowledged is counted, once, and every server shows it.
    let acknowledged = acknowledged.into_inner().unwrap();
    let expected = (
        acknowledged.iter().map(|(_, minor)| minor).sum::<i64>(),
        acknowledged.len() as i64,
    );
    let mut db = LedgerDb::open(&cluster.url);
    assert_eq!(db.kept(), expected);
    for (id, _) in &acknowledged {
        assert_eq!(db.transitions(id, "pending", "succeeded"), 1, "{id}");
    }
    totals_agree(&lb.bases(), expected, Duration::from_secs(5)).unwrap();
    for server in &servers {
        let ready = client().get(server.url("/readyz")).send().unwrap();
        assert_eq!(ready.status(), StatusCode::OK);
    }
}

/// `server`'s URL with a password, which trust authentication ignores: what must never
/// be printed.
fn with_password(url: &str) -> String {
    url.replacen(
        "postgres://postgres@",
        "postgres://postgres:pw-never-shown@",
        1,
    )
}

fn run(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = run_briefly(command(std::path::Path::new(binary()), dir, args, &[]));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !text.contains("pw-never-shown"),
        "a password was printed: {text}"
    );
    (out.status.code().unwrap_or(-1), text)
}

#[test]
fn a_sqlite_ledger_moves_to_postgres_and_goes_on_counting() {
    let Some(server) = postgres::server("a_sqlite_ledger_moves_to_postgres_and_goes_on_counting")
    else {
        return;
    };
    let url = with_password(&postgres::fresh_database(&server));
    let folder = tempfile::tempdir().unwrap();
    let one = Server::start_with(Opts {
        dir: Some(folder.path().to_path_buf()),
        ..Opts::default().env("FUNDRAISER_SANDBOX__SECRET", SECRET)
    });
    let paid: Vec<String> = ["10", "25", "7"].iter().map(|a| one.pay(a)).collect();
    let declined = one.sandbox_checkout("30", "ar", "decline");
    assert_eq!(
        client().get(one.url(&declined)).send().unwrap().status(),
        StatusCode::SEE_OTHER
    );
    let before = total_at(&one.base).unwrap();
    assert_eq!(before, (4200, 3));
    // Moving a ledger a server is writing is refused: stop it first.
    let (code, text) = run(folder.path(), &["migrate-to", &url]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("in use by another fundraiser process"),
        "{text}"
    );
    assert!(one.terminate().success());

    let (code, text) = run(folder.path(), &["migrate-to", &url]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("verified: 4 donations, 3 succeeded, AED\u{a0}42 raised"),
        "{text}"
    );
    assert!(text.contains("donations 4"), "{text}");
    // Twice is refused: the target is no longer empty.
    let (code, text) = run(folder.path(), &["migrate-to", &url]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("is not empty"), "{text}");

    // The tools speak to it by URL; a backup is pg_dump's job.
    let (code, text) = run(folder.path(), &["check", "--db-url", &url]);
    assert_eq!(code, 0, "{text}");
    assert!(
        text.contains("4 donations, 3 succeeded, AED\u{a0}42 raised"),
        "{text}"
    );
    let (code, text) = run(folder.path(), &["stats", "--db-url", &url]);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("AED\u{a0}42"), "{text}");
    let (code, text) = run(folder.path(), &["backup", "copy.db", "--db-url", &url]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("pg_dump"), "{text}");

    // Servers on PostgreSQL start from the copied total, know the copied donations, and
    // number new ones after them.
    let two = Server::start_with(on_ledger(&url));
    assert_eq!(total_at(&two.base), Some(before));
    let late = paid_webhook(&two.base, &paid[0], 1000).unwrap();
    assert_eq!(late.status(), StatusCode::OK);
    assert_eq!(total_at(&two.base), Some(before), "a replay counted twice");
    let lb = Balancer::new(&[&two]);
    let (id, minor) = donate_across(&lb, 0);
    totals_agree(&lb.bases(), (before.0 + minor, 4), Duration::from_secs(1)).unwrap();
    let mut db = LedgerDb::open(&url);
    assert_eq!(db.status(&id).as_deref(), Some("succeeded"));
    assert_eq!(db.kept(), (before.0 + minor, 4));
}

#[test]
fn an_unreachable_database_stops_start_up_with_a_clear_message() {
    let Some(_) = postgres::server("an_unreachable_database_stops_start_up_with_a_clear_message")
    else {
        return;
    };
    // A loopback port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://donor:pw-never-shown@127.0.0.1:{port}/ledger?sslmode=disable");
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["serve", "--bind", "127.0.0.1:0", "--db-url", &url],
        vec!["check", "--db-url", &url],
    ] {
        let (code, text) = run(dir.path(), &args);
        assert_eq!(code, 2, "{args:?}: {text}");
        assert!(
            text.contains(&format!("postgres://donor@127.0.0.1:{port}/ledger")),
            "{args:?}: {text}"
        );
        assert!(text.contains("cannot reach"), "{args:?}: {text}");
    }
}

#[test]
fn the_ledger_speaks_tls_to_the_database_and_checks_its_certificate() {
    let Some(server) =
        postgres::server("the_ledger_speaks_tls_to_the_database_and_checks_its_certificate")
    else {
        return;
    };
    let Ok(ca) = std::env::var("TEST_POSTGRES_CA") else {
        eprintln!("SKIPPED: TEST_POSTGRES_CA is not set (the test PostgreSQL has no TLS)");
        return;
    };
    // The certificate names localhost; TLS required, as a managed database does.
    let plain = postgres::fresh_database(&server);
    let url = plain
        .replacen("@127.0.0.1:", "@localhost:", 1)
        .replace("sslmode=disable", "sslmode=require");
    let dir = tempfile::tempdir().unwrap();
    // A certificate nobody vouches for is refused before anything is sent.
    let (code, text) = run(dir.path(), &["check", "--db-url", &url]);
    assert_eq!(code, 2, "{text}");
    assert!(text.contains("cannot reach"), "{text}");
    assert!(text.to_lowercase().contains("certificate"), "{text}");
    // With the database's CA it connects, over TLS, and donations count.
    let one = Server::start_with(on_ledger(&url).env("FUNDRAISER_LEDGER__CA_FILE", &ca));
    let lb = Balancer::new(&[&one]);
    let (id, minor) = donate_across(&lb, 0);
    totals_agree(&lb.bases(), (minor, 1), Duration::from_secs(1)).unwrap();
    let mut db = LedgerDb::open(&plain);
    assert_eq!(db.status(&id).as_deref(), Some("succeeded"));
    assert!(db.all_connections_of_fundraiser_use_tls() > 0);
}

#[test]
fn a_ledger_from_a_newer_fundraiser_is_refused() {
    let Some(server) = postgres::server("a_ledger_from_a_newer_fundraiser_is_refused") else {
        return;
    };
    let url = postgres::fresh_database(&server);
    let dir = tempfile::tempdir().unwrap();
    // A first start creates the schema; a newer version then claims it.
    let (code, text) = run(dir.path(), &["check", "--db-url", &url]);
    assert_eq!(code, 0, "{text}");
    drop(Server::start_with(on_ledger(&url)));
    LedgerDb::open(&url).set_schema_version(999);
    for args in [
        vec!["check", "--db-url", &url],
        vec!["serve", "--bind", "127.0.0.1:0", "--db-url", &url],
    ] {
        let (code, text) = run(dir.path(), &args);
        assert_eq!(code, 2, "{args:?}: {text}");
        assert!(text.contains("schema version 999"), "{args:?}: {text}");
        assert!(text.contains("newer"), "{args:?}: {text}");
    }
}
