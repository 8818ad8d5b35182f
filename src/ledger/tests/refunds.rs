//! Refund intents (#29): one per admin action, reused by its retries, settled by the
//! gateway's answer or its own cumulative notice.
use super::*;
use crate::kept::MoneyEvent;

async fn a_refund_intent_is_reused_until_a_notice_covers_it(backend: Backend) {
    let Some(place) = Place::new(backend) else {
        return;
    };
    let ledger = place.open();
    let d = new_donation(10_000);
    ledger.create(d.clone()).await.unwrap();
    let mut result = paid(&d, Outcome::Paid);
    result.payment_ref = Some("pay_1".into());
    ledger.apply(result).await.unwrap();
    let first = ledger.intend_refund(&d.id, 4_000, Some(1)).await.unwrap();
    let Intended::Pending {
        intent,
        reused: false,
    } = first
    else {
        panic!("{first:?}")
    };
    assert_eq!(
        (intent.n, intent.amount_minor, intent.refunded_before),
        (1, 4_000, 0)
    );
    let shown = ledger.refundable(&d.id).await.unwrap();
    assert_eq!(
        (shown.pending_refund, shown.next_refund),
        (Some((1, 4_000)), 2)
    );
    // Retried, with another amount, or with no form: the same refund.
    for form in [Some(1), None, Some(2)] {
        let again = ledger.intend_refund(&d.id, 1_000, form).await.unwrap();
        assert_eq!(
            again,
            Intended::Pending {
                intent: intent.clone(),
                reused: true
            }
        );
    }
    // A notice that does not cover it leaves it pending; one that does settles it.
    let refund =
        |n: i64, digest: &str| notice("pay_1", MoneyEvent::Refunded { total_minor: n }, digest);
    ledger.apply_money(refund(3_999, "r1")).await.unwrap();
    assert!(
        ledger
            .refundable(&d.id)
            .await
            .unwrap()
            .pending_refund
            .is_some()
    );
    ledger.apply_money(refund(4_000, "r2")).await.unwrap();
    let shown = ledger.refundable(&d.id).await.unwrap();
    assert_eq!((shown.pending_refund, shown.next_refund), (None, 2));
    // The same form again: made already. A form from nowhere: out of date.
    let settled = ledger.intend_refund(&d.id, 4_000, Some(1)).await.unwrap();
    assert!(
        matches!(&settled, Intended::Settled(i) if i.state == "done"),
        "{settled:?}"
    );
    assert_eq!(
        ledger.intend_refund(&d.id, 4_000, Some(9)).await.unwrap(),
        Intended::Stale
    );
    // The next one counts from what was refunded; refused, it is never made.
    let Intended::Pending { intent, .. } = ledger.intend_refund(&d.id, 500, None).await.unwrap()
    else {
        panic!("a new intent")
    };
    assert_eq!((intent.n, intent.refunded_before), (2, 4_000));
    ledger.refund_refused(&d.id, 2).await.unwrap();
    let refused = ledger.intend_refund(&d.id, 500, Some(2)).await.unwrap();
    assert!(
        matches!(&refused, Intended::Settled(i) if i.state == "failed"),
        "{refused:?}"
    );
    let Intended::Pending { intent, .. } = ledger.intend_refund(&d.id, 500, Some(3)).await.unwrap()
    else {
        panic!("a new intent")
    };
    assert_eq!(intent.n, 3);
    shows(&ledger, 6_000, 1).await;
}

on_both!(a_refund_intent_is_reused_until_a_notice_covers_it);
