//! Criterion benchmarks of the functions on hot paths: answering a page from memory
//! (lookup + encoding negotiation), reading the total, parsing an amount, verifying a
//! payment signature, and one ledger confirmation.
//!
//! `cargo bench --bench hot_paths`; figures are machine-relative, compare runs on one box.

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use fundraiser::config::Config;
use fundraiser::donation::{Channel, DonationId, Outcome, PaymentResult};
use fundraiser::gateway::Gateway;
use fundraiser::gateway::sandbox::Sandbox;
use fundraiser::lang::Lang;
use fundraiser::ledger::{Ledger, NewDonation, Scope};
use fundraiser::money::{Currency, Money, parse_amount};
use fundraiser::site::tally::TotalDisplay;
use fundraiser::site::{Lookup, Site};

fn site(c: &mut Criterion) {
    let settings = Arc::new(Config::default().settings().expect("defaults"));
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = Ledger::open(&dir.path().join("b.db"), Scope::new("AED", false)).expect("ledger");
    let total = ledger.total().load();
    let site = Site::load(settings.clone(), &total, time::OffsetDateTime::now_utc()).expect("site");
    // At start-up: every page filled with the public origin and compressed. A loaded
    // site's files live as long as the process (pinned), so each run keeps its copy:
    // few samples.
    let mut group = c.benchmark_group("start-up");
    group.sample_size(10);
    group.bench_function("site loaded", |b| {
        b.iter(|| Site::load(settings.clone(), &total, time::OffsetDateTime::now_utc()).is_ok())
    });
    group.finish();
    c.bench_function("lookup /about/ + negotiate br", |b| {
        b.iter(|| match site.lookup(black_box("/about/")) {
            Lookup::File(r) => r
                .select(black_box(Some("gzip, deflate, br, zstd")))
                .0
                .body
                .len(),
            _ => 0,
        })
    });
    c.bench_function("home page for the current total", |b| {
        b.iter(|| {
            site.home(Lang::En, &ledger.total().load())
                .identity
                .body
                .len()
        })
    });
    let mut next = (*total).clone();
    c.bench_function(
        "home pages re-rendered for a new total (both languages)",
        |b| {
            b.iter(|| {
                next.version += 1;
                next.raised_minor += 5000;
                site.refresh_home(black_box(&next));
            })
        },
    );
    c.bench_function("total display (ar)", |b| {
        b.iter(|| TotalDisplay::new(Lang::Ar, &settings, &ledger.total().load()))
    });
}

fn amounts(c: &mut Criterion) {
    let aed = Currency::from_code("AED").expect("AED");
    c.bench_function("parse_amount 1,234.50", |b| {
        b.iter(|| parse_amount(black_box("1,234.50"), aed))
    });
    c.bench_function("parse_amount ١٬٢٣٤٫٥", |b| {
        b.iter(|| parse_amount(black_box("١٬٢٣٤٫٥"), aed))
    });
}

fn signatures(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let sandbox = Sandbox::new(b"bench-secret", true, reqwest::Client::new());
    let signed = sandbox.sign_result("AAAAAAAAAAAAAAAAAAAAAA", Outcome::Paid, 5000, "AED");
    let query = serde_urlencoded::to_string(&signed).expect("query");
    c.bench_function("sandbox verify_return", |b| {
        b.iter(|| {
            rt.block_on(sandbox.verify_return(black_box(&query)))
                .is_ok()
        })
    });
}

fn ledger(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let ledger = rt
        .block_on(async { Ledger::open(&dir.path().join("c.db"), Scope::new("AED", false)) })
        .expect("ledger");
    let mut group = c.benchmark_group("ledger");
    group.sample_size(20);
    group.bench_function("create + confirm (fsync each)", |b| {
        b.iter(|| {
            rt.block_on(async {
                let id = DonationId::random();
                ledger
                    .create(NewDonation {
                        gateway_ref: Some(id.to_string()),
                        id: id.clone(),
                        amount: Money::new(5000, Currency::from_code("AED").expect("AED"))
                            .expect("positive"),
                        fund: fundraiser::fund::FundId::general(),
                        gateway: "sandbox",
                        live: false,
                        lang: Lang::En,
                        donor_name: None,
                        donor_email: None,
                        anonymous: false,
                        client_ip: None,
                        client_net: None,
                        open_limit: 0,
                    })
                    .await
                    .expect("create");
                ledger
                    .apply(PaymentResult {
                        gateway: "sandbox",
                        gateway_ref: id.to_string(),
                        outcome: Outcome::Paid,
                        channel: Channel::Webhook,
                        digest: String::new(),
                        amount_minor: Some(5000),
                        currency: Some("AED".into()),
                        event_id: None,
                        payment_ref: None,
                    })
                    .await
                    .expect("apply")
            })
        })
    });
    group.finish();
}

criterion_group!(benches, site, amounts, signatures, ledger);
criterion_main!(benches);
