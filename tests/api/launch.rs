//! Launch night at the gateway: a flood of donors against a fake Stripe that enforces
//! Stripe's default rate limits (25 session creations a second, 100 calls in all). Every
//! donor reaches a checkout, directly or through the waiting page; none sees a 5xx; no
//! donation gets two sessions.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::common::*;
use crate::fake_stripe::*;
use crate::stripe::{raised, start_checkout, stripe_opts};
use reqwest::StatusCode;

/// How one donor fared.
struct Donor {
    checkout: String,
    waited_in_line: bool,
    took: Duration,
}

/// One donor: the form, then the waiting page until it forwards to the checkout.
fn donate_and_wait(server: &Server, n: usize) -> Donor {
    let started = Instant::now();
    let lang = if n.is_multiple_of(2) { "en" } else { "ar" };
    let r = server.donate(&format!("{}", 10 + n % 90), lang);
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "donor {n}");
    let mut to = location(&r);
    let waited_in_line = !to.starts_with(CHECKOUT);
    while !to.starts_with(CHECKOUT) {
        let wait_page = if lang == "ar" {
            "/ar/donate/wait/"
        } else {
            "/donate/wait/"
        };
        assert!(to.starts_with(wait_page), "donor {n} sent to {to}");
        let page = client().get(server.url(&to)).send().unwrap();
        match page.status() {
            StatusCode::OK => {
                let refresh: u64 = page.headers()["refresh"].to_str().unwrap().parse().unwrap();
                assert!((2..=5).contains(&refresh));
                let text = page.text().unwrap();
                assert!(text.contains(r#"role="status" aria-live="polite""#));
                // Faster than the page's own refresh, to finish the test sooner.
                std::thread::sleep(Duration::from_millis(300));
            }
            StatusCode::SEE_OTHER => to = location(&page),
            other => panic!("donor {n}: the waiting page answered {other}"),
        }
    }
    Donor {
        checkout: to,
        waited_in_line,
        took: started.elapsed(),
    }
}

/// `donors` donors, started evenly over `over` by `threads` threads.
fn flood(server: &Arc<Server>, donors: usize, over: Duration, threads: usize) -> Vec<Donor> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let start = Instant::now();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (server, out) = (server.clone(), out.clone());
            std::thread::spawn(move || {
                for n in (t..donors).step_by(threads) {
                    let at = over.mul_f64(n as f64 / donors as f64);
                    std::thread::sleep(at.saturating_sub(start.elapsed()));
                    let donor = donate_and_wait(&server, n);
                    out.lock().unwrap().push(donor);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    Arc::try_unwrap(out).ok().unwrap().into_inner().unwrap()
}

fn session_creations(fake: &FakeStripe) -> Vec<Recorded> {
    fake.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path == "/v1/checkout/sessions")
        .collect()
}

/// Every donor has a checkout of their own, and no donation got two sessions (`before`:
/// donations made before the flood).
fn assert_one_session_each(fake: &FakeStripe, donors: &[Donor], expected: usize, before: usize) {
    assert_eq!(donors.len(), expected);
    let mut urls: Vec<&str> = donors.iter().map(|d| d.checkout.as_str()).collect();
    urls.sort_unstable();
    urls.dedup();
    assert_eq!(urls.len(), expected, "one checkout per donor");
    let fake = fake.inner.lock().unwrap();
    assert_eq!(fake.by_key.len(), expected + before, "one key per donation");
    assert_eq!(
        fake.sessions.len(),
        expected + before,
        "one session per donation"
    );
}

#[test]
fn six_hundred_donors_in_three_seconds_all_reach_a_checkout_below_stripe_s_limit() {
    let fake = FakeStripe::start();
    let server = Arc::new(Server::start_with(stripe_opts(&fake.api_base())));
    // A donor who paid before the flood comes back during it.
    let paid = start_checkout(&server, "100", "en");
    fake.set(&paid, State::Paid);

    let returning = {
        let (server, paid) = (server.clone(), paid.clone());
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(3));
            let r = client()
                .get(server.url(&format!("/payment/return/stripe?session_id={paid}")))
                .send()
                .unwrap();
            assert_eq!(page_of(&location(&r)), "/success/");
        })
    };
    let donors = flood(&server, 600, Duration::from_secs(3), 200);
    returning.join().unwrap();

    assert_one_session_each(&fake, &donors, 600, 1);
    let requests = fake.requests();
    assert!(
        requests.iter().all(|r| !r.limited),
        "at 20 a second we stay below Stripe's 25: no 429"
    );
    assert!(donors.iter().any(|d| d.waited_in_line));
    // 600 at 20 a second is 30 s; the margin is for a busy test machine.
    let slowest = donors.iter().map(|d| d.took).max().unwrap();
    assert!(slowest < Duration::from_secs(75), "{slowest:?}");
    // The return went ahead of the line: most checkouts were created after it.
    let returned_at = requests
        .iter()
        .find(|r| r.method == "GET" && r.path.ends_with(&paid))
        .expect("the return asked Stripe")
        .at;
    let after = session_creations(&fake)
        .iter()
        .filter(|r| r.at > returned_at)
        .count();
    assert!(
        after > 200,
        "only {after} checkouts were created after the return"
    );
    assert_eq!(raised(&server), (10_000, 1));
}

#[test]
fn above_stripe_s_limit_its_429s_are_retried_until_every_donor_is_served() {
    let fake = FakeStripe::start();
    let server = Arc::new(Server::start_with(
        stripe_opts(&fake.api_base())
            .env("FUNDRAISER_STRIPE__REQUESTS_PER_SECOND", "60")
            .env("FUNDRAISER_STRIPE__BURST", "60")
            .env("FUNDRAISER_ADMIN__TOKEN", crate::admin::TOKEN),
    ));
    let donors = flood(&server, 150, Duration::from_secs(1), 75);
    assert_one_session_each(&fake, &donors, 150, 0);
    let limited = fake.requests().iter().filter(|r| r.limited).count();
    assert!(limited > 0, "our limit above Stripe's meets its 429s");
    let metrics = crate::admin::get_admin(&server, "/metrics").text().unwrap();
    let line = |name: &str| {
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .unwrap_or_else(|| panic!("{name}"))
            .trim()
            .parse::<u64>()
            .unwrap()
    };
    assert_eq!(line("fundraiser_gateway_429_total "), limited as u64);
    assert_eq!(
        line("fundraiser_gateway_calls_total{kind=\"checkout\"} "),
        150 + limited as u64
    );
    assert_eq!(line("fundraiser_gateway_queue{kind=\"checkout\"} "), 0);
    let lines: Vec<String> = server.log.lock().unwrap().try_iter().collect();
    let warnings = lines
        .iter()
        .filter(|l| l.contains("is limiting our requests (429)"))
        .count();
    assert!(
        (1..=3).contains(&warnings),
        "logged once per burst of 429s, not per call: {warnings}"
    );
}

#[test]
fn a_donor_s_place_in_line_is_kept_and_a_full_line_asks_to_come_back() {
    let fake = FakeStripe::start();
    let server = Server::start_with(
        stripe_opts(&fake.api_base())
            .env("FUNDRAISER_STRIPE__REQUESTS_PER_SECOND", "1")
            .env("FUNDRAISER_STRIPE__BURST", "1")
            .env("FUNDRAISER_STRIPE__QUEUE_WAIT", "0s")
            .env("FUNDRAISER_STRIPE__QUEUE_MAX", "2"),
    );
    // The first takes the burst; the next two wait in line (one a second).
    let first = location(&server.donate("10", "en"));
    assert!(
        first.starts_with(CHECKOUT) || first.starts_with("/donate/wait/"),
        "{first}"
    );
    let second = location(&server.donate("20", "ar"));
    let third = location(&server.donate("30", "en"));
    assert!(second.starts_with("/ar/donate/wait/"), "{second}");
    assert!(third.starts_with("/donate/wait/"), "{third}");
    // The line is full: the next donor is asked to come back, the form kept.
    let r = client()
        .post(server.url("/donate"))
        .form(&[("amount", "45"), ("lang", "en"), ("name", "Amina Saleh")])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((5..=120).contains(&retry));
    let page = r.text().unwrap();
    assert!(page.contains("the line is full"), "{page}");
    assert!(page.contains(r#"value="45""#), "the amount is kept");
    assert!(page.contains("Amina Saleh"), "the name is kept");
    assert_eq!(
        server.ledger().count(),
        3,
        "nothing recorded for the deferred donor"
    );

    // The third donor's waiting page, asked 20 times at once, in Arabic too.
    let asked: Vec<_> = (0..20_u32)
        .map(|i| {
            let url = if i.is_multiple_of(2) {
                server.url(&third)
            } else {
                server.url(&format!("/ar{third}"))
            };
            std::thread::spawn(move || client().get(url).send().unwrap().status())
        })
        .collect();
    for a in asked {
        let status = a.join().unwrap();
        assert!(
            status == StatusCode::OK || status == StatusCode::SEE_OTHER,
            "{status}"
        );
    }
    let id = third.rsplit('/').next().unwrap().to_owned();
    assert!(eventually(|| {
        let r = client().get(server.url(&third)).send().unwrap();
        r.status() == StatusCode::SEE_OTHER && location(&r).starts_with(CHECKOUT)
    }));
    let keys: Vec<String> = session_creations(&fake)
        .iter()
        .filter_map(|r| r.header("idempotency-key").map(str::to_owned))
        .filter(|k| k.ends_with(&id))
        .collect();
    assert_eq!(
        keys.len(),
        1,
        "one session for the donor who asked 20 times"
    );
    // The page of a donation that does not exist is the site's 404.
    let r = client()
        .get(server.url("/donate/wait/AAAAAAAAAAAAAAAAAAAAAA"))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[test]
fn a_donor_in_line_keeps_their_place_across_a_restart_with_one_session() {
    let fake = FakeStripe::start();
    let folder = tempfile::tempdir().unwrap();
    let opts = Opts {
        dir: Some(folder.path().to_path_buf()),
        ..stripe_opts(&fake.api_base())
            .env("FUNDRAISER_STRIPE__REQUESTS_PER_SECOND", "1")
            .env("FUNDRAISER_STRIPE__BURST", "1")
            .env("FUNDRAISER_STRIPE__QUEUE_WAIT", "0s")
    };
    let server = Server::start_with(opts.clone());
    for amount in ["10", "20", "30", "40"] {
        server.donate(amount, "en");
    }
    let wait = location(&server.donate("55", "ar"));
    assert!(wait.starts_with("/ar/donate/wait/"), "{wait}");
    let id = wait.rsplit('/').next().unwrap().to_owned();
    // The server stops before the donor's turn; the donor comes back to a new one.
    assert!(server.terminate().success());
    let server = Server::start_with(opts);
    assert!(eventually(|| {
        let r = client().get(server.url(&wait)).send().unwrap();
        r.status() == StatusCode::SEE_OTHER && location(&r).starts_with(CHECKOUT)
    }));
    let creations: Vec<Recorded> = session_creations(&fake)
        .into_iter()
        .filter(|r| {
            r.header("idempotency-key")
                .is_some_and(|k| k.ends_with(&id))
        })
        .collect();
    assert!(!creations.is_empty());
    let sessions = fake
        .inner
        .lock()
        .unwrap()
        .sessions
        .values()
        .filter(|s| s.donation_id == id)
        .count();
    assert_eq!(sessions, 1, "one session, however often it was asked for");
}

/// Session retrievals the fake Stripe received (a return's check of its payment).
fn retrievals(fake: &FakeStripe) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path.starts_with("/v1/checkout/sessions/cs_"))
        .count()
}

#[test]
fn made_up_returns_cost_no_stripe_call_and_do_not_send_the_next_donor_to_wait() {
    let fake = FakeStripe::start();
    let server = Arc::new(Server::start_with(
        stripe_opts(&fake.api_base())
            .env("FUNDRAISER_STRIPE__REQUESTS_PER_SECOND", "2")
            .env("FUNDRAISER_STRIPE__BURST", "2"),
    ));
    // Thirty returns naming checkouts this site never started, from one address: each
    // would take the gate's first place (15 s of its line at 2 a second).
    let made_up: Vec<_> = (0..30)
        .map(|n| {
            let server = server.clone();
            std::thread::spawn(move || {
                let path = format!("/payment/return/stripe?session_id=cs_test_madeup{n:02}");
                let r = client().get(server.url(&path)).send().unwrap();
                (r.status(), r.text().unwrap())
            })
        })
        .collect();
    // Until they are answered, or (as they were) the gate's burst went to them.
    assert!(eventually(
        || made_up.iter().all(|h| h.is_finished()) || retrievals(&fake) >= 2
    ));
    let r = server.donate("25", "en");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = location(&r);
    assert!(to.starts_with(CHECKOUT), "the donor was sent to {to}");
    for h in made_up {
        let (status, page) = h.join().unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(page.contains("Nothing was charged"), "{page}");
    }
    assert_eq!(
        retrievals(&fake),
        0,
        "no made-up session was asked of Stripe"
    );

    // A checkout the ledger knows still has its payment asked of Stripe.
    let session = to.strip_prefix(CHECKOUT).unwrap().to_owned();
    fake.set(&session, State::Paid);
    let r = client()
        .get(server.url(&format!("/payment/return/stripe?session_id={session}")))
        .send()
        .unwrap();
    assert_eq!(page_of(&location(&r)), "/success/");
    assert_eq!(retrievals(&fake), 1);
    assert_eq!(raised(&server), (2_500, 1));
}

#[test]
fn signed_webhooks_are_never_rate_limited_and_failed_ones_are() {
    use crate::stripe::{WEBHOOK_SECRET, event, now, post_webhook, send_event, signature};
    let fake = FakeStripe::start();
    let server = Server::start_with(
        stripe_opts(&fake.api_base()).env("FUNDRAISER_LIMITS__CALLBACKS_PER_IP_PER_MINUTE", "5"),
    );
    let session = start_checkout(&server, "50", "en");
    fake.set(&session, State::Paid);
    // Stripe sends from a few addresses: 125 genuine webhooks from one, 25 times its
    // budget of 5, are all received (`send_event` asserts 200).
    for n in 0..125 {
        send_event(
            &server,
            &fake,
            &format!("evt_many_{n}"),
            "checkout.session.completed",
            &session,
        );
    }
    assert_eq!(raised(&server), (5_000, 1));

    // Forged ones count: the sixth within a minute is refused unread. (Up to ten pass
    // if a new minute starts meanwhile.)
    let body = event(
        "evt_forged",
        "checkout.session.completed",
        fake.session_json(&session),
    );
    let forged = signature("whsec_not_ours", now(), &body);
    let mut refused = 0;
    let limited = loop {
        let r = post_webhook(&server, &body, Some(&forged));
        match r.status() {
            StatusCode::BAD_REQUEST => refused += 1,
            StatusCode::TOO_MANY_REQUESTS => break r,
            other => panic!("a forged webhook answered {other}"),
        }
        assert!(refused <= 10, "forged webhooks were never limited");
    };
    assert!(refused >= 5, "only {refused} forged webhooks were answered");
    assert!(limited.headers().contains_key("retry-after"));
    // The sender past its budget waits, whatever it sends next.
    let genuine = event(
        "evt_after",
        "checkout.session.completed",
        fake.session_json(&session),
    );
    let r = post_webhook(
        &server,
        &genuine,
        Some(&signature(WEBHOOK_SECRET, now(), &genuine)),
    );
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(raised(&server), (5_000, 1));
}
