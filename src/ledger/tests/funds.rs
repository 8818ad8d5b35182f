//! Funds (#31): each donation's fund, kept for good; the live total per fund, which adds
//! up to the total through refunds and disputes and after a restart; the donations from
//! before funds given the first fund; a fund no longer listed refused.
use super::*;
use crate::fund::FundId;
use crate::kept::MoneyEvent;

fn two_funds() -> Scope {
    test_scope().with_funds(vec!["general".into(), "zakat".into()])
}

fn to_fund(amount: i64, fund: &str) -> NewDonation {
    NewDonation {
        fund: FundId::parse(fund).unwrap(),
        ..new_donation(amount)
    }
}

/// The live total's funds as (id, raised, donations), and that they add up to it.
fn per_fund(ledger: &Ledger) -> Vec<(String, i64, i64)> {
    let t = ledger.total().load();
    let rows: Vec<_> = t
        .funds
        .iter()
        .map(|(id, f)| (id.clone(), f.raised_minor, f.donations))
        .collect();
    assert_eq!(rows.iter().map(|r| r.1).sum::<i64>(), t.raised_minor);
    assert_eq!(rows.iter().map(|r| r.2).sum::<i64>() as u64, t.donations);
    rows
}

fn row(id: &str, raised: i64, n: i64) -> (String, i64, i64) {
    (id.to_owned(), raised, n)
}

async fn each_fund_keeps_its_own_money_through_refunds_and_disputes(backend: Backend) {
    let Some(place) = Place::new(backend) else {
        return;
    };
    let ledger = Ledger::open_at(&place.location, BATCH_MAX, two_funds()).unwrap();
    let general = to_fund(10_000, "general");
    let zakat = [to_fund(20_000, "zakat"), to_fund(5_000, "zakat")];
    for (n, d) in std::iter::once(&general).chain(&zakat).enumerate() {
        ledger.create(d.clone()).await.unwrap();
        let mut result = paid(d, Outcome::Paid);
        result.payment_ref = Some(format!("pay_{n}"));
        ledger.apply(result).await.unwrap();
    }
    shows(&ledger, 35_000, 3).await;
    assert_eq!(
        per_fund(&ledger),
        [row("general", 10_000, 1), row("zakat", 25_000, 2)]
    );
    assert_eq!(ledger.donation(&zakat[0].id).await.unwrap().fund, "zakat");
    // A refund of a Zakat gift, and a dispute of the other: Zakat's money alone moves.
    ledger
        .apply_money(notice(
            "pay_1",
            MoneyEvent::Refunded { total_minor: 4_000 },
            "r1",
        ))
        .await
        .unwrap();
    ledger
        .apply_money(notice(
            "pay_2",
            MoneyEvent::DisputeOpened {
                amount_minor: 5_000,
            },
            "d1",
        ))
        .await
        .unwrap();
    shows(&ledger, 26_000, 2).await;
    assert_eq!(
        per_fund(&ledger),
        [row("general", 10_000, 1), row("zakat", 16_000, 1)]
    );
    // The admin figures say the same, fund by fund.
    let stats = ledger.stats(now_ms()).await.unwrap();
    let zakat_stats = stats.by_fund.iter().find(|f| f.fund == "zakat").unwrap();
    assert_eq!(
        (
            zakat_stats.gross_minor,
            zakat_stats.refunded_minor,
            zakat_stats.disputed_minor,
            zakat_stats.raised_minor,
            zakat_stats.donations
        ),
        (25_000, 4_000, 5_000, 16_000, 2)
    );
    // Read again from the database at the next start: the same.
    drop(ledger);
    let ledger = Ledger::open_at(&place.location, BATCH_MAX, two_funds()).unwrap();
    assert_eq!(
        per_fund(&ledger),
        [row("general", 10_000, 1), row("zakat", 16_000, 1)]
    );
    // The export lists one fund's donations on request.
    let only = ledger
        .export_page(0, 100, Some("zakat".into()))
        .await
        .unwrap();
    assert_eq!(only.len(), 2);
    assert!(only.iter().all(|r| r.fund == "zakat"));
    assert_eq!(ledger.export_page(0, 100, None).await.unwrap().len(), 3);
}

async fn donations_from_before_funds_join_the_first_fund_and_removed_funds_are_refused(
    backend: Backend,
) {
    let Some(place) = Place::new(backend) else {
        return;
    };
    let ledger = place.open();
    let old = new_donation(700);
    ledger.create(old.clone()).await.unwrap();
    ledger.apply(paid(&old, Outcome::Paid)).await.unwrap();
    drop(ledger);
    // As migration 12 leaves a donation made before funds.
    place.raw(|db| db.execute("UPDATE donations SET fund = ''", &[]).unwrap());
    let scope = test_scope().with_funds(vec!["where-needed".into(), "zakat".into()]);
    let ledger = Ledger::open_at(&place.location, BATCH_MAX, scope.clone()).unwrap();
    assert_eq!(ledger.donation(&old.id).await.unwrap().fund, "where-needed");
    assert_eq!(per_fund(&ledger), [row("where-needed", 700, 1)]);
    let pending = to_fund(300, "zakat");
    ledger.create(pending).await.unwrap();
    drop(ledger);
    // Zakat no longer listed while a donation (pending, even) belongs to it: refused.
    let refused = Ledger::open_at(
        &place.location,
        BATCH_MAX,
        test_scope().with_funds(vec!["where-needed".into()]),
    )
    .err()
    .expect("refused");
    let text = refused.to_string();
    assert!(
        matches!(&refused, OpenError::UnlistedFund { fund, count: 1, .. } if fund == "zakat"),
        "{text}"
    );
    assert!(text.contains("1 donation of the fund \"zakat\""), "{text}");
    assert!(Ledger::open_at(&place.location, BATCH_MAX, scope).is_ok());
}

on_both!(
    each_fund_keeps_its_own_money_through_refunds_and_disputes,
    donations_from_before_funds_join_the_first_fund_and_removed_funds_are_refused,
);
