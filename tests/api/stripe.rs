//! The Stripe Checkout gateway end to end over HTTP: the real binary against a fake
//! Stripe API on a loopback port, which records every request and asserts what we send.
//! Nothing here touches the network.

use std::collections::HashMap;
use std::net::TcpListener;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::common::*;
use crate::fake_stripe::*;
use reqwest::StatusCode;
use reqwest::blocking::Response;
use serde_json::{Value, json};

pub(crate) const WEBHOOK_SECRET: &str = "whsec_FakeWebhookSecretForTheFundraiserSuite";
const PUBLIC_URL: &str = "https://give.example.org";

// ---------------------------------------------------------------------------------
// Our server, configured for Stripe.

pub(crate) fn stripe_opts(api_base: &str) -> Opts {
    Opts::default()
        .env("FUNDRAISER_GATEWAY__KIND", "stripe")
        .env("FUNDRAISER_STRIPE__SECRET_KEY", SECRET_KEY)
        .env("FUNDRAISER_STRIPE__WEBHOOK_SECRET", WEBHOOK_SECRET)
        .env("FUNDRAISER_STRIPE__API_BASE", api_base)
        .env("FUNDRAISER_SERVER__PUBLIC_URL", PUBLIC_URL)
}

fn start(fake: &FakeStripe) -> Server {
    Server::start_with(stripe_opts(&fake.api_base()))
}

/// Donates and returns the session id Stripe (the fake) created for it.
pub(crate) fn start_checkout(server: &Server, amount: &str, lang: &str) -> String {
    let r = server.donate(amount, lang);
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "donate {amount}");
    assert_eq!(r.headers()["cache-control"], "no-store");
    location(&r)
        .strip_prefix(CHECKOUT)
        .expect("sent to the checkout")
        .to_owned()
}

fn follow_return(server: &Server, session_id: &str) -> Response {
    client()
        .get(server.url(&format!("/payment/return/stripe?session_id={session_id}")))
        .send()
        .unwrap()
}

pub(crate) fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

pub(crate) fn event(event_id: &str, kind: &str, session: Value) -> String {
    json!({
        "id": event_id,
        "object": "event",
        "api_version": fundraiser::gateway::stripe::API_VERSION,
        "created": now(),
        "type": kind,
        "livemode": false,
        "data": {"object": session},
    })
    .to_string()
}

pub(crate) fn signature(secret: &str, t: i64, body: &str) -> String {
    format!(
        "t={t},v1={}",
        hmac_hex(secret.as_bytes(), format!("{t}.{body}").as_bytes())
    )
}

pub(crate) fn post_webhook(server: &Server, body: &str, signature: Option<&str>) -> Response {
    let mut req = client()
        .post(server.url("/payment/webhook/stripe"))
        .header("Content-Type", "application/json")
        .body(body.to_owned());
    if let Some(sig) = signature {
        req = req.header("Stripe-Signature", sig);
    }
    req.send().unwrap()
}

/// Sends an event about the session as it now stands, signed as Stripe signs it.
pub(crate) fn send_event(
    server: &Server,
    fake: &FakeStripe,
    event_id: &str,
    kind: &str,
    session_id: &str,
) -> Value {
    let body = event(event_id, kind, fake.session_json(session_id));
    let r = post_webhook(
        server,
        &body,
        Some(&signature(WEBHOOK_SECRET, now(), &body)),
    );
    assert_eq!(r.status(), StatusCode::OK, "{kind}");
    r.json().unwrap()
}

pub(crate) fn raised(server: &Server) -> (i64, i64) {
    let t = server.total();
    (
        t["raised_minor"].as_i64().unwrap(),
        t["donations"].as_i64().unwrap(),
    )
}

fn status_of(server: &Server, session_id: &str) -> String {
    server.ledger().by_ref(session_id).status
}

fn events_of(server: &Server, session_id: &str) -> i64 {
    let ledger = server.ledger();
    ledger.events(&ledger.by_ref(session_id).id)
}

/// Every log line the server has written so far (after a moment for stragglers).
fn log_lines(server: &Server) -> Vec<String> {
    std::thread::sleep(Duration::from_millis(300));
    server.log.lock().unwrap().try_iter().collect()
}

fn assert_no_secrets(lines: &[String]) {
    assert!(!lines.is_empty(), "no log lines captured");
    for line in lines {
        assert!(!line.contains(SECRET_KEY), "secret key in log: {line}");
        assert!(
            !line.contains(WEBHOOK_SECRET),
            "webhook secret in log: {line}"
        );
        assert!(
            !line.contains("FakeSecretKey"),
            "part of the key in log: {line}"
        );
    }
}

// ---------------------------------------------------------------------------------
// Tests.

#[test]
fn a_checkout_session_is_created_with_every_field() {
    let fake = FakeStripe::start();
    let server = start(&fake);
    let r = server.donate("125.5", "ar");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), format!("{CHECKOUT}cs_test_fake1"));

    let requests = fake.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let req = &requests[0];
    assert_eq!(req.method, "POST");
    assert_eq!(req.path, "/v1/checkout/sessions");
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {SECRET_KEY}").as_str())
    );
    assert_eq!(
        req.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let stored = server.ledger().only();
    let id = stored.id;
    assert_eq!(
        (stored.amount_minor, stored.currency.as_str()),
        (12_550, "AED")
    );
    assert_eq!(
        req.header("idempotency-key"),
        Some(format!("donation-{id}").as_str())
    );
    let form: HashMap<String, String> = req.form().into_iter().collect();
    let expected = [
        ("mode", "payment".to_owned()),
        ("submit_type", "donate".to_owned()),
        ("line_items[0][price_data][currency]", "aed".to_owned()),
        ("line_items[0][price_data][unit_amount]", "12550".to_owned()),
        ("line_items[0][quantity]", "1".to_owned()),
        (
            "success_url",
            format!("{PUBLIC_URL}/payment/return/stripe?session_id={{CHECKOUT_SESSION_ID}}"),
        ),
        ("cancel_url", format!("{PUBLIC_URL}/ar/error/")),
        ("client_reference_id", id.clone()),
        ("metadata[donation_id]", id.clone()),
    ];
    for (key, value) in &expected {
        assert_eq!(form.get(*key), Some(value), "{key} in {form:?}");
    }
    // The campaign's name, in the donor's language.
    let name = &form["line_items[0][price_data][product_data][name]"];
    assert!(!name.is_empty());
    assert!(
        name.chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
        "{name}"
    );

    // The session id is the donation's gateway reference.
    assert_eq!(status_of(&server, "cs_test_fake1"), "pending");
    assert_eq!(raised(&server), (0, 0));
    // An English donation is cancelled back to the English error page.
    start_checkout(&server, "50", "en");
    let form: HashMap<String, String> = fake.requests()[1].form().into_iter().collect();
    assert_eq!(form["cancel_url"], format!("{PUBLIC_URL}/error/"));
    assert_eq!(form["line_items[0][price_data][unit_amount]"], "5000");
}

#[test]
fn webhook_then_return_counts_once_and_logs_no_secret() {
    let fake = FakeStripe::start();
    let server = start(&fake);
    let session = start_checkout(&server, "50", "en");
    fake.set(&session, State::Paid);

    let answer = send_event(
        &server,
        &fake,
        "evt_1",
        "checkout.session.completed",
        &session,
    );
    assert_eq!(answer["status"], "succeeded");
    assert_eq!(answer["changed"], true);
    assert_eq!(raised(&server), (5000, 1));

    // Stripe delivers the same event again: 200, nothing changes, nothing recorded.
    let events = events_of(&server, &session);
    let again = send_event(
        &server,
        &fake,
        "evt_1",
        "checkout.session.completed",
        &session,
    );
    assert_eq!(again["changed"], false);
    assert_eq!(events_of(&server, &session), events);

    // The donor's return afterwards: the success page, no second count.
    let r = follow_return(&server, &session);
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(page_of(&location(&r)), "/success/");
    assert_eq!(raised(&server), (5000, 1));
    // The donation had already succeeded, which is final: the return was answered from
    // the ledger, without asking Stripe (issue 14: no call for a result already known).
    assert!(
        fake.requests().iter().all(|r| r.method != "GET"),
        "{:?}",
        fake.requests()
    );
    // Even another event id for the same payment counts nothing more.
    let other = send_event(
        &server,
        &fake,
        "evt_2",
        "checkout.session.completed",
        &session,
    );
    assert_eq!(other["changed"], false);
    assert_eq!(raised(&server), (5000, 1));
    assert_eq!(
        {
            let ledger = server.ledger();
            ledger.transitions(&ledger.by_ref(&session).id, "pending", "succeeded")
        },
        1
    );
    assert_eq!(server.ledger().webhook_events("stripe"), 2);
    assert_eq!(
        follow_return(&server, &session).status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(raised(&server), (5000, 1));

    assert_no_secrets(&log_lines(&server));
}

#[test]
fn return_before_the_webhook_counts_once() {
    let fake = FakeStripe::start();
    let server = start(&fake);
    let session = start_checkout(&server, "20", "ar");
    fake.set(&session, State::Paid);
    let r = follow_return(&server, &session);
    assert_eq!(page_of(&location(&r)), "/ar/success/");
    assert_eq!(raised(&server), (2000, 1));
    assert_eq!(status_of(&server, &session), "succeeded");
    // The return retrieved the session from Stripe, with the key.
    let gets: Vec<Recorded> = fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .collect();
    assert_eq!(gets.len(), 1);
    assert_eq!(gets[0].path, format!("/v1/checkout/sessions/{session}"));
    assert_eq!(
        gets[0].header("authorization"),
        Some(format!("Bearer {SECRET_KEY}").as_str())
    );
    // Reloaded, or replayed: answered from the ledger, no second call to Stripe.
    for _ in 0..5 {
        assert_eq!(
            page_of(&location(&follow_return(&server, &session))),
            "/ar/success/"
        );
    }
    assert_eq!(
        fake.requests().iter().filter(|r| r.method == "GET").count(),
        1
    );
    let answer = send_event(
        &server,
        &fake,
        "evt_late",
        "checkout.session.completed",
        &session,
    );
    assert_eq!(answer["status"], "succeeded");
    assert_eq!(answer["changed"], false);
    assert_eq!(
        page_of(&location(&follow_return(&server, &session))),
        "/ar/success/"
    );
    assert_eq!(raised(&server), (2000, 1));
}

#[test]
fn an_asynchronous_payment_counts_when_it_succeeds() {
    let fake = FakeStripe::start();
    let server = start(&fake);
    let session = start_checkout(&server, "75", "en");
    fake.set(&session, State::Processing);
    // Completed but not paid yet: nothing to record.
    let answer = send_event(
        &server,
        &fake,
        "evt_c",
        "checkout.session.completed",
        &session,
    );
    assert_eq!(answer["applied"], false);
    assert_eq!(status_of(&server, &session), "pending");
    // The donor is back while the payment settles: thanked, not asked to pay again,
    // and the ledger is left as it is.
    let events = events_of(&server, &session);
    assert_eq!(
        page_of(&location(&follow_return(&server, &session))),
        "/success/"
    );
    assert_eq!(status_of(&server, &session), "pending");
    assert_eq!(events_of(&server, &session), events);
    assert_eq!(raised(&server), (0, 0));

    fake.set(&session, State::Paid);
    let answer = send_event(
        &server,
        &fake,
        "evt_s",
        "checkout.session.async_payment_succeeded",
        &session,
    );
    assert_eq!(answer["status"], "succeeded");
    assert_eq!(raised(&server), (7500, 1));
    assert_eq!(
        page_of(&location(&follow_return(&server, &session))),
        "/success/"
    );
    assert_eq!(raised(&server), (7500, 1));
}

#[test]
fn an_asynchronous_payment_that_fails_is_not_counted() {
    let fake = FakeStripe::start();
    let server = start(&fake);
    let session = start_checkout(&server, "75", "ar");
    fake.set(&session, State::Processing);
    let answer = send_event(
        &server,
        &fake,
        "evt_c",
        "checkout.session.completed",
        &session,
    );
    assert_eq!(answer["applied"], false);
    let answer = send_event(
        &server,
        &fake,
        "evt_f",
        "checkout.session.async_payment_failed",
        &session,
    );
    assert_eq!(answer["status"], "failed");
    assert_eq!(status_of(&server, &session), "failed");
    assert_eq!(raised(&server), (0, 0));
    // Back on the site afterwards: the ledger knows it failed.
    assert_eq!(location(&follow_return(&server, &session)), "/ar/error/");
    assert_eq!(status_of(&server, &session), "failed");
}

#[test]
fn an_expired_session_is_marked_expired() {
    let fake = FakeStripe::start();
    let server = start(&fake);
    let session = start_checkout(&server, "30", "en");
    fake.set(&session, State::Expired);
    let answer = send_event(
        &server,
        &fake,
        "evt_x",
        "checkout.session.expired",
        &session,
    );
    assert_eq!(answer["status"], "expired");
    assert_eq!(answer["changed"], true);
    assert_eq!(status_of(&server, &session), "expired");
    assert_eq!(location(&follow_return(&server, &session)), "/error/");
    assert_eq!(raised(&server), (0, 0));

    // A session that expires before its webhook arrives is expired by the return too.
    let other = start_checkout(&server, "31", "ar");
    fake.set(&other, State::Expired);
    assert_eq!(location(&follow_return(&server, &other)), "/ar/error/");
    assert_eq!(status_of(&server, &other), "expired");
    let answer = send_event(&server, &fake, "evt_y", "checkout.session.expired", &other);
    assert_eq!(answer["changed"], false);
}

#[test]
fn a_donor_back_before_paying_changes_nothing() {
    let fake = FakeStripe::start();
    let server = start(&fake);
    let session = start_checkout(&server, "40", "ar");
    let events = events_of(&server, &session);
    let r = follow_return(&server, &session);
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/ar/error/");
    assert_eq!(status_of(&server, &session), "pending");
    assert_eq!(events_of(&server, &session), events);
    // They can still pay, and it counts.
    fake.set(&session, State::Paid);
    assert_eq!(
        page_of(&location(&follow_return(&server, &session))),
        "/ar/success/"
    );
    assert_eq!(raised(&server), (4000, 1));
}

#[test]
fn a_session_for_another_amount_is_not_counted() {
    let fake = FakeStripe::start();
    let server = start(&fake);
    let session = start_checkout(&server, "10", "en");
    fake.set(&session, State::WrongAmount);
    let r = follow_return(&server, &session);
    assert_eq!(location(&r), "/error/");
    let answer = send_event(
        &server,
        &fake,
        "evt_w",
        "checkout.session.completed",
        &session,
    );
    assert_eq!(answer["applied"], false);
    assert_eq!(answer["reason"], "amount mismatch");
    assert_eq!(raised(&server), (0, 0));
    assert_eq!(status_of(&server, &session), "pending");
    let ledger = server.ledger();
    let mismatches = ledger.events_of_kind(&ledger.by_ref(&session).id, "mismatch");
    assert_eq!(mismatches, 2);
    let lines = log_lines(&server);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("WARN") && l.contains("payment amount mismatch")),
        "{lines:#?}"
    );

    // Another currency is a mismatch too.
    let other = start_checkout(&server, "10", "en");
    fake.set(&other, State::Paid);
    let mut s = fake.session_json(&other);
    s["currency"] = json!("usd");
    let body = event("evt_usd", "checkout.session.completed", s);
    let r = post_webhook(
        &server,
        &body,
        Some(&signature(WEBHOOK_SECRET, now(), &body)),
    );
    let answer: Value = r.json().unwrap();
    assert_eq!(answer["reason"], "amount mismatch");
    assert_eq!(raised(&server), (0, 0));
}

#[test]
fn webhooks_are_verified_as_stripe_specifies() {
    let fake = FakeStripe::start();
    let server = start(&fake);
    let session = start_checkout(&server, "60", "en");
    fake.set(&session, State::Paid);
    let body = event(
        "evt_sig",
        "checkout.session.completed",
        fake.session_json(&session),
    );
    let t = now();
    let good = signature(WEBHOOK_SECRET, t, &body);
    let good_v1 = good.split_once(",v1=").unwrap().1.to_owned();
    let wrong_v1 = signature("whsec_wrong", t, &body)
        .split_once(",v1=")
        .unwrap()
        .1
        .to_owned();
    let tampered = body.replace("\"amount_total\":6000", "\"amount_total\":600000");
    assert_ne!(tampered, body);

    let refused: Vec<(&str, String, Option<String>)> = vec![
        (
            "wrong secret",
            body.clone(),
            Some(signature("whsec_wrong", t, &body)),
        ),
        ("tampered body", tampered, Some(good.clone())),
        (
            "expired timestamp",
            body.clone(),
            Some(signature(WEBHOOK_SECRET, t - 600, &body)),
        ),
        (
            "future timestamp",
            body.clone(),
            Some(signature(WEBHOOK_SECRET, t + 600, &body)),
        ),
        ("missing header", body.clone(), None),
        ("garbled header", body.clone(), Some("garbage".into())),
        ("no timestamp", body.clone(), Some(format!("v1={good_v1}"))),
        ("no v1", body.clone(), Some(format!("t={t},v0={good_v1}"))),
        (
            "bad hex",
            body.clone(),
            Some(format!("t={t},v1=zz{good_v1}")),
        ),
        ("empty header", body.clone(), Some(String::new())),
    ];
    for (what, body, sig) in &refused {
        let r = post_webhook(&server, body, sig.as_deref());
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{what}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/json"),
            "{what}"
        );
        let answer: Value = r.json().unwrap();
        assert!(answer["error"].is_string(), "{what}");
    }
    assert_eq!(raised(&server), (0, 0));
    assert_eq!(status_of(&server, &session), "pending");

    // Several v1 values, one of them right (as during a secret roll): accepted.
    let several = format!("t={t},v1={wrong_v1},v1={good_v1}");
    let r = post_webhook(&server, &body, Some(&several));
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(raised(&server), (6000, 1));
    // Within the tolerance either way is fine.
    for skew in [-250, 250] {
        let r = post_webhook(
            &server,
            &body,
            Some(&signature(WEBHOOK_SECRET, t + skew, &body)),
        );
        assert_eq!(r.status(), StatusCode::OK);
    }
    assert_eq!(raised(&server), (6000, 1));
}

#[test]
fn other_events_and_other_sessions_are_acknowledged_and_ignored() {
    let fake = FakeStripe::start();
    let server = start(&fake);
    let session = start_checkout(&server, "60", "en");
    fake.set(&session, State::Paid);
    let answer = send_event(
        &server,
        &fake,
        "evt_pi",
        "payment_intent.succeeded",
        &session,
    );
    assert_eq!(answer["applied"], false);
    let customer = event(
        "evt_cu",
        "customer.created",
        json!({"id": "cus_1", "object": "customer"}),
    );
    let r = post_webhook(
        &server,
        &customer,
        Some(&signature(WEBHOOK_SECRET, now(), &customer)),
    );
    assert_eq!(r.status(), StatusCode::OK);
    // A session some other integration on the same account created.
    let mut foreign = fake.session_json(&session);
    foreign["id"] = json!("cs_test_someone_else");
    foreign["client_reference_id"] = Value::Null;
    foreign["metadata"] = json!({});
    let body = event("evt_other", "checkout.session.completed", foreign);
    let r = post_webhook(
        &server,
        &body,
        Some(&signature(WEBHOOK_SECRET, now(), &body)),
    );
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(raised(&server), (0, 0));
    assert_eq!(status_of(&server, &session), "pending");
    // A session with one of our ids that we never recorded: the ledger does not know it.
    let mut ghost = fake.session_json(&session);
    ghost["id"] = json!("cs_test_ghost");
    ghost["client_reference_id"] = json!("AAAAAAAAAAAAAAAAAAAAAA");
    let body = event("evt_ghost", "checkout.session.completed", ghost);
    let r = post_webhook(
        &server,
        &body,
        Some(&signature(WEBHOOK_SECRET, now(), &body)),
    );
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(raised(&server), (0, 0));
}

#[test]
fn return_addresses_that_are_not_a_session_of_ours_are_refused() {
    let fake = FakeStripe::start();
    let server = start(&fake);
    let get = |path: &str| client().get(server.url(path)).send().unwrap();
    for path in [
        "/payment/return/stripe",
        "/payment/return/stripe?session_id=",
        "/payment/return/stripe?session_id={CHECKOUT_SESSION_ID}",
        "/payment/return/stripe?session_id=cs_test_..%2F..%2Fv1%2Fcustomers",
        "/payment/return/stripe?session_id=pi_123",
        "/payment/return/stripe?session_id=cs_a&session_id=cs_b",
    ] {
        let r = get(path);
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        assert!(r.text().unwrap().contains("Nothing was charged"), "{path}");
    }
    // None of those reached Stripe.
    assert!(fake.requests().is_empty());
    // Nor did a well-formed id of a checkout this site never started: the ledger
    // answers it.
    let r = get("/payment/return/stripe?session_id=cs_test_unknown");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().unwrap().contains("Nothing was charged"));
    assert!(fake.requests().is_empty());
    // The sandbox's routes are not there.
    assert_eq!(
        get("/payment/return/sandbox?ref=x").status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get("/sandbox/checkout/AAAAAAAAAAAAAAAAAAAAAA").status(),
        StatusCode::NOT_FOUND
    );
}

/// The donation refused with a clear page in the donor's language, marked failed.
fn assert_refused_cleanly(server: &Server, r: Response) {
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.headers().contains_key("retry-after"));
    let page = r.text().unwrap();
    assert!(page.contains(r#"<html lang="ar""#), "{page}");
    assert!(page.contains("خدمة الدفع مشغولة"), "{page}");
    assert!(!page.contains(SECRET_KEY));
    let stored = server.ledger().only();
    assert_eq!(stored.status, "failed");
    assert_eq!(stored.gateway_ref, None);
    assert_eq!(raised(server), (0, 0));
    let details = server.ledger().details_of_kind("checkout_failed");
    assert_eq!(details.len(), 1);
    let detail = details[0].clone().unwrap_or_default();
    assert!(!detail.contains(SECRET_KEY), "{detail}");
}

#[test]
fn a_stripe_error_gives_the_donor_a_clear_page_and_counts_nothing() {
    let fake = FakeStripe::start();
    let server = start(&fake);
    fake.fail(Some(Failure::Status500));
    let r = server.donate("50", "ar");
    assert_refused_cleanly(&server, r);
    // An answer is not a network error: not retried.
    assert_eq!(fake.requests().len(), 1);
    let lines = log_lines(&server);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("Stripe answered 500 (api_error)")),
        "{lines:#?}"
    );
    assert_no_secrets(&lines);

    // A return while Stripe fails: 503, nothing changes.
    fake.fail(None);
    let session = start_checkout(&server, "50", "en");
    fake.set(&session, State::Paid);
    fake.fail(Some(Failure::Status500));
    assert_eq!(
        follow_return(&server, &session).status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert_eq!(status_of(&server, &session), "pending");
    fake.fail(None);
    assert_eq!(
        page_of(&location(&follow_return(&server, &session))),
        "/success/"
    );
    assert_eq!(raised(&server), (5000, 1));
}

#[test]
fn a_hanging_stripe_times_out_after_one_retry_with_the_same_key() {
    let fake = FakeStripe::start();
    let server = Server::start_with(
        stripe_opts(&fake.api_base()).env("FUNDRAISER_STRIPE__REQUEST_TIMEOUT", "1s"),
    );
    fake.fail(Some(Failure::Hang));
    let started = Instant::now();
    // The form's answer waits 1.5 s (stripe.queue_wait), then the donor waits in line.
    let r = server.donate("50", "ar");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let wait = location(&r);
    assert!(wait.starts_with("/ar/donate/wait/"), "{wait}");
    // Two attempts of 1 s each: then the waiting page says the payment service is busy.
    let r = loop {
        let r = client().get(server.url(&wait)).send().unwrap();
        if r.status() != StatusCode::OK {
            break r;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "still waiting");
        std::thread::sleep(Duration::from_millis(100));
    };
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(2), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_refused_cleanly(&server, r);
    let requests = fake.requests();
    assert_eq!(requests.len(), 2, "one retry");
    let keys: Vec<_> = requests
        .iter()
        .map(|r| r.header("idempotency-key").unwrap().to_owned())
        .collect();
    assert!(keys[0].starts_with("donation-"));
    assert_eq!(keys[0], keys[1]);
    assert_eq!(requests[0].body, requests[1].body);
}

#[test]
fn one_network_error_is_retried_and_the_donation_goes_ahead() {
    let fake = FakeStripe::start();
    let server = Server::start_with(
        stripe_opts(&fake.api_base()).env("FUNDRAISER_STRIPE__REQUEST_TIMEOUT", "1s"),
    );
    fake.hang_next(1);
    let session = start_checkout(&server, "50", "en");
    let requests = fake.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(
        requests[0].header("idempotency-key"),
        requests[1].header("idempotency-key")
    );
    assert_eq!(status_of(&server, &session), "pending");
    // The return's retrieval is retried too.
    fake.set(&session, State::Paid);
    fake.hang_next(1);
    assert_eq!(
        page_of(&location(&follow_return(&server, &session))),
        "/success/"
    );
    assert_eq!(raised(&server), (5000, 1));
}

#[test]
fn an_unreachable_stripe_gives_the_donor_a_clear_page() {
    // A port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let server = Server::start_with(stripe_opts(&format!("http://127.0.0.1:{port}")));
    let r = server.donate("50", "ar");
    assert_refused_cleanly(&server, r);
    // The donate page itself keeps working.
    assert_eq!(
        client()
            .get(server.url("/ar/donate/"))
            .send()
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

#[test]
fn start_up_refuses_stripe_without_both_secrets() {
    let run = |env: &[(&str, &str)]| {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = std::process::Command::new(binary());
        cmd.current_dir(dir.path())
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("FUNDRAISER_GATEWAY__KIND", "stripe")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        for (k, _) in std::env::vars() {
            if k.starts_with("FUNDRAISER_") && k != "FUNDRAISER_GATEWAY__KIND" {
                cmd.env_remove(k);
            }
        }
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&[("FUNDRAISER_STRIPE__SECRET_KEY", SECRET_KEY)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("stripe.webhook_secret"), "{err}");
    assert!(err.contains("FUNDRAISER_STRIPE__WEBHOOK_SECRET"), "{err}");
    assert!(
        !err.contains(SECRET_KEY) && !err.contains("FakeSecretKey"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "one clear message: {err}");

    let (code, err) = run(&[("FUNDRAISER_STRIPE__WEBHOOK_SECRET", WEBHOOK_SECRET)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("stripe.secret_key"), "{err}");
    assert!(
        !err.contains(WEBHOOK_SECRET) && !err.contains("FakeWebhook"),
        "{err}"
    );

    let (code, err) = run(&[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("stripe.secret_key and stripe.webhook_secret"),
        "{err}"
    );

    let (code, err) = run(&[
        ("FUNDRAISER_STRIPE__SECRET_KEY", SECRET_KEY),
        ("FUNDRAISER_STRIPE__WEBHOOK_SECRET", WEBHOOK_SECRET),
        ("FUNDRAISER_STRIPE__API_BASE", "ftp://example.org"),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("stripe.api_base"), "{err}");
    assert!(
        !err.contains(SECRET_KEY) && !err.contains(WEBHOOK_SECRET),
        "{err}"
    );
}

#[test]
fn the_csp_lets_the_donate_form_reach_the_checkout_only_with_stripe() {
    let csp = |server: &Server| {
        client()
            .get(server.url("/donate/"))
            .send()
            .unwrap()
            .headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned()
    };
    let fake = FakeStripe::start();
    let stripe = start(&fake);
    let with = csp(&stripe);
    assert!(
        with.contains("form-action 'self' https://checkout.stripe.com;"),
        "{with}"
    );
    let sandbox = Server::start();
    let without = csp(&sandbox);
    assert!(without.contains("form-action 'self';"), "{without}");
    assert!(!without.contains("stripe"), "{without}");
}

#[test]
fn an_isk_donation_is_charged_in_kronur_as_stripe_writes_them() {
    let fake = FakeStripe::start();
    let server = Server::start_with(
        stripe_opts(&fake.api_base())
            .env("FUNDRAISER_CAMPAIGN__CURRENCY", "ISK")
            .env("FUNDRAISER_CAMPAIGN__GOAL", "10000000")
            .env("FUNDRAISER_DONATION__MIN", "500")
            .env("FUNDRAISER_DONATION__MAX", "1000000")
            .env("FUNDRAISER_DONATION__PRESETS", "[]"),
    );
    let session = start_checkout(&server, "5000", "en");
    let create = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "POST")
        .expect("a session was created");
    let form: HashMap<String, String> = create.form().into_iter().collect();
    // 5,000 krónur: ISK has two decimals in Stripe's API, none in ISO 4217.
    assert_eq!(form["line_items[0][price_data][unit_amount]"], "500000");
    assert_eq!(form["line_items[0][price_data][currency]"], "isk");
    fake.set(&session, State::Paid);
    assert_eq!(
        page_of(&location(&follow_return(&server, &session))),
        "/success/"
    );
    assert_eq!(raised(&server), (5000, 1));
    assert_eq!(server.total()["raised"], "ISK\u{a0}5,000");
}

/// Sends a signed `charge.*` event with `object`; returns the server's JSON answer.
pub(crate) fn send_charge_event(
    server: &Server,
    event_id: &str,
    kind: &str,
    object: Value,
) -> Value {
    let body = event(event_id, kind, object);
    let r = post_webhook(
        server,
        &body,
        Some(&signature(WEBHOOK_SECRET, now(), &body)),
    );
    assert_eq!(r.status(), StatusCode::OK, "{kind}");
    r.json().unwrap()
}

pub(crate) fn charge_refunded(session: &str, amount_refunded: i64) -> Value {
    json!({"id": format!("ch_{session}"), "object": "charge",
           "payment_intent": payment_intent(session), "amount": 10_000,
           "amount_refunded": amount_refunded, "currency": "aed"})
}

pub(crate) fn dispute(session: &str, status: &str) -> Value {
    json!({"id": format!("dp_{session}"), "object": "dispute",
           "payment_intent": payment_intent(session), "amount": 10_000,
           "currency": "aed", "status": status})
}

/// Pays a donation of 100 through the fake Stripe and its webhook; the session id.
pub(crate) fn paid_100(server: &Server, fake: &FakeStripe, n: u32) -> String {
    let session = start_checkout(server, "100", "en");
    fake.set(&session, State::Paid);
    let answer = send_event(
        server,
        fake,
        &format!("evt_paid_{n}"),
        "checkout.session.completed",
        &session,
    );
    assert_eq!(answer["status"], "succeeded");
    session
}

#[test]
fn refunds_and_disputes_from_stripe_leave_the_total_with_what_the_charity_keeps() {
    let fake = FakeStripe::start();
    let admin = "an-admin-token-for-the-refund-tests";
    let server =
        Server::start_with(stripe_opts(&fake.api_base()).env("FUNDRAISER_ADMIN__TOKEN", admin));
    let a = paid_100(&server, &fake, 1);
    let b = paid_100(&server, &fake, 2);
    assert_eq!(raised(&server), (20_000, 2));
    assert_eq!(
        server.ledger().by_ref(&a).status,
        "succeeded",
        "the session's PaymentIntent was stored with it"
    );

    // A partial refund; Stripe's amount_refunded is cumulative.
    let answer = send_charge_event(
        &server,
        "evt_r1",
        "charge.refunded",
        charge_refunded(&a, 3_000),
    );
    assert_eq!(
        (answer["changed"].as_bool(), answer["net_minor"].as_i64()),
        (Some(true), Some(7_000))
    );
    assert_eq!(raised(&server), (17_000, 2));
    // Redelivered, and an older notice delivered late: counted once.
    send_charge_event(
        &server,
        "evt_r1",
        "charge.refunded",
        charge_refunded(&a, 3_000),
    );
    send_charge_event(
        &server,
        "evt_r0",
        "charge.refunded",
        charge_refunded(&a, 1_000),
    );
    assert_eq!(raised(&server), (17_000, 2));
    // The rest refunded: the donation keeps nothing and no longer counts.
    send_charge_event(
        &server,
        "evt_r2",
        "charge.refunded",
        charge_refunded(&a, 10_000),
    );
    assert_eq!(raised(&server), (10_000, 1));

    // A dispute withdraws the money; won, it comes back.
    send_charge_event(
        &server,
        "evt_d1",
        "charge.dispute.created",
        dispute(&b, "needs_response"),
    );
    assert_eq!(raised(&server), (0, 0));
    send_charge_event(
        &server,
        "evt_d2",
        "charge.dispute.closed",
        dispute(&b, "won"),
    );
    assert_eq!(raised(&server), (10_000, 1));

    // Lost, it stays out.
    let c = paid_100(&server, &fake, 3);
    send_charge_event(
        &server,
        "evt_d3",
        "charge.dispute.created",
        dispute(&c, "needs_response"),
    );
    send_charge_event(
        &server,
        "evt_d4",
        "charge.dispute.closed",
        dispute(&c, "lost"),
    );
    assert_eq!(raised(&server), (10_000, 1));
    // An inquiry withdraws nothing.
    let d = paid_100(&server, &fake, 4);
    let answer = send_charge_event(
        &server,
        "evt_i1",
        "charge.dispute.created",
        dispute(&d, "warning_needs_response"),
    );
    assert_eq!(answer["applied"], false);
    assert_eq!(raised(&server), (20_000, 2));

    // A refund of a payment this site never took: recorded, nothing changes.
    let answer = send_charge_event(
        &server,
        "evt_u1",
        "charge.refunded",
        charge_refunded("cs_test_unknown", 500),
    );
    assert_eq!(answer["reason"], "unknown payment");
    assert_eq!(raised(&server), (20_000, 2));

    // Every change is an event row, and the total is the ledger file's own sum.
    let ledger = server.ledger();
    assert_eq!(ledger.events_of_kind(&ledger.by_ref(&a).id, "refund"), 3);
    assert_eq!(
        ledger.events_of_kind(&ledger.by_ref(&b).id, "dispute_won"),
        1
    );
    assert_eq!(ledger.kept(), (20_000, 2));
    // The admin figures and the CSV say the same.
    let stats: Value = client()
        .get(server.url("/admin/stats"))
        .bearer_auth(admin)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let figure = |k: &str| stats[k].as_i64().unwrap();
    assert_eq!(figure("raised_minor"), 20_000);
    assert_eq!(figure("gross_minor"), 40_000);
    assert_eq!(figure("refunded_minor"), 10_000);
    assert_eq!(figure("disputed_minor"), 10_000);
    assert_eq!((figure("refunded_count"), figure("disputed_count")), (1, 2));
    let csv = client()
        .get(server.url("/admin/donations.csv"))
        .bearer_auth(admin)
        .send()
        .unwrap()
        .text()
        .unwrap();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let row_of = |session: &str| {
        rows.iter()
            .find(|r| &r[col("gateway_ref")] == session)
            .unwrap()
            .clone()
    };
    assert_eq!(&row_of(&a)[col("refunded_minor")], "10000");
    assert_eq!(&row_of(&b)[col("dispute")], "won");
    assert_eq!(&row_of(&c)[col("dispute")], "lost");
    assert_eq!(&row_of(&d)[col("dispute")], "");
    // Every call to Stripe named the pinned API version (the fake refuses others).
    assert!(
        fake.requests()
            .iter()
            .all(|r| r.header("stripe-version") == Some(fundraiser::gateway::stripe::API_VERSION))
    );
}

#[test]
fn a_webhook_of_another_api_version_is_applied_and_warned_about() {
    let fake = FakeStripe::start();
    let server = start(&fake);
    let session = start_checkout(&server, "50", "en");
    fake.set(&session, State::Paid);
    let mut body: Value = serde_json::from_str(&event(
        "evt_v",
        "checkout.session.completed",
        fake.session_json(&session),
    ))
    .unwrap();
    body["api_version"] = json!("2020-08-27");
    let body = body.to_string();
    let r = post_webhook(
        &server,
        &body,
        Some(&signature(WEBHOOK_SECRET, now(), &body)),
    );
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(raised(&server), (5_000, 1));
    let line = server
        .wait_for_log("another API version")
        .expect("a warning");
    assert!(
        line.contains("2020-08-27") && line.contains(fundraiser::gateway::stripe::API_VERSION),
        "{line}"
    );
}

#[test]
fn a_dashboard_refund_goes_to_stripe_and_its_webhook_counts_nothing_more() {
    let fake = FakeStripe::start();
    let admin = "an-admin-token-for-the-refund-tests";
    let server =
        Server::start_with(stripe_opts(&fake.api_base()).env("FUNDRAISER_ADMIN__TOKEN", admin));
    let session = paid_100(&server, &fake, 1);
    let id = server.ledger().by_ref(&session).id;
    let r = client()
        .post(server.url(&format!("/admin/donations/{id}/refund")))
        .bearer_auth(admin)
        .form(&[("amount", "40")])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().unwrap());
    assert_eq!(raised(&server), (6_000, 1));
    let refunds: Vec<Recorded> = fake
        .requests()
        .into_iter()
        .filter(|r| r.path == "/v1/refunds")
        .collect();
    assert_eq!(refunds.len(), 1);
    let form: HashMap<String, String> = refunds[0].form().into_iter().collect();
    assert_eq!(form["payment_intent"], payment_intent(&session));
    assert_eq!(form["amount"], "4000");
    assert_eq!(
        refunds[0].header("idempotency-key"),
        Some(format!("refund-{id}-intent-1").as_str())
    );
    // Stripe's own notice of the same refund: cumulative 4,000, nothing more.
    send_charge_event(
        &server,
        "evt_re_1",
        "charge.refunded",
        charge_refunded(&session, 4_000),
    );
    assert_eq!(raised(&server), (6_000, 1));
    assert_eq!(server.ledger().kept(), (6_000, 1));
}

/// Posts the dashboard's refund form of donation `id` (by script): `amount`, and the
/// refund `intent` the form names ("" as a script leaves it out).
fn admin_refund(server: &Server, admin: &str, id: &str, amount: &str, intent: &str) -> Response {
    client()
        .post(server.url(&format!("/admin/donations/{id}/refund")))
        .bearer_auth(admin)
        .form(&[("amount", amount), ("intent", intent)])
        .send()
        .unwrap()
}

fn refund_keys(fake: &FakeStripe) -> Vec<String> {
    fake.requests()
        .iter()
        .filter(|r| r.path == "/v1/refunds")
        .map(|r| r.header("idempotency-key").unwrap().to_owned())
        .collect()
}

#[test]
fn a_refund_whose_answer_was_lost_is_never_made_twice() {
    let fake = FakeStripe::start();
    let admin = "an-admin-token-for-the-refund-tests";
    let server = Server::start_with(
        stripe_opts(&fake.api_base())
            .env("FUNDRAISER_ADMIN__TOKEN", admin)
            .env("FUNDRAISER_STRIPE__REQUEST_TIMEOUT", "1s"),
    );
    let session = paid_100(&server, &fake, 1);
    let id = server.ledger().by_ref(&session).id;
    let pi = payment_intent(&session);
    // Stripe makes the refund, but neither its answer nor the retry's arrives.
    fake.lose_answers(2);
    let r = admin_refund(&server, admin, &id, "40", "1");
    let (status, text) = (r.status(), r.text().unwrap());
    assert_eq!(fake.refunded(&pi), 4_000);
    assert_eq!(raised(&server), (10_000, 1), "not recorded until known");
    // The dashboard as it stands while Stripe's answer is missing.
    let page = client()
        .get(server.url("/admin"))
        .bearer_auth(admin)
        .send()
        .unwrap()
        .text()
        .unwrap();
    // Stripe's own notice of the refund arrives; then the admin sends the form again.
    send_charge_event(
        &server,
        "evt_re_lost",
        "charge.refunded",
        charge_refunded(&session, 4_000),
    );
    assert_eq!(raised(&server), (6_000, 1));
    let retried = admin_refund(&server, admin, &id, "40", "1");
    assert_eq!(fake.refunded(&pi), 4_000, "refunded once");
    assert_eq!(raised(&server), (6_000, 1));
    assert_eq!(server.ledger().kept(), (6_000, 1));
    // What the admin was told: it may have been made, and a retry is this same refund;
    // the dashboard showed it pending, its form naming the same refund; the retry after
    // Stripe's notice is refused.
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        text.contains("the refund may have been made")
            && text.contains("trying again repeats this same refund, never a second one"),
        "{text}"
    );
    assert!(
        page.contains("Pending refund #1: AED\u{a0}40, not answered yet"),
        "{page}"
    );
    assert!(page.contains(r#"name="intent" value="1""#));
    assert_eq!(retried.status(), StatusCode::CONFLICT);
    assert_eq!(
        retried.text().unwrap(),
        "Refund #1 of AED\u{a0}40 was made already; nothing more was refunded. Reload the dashboard to refund more."
    );
    assert_eq!(
        refund_keys(&fake),
        [
            format!("refund-{id}-intent-1"),
            format!("refund-{id}-intent-1")
        ]
    );

    // Before any notice, a retry (here a script's, naming no form) repeats the pending
    // refund with its key, whatever amount it types, and records it once.
    let other = paid_100(&server, &fake, 2);
    let other_id = server.ledger().by_ref(&other).id;
    fake.lose_answers(2);
    let r = admin_refund(&server, admin, &other_id, "25", "");
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let r = admin_refund(&server, admin, &other_id, "30", "");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.text().unwrap(),
        "Refund #1 of AED\u{a0}25 was still waiting for the payment provider's answer: it was sent again as it was, not the AED\u{a0}30 typed. It is made now."
    );
    assert_eq!(fake.refunded(&payment_intent(&other)), 2_500);
    assert_eq!(raised(&server), (6_000 + 7_500, 2));
    // A new refund after it is a new intent, with a key of its own.
    let r = admin_refund(&server, admin, &other_id, "5", "");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(fake.refunded(&payment_intent(&other)), 3_000);
    assert_eq!(
        refund_keys(&fake)[2..],
        [
            format!("refund-{other_id}-intent-1"),
            format!("refund-{other_id}-intent-1"),
            format!("refund-{other_id}-intent-1"),
            format!("refund-{other_id}-intent-2"),
        ]
    );
    assert_eq!(raised(&server), (6_000 + 7_000, 2));
}
