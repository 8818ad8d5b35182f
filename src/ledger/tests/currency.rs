//! A change of the campaign's currency while donations in the old one wait (#29): the
//! switch is refused at start, and a payment for such a donation is a mismatch.
use super::*;

fn jpy() -> Scope {
    Scope::new("JPY", false)
}

async fn a_payment_in_another_currency_than_the_campaigns_is_a_mismatch(backend: Backend) {
    let Some(place) = Place::new(backend) else {
        return;
    };
    // A JPY campaign holding an AED donation still waiting for its payment (made before
    // the switch, or by a server still running AED).
    let ledger = Ledger::open_at(&place.location, BATCH_MAX, jpy()).unwrap();
    let d = new_donation(5_000);
    ledger.create(d.clone()).await.unwrap();
    let applied = ledger.apply(paid(&d, Outcome::Paid)).await.unwrap();
    assert!(matches!(applied, Applied::Mismatch { .. }), "{applied:?}");
    assert_eq!(
        ledger.donation(&d.id).await.unwrap().status,
        Status::Pending
    );
    shows(&ledger, 0, 0).await;
    // A declined one is no money: applied as ever.
    let declined = new_donation(700);
    ledger.create(declined.clone()).await.unwrap();
    ledger
        .apply(paid(&declined, Outcome::Declined))
        .await
        .unwrap();
    assert_eq!(
        ledger.donation(&declined.id).await.unwrap().status,
        Status::Failed
    );
    drop(ledger);
    // The next start says why it refuses, and what to do.
    let refused = Ledger::open_at(&place.location, BATCH_MAX, jpy())
        .err()
        .expect("refused");
    let text = refused.to_string();
    assert!(
        matches!(refused, OpenError::PendingOtherCurrency { count: 1, .. }),
        "{text}"
    );
    assert!(text.contains("1 pending donation in AED"), "{text}");
    assert!(text.contains("campaign.currency = \"AED\""), "{text}");
}

async fn a_currency_switch_waits_for_the_pending_donations_of_the_old_one(backend: Backend) {
    let Some(place) = Place::new(backend) else {
        return;
    };
    let ledger = place.open();
    let waiting = [new_donation(100), new_donation(200)];
    for d in &waiting {
        ledger.create(d.clone()).await.unwrap();
    }
    drop(ledger);
    let refused = Ledger::open_at(&place.location, BATCH_MAX, jpy()).err();
    assert!(
        matches!(
            refused,
            Some(OpenError::PendingOtherCurrency { count: 2, .. })
        ),
        "{refused:?}"
    );
    // Test money pending under another mode is not what the live total counts: no hold.
    assert!(Ledger::open_at(&place.location, BATCH_MAX, Scope::new("JPY", true)).is_ok());
    // Once they expired, the switch goes ahead.
    let ledger = place.open();
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert_eq!(
        ledger
            .expire_pending(Duration::from_millis(1))
            .await
            .unwrap(),
        2
    );
    drop(ledger);
    assert!(Ledger::open_at(&place.location, BATCH_MAX, jpy()).is_ok());
}

on_both!(
    a_payment_in_another_currency_than_the_campaigns_is_a_mismatch,
    a_currency_switch_waits_for_the_pending_donations_of_the_old_one,
);
