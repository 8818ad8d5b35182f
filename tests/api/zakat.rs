//! The Zakat calculator (issue 31): `/zakat/` and `/ar/zakat/` answer a GET of the form
//! with the result in the page, without JavaScript, while a fund `zakat` is listed; the
//! menu and the sitemap name it only then; without it, 404, and no page changes.

use std::path::Path;

use crate::common::*;

/// The funds of the issue's example, and the prices of the worked examples.
const FUNDS: &str = r#"
[[funds]]
id = "general"
label = { en = "Where most needed", ar = "حيث الحاجة أكبر" }
description = { en = "Wherever the campaign needs it most.", ar = "حيث تحتاج الحملة أكثر." }
[[funds]]
id = "zakat"
label = { en = "Zakat", ar = "زكاة" }
description = { en = "Only for those eligible to receive Zakat.", ar = "للمستحقين وحدهم." }
"#;
const PRICES: &str = "[zakat]\ngold_price_per_gram = 300\nsilver_price_per_gram = \"4\"\nprices_date = \"2026-12-01\"\n";

/// A server whose `config.toml` holds `config`.
fn serve(config: &str) -> Server {
    let dir = tempfile::tempdir().unwrap().keep();
    std::fs::write(dir.join("config.toml"), config).unwrap();
    Server::start_with(Opts {
        dir: Some(dir),
        ..Opts::default().env("FUNDRAISER_SANDBOX__SECRET", SECRET)
    })
}

fn with_zakat_fund() -> Server {
    serve(&format!("{FUNDS}{PRICES}"))
}

fn get(server: &Server, path: &str) -> (u16, String) {
    let r = client().get(server.url(path)).send().unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

#[test]
fn the_calculator_answers_the_worked_examples_in_english_without_javascript() {
    let server = with_zakat_fund();
    let (status, page) = get(&server, "/zakat/?cash=100%2C000&gold_grams=&debts=20000");
    assert_eq!(status, 200);
    assert!(
        page.contains("Your net wealth: AED\u{a0}80,000. The nisab: AED\u{a0}25,500."),
        "{page}"
    );
    assert!(page.contains("Zakat due: AED\u{a0}2,000 (2.5% of your net wealth)."));
    assert!(page.contains(r#"href="/donate/?fund=zakat&amp;amount=2000">Give this as Zakat</a>"#));
    // What was typed is kept in the form; the nisab and the prices are shown.
    assert!(page.contains(r#"name="cash" inputmode="decimal" autocomplete="off" value="100,000""#));
    assert!(page.contains("Gold: 85 g, worth AED\u{a0}25,500"));
    assert!(page.contains("Silver: 595 g, worth AED\u{a0}2,380"));
    assert!(page.contains(
        "At AED\u{a0}300 a gram of gold and AED\u{a0}4 a gram of silver, as of 2026-12-01."
    ));

    // Net 20,000 is below the gold nisab: said plainly, no amount offered.
    let (status, page) = get(&server, "/zakat/?cash=20000");
    assert_eq!(status, 200);
    assert!(page.contains("Your net wealth is below the nisab, so no Zakat is due on it."));
    assert!(!page.contains("fund=zakat"));
    assert!(!page.contains("Zakat due: AED"));

    // With the silver nisab (2,380) it is above: 500 due.
    let (_, page) = get(&server, "/zakat/?cash=20000&nisab=silver");
    assert!(page.contains("Zakat due: AED\u{a0}500 (2.5% of your net wealth)."));
    assert!(page.contains(r#"href="/donate/?fund=zakat&amp;amount=500""#));
    assert!(page.contains(r#"value="silver" checked"#));

    // Grams to the milligram, rounded up: 85.5 g at 300 is 25,650; a fortieth is 641.25.
    let (_, page) = get(&server, "/zakat/?gold_grams=85.5");
    assert!(page.contains("Zakat due: AED\u{a0}641.25"), "{page}");
    assert!(page.contains(r#"amount=641.25""#));
}

#[test]
fn the_calculator_answers_in_arabic_with_arabic_digits_and_links_the_arabic_form() {
    let server = with_zakat_fund();
    let cash = "%D9%A1%D9%A0%D9%A0%D9%AC%D9%A0%D9%A0%D9%A0"; // ١٠٠٬٠٠٠
    let debts = "%D9%A2%D9%A0%D9%A0%D9%A0%D9%A0"; // ٢٠٠٠٠
    let (status, page) = get(&server, &format!("/ar/zakat/?cash={cash}&debts={debts}"));
    assert_eq!(status, 200);
    assert!(
        page.contains("صافي مالك: ٨٠٬٠٠٠\u{a0}د.إ. النصاب: ٢٥٬٥٠٠\u{a0}د.إ."),
        "{page}"
    );
    assert!(page.contains("الزكاة الواجبة: ٢٬٠٠٠\u{a0}د.إ (٢٫٥٪ من صافي مالك)."));
    assert!(
        page.contains(r#"href="/ar/donate/?fund=zakat&amp;amount=2000">أدِّ هذا المبلغ زكاةً</a>"#)
    );
    let (_, page) = get(&server, "/ar/zakat/?cash=20000");
    assert!(page.contains("صافي مالك دون النصاب، فلا زكاة عليك فيه."));
    assert!(!page.contains("fund=zakat"));
    let (_, page) = get(&server, "/ar/zakat/?cash=20000&nisab=silver");
    assert!(page.contains("الزكاة الواجبة: ٥٠٠\u{a0}د.إ"));
}

#[test]
fn a_figure_that_is_no_number_is_422_with_the_field_marked_in_the_donors_language() {
    let server = with_zakat_fund();
    let (status, page) = get(&server, "/zakat/?cash=lots&debts=-5&gold_grams=1.2345");
    assert_eq!(status, 422);
    assert!(page.contains(r#"<p class="field-error" id="cash-error">Please type a number, for example 1500 or 12.5.</p>"#));
    assert!(
        page.contains(r#"<p class="field-error" id="debts-error">Please type zero or more.</p>"#)
    );
    assert!(page.contains("Please use at most 3 decimals here."));
    assert!(page.contains(r#"aria-invalid="true""#));
    assert!(!page.contains("Zakat due: AED"));
    let (status, page) = get(&server, "/ar/zakat/?investments=99999999999999999");
    assert_eq!(status, 422);
    assert!(page.contains("هذا الرقم أكبر مما تقبله الحاسبة."));
    // Any other parameter is ignored: the page as built, without a result.
    let (status, page) = get(&server, "/zakat/?utm_source=x");
    assert_eq!(status, 200);
    assert!(page.contains(r#"id="zakat-result" aria-labelledby="zakat-result-title" hidden"#));
}

#[test]
fn the_figures_are_never_logged_nor_cached() {
    let server = with_zakat_fund();
    let r = client()
        .get(server.url("/zakat/?cash=123457&receivables=98765"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    assert_eq!(r.headers()["x-robots-tag"], "noindex");
    let line = server
        .wait_for_log(r#"path="/zakat/""#)
        .expect("the request's log line");
    assert!(
        !line.contains("123457") && !line.contains("98765") && !line.contains("cash"),
        "{line}"
    );
}

#[test]
fn menu_and_sitemap_name_the_calculator_only_with_a_zakat_fund() {
    let server = with_zakat_fund();
    let (_, home) = get(&server, "/");
    assert!(home.contains(r#"<li><a href="/donate/">Donate</a></li><li><a href="/zakat/">Zakat</a></li><li><a href="/about/">"#), "{home}");
    let (_, ar) = get(&server, "/ar/about/");
    assert!(ar.contains(r#"<li><a href="/ar/zakat/">الزكاة</a></li>"#));
    let (status, page) = get(&server, "/ar/zakat/");
    assert_eq!(status, 200);
    assert!(page.contains(r#"<a href="/ar/zakat/" aria-current="page">الزكاة</a>"#));
    assert!(page.contains("<h1>حاسبة الزكاة</h1>"));
    let (_, sitemap) = get(&server, "/sitemap.xml");
    assert!(sitemap.contains("<loc>http://127.0.0.1:8080/zakat/</loc>"));
    assert!(sitemap.contains("<loc>http://127.0.0.1:8080/ar/zakat/</loc>"));
    assert!(!sitemap.contains("<!--"));
    // Without its slash, the page's own redirect (the query kept).
    let r = client().get(server.url("/zakat?cash=1")).send().unwrap();
    assert_eq!(r.status(), 308);
    assert_eq!(location(&r), "/zakat/?cash=1");
}

/// Every page a visitor can reach, as served: the menus' pages and the sitemap's.
fn served_pages(server: &Server) -> Vec<(String, String)> {
    let paths = [
        "/",
        "/ar/",
        "/donate/",
        "/ar/donate/",
        "/about/",
        "/ar/about/",
        "/contact/",
        "/ar/contact/",
        "/success/",
        "/ar/success/",
        "/sitemap.xml",
        "/robots.txt",
        "/no-such-page/",
        "/ar/no-such-page/",
    ];
    paths
        .iter()
        .map(|p| (p.to_string(), get(server, p).1))
        .collect()
}

#[test]
fn without_a_zakat_fund_there_is_no_calculator_and_every_page_is_as_before() {
    // The prices alone do not open it; nor does a fund list without `zakat`.
    let general_only = FUNDS.split("[[funds]]\nid = \"zakat\"").next().unwrap();
    let bare = Server::start();
    for server in [serve(PRICES), serve(&format!("{general_only}{PRICES}"))] {
        for path in [
            "/zakat/",
            "/ar/zakat/",
            "/zakat/?cash=100000",
            "/zakat",
            "/zakat/index.html",
        ] {
            assert_eq!(get(&server, path).0, 404, "{path}");
        }
        for ((path, page), (_, before)) in served_pages(&server).iter().zip(served_pages(&bare)) {
            // Nothing of the calculator, not even its markers, and byte for byte the page
            // of a server that never heard of it.
            assert!(!page.to_lowercase().contains("zakat"), "{path}: {page}");
            assert_eq!(page, &before, "{path}");
        }
    }
}

#[test]
fn a_price_that_is_no_amount_stops_start_up_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["check", "serve"] {
        let out = run_briefly(command_in(
            dir.path(),
            command,
            "FUNDRAISER_ZAKAT__GOLD_PRICE_PER_GRAM",
            "3.005",
        ));
        let text = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {text}");
        assert!(
            text.contains(
                "zakat.gold_price_per_gram: \"3.005\" has more decimals than AED allows (2)"
            ),
            "{text}"
        );
    }
}

#[test]
fn check_warns_while_a_zakat_fund_has_no_prices() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.toml"),
        format!("{FUNDS}[zakat]\ngold_price_per_gram = 300\n"),
    )
    .unwrap();
    let out = run_briefly(command(
        Path::new(binary()),
        dir.path(),
        &["check"],
        &[("FUNDRAISER_SANDBOX__SECRET", SECRET)],
    ));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("warning: zakat.silver_price_per_gram is not set"),
        "{text}"
    );
    // Prices set: no warning.
    std::fs::write(dir.path().join("config.toml"), format!("{FUNDS}{PRICES}")).unwrap();
    let out = run_briefly(command(
        Path::new(binary()),
        dir.path(),
        &["check"],
        &[("FUNDRAISER_SANDBOX__SECRET", SECRET)],
    ));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("zakat"));
}

fn command_in(dir: &Path, command: &str, key: &str, value: &str) -> std::process::Command {
    crate::common::command(
        Path::new(binary()),
        dir,
        &[command],
        &[
            ("FUNDRAISER_SANDBOX__SECRET", SECRET),
            ("FUNDRAISER_SERVER__BIND", "127.0.0.1:0"),
            (key, value),
        ],
    )
}
