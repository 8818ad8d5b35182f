//! Donations end to end over HTTP, against the real binary and its SQLite ledger.

use crate::common::*;
use reqwest::StatusCode;
use reqwest::blocking::Response;

fn donate(server: &Server, form: &[(&str, &str)]) -> Response {
    client()
        .post(server.url("/donate"))
        .form(form)
        .send()
        .expect("POST /donate")
}

fn follow(server: &Server, path: &str) -> Response {
    client().get(server.url(path)).send().unwrap()
}

fn raised(server: &Server) -> i64 {
    server.total()["raised_minor"].as_i64().unwrap()
}

/// A webhook signed with the test secret, as the sandbox gateway sends it.
fn webhook(server: &Server, reference: &str, outcome: &str, amount: i64) -> Response {
    sandbox_webhook(&server.base, reference, outcome, amount).unwrap()
}

#[test]
fn a_donation_through_the_sandbox_is_counted_and_shown() {
    let server = Server::start();
    let form = follow(&server, "/donate/").text().unwrap();
    assert!(form.contains(r#"action="/donate""#));
    assert_eq!(raised(&server), 0);

    let ret = server.sandbox_checkout("50", "en", "pay");
    let r = follow(&server, &ret);
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(page_of(&location(&r)), "/success/");
    assert_eq!(follow(&server, "/success/").status(), StatusCode::OK);

    let t = server.total();
    assert_eq!(t["raised_minor"], 5000);
    assert_eq!(t["donations"], 1);
    assert_eq!(t["currency"], "AED");
    assert_eq!(t["raised"], "AED\u{a0}50");
    assert_eq!(t["goal_minor"], 150_000_000);
    let home = follow(&server, "/").text().unwrap();
    assert!(
        home.contains("<strong data-live=\"raised\">AED\u{a0}50</strong>"),
        "{home}"
    );
    assert!(home.contains(r#"value="5000""#));
    let home_ar = follow(&server, "/ar/").text().unwrap();
    assert!(home_ar.contains("٥٠\u{a0}د.إ"), "{home_ar}");

    assert_eq!(server.ledger().only().status, "succeeded");
}

#[test]
fn the_checkout_page_is_marked_as_test_mode_and_shows_the_amount() {
    let server = Server::start();
    let r = donate(&server, &[("amount", "1,234.5"), ("lang", "ar")]);
    let checkout = location(&r);
    let page = follow(&server, &checkout).text().unwrap();
    assert!(page.contains("وضع تجريبي"));
    // The language switch leads to the same checkout in English.
    let twin = format!("{checkout}?lang=en");
    assert!(
        page.contains(&format!(r#"class="lang-switch" href="{twin}""#)),
        "{page}"
    );
    let english = follow(&server, &twin).text().unwrap();
    assert!(english.contains("Test mode") && english.contains("AED\u{a0}1,234.50"));
    assert!(page.contains("١٬٢٣٤٫٥٠\u{a0}د.إ"), "{page}");
    assert!(page.contains(r#"name="outcome" value="pay""#));
    assert!(page.contains(r#"name="outcome" value="decline""#));
    let r = donate(&server, &[("amount", "75"), ("lang", "en")]);
    let page = follow(&server, &location(&r)).text().unwrap();
    assert!(page.contains("Test mode"));
    assert!(page.contains("AED\u{a0}75"));
    assert_eq!(
        follow(&server, "/sandbox/checkout/AAAAAAAAAAAAAAAAAAAAAA").status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        follow(&server, "/sandbox/checkout/..%2f..%2fetc").status(),
        StatusCode::NOT_FOUND
    );
}

#[test]
fn a_declined_payment_lands_on_the_error_page_and_counts_nothing() {
    let server = Server::start();
    let ret = server.sandbox_checkout("100", "ar", "decline");
    let r = follow(&server, &ret);
    assert_eq!(location(&r), "/ar/error/");
    assert_eq!(raised(&server), 0);
    assert_eq!(server.ledger().only().status, "failed");
}

#[test]
fn replayed_returns_and_webhooks_in_any_order_count_once() {
    let server = Server::start();
    // Webhook before the return.
    let ret = server.sandbox_checkout("20", "en", "pay");
    let id = donation_id(&ret);
    for _ in 0..2 {
        let w = webhook(&server, &id, "paid", 2000);
        assert_eq!(w.status(), StatusCode::OK);
    }
    for _ in 0..3 {
        let r = follow(&server, &ret);
        assert_eq!(page_of(&location(&r)), "/success/");
    }
    let w = webhook(&server, &id, "paid", 2000);
    assert_eq!(w.status(), StatusCode::OK);
    // A late decline cannot undo a payment.
    let w = webhook(&server, &id, "declined", 2000);
    assert_eq!(w.status(), StatusCode::OK);
    assert!(eventually(|| raised(&server) == 2000));
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(raised(&server), 2000);
    assert_eq!(server.total()["donations"], 1);
    assert_eq!(server.ledger().transitions(&id, "pending", "succeeded"), 1);
}

#[test]
fn a_donor_who_never_comes_back_is_counted_by_the_webhook() {
    let server = Server::start();
    let _ret = server.sandbox_checkout("30", "en", "pay");
    // The return URL is never followed; the sandbox delivers its webhook by itself.
    assert!(
        eventually(|| raised(&server) == 3000),
        "webhook not applied"
    );
}

#[test]
fn forged_or_tampered_results_are_refused_and_change_nothing() {
    let server = Server::start();
    let ret = server.sandbox_checkout("40", "en", "decline");
    let tampered = ret.replace("outcome=declined", "outcome=paid");
    let r = follow(&server, &tampered);
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().unwrap().contains("Nothing was charged"));
    let bigger = ret.replace("amount=4000", "amount=4000000");
    assert_eq!(follow(&server, &bigger).status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        follow(&server, "/payment/return/sandbox").status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        follow(
            &server,
            "/payment/return/sandbox?ref=x&outcome=paid&amount=1&currency=AED&sig=zz"
        )
        .status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        follow(&server, "/payment/return/other?x=1").status(),
        StatusCode::NOT_FOUND
    );
    let id = donation_id(&ret);
    let body = format!(r#"{{"ref":"{id}","outcome":"paid","amount":4000,"currency":"AED"}}"#);
    let forged = client()
        .post(server.url("/payment/webhook/sandbox"))
        .header(
            "Sandbox-Signature",
            hmac_hex(b"wrong secret", body.as_bytes()),
        )
        .body(body.clone())
        .send()
        .unwrap();
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    assert!(
        forged.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let unsigned = client()
        .post(server.url("/payment/webhook/sandbox"))
        .body(body)
        .send()
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::BAD_REQUEST);
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert_eq!(raised(&server), 0);
}

#[test]
fn an_amount_the_gateway_reports_differently_is_not_counted() {
    let server = Server::start();
    let r = donate(&server, &[("amount", "10"), ("lang", "en")]);
    let id = donation_id(&location(&r));
    let w = webhook(&server, &id, "paid", 999_999);
    assert_eq!(w.status(), StatusCode::OK);
    assert_eq!(raised(&server), 0);
    assert_eq!(server.ledger().events_of_kind(&id, "mismatch"), 1);
}

#[test]
fn invalid_amounts_are_refused_with_the_form_and_no_row() {
    let server = Server::start();
    let cases: &[(&str, &str, &str)] = &[
        ("", "en", "Please choose an amount or type one."),
        ("0", "en", "The amount must be more than zero."),
        ("-5", "en", "The amount must be more than zero."),
        ("12.505", "en", "at most 2 digits after the decimal point"),
        (
            "4.99",
            "en",
            "The smallest donation we can take is AED\u{a0}5.",
        ),
        (
            "50001",
            "en",
            "The largest donation we can take online is AED\u{a0}50,000.",
        ),
        ("abc", "en", "Please type the amount as a number"),
        ("1e3", "en", "Please type the amount as a number"),
        ("abc", "ar", "يرجى كتابة المبلغ أرقامًا"),
        ("٠", "ar", "يجب أن يكون المبلغ أكبر من صفر"),
        ("٣", "ar", "أقل تبرّع يمكننا قبوله هو ٥\u{a0}د.إ"),
    ];
    for &(amount, lang, message) in cases {
        let r = donate(
            &server,
            &[
                ("amount", amount),
                ("lang", lang),
                ("name", "Amina \"A\" <b>"),
                ("email", "a@example.org"),
            ],
        );
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{amount:?}");
        let page = r.text().unwrap();
        assert!(
            page.contains(message),
            "{amount:?}: {message:?} not in page"
        );
        assert!(page.contains(&format!(r#"<html lang="{lang}""#)));
        // The typed values are kept, escaped.
        let typed = amount.replace('"', "&quot;");
        assert!(
            page.contains(&format!(r#"value="{typed}""#)),
            "{amount:?} not kept"
        );
        assert!(page.contains(r#"value="Amina &quot;A&quot; &lt;b&gt;""#));
        assert!(page.contains(r#"aria-invalid="true""#));
    }
    // No amount at all, and no preset.
    let r = donate(&server, &[("lang", "en")]);
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // A bad email is refused too, next to its field.
    let r = donate(&server, &[("amount", "50"), ("email", "not-an-email")]);
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .unwrap()
            .contains("Please enter a valid email address")
    );
    assert_eq!(server.ledger().count(), 0);
}

#[test]
fn presets_and_typed_amounts_are_understood() {
    let server = Server::start();
    let amount_of = |form: &[(&str, &str)]| -> i64 {
        let r = donate(&server, form);
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{form:?}");
        let id = donation_id(&location(&r));
        server.ledger().donation(&id).amount_minor
    };
    assert_eq!(amount_of(&[("preset", "250")]), 25_000);
    assert_eq!(amount_of(&[("preset", "250"), ("amount", "")]), 25_000);
    assert_eq!(amount_of(&[("preset", "250"), ("amount", "12.5")]), 1250);
    assert_eq!(amount_of(&[("amount", "12.50")]), 1250);
    assert_eq!(amount_of(&[("amount", "1,000")]), 100_000);
    assert_eq!(amount_of(&[("amount", "٥٠")]), 5000);
    assert_eq!(amount_of(&[("amount", "١٬٠٠٠٫٥")]), 100_050);
}

#[test]
fn amounts_follow_the_currency_exponent() {
    for (currency, typed, minor, min, max) in [
        ("JPY", "1000", 1000_i64, "100", "1000000"),
        ("KWD", "1.5", 1500, "1", "1000"),
        ("KWD", "2.125", 2125, "1", "1000"),
        ("AED", "12.5", 1250, "5", "50000"),
    ] {
        let server = Server::start_with(
            Opts::default()
                .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
                .env("FUNDRAISER_CAMPAIGN__CURRENCY", currency)
                .env("FUNDRAISER_DONATION__MIN", min)
                .env("FUNDRAISER_DONATION__MAX", max)
                .env("FUNDRAISER_DONATION__PRESETS", "[]"),
        );
        let r = donate(&server, &[("amount", typed)]);
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{currency} {typed}");
        let stored = server.ledger().only();
        assert_eq!(
            (stored.amount_minor, stored.currency.as_str()),
            (minor, currency)
        );
        if currency == "JPY" {
            let r = donate(&server, &[("amount", "1000.5")]);
            assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
            assert!(r.text().unwrap().contains("at most 0 digits"));
        }
    }
}

#[test]
fn concurrent_donors_add_up_exactly() {
    let server = Server::start();
    let clients = 16;
    let per_client = 200 / clients + 1; // 13 each: 208 donations
    let expected: i64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|c| {
                let server = &server;
                scope.spawn(move || {
                    let mut sum = 0;
                    for i in 0..per_client {
                        let major = 5 + c * 7 + i;
                        let ret = server.sandbox_checkout(&major.to_string(), "en", "pay");
                        let r = follow(server, &ret);
                        assert_eq!(page_of(&location(&r)), "/success/");
                        sum += major as i64 * 100;
                    }
                    sum
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    let n = clients * per_client;
    assert!(eventually(|| raised(&server) == expected));
    assert_eq!(server.total()["donations"], n as i64);
    assert_eq!(server.ledger().succeeded(), (expected, n as i64));
}

#[test]
fn a_restart_on_the_same_ledger_keeps_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Opts {
        dir: Some(dir.path().to_path_buf()),
        ..Opts::default()
    }
    .env("FUNDRAISER_SANDBOX__SECRET", SECRET);
    let server = Server::start_with(opts.clone());
    for amount in ["10", "20.25"] {
        server.pay(amount);
    }
    assert_eq!(raised(&server), 3025);
    assert_eq!(server.terminate().code(), Some(0));
    let server = Server::start_with(opts);
    let t = server.total();
    assert_eq!(t["raised_minor"], 3025);
    assert_eq!(t["donations"], 2);
    assert!(
        follow(&server, "/")
            .text()
            .unwrap()
            .contains("AED\u{a0}30.25")
    );
}

#[test]
fn the_total_api_is_cacheable_briefly_and_matches_the_home_page() {
    let server = Server::start();
    server.pay("1234.5");
    let r = follow(&server, "/api/total");
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["cache-control"], "public, max-age=5");
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let t: serde_json::Value = r.json().unwrap();
    assert_eq!(t["raised"], "AED\u{a0}1,234.50");
    assert_eq!(t["display"]["ar"]["raised"], "١٬٢٣٤٫٥٠\u{a0}د.إ");
    assert!(t["updated_at"].as_str().unwrap().contains('T'));
    let home = follow(&server, "/");
    assert_eq!(home.headers()["cache-control"], "public, max-age=5");
    assert!(home.text().unwrap().contains(">AED\u{a0}1,234.50<"));
}

#[test]
fn an_oversized_form_is_refused_with_413() {
    let server = Server::start();
    let big = "x".repeat(5000);
    let r = donate(&server, &[("amount", "50"), ("name", &big)]);
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(server.ledger().count(), 0);
}

#[test]
fn the_honeypot_refuses_bots() {
    let server = Server::start();
    let r = donate(
        &server,
        &[("amount", "50"), ("website", "http://spam.example")],
    );
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(server.ledger().count(), 0);
}

#[test]
fn an_ended_campaign_refuses_politely() {
    let server = Server::start_with(
        Opts::default()
            .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
            .env("FUNDRAISER_CAMPAIGN__ENDS_AT", "2020-01-01T00:00:00Z"),
    );
    let page = follow(&server, "/donate/").text().unwrap();
    assert!(page.contains("This campaign has ended"));
    assert!(!page.contains(r#"action="/donate""#));
    let r = donate(&server, &[("amount", "50"), ("lang", "ar")]);
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().unwrap().contains("انتهت هذه الحملة"));
    assert_eq!(server.ledger().count(), 0);
}

#[test]
fn without_a_configured_secret_one_is_generated_once_and_kept_in_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let opts = Opts {
        dir: Some(dir.path().to_path_buf()),
        ..Opts::default()
    };
    let server = Server::start_with(opts.clone());
    let ret = server.sandbox_checkout("15", "en", "pay");
    assert_eq!(page_of(&location(&follow(&server, &ret))), "/success/");
    let secret = || -> String {
        LedgerFile::open(&dir.path().join("data/ledger.db"))
            .setting("sandbox.secret")
            .expect("a sandbox secret kept in the ledger")
    };
    let first = secret();
    assert_eq!(first.len(), 64);
    assert!(first.bytes().all(|b| b.is_ascii_hexdigit()));
    server.stop();
    let server = Server::start_with(opts);
    // A return signed before the restart still verifies: the secret was kept.
    assert_eq!(page_of(&location(&follow(&server, &ret))), "/success/");
    assert_eq!(secret(), first);
    assert_eq!(raised(&server), 1500);
}

#[test]
fn counts_of_donations_take_each_languages_plural_forms() {
    let server = Server::start();
    let shown = |lang: &str| -> String {
        server.total()["display"][lang]["donations"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let expected = [
        ("0 donations", "لا تبرّعات بعد"),
        ("1 donation", "تبرّع واحد"),
        ("2 donations", "تبرّعان"),
        ("3 donations", "٣ تبرّعات"),
    ];
    for (paid, (en, ar)) in expected.iter().enumerate() {
        if paid > 0 {
            server.pay("20");
        }
        assert_eq!((shown("en"), shown("ar")), (en.to_string(), ar.to_string()));
        let home = follow(&server, "/").text().unwrap();
        assert!(
            home.contains(&format!(r#"<span data-live="donations">{en}</span>"#)),
            "{en} on the home page"
        );
        let home_ar = follow(&server, "/ar/").text().unwrap();
        assert!(
            home_ar.contains(&format!(r#"<span data-live="donations">{ar}</span>"#)),
            "{ar} on the Arabic home page"
        );
    }
}

/// POSTs to the fake Stripe that create a Checkout Session.
fn sessions_created(fake: &crate::fake_stripe::FakeStripe) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path == "/v1/checkout/sessions")
        .count()
}

#[test]
fn a_donation_begun_under_another_gateway_or_mode_is_never_sent_to_a_checkout() {
    let dir = tempfile::tempdir().unwrap();
    let in_dir = |opts: Opts| Opts {
        dir: Some(dir.path().to_path_buf()),
        ..opts
    };
    // The sandbox: a donation whose donor never opened its checkout.
    let sandbox = Server::start_with(in_dir(
        Opts::default().env("FUNDRAISER_SANDBOX__SECRET", SECRET),
    ));
    let r = donate(&sandbox, &[("amount", "37.5"), ("lang", "en")]);
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let sandboxed = donation_id(&location(&r));
    assert_eq!(sandbox.terminate().code(), Some(0));

    // The same ledger with Stripe (test keys): its waiting page starts no Stripe checkout.
    let fake = crate::fake_stripe::FakeStripe::start();
    let stripe = Server::start_with(in_dir(crate::stripe::stripe_opts(&fake.api_base())));
    for _ in 0..2 {
        let r = follow(&stripe, &format!("/donate/wait/{sandboxed}"));
        assert_eq!(r.status(), StatusCode::CONFLICT);
        assert_eq!(r.headers()["cache-control"], "no-store");
        let page = r.text().unwrap();
        assert!(
            page.contains("Your payment could not continue") && page.contains("start again"),
            "{page}"
        );
        // The donate form, holding the donor's amount, posting to /donate.
        assert!(page.contains(r#"name="amount""#), "{page}");
        assert!(page.contains(r#"value="37.50""#), "{page}");
        assert!(page.contains(r#"action="/donate""#), "{page}");
    }
    assert_eq!(sessions_created(&fake), 0, "no checkout was started");
    let ledger = stripe.ledger();
    assert_eq!(ledger.donation(&sandboxed).status, "expired");
    assert_eq!(ledger.transitions(&sandboxed, "pending", "expired"), 1);
    // A Stripe donation of test money, its checkout made (its donor still on the way).
    let r = stripe.donate("100", "ar");
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(sessions_created(&fake), 1);
    let test_money = stripe.ledger().by_ref("cs_test_fake1").id;
    assert_eq!(stripe.terminate().code(), Some(0));

    // The same gateway with live keys: test money's checkout is not offered either.
    let live = Server::start_with(in_dir(crate::stripe::stripe_opts(&fake.api_base()).env(
        "FUNDRAISER_STRIPE__SECRET_KEY",
        "sk_live_51NotARealKeyForTheTests",
    )));
    let r = follow(&live, &format!("/ar/donate/wait/{test_money}"));
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let page = r.text().unwrap();
    assert!(page.contains("تعذّر إكمال دفعتك"), "{page}");
    assert!(!page.contains("cs_test_fake1"), "{page}");
    // 100 is a preset: chosen again.
    assert!(
        page.contains(r#"value="100" checked"#) || page.contains(r#"checked value="100""#),
        "{page}"
    );
    assert_eq!(sessions_created(&fake), 1);
    assert_eq!(live.ledger().donation(&test_money).status, "expired");
}
