//! Funds (#31): Zakat kept apart from general giving. Funds come from `[[funds]]` in the
//! settings; each donation belongs to one, for good; every total, figure and export is
//! given per fund, and the funds add up to the total. With no `[[funds]]` there is one
//! fund, `general`, and the site is what it was.

use std::collections::HashMap;
use std::path::Path;

use reqwest::StatusCode;
use serde_json::Value;

use crate::common::*;
use crate::fake_stripe::*;
use crate::stripe::{charge_refunded, dispute, paid_100, raised, send_charge_event, stripe_opts};

const ADMIN: &str = "an-admin-token-for-the-funds-tests";

pub const TWO_FUNDS: &str = r#"
[[funds]]
id = "general"
label = { en = "Where most needed", ar = "حيث الحاجة أكبر" }
description = { en = "Wells, filters and repairs, wherever they are needed first.", ar = "آبار ومرشحات وإصلاحات، حيث تشتد الحاجة أولًا." }
[[funds]]
id = "zakat"
goal = 500000
label = { en = "Zakat", ar = "زكاة" }
description = { en = "Given only to those eligible for Zakat.", ar = "تُصرف للمستحقين للزكاة فقط." }
"#;

/// A folder holding `config.toml` with `funds`, for a server to run in.
pub fn folder_with(funds: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.toml"), funds).unwrap();
    dir
}

fn in_folder(dir: &Path, opts: Opts) -> Server {
    Server::start_with(Opts {
        dir: Some(dir.to_path_buf()),
        ..opts
    })
}

fn sandbox() -> Opts {
    Opts::default()
        .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
        .env("FUNDRAISER_ADMIN__TOKEN", ADMIN)
}

fn get(server: &Server, path: &str) -> (StatusCode, String) {
    let r = client().get(server.url(path)).send().unwrap();
    (r.status(), r.text().unwrap())
}

fn donate_to(server: &Server, amount: &str, lang: &str, fund: &str) -> reqwest::blocking::Response {
    client()
        .post(server.url("/donate"))
        .form(&[("amount", amount), ("lang", lang), ("fund", fund)])
        .send()
        .unwrap()
}

fn admin_get(server: &Server, path: &str) -> reqwest::blocking::Response {
    client()
        .get(server.url(path))
        .bearer_auth(ADMIN)
        .send()
        .unwrap()
}

/// The checked fund radio's value on a donate page.
fn checked_fund(page: &str) -> Option<String> {
    page.split("<input")
        .map(|tag| tag.split('>').next().unwrap_or(""))
        .filter(|tag| tag.contains("name=\"fund\"") && tag.contains("checked"))
        .find_map(|tag| {
            let value = tag.split("value=\"").nth(1)?;
            Some(value.split('"').next()?.to_owned())
        })
}

#[test]
fn funds_from_the_settings_are_offered_on_the_donate_form_in_both_languages() {
    let dir = folder_with(TWO_FUNDS);
    let server = in_folder(dir.path(), sandbox());
    let (status, en) = get(&server, "/donate/");
    assert_eq!(status, StatusCode::OK);
    assert!(en.contains("Where your gift goes"), "{en}");
    assert!(en.contains("Where most needed") && en.contains("Zakat"));
    assert!(en.contains("Given only to those eligible for Zakat."));
    assert!(en.contains("aria-describedby=\"fund-zakat-about\""));
    assert_eq!(
        checked_fund(&en).as_deref(),
        Some("general"),
        "the first fund"
    );
    let (_, ar) = get(&server, "/ar/donate/");
    assert!(ar.contains("زكاة") && ar.contains("تُصرف للمستحقين للزكاة فقط."));
    assert!(ar.contains("أين يذهب تبرّعك"));

    // A link chooses the fund and types the amount (the Zakat calculator's), in either
    // language; an unknown fund shows the default, an amount that is none is left out.
    for path in [
        "/donate/?fund=zakat&amount=2000",
        "/ar/donate/?fund=zakat&amount=2000",
    ] {
        let (status, page) = get(&server, path);
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(checked_fund(&page).as_deref(), Some("zakat"), "{path}");
        assert!(
            page.contains("name=\"amount\"") && page.contains("value=\"2000\""),
            "{path}"
        );
    }
    let (_, page) = get(&server, "/donate/?fund=sadaqah&amount=%3Cb%3E");
    assert_eq!(checked_fund(&page).as_deref(), Some("general"));
    assert!(!page.contains("<b>"));

    // The fund chosen is the donation's.
    assert_eq!(donate_to(&server, "50", "en", "zakat").status(), 303);
    assert_eq!(server.donate("20", "en").status(), 303);
    let funds: Vec<String> = server
        .ledger()
        .donations()
        .into_iter()
        .map(|d| d.fund)
        .collect();
    assert_eq!(funds, ["zakat", "general"]);
}

#[test]
fn a_donation_to_an_unknown_fund_is_refused_with_the_form_kept_and_nothing_created() {
    let dir = folder_with(TWO_FUNDS);
    let server = in_folder(dir.path(), sandbox());
    for (lang, message) in [
        ("en", "Please choose one of the funds listed."),
        ("ar", "يرجى اختيار أحد الصناديق المذكورة."),
    ] {
        let r = donate_to(&server, "73", lang, "sadaqah");
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let page = r.text().unwrap();
        assert!(page.contains(message), "{page}");
        assert!(page.contains("value=\"73\""), "the amount is kept");
    }
    assert_eq!(server.ledger().count(), 0);
    server.stop();

    // With no [[funds]], `general` is accepted and nothing else.
    let server = Server::start_with(sandbox());
    assert_eq!(donate_to(&server, "50", "en", "general").status(), 303);
    assert_eq!(
        donate_to(&server, "50", "en", "zakat").status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(server.ledger().only().fund, "general");
}

/// The donor's way through the sandbox: the checkout page (in `lang`, then the other
/// language), paying, and the thank-you page with the receipt's link. Returns the two
/// checkout pages and the thank-you page.
fn pay_and_read(server: &Server, lang: &str, fund: &str) -> (String, String, String) {
    let r = donate_to(server, "100", lang, fund);
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let checkout = location(&r);
    let other = if lang == "en" { "ar" } else { "en" };
    let (_, page) = get(server, &checkout);
    let (_, twin) = get(server, &format!("{checkout}?lang={other}"));
    let r = client()
        .post(server.url(&checkout))
        .form(&[("outcome", "pay")])
        .send()
        .unwrap();
    let back = client().get(server.url(&location(&r))).send().unwrap();
    let (status, thanks) = get(server, &location(&back));
    assert_eq!(status, StatusCode::OK);
    (page, twin, thanks)
}

/// The printable receipt linked from a thank-you page.
fn printable(server: &Server, thanks: &str) -> String {
    let href = thanks
        .split("href=\"")
        .map(|s| s.split('"').next().unwrap_or(""))
        .find(|h| h.contains("/receipt/"))
        .expect("the receipt's link")
        .replace("&amp;", "&");
    let (status, page) = get(server, &href);
    assert_eq!(status, StatusCode::OK, "{href}");
    page
}

#[test]
fn the_checkout_thank_you_page_and_printable_receipt_name_the_fund_in_both_languages() {
    let dir = folder_with(TWO_FUNDS);
    let server = in_folder(dir.path(), sandbox());
    let (page, twin, thanks) = pay_and_read(&server, "en", "zakat");
    assert!(
        page.contains("<dt>Fund</dt><dd id=\"checkout-fund\">Zakat</dd>"),
        "{page}"
    );
    assert!(
        twin.contains("<dt>الصندوق</dt><dd id=\"checkout-fund\">زكاة</dd>"),
        "{twin}"
    );
    assert!(
        thanks.contains("Your gift goes to the fund: Zakat."),
        "{thanks}"
    );
    let receipt = printable(&server, &thanks);
    assert!(
        receipt.contains("<dt>Fund</dt><dd dir=\"auto\">Zakat</dd>"),
        "{receipt}"
    );

    let (page, _, thanks) = pay_and_read(&server, "ar", "general");
    assert!(
        page.contains("<dd id=\"checkout-fund\">حيث الحاجة أكبر</dd>"),
        "{page}"
    );
    assert!(
        thanks.contains("يذهب تبرّعك إلى صندوق: حيث الحاجة أكبر."),
        "{thanks}"
    );
    let receipt = printable(&server, &thanks);
    assert!(
        receipt.contains("<dt>الصندوق</dt><dd dir=\"auto\">حيث الحاجة أكبر</dd>"),
        "{receipt}"
    );

    // With the single default fund, nothing names it: the pages stay as they were.
    let server = Server::start_with(sandbox());
    for lang in ["en", "ar"] {
        let (page, twin, thanks) = pay_and_read(&server, lang, "general");
        let receipt = printable(&server, &thanks);
        assert!(thanks.contains("receipt-ready"), "{thanks}");
        for html in [page, twin, thanks, receipt] {
            assert!(
                !html.contains("checkout-fund") && !html.contains("receipt-fund"),
                "{html}"
            );
            assert!(
                !html.contains("<dt>Fund</dt>") && !html.contains("<dt>الصندوق</dt>"),
                "{html}"
            );
        }
    }
    // Nor does the dashboard: its headline figures are the one fund's.
    let dashboard = admin_get(&server, "/admin").text().unwrap();
    assert!(dashboard.contains("Donations dashboard") && !dashboard.contains("By fund"));
}

/// The home page's list of fund figures, from its `<ul>` to its end.
fn fund_list(page: &str) -> &str {
    let start = page
        .find("<ul class=\"fund-tallies\"")
        .expect("the funds' figures");
    let end = start + page[start..].find("</ul>").unwrap();
    &page[start..end]
}

#[test]
fn with_two_funds_the_home_page_shows_each_fund_s_figures_in_both_languages() {
    let dir = folder_with(TWO_FUNDS);
    let server = in_folder(dir.path(), sandbox());
    pay_and_read(&server, "en", "zakat");
    let (_, home) = get(&server, "/");
    let en = fund_list(&home);
    // Each fund by its label, its amount, and a bar only for the one with a goal.
    let general = en.split("data-fund=\"zakat\"").next().unwrap();
    assert!(
        general.contains("<span class=\"fund-label\">Where most needed</span>"),
        "{en}"
    );
    assert!(
        general.contains("<strong data-fund-live=\"raised\">AED\u{a0}0</strong>"),
        "{en}"
    );
    assert!(!general.contains("<progress"), "{en}");
    assert!(en.contains("<span class=\"fund-label\">Zakat</span> <strong data-fund-live=\"raised\">AED\u{a0}100</strong>"), "{en}");
    assert!(
        en.contains("<progress max=\"50000000\" value=\"10000\" aria-hidden=\"true\">"),
        "{en}"
    );
    assert!(en.contains(">1 donation<"), "{en}");
    let (_, home) = get(&server, "/ar/");
    let ar = fund_list(&home);
    assert!(ar.contains("<span class=\"fund-label\">زكاة</span> <strong data-fund-live=\"raised\">١٠٠\u{a0}د.إ</strong>"), "{ar}");
    assert!(
        ar.contains("<span class=\"fund-label\">حيث الحاجة أكبر</span>"),
        "{ar}"
    );
    // The live refresh writes /api/total's texts into the same marks: they agree.
    let total = server.total();
    for (lang, list) in [("en", en), ("ar", ar)] {
        for f in total["funds"].as_array().unwrap() {
            let d = &f["display"][lang];
            for key in ["raised", "donations"] {
                let mark = format!("data-fund-live=\"{key}\">{}<", d[key].as_str().unwrap());
                assert!(list.contains(&mark), "{mark} in {list}");
            }
        }
    }
}

/// Every page a visitor reads, in both languages.
const PAGES: [&str; 12] = [
    "/",
    "/donate/",
    "/about/",
    "/contact/",
    "/success/",
    "/error/",
    "/ar/",
    "/ar/donate/",
    "/ar/about/",
    "/ar/contact/",
    "/ar/success/",
    "/ar/error/",
];

#[test]
fn with_one_fund_the_pages_are_what_they_were_byte_for_byte() {
    // The pages without any fund settings, as before funds, against a server with one
    // fund listed (another label, a goal of its own): nothing may differ, there being
    // nothing to choose. With two funds the donate form alone changes.
    let before = Server::start_with(sandbox());
    let one = folder_with(
        "[[funds]]\nid = \"relief\"\ngoal = 1000\nlabel = { en = \"Relief\", ar = \"إغاثة\" }\n",
    );
    let one = in_folder(one.path(), sandbox());
    // Not `zakat`: that fund adds the calculator to every page's menu.
    let two = folder_with(&TWO_FUNDS.replace("id = \"zakat\"", "id = \"orphans\""));
    let two = in_folder(two.path(), sandbox());
    for path in PAGES {
        let (status, page) = get(&before, path);
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(!page.contains("name=\"fund\""), "{path}");
        assert_eq!(get(&one, path), (status, page.clone()), "{path}");
        // With two funds the donate form and the home page (each fund's figures) change.
        let (_, with_two) = get(&two, path);
        let changed = path.ends_with("donate/") || path == "/" || path == "/ar/";
        assert_eq!(with_two == page, !changed, "{path}");
    }
    for path in ["/donate/?fund=general&amount=20", "/donate/?amount=20"] {
        let (_, page) = get(&one, path);
        assert!(!page.contains("name=\"fund\"") && page.contains("value=\"20\""));
    }
}

#[test]
fn totals_per_fund_add_up_to_the_total_through_refunds_and_disputes() {
    let fake = FakeStripe::start();
    let dir = folder_with(TWO_FUNDS);
    let server = in_folder(
        dir.path(),
        stripe_opts(&fake.api_base()).env("FUNDRAISER_ADMIN__TOKEN", ADMIN),
    );
    let general = paid_100(&server, &fake, 1);
    // Two gifts to Zakat, paid the same way (the form's fund chosen).
    let mut zakat = Vec::new();
    for n in 2..4 {
        let r = donate_to(&server, "100", "ar", "zakat");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        let session = location(&r).strip_prefix(CHECKOUT).unwrap().to_owned();
        fake.set(&session, State::Paid);
        crate::stripe::send_event(
            &server,
            &fake,
            &format!("evt_zakat_{n}"),
            "checkout.session.completed",
            &session,
        );
        zakat.push(session);
    }
    // Stripe's checkout names the fund in the donor's language, and carries its id.
    let forms: Vec<HashMap<String, String>> = fake
        .requests()
        .iter()
        .filter(|r| r.path == "/v1/checkout/sessions")
        .map(|r| r.form().into_iter().collect())
        .collect();
    let campaign_ar = site_text("ar", "campaign");
    assert_eq!(forms[1]["metadata[fund]"], "zakat");
    assert_eq!(
        forms[1]["line_items[0][price_data][product_data][name]"],
        format!("{campaign_ar} — زكاة")
    );
    assert_eq!(forms[0]["metadata[fund]"], "general");
    assert_eq!(
        forms[0]["line_items[0][price_data][product_data][name]"],
        format!("{} — Where most needed", site_text("en", "campaign"))
    );

    let per_fund = |server: &Server| -> Vec<(String, i64, i64)> {
        let total = server.total();
        let funds = total["funds"].as_array().unwrap();
        let rows: Vec<_> = funds
            .iter()
            .map(|f| {
                (
                    f["id"].as_str().unwrap().to_owned(),
                    f["raised_minor"].as_i64().unwrap(),
                    f["donations"].as_i64().unwrap(),
                )
            })
            .collect();
        let sum: i64 = rows.iter().map(|r| r.1).sum();
        assert_eq!(sum, total["raised_minor"].as_i64().unwrap(), "{total}");
        rows
    };
    let row = |id: &str, raised: i64, n: i64| (id.to_owned(), raised, n);
    assert_eq!(raised(&server), (30_000, 3));
    assert_eq!(
        per_fund(&server),
        [row("general", 10_000, 1), row("zakat", 20_000, 2)]
    );

    // A refund and a dispute come out of the donation's own fund.
    send_charge_event(
        &server,
        "evt_r1",
        "charge.refunded",
        charge_refunded(&zakat[0], 2_500),
    );
    assert_eq!(
        per_fund(&server),
        [row("general", 10_000, 1), row("zakat", 17_500, 2)]
    );
    send_charge_event(
        &server,
        "evt_d1",
        "charge.dispute.created",
        dispute(&zakat[1], "needs_response"),
    );
    assert_eq!(
        per_fund(&server),
        [row("general", 10_000, 1), row("zakat", 7_500, 1)]
    );
    send_charge_event(
        &server,
        "evt_r2",
        "charge.refunded",
        charge_refunded(&general, 10_000),
    );
    assert_eq!(
        per_fund(&server),
        [row("general", 0, 0), row("zakat", 7_500, 1)]
    );
    assert_eq!(raised(&server), (7_500, 1));

    // The JSON's other fields, for the live refresh in each language.
    let total = server.total();
    let z = &total["funds"][1];
    assert_eq!(z["label"]["ar"], "زكاة");
    assert_eq!(z["goal_minor"], 50_000_000);
    assert_eq!(total["funds"][0]["goal_minor"], Value::Null);
    assert_eq!(z["raised"], z["display"]["en"]["raised"]);
    assert!(z["display"]["ar"]["raised"].as_str().unwrap().contains('٧'));

    // The admin figures, fund by fund, add up to the whole.
    let stats: Value = admin_get(&server, "/admin/stats").json().unwrap();
    let funds = stats["funds"].as_array().unwrap();
    let figure = |f: &Value, k: &str| f[k].as_i64().unwrap();
    assert_eq!(
        funds
            .iter()
            .map(|f| (
                f["id"].as_str().unwrap(),
                figure(f, "raised_minor"),
                figure(f, "gross_minor"),
                figure(f, "refunded_minor"),
                figure(f, "donations")
            ))
            .collect::<Vec<_>>(),
        [
            ("general", 0, 10_000, 10_000, 1),
            ("zakat", 7_500, 20_000, 2_500, 2)
        ]
    );
    for k in ["raised_minor", "gross_minor", "refunded_minor"] {
        let sum: i64 = funds.iter().map(|f| figure(f, k)).sum();
        assert_eq!(sum, figure(&stats, k), "{k}");
    }

    // The dashboard gives every figure per fund, with its label and its own goal.
    let dashboard = admin_get(&server, "/admin").text().unwrap();
    let cells = |id: &str| -> Vec<String> {
        let start = dashboard
            .find(&format!("<tr data-fund=\"{id}\">"))
            .unwrap_or_else(|| panic!("{id} in {dashboard}"));
        let row = &dashboard[start..start + dashboard[start..].find("</tr>").unwrap()];
        row.split("<td")
            .skip(1)
            .map(|cell| {
                let cell = &cell[cell.find('>').unwrap() + 1..];
                cell.replace("<code>", "")
                    .replace("</code>", "")
                    .replace("</td>", "")
            })
            .collect()
    };
    let aed = |s: &str| format!("AED\u{a0}{s}");
    assert_eq!(
        cells("general"),
        [
            "Where most needed general",
            &aed("0"),
            "—",
            "1",
            &aed("100"),
            &aed("100"),
            &aed("0")
        ]
    );
    assert_eq!(
        cells("zakat"),
        [
            "Zakat zakat".to_owned(),
            aed("75"),
            format!("{} (0%)", aed("500,000")),
            "2".to_owned(),
            aed("200"),
            aed("25"),
            aed("100")
        ]
    );

    // A restart reads the same per fund from the ledger.
    server.stop();
    let server = in_folder(
        dir.path(),
        stripe_opts(&fake.api_base()).env("FUNDRAISER_ADMIN__TOKEN", ADMIN),
    );
    assert_eq!(
        per_fund(&server),
        [row("general", 0, 0), row("zakat", 7_500, 1)]
    );
}

/// `fundraiser stats`, in the folder of a server with two funds (its config.toml lists
/// them), gives every figure per fund.
#[test]
fn the_stats_command_gives_each_fund_its_row() {
    let dir = folder_with(TWO_FUNDS);
    let server = in_folder(dir.path(), sandbox());
    server.pay("30");
    let out = std::process::Command::new(binary())
        .current_dir(dir.path())
        .args(["stats", "--db", "data/ledger.db"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let table = String::from_utf8(out.stdout).unwrap();
    let row = |id: &str| -> Vec<String> {
        table
            .lines()
            .find(|l| l.split_whitespace().next() == Some(id))
            .unwrap_or_else(|| panic!("no row for {id}: {table}"))
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(row("fund")[1], "donations");
    // The form's default fund took the gift; the other has none.
    assert_eq!(row("general")[1], "1");
    assert_eq!(row("zakat")[1], "0");
    assert!(row("general").last().unwrap().ends_with("30"), "{table}");
}

/// `fundraiser export` fills the fund choice into the pages it writes, as the server does.
#[test]
fn the_exported_donate_page_offers_the_funds() {
    let dir = folder_with(TWO_FUNDS);
    let out = std::process::Command::new(binary())
        .current_dir(dir.path())
        .args(["export", "site"])
        .env("FUNDRAISER_SANDBOX__SECRET", SECRET)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for page in ["site/donate/index.html", "site/ar/donate/index.html"] {
        let html = std::fs::read_to_string(dir.path().join(page)).unwrap();
        assert!(
            html.contains(r#"name="fund" value="general""#)
                && html.contains(r#"name="fund" value="zakat""#),
            "{page}"
        );
    }
}

#[test]
fn the_csv_has_each_donation_s_fund_and_filters_by_it() {
    let dir = folder_with(TWO_FUNDS);
    let server = in_folder(dir.path(), sandbox());
    assert_eq!(donate_to(&server, "10", "en", "general").status(), 303);
    assert_eq!(donate_to(&server, "20", "en", "zakat").status(), 303);
    let paid = server.pay("30");
    assert_eq!(donate_to(&server, "40", "ar", "zakat").status(), 303);

    let rows = |path: &str| -> Vec<(String, String)> {
        let r = admin_get(&server, path);
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let text = r.text().unwrap();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let header = reader.headers().unwrap().clone();
        let col = |name: &str| header.iter().position(|h| h == name).unwrap();
        reader
            .records()
            .map(Result::unwrap)
            .map(|r| (r[col("amount_minor")].to_owned(), r[col("fund")].to_owned()))
            .collect()
    };
    let pair = |a: &str, f: &str| (a.to_owned(), f.to_owned());
    assert_eq!(
        rows("/admin/donations.csv"),
        [
            pair("1000", "general"),
            pair("2000", "zakat"),
            pair("3000", "general"),
            pair("4000", "zakat")
        ]
    );
    // One fund's donations, of every status.
    assert_eq!(
        rows("/admin/donations.csv?fund=zakat"),
        [pair("2000", "zakat"), pair("4000", "zakat")]
    );
    assert_eq!(server.ledger().donation(&paid).status, "succeeded");
    assert_eq!(
        rows("/admin/donations.csv?fund=general"),
        [pair("1000", "general"), pair("3000", "general")]
    );
    let r = admin_get(&server, "/admin/donations.csv?fund=sadaqah");
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[test]
fn a_ledger_holding_a_removed_fund_is_refused_at_start_and_by_check() {
    let dir = folder_with(TWO_FUNDS);
    let server = in_folder(dir.path(), sandbox());
    // Started, never paid: a donation of any status keeps its fund.
    assert_eq!(donate_to(&server, "50", "en", "zakat").status(), 303);
    server.stop();
    std::fs::write(
        dir.path().join("config.toml"),
        "[[funds]]\nid = \"general\"\nlabel = { en = \"General\", ar = \"عام\" }\n",
    )
    .unwrap();
    let env = [
        ("FUNDRAISER_SANDBOX__SECRET", SECRET),
        ("FUNDRAISER_SERVER__BIND", "127.0.0.1:0"),
    ];
    for command in ["check", "serve"] {
        let out = run_briefly(self::command(
            Path::new(binary()),
            dir.path(),
            &[command],
            &env,
        ));
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.status.code(), Some(2), "{command}: {text}");
        assert!(
            text.contains("holds 1 donation of the fund \"zakat\""),
            "{command}: {text}"
        );
    }
    // Listed again, the ledger opens as it was.
    std::fs::write(dir.path().join("config.toml"), TWO_FUNDS).unwrap();
    let server = in_folder(dir.path(), sandbox());
    assert_eq!(server.ledger().only().fund, "zakat");
}

#[test]
fn malformed_duplicate_and_unlabelled_funds_stop_start_up_naming_the_id() {
    for (config, named) in [
        (
            "[[funds]]\nid = \"Zakat!\"\nlabel = { en = \"Z\", ar = \"ز\" }\n",
            "\"Zakat!\"",
        ),
        (
            "[[funds]]\nid = \"zakat\"\nlabel = { en = \"Z\", ar = \"ز\" }\n[[funds]]\nid = \"zakat\"\nlabel = { en = \"Z\", ar = \"ز\" }\n",
            "\"zakat\" is listed twice",
        ),
        (
            "[[funds]]\nid = \"relief\"\nlabel = { en = \"Relief\" }\n",
            "\"relief\" has no label in ar",
        ),
    ] {
        let dir = folder_with(config);
        let out = run_briefly(command(
            Path::new(binary()),
            dir.path(),
            &["check"],
            &[("FUNDRAISER_SANDBOX__SECRET", SECRET)],
        ));
        let text = String::from_utf8_lossy(&out.stderr).into_owned()
            + &String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{text}");
        assert!(text.contains(named), "{text}");
    }
}
