//! Receipts by email (#18): a real SMTP server on loopback (`aiosmtpd`, started by each
//! test through `common::smtp`) receives what the server sends; every message is parsed
//! with a MIME parser. Exactly once through replays, outages and crashes; consecutive
//! numbers; the donor's language; harmless names; and nothing at all without a server.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::StatusCode;

use crate::common::smtp::{Message as Mail, SinkOpts, SmtpSink, Tls};
use crate::common::{
    Opts, SECRET, Server, client, donation_id, location, sandbox_webhook, site_text,
};

const TOKEN: &str = "receipts-admin-token-0123456789";
const FROM: &str = "Sidra Relief Trust <receipts@sidra-relief.example>";

/// A server sending receipts through `url`, retrying every second.
fn server_with(url: &str, more: Opts) -> Server {
    let mut opts = Opts {
        env: more.env,
        dir: more.dir,
        ..Opts::default()
    };
    for (k, v) in [
        ("FUNDRAISER_SANDBOX__SECRET", SECRET),
        ("FUNDRAISER_ADMIN__TOKEN", TOKEN),
        ("FUNDRAISER_EMAIL__SMTP_URL", url),
        ("FUNDRAISER_EMAIL__FROM", FROM),
        (
            "FUNDRAISER_EMAIL__REPLY_TO",
            "Donor care <donors@sidra-relief.example>",
        ),
        ("FUNDRAISER_EMAIL__RETRY", "[\"1s\"]"),
        ("FUNDRAISER_EMAIL__TIMEOUT", "3s"),
        // The sandbox is test money: receipts go only to listed addresses.
        ("FUNDRAISER_EMAIL__TEST_RECIPIENTS", "[\"@example.org\"]"),
    ] {
        if !opts.env.iter().any(|(key, _)| key == k) {
            opts.env.push((k.into(), v.into()));
        }
    }
    Server::start_with(opts)
}

fn plain_url(sink: &SmtpSink) -> String {
    format!("smtp://127.0.0.1:{}?tls=none", sink.port())
}

/// Gives through the sandbox with a name and an address, pays, and returns the donation's
/// id and its return URL (not yet followed).
fn give(server: &Server, amount: &str, lang: &str, name: &str, email: &str) -> (String, String) {
    let r = client()
        .post(server.url("/donate"))
        .form(&[
            ("amount", amount),
            ("lang", lang),
            ("name", name),
            ("email", email),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "donate {amount}");
    let checkout = location(&r);
    let r = client()
        .post(server.url(&checkout))
        .form(&[("outcome", "pay")])
        .send()
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let ret = location(&r);
    (donation_id(&ret), ret)
}

/// The printable receipt's link in a message's text, on the test's server (the link
/// itself names `server.public_url`, which tests leave at its default).
fn on(server: &Server, text: &str) -> String {
    let link = text
        .split_whitespace()
        .find(|w| w.contains("/receipt/"))
        .expect("the printable receipt's link");
    assert!(link.starts_with("http://127.0.0.1:8080/receipt/"), "{link}");
    server.url(&link["http://127.0.0.1:8080".len()..])
}

fn parse(mail: &Mail) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default()
        .parse(&mail.raw)
        .expect("a MIME message")
}

/// The Message-ID of a message, without its angle brackets.
fn message_id(mail: &Mail) -> String {
    parse(mail).message_id().unwrap_or_default().to_owned()
}

/// Waits for `n` messages, then a moment more to see that no more come.
fn exactly(sink: &SmtpSink, n: usize) -> Vec<Mail> {
    let got = sink.wait_for(n, Duration::from_secs(20));
    assert_eq!(got.len(), n, "messages received before the wait ran out");
    std::thread::sleep(Duration::from_millis(1500));
    let after = sink.messages();
    assert_eq!(after.len(), n, "more messages than expected arrived");
    after
}

fn admin_get(server: &Server, path: &str) -> String {
    client()
        .get(server.url(path))
        .bearer_auth(TOKEN)
        .send()
        .unwrap()
        .text()
        .unwrap()
}

/// The value of a Prometheus series.
fn metric(server: &Server, series: &str) -> u64 {
    admin_get(server, "/metrics")
        .lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {series} in /metrics"))
}

#[test]
fn a_paid_donation_gets_one_receipt_in_its_language_through_replays() {
    let Some(sink) = SmtpSink::start(SinkOpts::default()) else {
        return;
    };
    let server = server_with(&plain_url(&sink), Opts::default());
    let (id, ret) = give(&server, "120.50", "en", "Amal Haddad", "amal@example.org");
    // The donor's return, then again (a reload), and the gateway's webhook replayed.
    let back = client().get(server.url(&ret)).send().unwrap();
    assert_eq!(back.status(), StatusCode::SEE_OTHER);
    let thanks = location(&back);
    assert!(thanks.starts_with("/success/?receipt="), "{thanks}");
    assert_eq!(
        client().get(server.url(&ret)).send().unwrap().status(),
        StatusCode::SEE_OTHER
    );
    for _ in 0..2 {
        let r = sandbox_webhook(&server.base, &id, "paid", 12050).unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    let mails = exactly(&sink, 1);
    let mail = &mails[0];
    assert_eq!(mail.rcpt_tos, ["amal@example.org"]);
    assert_eq!(mail.mail_from, "receipts@sidra-relief.example");
    let m = parse(mail);
    assert_eq!(
        m.subject(),
        Some(
            format!(
                "TEST — no money moved: Your receipt R-000001 from {}",
                site_text("en", "charity")
            )
            .as_str()
        )
    );
    assert_eq!(
        m.message_id(),
        Some(format!("{id}.receipt@sidra-relief.example").as_str())
    );
    let from = m.from().and_then(|a| a.first()).unwrap();
    assert_eq!(from.name(), Some("Sidra Relief Trust"));
    let to = m.to().and_then(|a| a.first()).unwrap();
    assert_eq!(
        (to.name(), to.address()),
        (Some("Amal Haddad"), Some("amal@example.org"))
    );
    assert_eq!(
        m.reply_to()
            .and_then(|a| a.first())
            .and_then(|a| a.address()),
        Some("donors@sidra-relief.example")
    );
    assert!(
        m.header_raw("Content-Type")
            .unwrap()
            .contains("multipart/alternative")
    );
    assert_eq!((m.text_body_count(), m.html_body_count()), (1, 1));
    let text = m.body_text(0).unwrap();
    let html = m.body_html(0).unwrap();
    assert_eq!(
        text.lines().next(),
        Some("TEST — no money moved."),
        "{text}"
    );
    let first_p = html.find("<p").unwrap();
    assert!(
        html[first_p..].starts_with(r#"<p style="margin:0 0 16px;padding:8px 12px;background:#fff4d6;border-radius:6px;font-weight:700;">TEST — no money moved.</p>"#),
        "{html}"
    );
    for part in [&text, &html] {
        assert!(part.contains("R-000001"), "{part}");
        assert!(part.contains("AED\u{a0}120.50"), "{part}");
        assert!(part.contains(&id), "{part}");
        assert!(part.contains(&site_text("en", "campaign")), "{part}");
        assert!(part.contains("Licence CDA-0000-EXAMPLE"), "{part}");
        assert!(part.contains("Dear Amal Haddad,"), "{part}");
        assert!(part.contains("(UTC+4)"), "{part}");
        assert!(part.contains("/contact/"), "{part}");
        // The single default fund is never named: the receipt is as it was (no "Fund"
        // line, in text or in the HTML table; a charity's own name may hold the word).
        assert!(
            !part.contains("\nFund: ") && !part.contains(">Fund</th>"),
            "{part}"
        );
    }
    assert!(html.contains(r#"<html lang="en" dir="ltr">"#));
    assert!(!html.contains("<img"), "no remote images or tracking");
    // The printable link in the email opens the receipt; a wrong token is a 404.
    let link = on(&server, &text);
    let page = client().get(&link).send().unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let body = page.text().unwrap();
    assert!(
        body.contains("Receipt R-000001") && body.contains("AED\u{a0}120.50"),
        "{body}"
    );
    assert!(
        body.contains("@media print") || body.contains("data-print"),
        "{body}"
    );
    // A page is no email: nothing to reply to.
    assert!(!body.contains("Reply to this email"), "{body}");
    assert!(
        body.contains("Write to us through our contact page"),
        "{body}"
    );
    let forged = link.replace("?t=", "?t=AAAA");
    assert_eq!(
        client().get(&forged).send().unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let other = server.url(&format!("/receipt/{id}?t=AAAAAAAAAAAAAAAAAAAAAA"));
    assert_eq!(
        client().get(other).send().unwrap().status(),
        StatusCode::NOT_FOUND
    );
    // The thank-you page names the receipt and links to it, and stays out of searches.
    let thanks_page = client().get(server.url(&thanks)).send().unwrap();
    assert_eq!(thanks_page.headers()["x-robots-tag"], "noindex");
    let thanks_page = thanks_page.text().unwrap();
    assert!(
        thanks_page.contains("Your receipt R-000001 is ready. If you gave us your email address, a copy is on its way to your inbox"),
        "{thanks_page}"
    );
    assert!(
        thanks_page.contains(&format!("/receipt/{id}?t=")),
        "{thanks_page}"
    );

    // In Arabic: the Arabic subject (RFC 2047 encoded on the wire), right to left, and
    // the amount as the Arabic site writes it.
    let (ar_id, ar_ret) = give(&server, "75.25", "ar", "سلمى", "salma@example.org");
    let back = client().get(server.url(&ar_ret)).send().unwrap();
    assert!(location(&back).starts_with("/ar/success/?receipt="));
    let mails = exactly(&sink, 2);
    let raw = String::from_utf8_lossy(&mails[1].raw);
    let subject_line = raw.lines().find(|l| l.starts_with("Subject:")).unwrap();
    assert!(subject_line.contains("=?utf-8?"), "{subject_line}");
    let m = parse(&mails[1]);
    assert_eq!(
        m.subject(),
        Some(
            format!(
                "تجربة — لم يُنقل أي مال: إيصالك R-000002 من {}",
                site_text("ar", "charity")
            )
            .as_str()
        )
    );
    assert_eq!(
        m.body_text(0).unwrap().lines().next(),
        Some("تجربة — لم يُنقل أي مال.")
    );
    assert_eq!(
        m.message_id(),
        Some(format!("{ar_id}.receipt@sidra-relief.example").as_str())
    );
    let html = m.body_html(0).unwrap();
    assert!(html.contains(r#"<html lang="ar" dir="rtl">"#), "{html}");
    for part in [m.body_text(0).unwrap(), html] {
        assert!(part.contains("٧٥٫٢٥\u{a0}د.إ"), "{part}");
        assert!(part.contains("عزيزنا سلمى،"), "{part}");
        assert!(part.contains("R-000002"), "{part}");
    }

    // Admins: the metrics, the CSV and the dashboard's outbox.
    assert_eq!(
        metric(&server, "fundraiser_emails_total{result=\"sent\"}"),
        2
    );
    let csv = admin_get(&server, "/admin/donations.csv");
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let header = rows.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = rows.records().map(Result::unwrap).collect();
    let row = rows.iter().find(|r| &r[0] == id.as_str()).unwrap();
    assert_eq!(
        (&row[col("receipt_number")], &row[col("receipt_status")]),
        ("R-000001", "sent")
    );
    let dashboard = admin_get(&server, "/admin");
    assert!(
        dashboard.contains("0 queued · 2 sent · 0 failed"),
        "{dashboard}"
    );
}

#[test]
fn starttls_with_a_login_and_implicit_tls_both_deliver() {
    let user = ("mailer".to_owned(), "s3cret-p@ss".to_owned());
    let Some(sink) = SmtpSink::start(SinkOpts {
        tls: Tls::StartTls { required: true },
        auth: Some(user.clone()),
        ..SinkOpts::default()
    }) else {
        return;
    };
    let ca = sink.ca_file().unwrap();
    let url = format!("smtp://mailer:s3cret-p%40ss@localhost:{}", sink.port());
    let server = server_with(
        &url,
        Opts::default().env("FUNDRAISER_EMAIL__CA_FILE", ca.to_str().unwrap()),
    );
    let (_, ret) = give(&server, "50", "en", "", "donor@example.org");
    client().get(server.url(&ret)).send().unwrap();
    let mails = exactly(&sink, 1);
    assert!(mails[0].tls, "sent over STARTTLS");
    assert_eq!(mails[0].auth_user.as_deref(), Some("mailer"));
    // No name given: a friendly greeting, and no name in To.
    let m = parse(&mails[0]);
    assert!(m.body_text(0).unwrap().contains("Dear friend,"));
    drop(server);

    // A server whose certificate no known authority signed is refused: the message waits.
    let untrusted = server_with(&url, Opts::default());
    let (_, ret) = give(&untrusted, "50", "en", "", "donor@example.org");
    client().get(untrusted.url(&ret)).send().unwrap();
    assert!(
        untrusted
            .wait_for_log("email not sent; trying again later")
            .is_some()
    );
    assert_eq!(sink.messages().len(), 1);
    for line in untrusted.startup_log.iter() {
        assert!(
            !line.contains("s3cret"),
            "the SMTP password in a log line: {line}"
        );
    }
    drop(untrusted);

    let Some(smtps) = SmtpSink::start(SinkOpts {
        tls: Tls::Implicit,
        ..SinkOpts::default()
    }) else {
        return;
    };
    let ca = smtps.ca_file().unwrap();
    let server = server_with(
        &format!("smtps://localhost:{}", smtps.port()),
        Opts::default().env("FUNDRAISER_EMAIL__CA_FILE", ca.to_str().unwrap()),
    );
    let (_, ret) = give(&server, "50", "en", "", "donor@example.org");
    client().get(server.url(&ret)).send().unwrap();
    let mails = exactly(&smtps, 1);
    assert!(mails[0].tls, "sent over implicit TLS");
}

#[test]
fn fifty_donations_at_once_get_consecutive_numbers_and_one_receipt_each() {
    let Some(sink) = SmtpSink::start(SinkOpts::default()) else {
        return;
    };
    let server = std::sync::Arc::new(server_with(&plain_url(&sink), Opts::default()));
    let threads: Vec<_> = (0..5)
        .map(|t| {
            let server = server.clone();
            std::thread::spawn(move || {
                for i in 0..10 {
                    let (_, ret) = give(
                        &server,
                        "20",
                        "en",
                        "",
                        &format!("donor{t}-{i}@example.org"),
                    );
                    client().get(server.url(&ret)).send().unwrap();
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mails = exactly(&sink, 50);
    let numbers: BTreeSet<String> = mails
        .iter()
        .map(|m| {
            let subject = parse(m).subject().unwrap().to_owned();
            let number = subject.split_whitespace().find(|w| w.starts_with("R-"));
            number.unwrap().to_owned()
        })
        .collect();
    let expected: BTreeSet<String> = (1..=50).map(|n| format!("R-{n:06}")).collect();
    assert_eq!(numbers, expected);
    let ids: BTreeSet<String> = mails.iter().map(message_id).collect();
    assert_eq!(ids.len(), 50);
    let recipients: BTreeSet<String> = mails.iter().flat_map(|m| m.rcpt_tos.clone()).collect();
    assert_eq!(recipients.len(), 50);
}

#[test]
fn an_smtp_outage_delays_receipts_and_loses_none() {
    let Some(mut sink) = SmtpSink::start(SinkOpts::default()) else {
        return;
    };
    let server = server_with(&plain_url(&sink), Opts::default());
    sink.stop();
    let mut ids = BTreeSet::new();
    for i in 0..5 {
        let (id, ret) = give(&server, "30", "en", "", &format!("d{i}@example.org"));
        client().get(server.url(&ret)).send().unwrap();
        ids.insert(id);
    }
    // Tried, failed for now, shown to the admin with why.
    assert!(
        server
            .wait_for_log("email not sent; trying again later")
            .is_some()
    );
    std::thread::sleep(Duration::from_secs(2));
    let dashboard = admin_get(&server, "/admin");
    assert!(
        dashboard.contains("5 queued · 0 sent · 0 failed"),
        "{dashboard}"
    );
    assert!(metric(&server, "fundraiser_emails_total{result=\"retried\"}") >= 5);
    // A temporary refusal (451) is tried again too.
    sink.restart();
    sink.set_control(Some("451"));
    std::thread::sleep(Duration::from_secs(2));
    assert!(sink.messages().is_empty());
    sink.set_control(None);
    let mails = exactly(&sink, 5);
    let got: BTreeSet<String> = mails
        .iter()
        .map(|m| {
            message_id(m)
                .trim_end_matches(".receipt@sidra-relief.example")
                .to_owned()
        })
        .collect();
    assert_eq!(got, ids);
    let ledger = server.ledger();
    assert!(
        ledger
            .outbox()
            .iter()
            .all(|(_, _, status, _, _)| status == "sent")
    );

    // A permanent refusal (550) is given up at once, with its reason; the admin sends it
    // again to a corrected address.
    sink.set_control(Some("550"));
    let (id, ret) = give(&server, "30", "en", "", "typo@example.org");
    client().get(server.url(&ret)).send().unwrap();
    assert!(server.wait_for_log("email given up").is_some());
    let given_up = || {
        server
            .ledger()
            .outbox()
            .into_iter()
            .find(|o| o.0 == id)
            .unwrap()
    };
    assert!(crate::common::eventually(|| given_up().2 == "failed"));
    let (_, _, _, _, error) = given_up();
    assert!(error.as_deref().unwrap_or("").contains("550"), "{error:?}");
    let dashboard = admin_get(&server, "/admin");
    assert!(
        dashboard.contains("1 failed") && dashboard.contains("Mailbox unavailable"),
        "{dashboard}"
    );
    assert_eq!(
        metric(&server, "fundraiser_emails_total{result=\"failed\"}"),
        1
    );
    sink.set_control(None);
    let resend = server.url(&format!("/admin/donations/{id}/receipt"));
    let post = |email: &str, from_elsewhere: bool| {
        let r = client().post(&resend).form(&[("email", email)]);
        let r = if from_elsewhere {
            r.basic_auth("admin", Some(TOKEN))
                .header("Origin", "https://evil.example")
        } else {
            r.bearer_auth(TOKEN)
        };
        r.send().unwrap().status()
    };
    // From another site: refused, nothing queued.
    assert_eq!(post("fixed@example.org", true), StatusCode::FORBIDDEN);
    assert_eq!(
        post("not an address", false),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(post("fixed@example.org", false), StatusCode::SEE_OTHER);
    let mails = exactly(&sink, 6);
    assert_eq!(mails[5].rcpt_tos, ["fixed@example.org"]);
    assert_eq!(
        message_id(&mails[5]),
        format!("{id}.receipt.copy-2@sidra-relief.example")
    );
}

#[test]
fn a_crash_with_receipts_queued_sends_each_once_after_the_restart() {
    let Some(mut sink) = SmtpSink::start(SinkOpts::default()) else {
        return;
    };
    let server = server_with(&plain_url(&sink), Opts::default());
    // The restarted server runs in the same folder (the first one's, kept until the end).
    let dir = server.workdir().to_path_buf();
    sink.stop();
    for i in 0..5 {
        let (_, ret) = give(&server, "40", "en", "", &format!("k{i}@example.org"));
        client().get(server.url(&ret)).send().unwrap();
    }
    assert!(
        server
            .wait_for_log("email not sent; trying again later")
            .is_some()
    );
    server.signal(9);
    std::thread::sleep(Duration::from_millis(300));
    sink.restart();
    let again = server_with(
        &plain_url(&sink),
        Opts {
            dir: Some(dir.clone()),
            ..Opts::default()
        },
    );
    let mails = exactly(&sink, 5);
    let ids: BTreeSet<String> = mails.iter().map(message_id).collect();
    assert_eq!(ids.len(), 5, "each receipt once");
    drop(again);
    drop(server);
}

#[test]
fn a_crash_after_the_smtp_server_took_a_message_resends_it_with_the_same_message_id() {
    // The SMTP server stores each message, then waits before saying 250: the server is
    // killed in between, so the ledger never hears that it was sent.
    let Some(sink) = SmtpSink::start(SinkOpts {
        delay_after_data: Some(2.0),
        ..SinkOpts::default()
    }) else {
        return;
    };
    let server = server_with(&plain_url(&sink), Opts::default());
    let dir = server.workdir().to_path_buf();
    let (id, ret) = give(&server, "60", "en", "", "window@example.org");
    client().get(server.url(&ret)).send().unwrap();
    assert_eq!(sink.wait_for(1, Duration::from_secs(20)).len(), 1);
    server.signal(9);
    std::thread::sleep(Duration::from_millis(300));
    let again = server_with(
        &plain_url(&sink),
        Opts {
            dir: Some(dir),
            ..Opts::default()
        },
    );
    let mails = sink.wait_for(2, Duration::from_secs(20));
    assert_eq!(mails.len(), 2, "sent again after the restart");
    // The documented duplicate: the same Message-ID, so mail systems and people can tell.
    let expected = format!("{id}.receipt@sidra-relief.example");
    assert_eq!(message_id(&mails[0]), expected);
    assert_eq!(message_id(&mails[1]), expected);
    assert!(crate::common::eventually(|| {
        again
            .ledger()
            .outbox()
            .iter()
            .all(|(_, _, status, _, _)| status == "sent")
    }));
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(sink.messages().len(), 2, "and no third time");
    drop(server);
}

#[test]
fn a_name_with_line_breaks_and_markup_stays_harmless() {
    let Some(sink) = SmtpSink::start(SinkOpts::default()) else {
        return;
    };
    let server = server_with(&plain_url(&sink), Opts::default());
    let name = "Amal\r\nBcc: victim@example.org\r\n<script>alert(1)</script>";
    let (id, ret) = give(&server, "25", "en", name, "amal@example.org");
    client().get(server.url(&ret)).send().unwrap();
    let mails = exactly(&sink, 1);
    assert_eq!(
        mails[0].rcpt_tos,
        ["amal@example.org"],
        "no one else got it"
    );
    let m = parse(&mails[0]);
    assert!(m.header_raw("Bcc").is_none());
    let raw = String::from_utf8_lossy(&mails[0].raw);
    let headers = raw.split("\r\n\r\n").next().unwrap();
    assert!(!headers.lines().any(|l| l.starts_with("Bcc")), "{headers}");
    let html = m.body_html(0).unwrap();
    assert!(!html.contains("<script>"), "{html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    // The printable page escapes it too.
    let link = on(&server, &m.body_text(0).unwrap());
    let page = client().get(&link).send().unwrap().text().unwrap();
    assert!(!page.contains("<script>alert"), "{page}");
    assert!(page.contains(&id));
}

#[test]
fn without_an_email_server_nothing_is_queued_and_nothing_fails() {
    let server = Server::start();
    assert!(
        server
            .wait_for_log("no email.smtp_url configured")
            .is_some()
    );
    let (id, ret) = give(&server, "80", "en", "", "quiet@example.org");
    let thanks = location(&client().get(server.url(&ret)).send().unwrap());
    // The donor still has a numbered, printable receipt.
    let page = client()
        .get(server.url(&thanks))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(page.contains("Your receipt R-000001 is ready."), "{page}");
    // No promise of an email that no server sends.
    assert!(!page.contains("inbox"), "{page}");
    let ledger = server.ledger();
    assert!(ledger.outbox().is_empty());
    assert_eq!(ledger.receipt_no(&id), Some(1));
}

#[test]
fn with_test_money_receipts_go_only_to_the_test_recipients() {
    let Some(sink) = SmtpSink::start(SinkOpts::default()) else {
        return;
    };
    let staff = "staff@sidra-relief.example";
    let server = server_with(
        &plain_url(&sink),
        Opts::default().env(
            "FUNDRAISER_EMAIL__TEST_RECIPIENTS",
            &format!("[\"{}\"]", staff.to_uppercase()),
        ),
    );
    // A visitor of a public demonstration names someone else, with a message as a name.
    let (stranger, ret) = give(
        &server,
        "10",
        "en",
        "You won! Call +1 555 0100",
        "stranger@example.org",
    );
    client().get(server.url(&ret)).send().unwrap();
    let (_, ret) = give(&server, "12", "en", "Staff", staff);
    client().get(server.url(&ret)).send().unwrap();
    let mails = exactly(&sink, 1);
    assert_eq!(mails[0].rcpt_tos, [staff]);
    let m = parse(&mails[0]);
    assert!(m.subject().unwrap().starts_with("TEST — no money moved: "));
    // The other is given up unsent, and the admin sees why.
    let given_up = || {
        let dashboard = admin_get(&server, "/admin");
        dashboard
            .contains("0 queued · 1 sent · 1 failed")
            .then_some(dashboard)
    };
    assert!(crate::common::eventually(|| given_up().is_some()));
    let dashboard = given_up().unwrap();
    assert!(
        dashboard.contains("messages go only to email.test_recipients"),
        "{dashboard}"
    );
    let csv = admin_get(&server, "/admin/donations.csv");
    let row = csv.lines().find(|l| l.contains(&stranger)).unwrap();
    assert!(row.contains("\"failed\""), "{row}");
}

#[test]
fn with_two_funds_the_receipt_names_the_fund_in_text_and_html_in_both_languages() {
    let Some(sink) = SmtpSink::start(SinkOpts::default()) else {
        return;
    };
    let dir = crate::funds::folder_with(crate::funds::TWO_FUNDS);
    let server = server_with(
        &plain_url(&sink),
        Opts {
            dir: Some(dir.path().to_path_buf()),
            ..Opts::default()
        },
    );
    for (lang, fund, email) in [
        ("en", "zakat", "amal@example.org"),
        ("ar", "general", "salma@example.org"),
    ] {
        let r = client()
            .post(server.url("/donate"))
            .form(&[
                ("amount", "50"),
                ("lang", lang),
                ("fund", fund),
                ("email", email),
            ])
            .send()
            .unwrap();
        let r = client()
            .post(server.url(&location(&r)))
            .form(&[("outcome", "pay")])
            .send()
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        client().get(server.url(&location(&r))).send().unwrap();
        // One at a time, so the messages come in this order.
        sink.wait_for(if lang == "en" { 1 } else { 2 }, Duration::from_secs(20));
    }
    let mails = exactly(&sink, 2);
    let (en, ar) = (parse(&mails[0]), parse(&mails[1]));
    assert_eq!(mails[0].rcpt_tos, ["amal@example.org"]);
    let text = en.body_text(0).unwrap();
    assert!(text.lines().any(|l| l == "Fund: Zakat"), "{text}");
    let html = en.body_html(0).unwrap();
    assert!(
        html.contains(">Fund</th><td ") && html.contains(" dir=\"auto\">Zakat</td>"),
        "{html}"
    );
    let text = ar.body_text(0).unwrap();
    assert!(
        text.lines().any(|l| l == "الصندوق: حيث الحاجة أكبر"),
        "{text}"
    );
    let html = ar.body_html(0).unwrap();
    assert!(
        html.contains(">الصندوق</th><td ") && html.contains(" dir=\"auto\">حيث الحاجة أكبر</td>"),
        "{html}"
    );
}
