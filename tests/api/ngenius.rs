//! The N-Genius gateway end to end over HTTP: the real binary against a fake N-Genius
//! Online on a loopback port (`fake_ngenius`), on SQLite and, when `TEST_POSTGRES_URL`
//! is set, on PostgreSQL. Money moves only on the order's status as N-Genius answers it.

use std::time::Duration;

use crate::common::postgres::{self, LedgerDb};
use crate::common::*;
use crate::fake_ngenius::*;
use reqwest::StatusCode;
use reqwest::blocking::Response;
use serde_json::{Value, json};

const PUBLIC_URL: &str = "https://give.example.org";
const HOOK_HEADER: &str = "X-Fundraiser-Hook";
const HOOK_SECRET: &str = "a-webhook-header-value-set-in-the-portal";
const ADMIN: &str = "an-admin-token-for-the-ngenius-tests";

/// A ledger for one run of a test: the server's own SQLite file, or a fresh PostgreSQL
/// database.
#[derive(Clone)]
enum Ledger {
    Sqlite,
    Postgres(String),
}

/// Runs `test` on SQLite, then on PostgreSQL when the suite has one.
fn on_each_ledger(name: &str, test: impl Fn(Ledger)) {
    test(Ledger::Sqlite);
    if let Some(server) = postgres::server(name) {
        test(Ledger::Postgres(postgres::fresh_database(&server)));
    }
}

fn opts(fake: &FakeNgenius, ledger: &Ledger) -> Opts {
    let opts = Opts::default()
        .env("FUNDRAISER_GATEWAY__KIND", "ngenius")
        .env("FUNDRAISER_NGENIUS__API_KEY", API_KEY)
        .env("FUNDRAISER_NGENIUS__OUTLET_REF", OUTLET)
        .env("FUNDRAISER_NGENIUS__API_BASE", &fake.base())
        .env("FUNDRAISER_NGENIUS__PAYPAGE_ORIGIN", &fake.base())
        .env("FUNDRAISER_NGENIUS__WEBHOOK_HEADER", HOOK_HEADER)
        .env("FUNDRAISER_NGENIUS__WEBHOOK_SECRET", HOOK_SECRET)
        .env("FUNDRAISER_NGENIUS__RECONCILE_EVERY", "0")
        .env("FUNDRAISER_NGENIUS__RECONCILE_AFTER", "0")
        .env("FUNDRAISER_ADMIN__TOKEN", ADMIN)
        .env("FUNDRAISER_SERVER__PUBLIC_URL", PUBLIC_URL);
    match ledger {
        Ledger::Sqlite => opts,
        Ledger::Postgres(url) => opts.env("FUNDRAISER_LEDGER__URL", url),
    }
}

fn start(fake: &FakeNgenius, ledger: &Ledger) -> Server {
    Server::start_with(opts(fake, ledger))
}

/// Donates and answers the reference of the order N-Genius (the fake) created.
fn start_checkout(server: &Server, fake: &FakeNgenius, amount: &str, lang: &str) -> String {
    let r = server.donate(amount, lang);
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "donate {amount}");
    location(&r)
        .strip_prefix(&format!("{}/paypage/?code=", fake.base()))
        .expect("sent to the payment page")
        .to_owned()
}

/// The donor on the payment page: pays, declines or stops at 3-D Secure; answers where
/// N-Genius sends them back (our return URL, with `?ref=`).
fn on_paypage(fake: &FakeNgenius, reference: &str, outcome: &str) -> String {
    let r = client()
        .get(format!(
            "{}/paypage/?code={reference}&outcome={outcome}",
            fake.base()
        ))
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::FOUND);
    location(&r)
}

/// Follows a return address N-Genius gave, on our server.
fn follow_return(server: &Server, back: &str) -> Response {
    let path = back.strip_prefix(PUBLIC_URL).expect("our return URL");
    client().get(server.url(path)).send().unwrap()
}

fn return_with(server: &Server, reference: &str) -> Response {
    client()
        .get(server.url(&format!("/payment/return/ngenius?ref={reference}")))
        .send()
        .unwrap()
}

fn webhook(server: &Server, body: &Value, header: Option<&str>) -> Response {
    let mut req = client()
        .post(server.url("/payment/webhook/ngenius"))
        .header("Content-Type", "application/json")
        .body(body.to_string());
    if let Some(h) = header {
        req = req.header(HOOK_HEADER, h);
    }
    req.send().unwrap()
}

/// A webhook as N-Genius posts one: the event and the order (as the fake has it).
fn event(fake: &FakeNgenius, reference: &str, name: &str) -> Value {
    json!({"eventName": name, "order": fake.order_json(reference)})
}

fn reconcile_now(server: &Server) -> Value {
    let r = client()
        .post(server.url("/admin/reconcile"))
        .bearer_auth(ADMIN)
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().unwrap()
}

fn raised(server: &Server) -> (i64, i64) {
    let t = server.total();
    (
        t["raised_minor"].as_i64().unwrap(),
        t["donations"].as_i64().unwrap(),
    )
}

/// The donation an order was made for, from its merchant order reference.
fn donation_of_order(fake: &FakeNgenius, reference: &str) -> String {
    let mor = fake.order(reference).body["merchantOrderReference"]
        .as_str()
        .unwrap()
        .to_owned();
    fundraiser::gateway::ngenius::donation_of(&mor)
        .expect("a donation's reference")
        .to_string()
}

fn status_of(server: &Server, ledger: &Ledger, fake: &FakeNgenius, reference: &str) -> String {
    let id = donation_of_order(fake, reference);
    match ledger {
        Ledger::Sqlite => server.ledger().donation(&id).status,
        Ledger::Postgres(url) => LedgerDb::open(url).status(&id).expect("the donation"),
    }
}

/// A text of `[wait]` in `pages/<lang>/site.toml`.
fn wait_text(lang: &str, key: &str) -> String {
    let path = format!("{}/pages/{lang}/site.toml", env!("CARGO_MANIFEST_DIR"));
    let table: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    table["wait"][key].as_str().unwrap().to_owned()
}

fn minor(amount: &str) -> i64 {
    amount.parse::<i64>().unwrap() * 100
}

// ---------------------------------------------------------------------------------

#[test]
fn an_order_is_created_with_every_field_in_the_donors_language() {
    let fake = FakeNgenius::start();
    let server = start(&fake, &Ledger::Sqlite);
    let en = start_checkout(&server, &fake, "25", "en");
    let ar = start_checkout(&server, &fake, "30", "ar");

    let tokens = fake.calls("POST", "/identity/auth/access-token");
    assert_eq!(tokens.len(), 1, "one token for both orders");
    assert_eq!(
        tokens[0].header("authorization"),
        Some(format!("Basic {API_KEY}").as_str())
    );
    assert_eq!(
        tokens[0].header("content-type"),
        Some("application/vnd.ni-identity.v1+json")
    );
    let creates = fake.calls("POST", &fake.orders_path());
    assert_eq!(creates.len(), 2);
    for c in &creates {
        assert_eq!(
            c.header("content-type"),
            Some("application/vnd.ni-payment.v2+json")
        );
        assert_eq!(
            c.header("accept"),
            Some("application/vnd.ni-payment.v2+json")
        );
        assert!(
            c.header("authorization")
                .unwrap()
                .starts_with("Bearer tok-1-")
        );
    }
    let body = fake.order(&en).body;
    // The server runs on the built-in defaults, whatever config.toml says.
    let currency = "AED";
    assert_eq!(body["action"], "PURCHASE");
    assert_eq!(
        body["amount"],
        json!({"currencyCode": currency, "value": minor("25")})
    );
    assert_eq!(body["language"], "en");
    let mor = body["merchantOrderReference"].as_str().unwrap();
    assert!(
        !mor.is_empty() && mor.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'),
        "{mor}"
    );
    let id = donation_of_order(&fake, &en);
    assert_eq!(
        server.ledger().donation(&id).gateway_ref.as_deref(),
        Some(en.as_str())
    );
    assert_eq!(
        body["merchantAttributes"],
        json!({
            "redirectUrl": format!("{PUBLIC_URL}/payment/return/ngenius"),
            "cancelUrl": format!("{PUBLIC_URL}/error/"),
            "skipConfirmationPage": true,
        })
    );
    assert!(
        body.get("emailAddress").is_none(),
        "no email given, none sent: {body}"
    );
    let body = fake.order(&ar).body;
    assert_eq!(body["language"], "ar");
    assert_eq!(body["amount"]["value"], minor("30"));
    assert_eq!(
        body["merchantAttributes"]["cancelUrl"],
        format!("{PUBLIC_URL}/ar/error/")
    );

    // A donor who gave an email finds it on the payment page.
    let r = client()
        .post(server.url("/donate"))
        .form(&[
            ("amount", "20"),
            ("lang", "en"),
            ("email", "donor@example.org"),
        ])
        .send()
        .unwrap();
    let with_email = location(&r)
        .strip_prefix(&format!("{}/paypage/?code=", fake.base()))
        .expect("sent to the payment page")
        .to_owned();
    assert_eq!(
        fake.order(&with_email).body["emailAddress"],
        "donor@example.org"
    );

    // The donate form may be posted to the payment page (Chrome applies form-action to
    // the redirect).
    let r = client().get(server.url("/")).send().unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains(&format!("form-action 'self' {};", fake.base())),
        "{csp}"
    );
}

#[test]
fn a_paid_order_counts_once_across_return_webhook_and_reconciliation_in_every_order() {
    on_each_ledger(
        "a_paid_order_counts_once_across_return_webhook_and_reconciliation_in_every_order",
        |ledger| {
            let fake = FakeNgenius::start();
            let server = start(&fake, &ledger);
            let orders = ["rwc", "wcr", "crw", "cwr"];
            let mut count = 0;
            for (i, order) in orders.iter().enumerate() {
                let reference = start_checkout(&server, &fake, "10", "en");
                let back = on_paypage(&fake, &reference, "pay");
                for step in order.chars() {
                    match step {
                        'r' => {
                            let r = follow_return(&server, &back);
                            assert_eq!(r.status(), StatusCode::SEE_OTHER);
                            assert_eq!(page_of(&location(&r)), "/success/", "{order}");
                        }
                        'w' => {
                            let r = webhook(
                                &server,
                                &event(&fake, &reference, "PURCHASED"),
                                Some(HOOK_SECRET),
                            );
                            assert_eq!(r.status(), StatusCode::OK, "{order}");
                        }
                        _ => {
                            reconcile_now(&server);
                        }
                    }
                    if count == i {
                        count += 1;
                    }
                    assert_eq!(
                        raised(&server),
                        (count as i64 * 1_000, count as i64),
                        "{order}"
                    );
                }
                assert_eq!(status_of(&server, &ledger, &fake, &reference), "succeeded");
            }
        },
    );
}

#[test]
fn a_forged_return_counts_nothing() {
    on_each_ledger("a_forged_return_counts_nothing", |ledger| {
        let fake = FakeNgenius::start();
        let server = start(&fake, &ledger);
        let unpaid = start_checkout(&server, &fake, "10", "en");
        // An order reference nobody made: refused without asking N-Genius.
        let asked = fake.requests().len();
        let r = return_with(&server, "0f1e2d3c-aaaa-bbbb-cccc-000000000000");
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        assert_eq!(fake.requests().len(), asked);
        // Malformed, twice given, or missing.
        for query in ["ref=../../x", "ref=a&ref=b", "", "ref="] {
            let r = client()
                .get(server.url(&format!("/payment/return/ngenius?{query}")))
                .send()
                .unwrap();
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{query}");
        }
        // Another donor's order, not paid: its status is asked, and it is not paid.
        let r = return_with(&server, &unpaid);
        assert_eq!(page_of(&location(&r)), "/error/");
        assert_eq!(raised(&server), (0, 0));
        assert_eq!(status_of(&server, &ledger, &fake, &unpaid), "pending");
    });
}

#[test]
fn webhooks_need_the_header_and_their_body_cannot_claim_a_payment() {
    on_each_ledger(
        "webhooks_need_the_header_and_their_body_cannot_claim_a_payment",
        |ledger| {
            let fake = FakeNgenius::start();
            let server = start(&fake, &ledger);
            let reference = start_checkout(&server, &fake, "10", "en");
            // The body claims PURCHASED for an order that is not paid.
            let mut claim = event(&fake, &reference, "PURCHASED");
            claim["order"]["_embedded"]["payment"][0]["state"] = json!("PURCHASED");
            let asked = fake.requests().len();
            for header in [None, Some("wrong"), Some("")] {
                let r = webhook(&server, &claim, header);
                assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{header:?}");
            }
            assert_eq!(
                fake.requests().len(),
                asked,
                "nothing asked without the header"
            );
            let r = webhook(&server, &claim, Some(HOOK_SECRET));
            assert_eq!(r.status(), StatusCode::OK);
            let answer: Value = r.json().unwrap();
            assert_eq!(answer["applied"], false);
            assert_eq!(raised(&server), (0, 0));
            assert_eq!(status_of(&server, &ledger, &fake, &reference), "pending");
            // An order N-Genius does not know, or a body naming none.
            let mut unknown = claim.clone();
            unknown["order"]["reference"] = json!("0f1e2d3c-aaaa-bbbb-cccc-000000000000");
            let r = webhook(&server, &unknown, Some(HOOK_SECRET));
            assert_eq!(r.status(), StatusCode::BAD_REQUEST);
            let r = webhook(
                &server,
                &json!({"eventName": "PURCHASED"}),
                Some(HOOK_SECRET),
            );
            assert_eq!(r.status(), StatusCode::BAD_REQUEST);
            // Once the order is paid, the same webhook counts it.
            fake.set(&reference, "PURCHASED");
            let r = webhook(&server, &claim, Some(HOOK_SECRET));
            assert_eq!(r.status(), StatusCode::OK);
            assert_eq!(raised(&server), (1_000, 1));
        },
    );
}

#[test]
fn a_donor_who_never_returns_and_whose_webhook_was_lost_is_counted_by_reconciliation() {
    on_each_ledger(
        "a_donor_who_never_returns_and_whose_webhook_was_lost_is_counted_by_reconciliation",
        |ledger| {
            let fake = FakeNgenius::start();
            let server = start(&fake, &ledger);
            let paid = start_checkout(&server, &fake, "20", "en");
            let declined = start_checkout(&server, &fake, "15", "en");
            let open = start_checkout(&server, &fake, "5", "en");
            on_paypage(&fake, &paid, "pay");
            on_paypage(&fake, &declined, "decline");
            let run = reconcile_now(&server);
            assert_eq!(run["healed"], 2, "{run}");
            assert_eq!(raised(&server), (2_000, 1));
            assert_eq!(status_of(&server, &ledger, &fake, &paid), "succeeded");
            assert_eq!(status_of(&server, &ledger, &fake, &declined), "failed");
            assert_eq!(status_of(&server, &ledger, &fake, &open), "pending");
            let again = reconcile_now(&server);
            assert_eq!(again["healed"], 0, "{again}");
            assert_eq!(raised(&server), (2_000, 1));
        },
    );
}

#[test]
fn three_d_secure_pending_is_never_thanked_then_counts_when_paid() {
    on_each_ledger(
        "three_d_secure_pending_is_never_thanked_then_counts_when_paid",
        |ledger| {
            let fake = FakeNgenius::start();
            let server = start(&fake, &ledger);
            let reference = start_checkout(&server, &fake, "10", "ar");
            let back = on_paypage(&fake, &reference, "3ds");
            // Being confirmed: a page in the donor's language that asks again by itself.
            for state in ["AWAIT_3DS", "AUTHORISED", "SOMETHING_NEW"] {
                fake.set(&reference, state);
                let r = follow_return(&server, &back);
                assert_eq!(r.status(), StatusCode::OK, "{state}");
                let again = format!("/payment/return/ngenius?ref={reference}");
                assert_eq!(r.headers()["refresh"], format!("5; url={again}").as_str());
                assert_eq!(r.headers()["cache-control"], "no-store");
                let page = r.text().unwrap();
                assert!(
                    page.contains(&wait_text("ar", "confirming_title")),
                    "{page}"
                );
                assert!(page.contains(&format!("href=\"{again}\"")), "{page}");
                assert_eq!(raised(&server), (0, 0), "{state}");
                assert_eq!(status_of(&server, &ledger, &fake, &reference), "pending");
            }
            // Not paid at all (the page was left): the error page, nothing recorded.
            fake.set(&reference, "STARTED");
            let r = follow_return(&server, &back);
            assert_eq!(page_of(&location(&r)), "/ar/error/");
            assert_eq!(status_of(&server, &ledger, &fake, &reference), "pending");
            fake.set(&reference, "PURCHASED");
            let r = follow_return(&server, &back);
            assert_eq!(page_of(&location(&r)), "/ar/success/");
            assert_eq!(raised(&server), (1_000, 1));
        },
    );
}

#[test]
fn an_order_paid_for_another_amount_or_currency_is_recorded_not_counted() {
    on_each_ledger(
        "an_order_paid_for_another_amount_or_currency_is_recorded_not_counted",
        |ledger| {
            let fake = FakeNgenius::start();
            let server = start(&fake, &ledger);
            let reference = start_checkout(&server, &fake, "10", "en");
            let back = on_paypage(&fake, &reference, "pay");
            fake.set_paid_amount(&reference, 100);
            let r = follow_return(&server, &back);
            assert_eq!(page_of(&location(&r)), "/error/");
            let r = webhook(
                &server,
                &event(&fake, &reference, "PURCHASED"),
                Some(HOOK_SECRET),
            );
            let answer: Value = r.json().unwrap();
            assert_eq!(answer["reason"], "amount mismatch");
            assert_eq!(raised(&server), (0, 0));
            assert_eq!(status_of(&server, &ledger, &fake, &reference), "pending");
            if let Ledger::Sqlite = ledger {
                let id = donation_of_order(&fake, &reference);
                // The same answer of N-Genius, seen twice, is recorded once.
                assert_eq!(server.ledger().events_of_kind(&id, "mismatch"), 1);
            }
        },
    );
}

#[test]
fn one_token_is_renewed_once_under_50_concurrent_checkouts() {
    let fake = FakeNgenius::start();
    fake.inner.lock().unwrap().token_delay = Duration::from_millis(300);
    // Every donor's form waits for its order (no waiting page).
    let server = Server::start_with(
        opts(&fake, &Ledger::Sqlite).env("FUNDRAISER_NGENIUS__QUEUE_WAIT", "20s"),
    );
    std::thread::scope(|s| {
        let donors: Vec<_> = (0..50)
            .map(|_| s.spawn(|| start_checkout(&server, &fake, "10", "en")))
            .collect();
        for d in donors {
            d.join().unwrap();
        }
    });
    assert_eq!(fake.tokens_issued(), 1);
    assert_eq!(fake.calls("POST", &fake.orders_path()).len(), 50);

    // N-Genius's clock says the token expired: refused once, renewed once, then served.
    fake.expire_tokens();
    std::thread::scope(|s| {
        let donors: Vec<_> = (0..10)
            .map(|_| s.spawn(|| start_checkout(&server, &fake, "10", "en")))
            .collect();
        for d in donors {
            d.join().unwrap();
        }
    });
    assert_eq!(fake.tokens_issued(), 2);
    assert_eq!(fake.orders().len(), 60);
}

#[test]
fn rate_limits_and_failures_of_ngenius_give_clear_answers_and_secrets_stay_out_of_logs() {
    let fake = FakeNgenius::start();
    let server = start(&fake, &Ledger::Sqlite);
    // 429 twice (token, then the order): waited out, and the donation goes ahead.
    fake.force(&[429, 429]);
    let reference = start_checkout(&server, &fake, "10", "en");
    assert_eq!(fake.order(&reference).body["amount"]["value"], 1_000);
    // 500 on the order: the donor gets a clear page, the donation fails, no second order.
    let orders = fake.orders().len();
    fake.force(&[500]);
    let r = server.donate("10", "en");
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(fake.orders().len(), orders);
    assert_eq!(raised(&server), (0, 0));
    // A key N-Genius refuses: the log says which key to check.
    fake.expire_tokens();
    fake.inner.lock().unwrap().tokens.clear();
    fake.force(&[401, 401]);
    let r = server.donate("10", "en");
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(server.wait_for_log("check ngenius.api_key").is_some());
    std::thread::sleep(Duration::from_millis(300));
    let lines: Vec<String> = server.log.lock().unwrap().try_iter().collect();
    for line in &lines {
        assert!(
            !line.contains(API_KEY) && !line.contains(HOOK_SECRET),
            "{line}"
        );
        assert!(!line.contains("tok-"), "a token in the log: {line}");
    }
}

fn admin_refund(server: &Server, id: &str, amount: &str) -> Response {
    client()
        .post(server.url(&format!("/admin/donations/{id}/refund")))
        .bearer_auth(ADMIN)
        .form(&[("amount", amount)])
        .send()
        .unwrap()
}

#[test]
fn a_dashboard_refund_follows_the_cnp_refund_link_of_a_purchase_or_a_sale() {
    for action in ["PURCHASE", "SALE"] {
        on_each_ledger(
            "a_dashboard_refund_follows_the_cnp_refund_link_of_a_purchase_or_a_sale",
            |ledger| {
                let fake = FakeNgenius::start();
                let server = Server::start_with(
                    opts(&fake, &ledger).env("FUNDRAISER_NGENIUS__ACTION", action),
                );
                let reference = start_checkout(&server, &fake, "100", "en");
                assert_eq!(fake.order(&reference).body["action"], action);
                let back = on_paypage(&fake, &reference, "pay");
                follow_return(&server, &back);
                assert_eq!(raised(&server), (10_000, 1));
                let id = donation_of_order(&fake, &reference);
                let r = admin_refund(&server, &id, "40");
                assert_eq!(r.status(), StatusCode::SEE_OTHER, "{}", r.text().unwrap());
                let refunds = fake.calls("POST", &format!("{}/{reference}/", fake.orders_path()));
                assert_eq!(refunds.len(), 1, "{action}");
                let expected = match action {
                    "SALE" => format!("/payments/p-{reference}/captures/c-1/refund"),
                    _ => format!("/payments/p-{reference}/refund"),
                };
                assert!(refunds[0].path.ends_with(&expected), "{}", refunds[0].path);
                let body: Value = serde_json::from_str(&refunds[0].body).unwrap();
                assert_eq!(
                    body,
                    json!({"amount": {"currencyCode": "AED", "value": 4_000}})
                );
                assert_eq!(fake.order(&reference).refunds, vec![4_000]);
                assert_eq!(raised(&server), (6_000, 1));
                // N-Genius's webhook of our own refund, and reconciliation, change nothing.
                let r = webhook(
                    &server,
                    &event(&fake, &reference, "PARTIALLY_REFUNDED"),
                    Some(HOOK_SECRET),
                );
                assert_eq!(r.status(), StatusCode::OK);
                reconcile_now(&server);
                assert_eq!(raised(&server), (6_000, 1));
            },
        );
    }
}

#[test]
fn start_up_refuses_ngenius_without_its_key_or_outlet() {
    let run = |env: &[(&str, &str)]| {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = std::process::Command::new(binary());
        cmd.current_dir(dir.path())
            .args(["serve", "--bind", "127.0.0.1:0"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped());
        for (k, _) in std::env::vars() {
            if k.starts_with("FUNDRAISER_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("FUNDRAISER_GATEWAY__KIND", "ngenius");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&[]);
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.contains("ngenius.api_key and ngenius.outlet_ref"),
        "{err}"
    );
    assert!(err.contains("FUNDRAISER_NGENIUS__API_KEY"), "{err}");
    let (code, err) = run(&[("FUNDRAISER_NGENIUS__API_KEY", API_KEY)]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("ngenius.outlet_ref"), "{err}");
    assert!(!err.contains(API_KEY), "{err}");
    let (code, err) = run(&[
        ("FUNDRAISER_NGENIUS__API_KEY", API_KEY),
        ("FUNDRAISER_NGENIUS__OUTLET_REF", OUTLET),
        ("FUNDRAISER_NGENIUS__ACTION", "AUTH"),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("ngenius.action"), "{err}");
    let (code, err) = run(&[
        ("FUNDRAISER_NGENIUS__API_KEY", API_KEY),
        ("FUNDRAISER_NGENIUS__OUTLET_REF", OUTLET),
        ("FUNDRAISER_NGENIUS__WEBHOOK_HEADER", HOOK_HEADER),
    ]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("ngenius.webhook_secret"), "{err}");
}

#[test]
fn an_order_names_the_donations_fund_in_its_merchant_defined_data() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        r#"
[[funds]]
id = "general"
label = { en = "Where most needed", ar = "حيث الحاجة أكبر" }
[[funds]]
id = "zakat"
label = { en = "Zakat", ar = "زكاة" }
"#,
    )
    .unwrap();
    let fake = FakeNgenius::start();
    let server = Server::start_with(Opts {
        dir: Some(dir.path().to_path_buf()),
        ..opts(&fake, &Ledger::Sqlite)
    });
    let r = client()
        .post(server.url("/donate"))
        .form(&[("amount", "50"), ("lang", "ar"), ("fund", "zakat")])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let zakat = location(&r)
        .strip_prefix(&format!("{}/paypage/?code=", fake.base()))
        .expect("sent to the payment page")
        .to_owned();
    let general = start_checkout(&server, &fake, "10", "en");
    assert_eq!(
        fake.order(&zakat).body["merchantDefinedData"],
        json!({"fund": "zakat"})
    );
    assert_eq!(
        fake.order(&general).body["merchantDefinedData"],
        json!({"fund": "general"})
    );
}
