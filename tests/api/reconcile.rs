//! Reconciliation over HTTP: payments whose notification never came are healed by one
//! run (of `fundraiser reconcile` beside the server, the admin route, or the background
//! task), events Stripe never delivered are applied from its event list, and a second
//! run changes nothing.

use crate::admin::{TOKEN, admin_server, basic, bearer, form_token, get_admin};
use crate::common::*;
use crate::fake_stripe::*;
use crate::stripe::{charge_refunded, paid_100, raised, send_event, start_checkout, stripe_opts};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn stripe_server(fake: &FakeStripe, after: &str) -> Server {
    Server::start_with(
        stripe_opts(&fake.api_base())
            .env("FUNDRAISER_ADMIN__TOKEN", TOKEN)
            .env("FUNDRAISER_STRIPE__RECONCILE_EVERY", "0")
            .env("FUNDRAISER_STRIPE__RECONCILE_AFTER", after),
    )
}

/// `POST /admin/reconcile` as a script sends it; the run's record.
fn reconcile_now(server: &Server) -> Value {
    let r = bearer(client().post(server.url("/admin/reconcile")))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().unwrap()
}

/// `fundraiser reconcile` beside the running server: its exit status and output.
fn reconcile_cli(server: &Server) -> (bool, String) {
    let out = run_briefly(command(
        std::path::Path::new(binary()),
        server.workdir(),
        &["reconcile", "--url", &server.base],
        &[("FUNDRAISER_ADMIN__TOKEN", TOKEN)],
    ));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

fn metric(server: &Server, name: &str) -> u64 {
    let text = get_admin(server, "/metrics").text().unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{name} ")))
        .unwrap_or_else(|| panic!("{name} in /metrics"))
        .parse()
        .unwrap()
}

/// The public total equals what the ledger file says the charity keeps.
fn assert_total_is_the_ledger(server: &Server) {
    assert_eq!(raised(server), server.ledger().kept());
}

#[test]
fn a_paid_checkout_whose_webhook_and_donor_never_came_is_counted_by_one_run() {
    let fake = FakeStripe::start();
    let server = stripe_server(&fake, "0s");
    let paid = start_checkout(&server, "100", "en");
    let open = start_checkout(&server, "40", "en");
    // Paid at Stripe; its webhook never sent, its donor never back.
    fake.set(&paid, State::Paid);
    assert_eq!(raised(&server), (0, 0));

    let (ok, out) = reconcile_cli(&server);
    assert!(ok, "{out}");
    assert!(
        out.contains(
            "reconciled with stripe: 2 pending checkouts asked about, 0 gateway events listed, 1 missed result healed"
        ),
        "{out}"
    );
    assert_eq!(raised(&server), (10_000, 1));
    assert_eq!(server.ledger().by_ref(&paid).status, "succeeded");
    assert_eq!(server.ledger().by_ref(&open).status, "pending");
    let id = server.ledger().by_ref(&paid).id;
    assert_eq!(server.ledger().events_of_kind(&id, "reconcile:paid"), 1);
    // Both sessions were retrieved, with the pinned version (the fake checks it), and
    // Stripe's events listed for the types this site acts on.
    let requests = fake.requests();
    for session in [&paid, &open] {
        let path = format!("/v1/checkout/sessions/{session}");
        assert_eq!(requests.iter().filter(|r| r.path == path).count(), 1);
    }
    let listing = requests
        .iter()
        .find(|r| r.path.starts_with("/v1/events?"))
        .expect("the events were listed");
    for kind in fundraiser::gateway::stripe::EVENT_TYPES {
        assert!(
            listing.path.contains(&format!("types%5B%5D={kind}")),
            "{kind} in {}",
            listing.path
        );
    }
    assert!(
        listing.path.contains("created%5Bgte%5D="),
        "{}",
        listing.path
    );

    // A second run changes nothing. It asks again about the checkout still open (its
    // donor may pay it yet), not about the one now counted.
    let second = reconcile_now(&server);
    assert_eq!(second["healed"], 0);
    assert_eq!(second["sessions_checked"], 1);
    let asked = |session: &str| {
        let path = format!("/v1/checkout/sessions/{session}");
        fake.requests().iter().filter(|r| r.path == path).count()
    };
    assert_eq!((asked(&paid), asked(&open)), (1, 2));
    assert_eq!(second["complete"], true);
    assert_eq!(raised(&server), (10_000, 1));
    // The webhook, arriving late after all, counts nothing more.
    let answer = send_event(
        &server,
        &fake,
        "evt_late",
        "checkout.session.completed",
        &paid,
    );
    assert_eq!(answer["changed"], false);
    assert_eq!(raised(&server), (10_000, 1));

    let stats: Value = get_admin(&server, "/admin/stats").json().unwrap();
    let r = &stats["reconciliation"];
    assert_eq!(r["runs"], 2);
    assert_eq!(r["healed"], 1);
    assert_eq!(r["last"]["healed"], 0);
    assert_eq!(r["last"]["gateway"], "stripe");
    assert!(r["last"]["finished_at"].as_str().unwrap().ends_with('Z'));
    assert_eq!(metric(&server, "fundraiser_reconcile_runs_total"), 2);
    assert_eq!(metric(&server, "fundraiser_reconcile_healed_total"), 1);
    assert_eq!(metric(&server, "fundraiser_reconcile_failures_total"), 0);
    assert_total_is_the_ledger(&server);
}

#[test]
fn events_stripe_never_delivered_are_applied_from_its_paged_event_list() {
    let fake = FakeStripe::start();
    // Checkouts are left to the event list here: none is old enough to be retrieved.
    let server = stripe_server(&fake, "1h");
    let a = paid_100(&server, &fake, 1);
    // The event that webhook delivered is in Stripe's list too: applied once only.
    fake.add_event(
        "evt_paid_1",
        "checkout.session.completed",
        fake.session_json(&a),
    );
    // A refund of A, never delivered.
    fake.add_event(
        "evt_refund_a",
        "charge.refunded",
        charge_refunded(&a, 3_000),
    );
    // B paid and then part-refunded; neither event delivered. Listed newest first, the
    // refund comes before the payment it refunds.
    let b = start_checkout(&server, "100", "en");
    fake.set(&b, State::Paid);
    fake.add_event(
        "evt_paid_b",
        "checkout.session.completed",
        fake.session_json(&b),
    );
    fake.add_event(
        "evt_refund_b",
        "charge.refunded",
        charge_refunded(&b, 2_000),
    );
    // Events of sessions this site did not create, and a type it does not act on.
    for n in 0..3 {
        fake.add_event(
            &format!("evt_other_{n}"),
            "checkout.session.completed",
            json!({"id": format!("cs_test_other{n}"), "object": "checkout.session",
                   "payment_status": "paid", "status": "complete", "amount_total": 500,
                   "currency": "aed", "metadata": {}}),
        );
    }
    fake.add_event("evt_charge", "charge.succeeded", json!({"id": "ch_x"}));
    assert_eq!(raised(&server), (10_000, 1));

    let run = reconcile_now(&server);
    assert_eq!(run["complete"], true, "{run}");
    assert_eq!(run["events_listed"], 7, "every listed event counted: {run}");
    assert_eq!(run["healed"], 3, "B paid, A and B refunded: {run}");
    assert_eq!(raised(&server), (7_000 + 8_000, 2));
    assert_eq!(server.ledger().by_ref(&b).status, "succeeded");
    // Paged: 7 events of the listed types at 2 a page.
    let pages = fake
        .requests()
        .iter()
        .filter(|r| r.path.starts_with("/v1/events?"))
        .count();
    assert_eq!(pages, 7_usize.div_ceil(EVENTS_PAGE));
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.path.contains("starting_after=")),
        "later pages start after the last event of the one before"
    );

    // A second run lists them again (they are recent) and changes nothing.
    let again = reconcile_now(&server);
    assert_eq!(again["healed"], 0, "{again}");
    assert_eq!(raised(&server), (15_000, 2));
    // Nor does the webhook of a refund reconciliation already applied.
    let body = crate::stripe::send_charge_event(
        &server,
        "evt_refund_a",
        "charge.refunded",
        charge_refunded(&a, 3_000),
    );
    assert_eq!(body["changed"], false);
    assert_eq!(raised(&server), (15_000, 2));
    assert_total_is_the_ledger(&server);
}

#[test]
fn an_unreachable_stripe_stops_a_run_which_the_next_one_resumes() {
    let fake = FakeStripe::start();
    let server = stripe_server(&fake, "0s");
    let paid = start_checkout(&server, "100", "en");
    fake.set(&paid, State::Paid);
    fake.fail(Some(Failure::Status500));
    let (ok, out) = reconcile_cli(&server);
    assert!(!ok, "a stopped run is a failure for scripts: {out}");
    assert!(out.contains("stopped early"), "{out}");
    assert!(!out.contains(SECRET_KEY), "{out}");
    assert_eq!(raised(&server), (0, 0));
    assert_eq!(metric(&server, "fundraiser_reconcile_failures_total"), 1);
    fake.fail(None);
    let run = reconcile_now(&server);
    assert_eq!(run["healed"], 1, "{run}");
    assert_eq!(raised(&server), (10_000, 1));
}

#[test]
fn with_sandbox_webhooks_off_the_background_run_counts_a_donor_who_never_returned() {
    let server = admin_server(&[
        ("FUNDRAISER_SANDBOX__WEBHOOKS", "false"),
        ("FUNDRAISER_SANDBOX__RECONCILE_AFTER", "0s"),
        ("FUNDRAISER_SANDBOX__RECONCILE_EVERY", "1s"),
    ]);
    // Both donors choose on the sandbox's checkout and close the tab.
    let paid = donation_id(&server.sandbox_checkout("25", "en", "pay"));
    let declined = donation_id(&server.sandbox_checkout("30", "ar", "decline"));
    assert!(
        eventually(|| server.total()["raised_minor"] == 2_500),
        "the background run counts the paid one: {}",
        server.total()
    );
    assert!(eventually(
        || server.ledger().donation(&declined).status == "failed"
    ));
    assert_eq!(server.ledger().donation(&paid).status, "succeeded");
    assert!(
        server
            .wait_for_log("sandbox webhook not sent (sandbox.webhooks = false)")
            .is_some()
    );
    // The run is recorded once it is over.
    assert!(eventually(|| {
        let stats: Value = get_admin(&server, "/admin/stats").json().unwrap();
        stats["reconciliation"]["healed"] == 2
    }));
    let page = get_admin(&server, "/admin").text().unwrap();
    assert!(
        page.contains("Last reconciled at "),
        "the dashboard says when"
    );
    assert!(
        page.contains("2 missed results healed in "),
        "and what in all"
    );

    // The dashboard's button: from the dashboard itself, with its form token.
    let token = form_token(&server);
    let url = server.url("/admin/reconcile");
    let r = basic(client().post(&url))
        .header("Origin", server.base.as_str())
        .form(&[("form_token", token.as_str())])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/admin#reconciliation");
    // Not from another site, nor without the token.
    for attempt in [
        basic(client().post(&url))
            .header("Origin", "https://evil.example")
            .form(&[("form_token", token.as_str())]),
        basic(client().post(&url)).form(&[("form_token", "")]),
    ] {
        assert_eq!(attempt.send().unwrap().status(), StatusCode::FORBIDDEN);
    }
    assert_eq!(
        client().post(&url).send().unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(server.total()["raised_minor"], 2_500);
}

#[test]
fn with_sandbox_webhooks_on_reconciliation_finds_nothing_to_heal() {
    let server = admin_server(&[("FUNDRAISER_SANDBOX__RECONCILE_AFTER", "0s")]);
    server.sandbox_checkout("25", "en", "pay");
    assert!(eventually(|| server.total()["raised_minor"] == 2_500));
    let run = reconcile_now(&server);
    assert_eq!(run["healed"], 0, "{run}");
    assert_eq!(run["sessions_checked"], 0, "nothing is pending: {run}");
    assert_eq!(server.total()["raised_minor"], 2_500);
}

#[test]
fn a_checkout_still_open_when_asked_about_is_asked_about_again_by_the_next_run() {
    let server = admin_server(&[
        ("FUNDRAISER_SANDBOX__WEBHOOKS", "false"),
        ("FUNDRAISER_SANDBOX__RECONCILE_AFTER", "0s"),
        ("FUNDRAISER_SANDBOX__RECONCILE_EVERY", "0"),
    ]);
    let r = server.donate("40", "en");
    let checkout = location(&r);
    let first = reconcile_now(&server);
    assert_eq!(
        (first["sessions_checked"].as_u64(), first["healed"].as_u64()),
        (Some(1), Some(0)),
        "asked about, but the donor has not chosen yet: {first}"
    );
    // The donor pays later, and closes the tab.
    let r = client()
        .post(server.url(&checkout))
        .form(&[("outcome", "pay")])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(server.total()["raised_minor"], 0);
    let second = reconcile_now(&server);
    assert_eq!(second["healed"], 1, "{second}");
    assert_eq!(server.total()["raised_minor"], 4_000);
    let third = reconcile_now(&server);
    assert_eq!(third["sessions_checked"], 0, "nothing is pending: {third}");
}
