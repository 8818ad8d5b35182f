//! Refunds and disputes of succeeded donations, applied inside the writer's transaction
//! through the state machine of `kept`: the ledger stores what the donation keeps, the
//! live total moves by the change of its net, and every change is an `events` row.

use super::sql::{Db, DbResult, args};

use super::apply::{Delta, Event, event, first_delivery, payload_seen, repeated};
use super::{MoneyApplied, Scope, now_ms};
use crate::donation::Status;
use crate::kept::{Dispute, Kept, MoneyEvent, MoneyNotice};

/// A donation as refunds and disputes see it.
struct Paid {
    id: String,
    currency: String,
    status: Status,
    live: bool,
    kept: Kept,
    fund: String,
}

pub fn apply_money(
    db: &mut dyn Db,
    notice: &MoneyNotice,
    delta: &mut Delta,
    scope: &Scope,
) -> DbResult<MoneyApplied> {
    let row = db
        .query_opt(
            "SELECT id, currency, status, live, amount_minor, refunded_minor, dispute, dispute_minor,
                    fund
             FROM donations WHERE gateway = ?1 AND payment_ref = ?2",
            args![notice.gateway, &notice.payment_ref],
        )?
        .map(|r| {
            Ok::<_, super::sql::DbError>(Paid {
                id: r.text(0)?,
                currency: r.text(1)?,
                status: Status::parse(&r.text(2)?).unwrap_or(Status::Pending),
                live: r.bool(3)?,
                kept: Kept {
                    amount_minor: r.int(4)?,
                    refunded_minor: r.int(5)?,
                    dispute: Dispute::from_parts(&r.text(6)?, r.int(7)?),
                },
                fund: r.text(8)?,
            })
        })
        .transpose()?;
    let seen = payload_seen(db, &notice.digest)?;
    let Some(row) = row else {
        if seen {
            repeated();
        } else {
            event(
                db,
                Event {
                    kind: "money_unknown",
                    gateway: Some(notice.gateway),
                    digest: Some(&notice.digest),
                    detail: Some(&notice.payment_ref),
                    ..Event::default()
                },
            )?;
        }
        return Ok(MoneyApplied::UnknownPayment);
    };
    if let Some(event_id) = &notice.event_id
        && !first_delivery(db, notice.gateway, event_id)?
    {
        repeated();
        return Ok(MoneyApplied::Done {
            id: row.id,
            changed: false,
            net_minor: row.kept.net(),
        });
    }
    let currency_ok = notice
        .currency
        .as_deref()
        .is_none_or(|c| c.eq_ignore_ascii_case(&row.currency));
    let refused = if !currency_ok {
        Some((
            "money_mismatch",
            MoneyApplied::Mismatch { id: row.id.clone() },
        ))
    } else if row.status != Status::Succeeded {
        Some((
            "money_not_succeeded",
            MoneyApplied::NotSucceeded { id: row.id.clone() },
        ))
    } else {
        None
    };
    if let Some((kind, answer)) = refused {
        if seen {
            repeated();
        } else {
            let detail = format!(
                "{:?} in {}; donation {} {}",
                notice.event,
                notice.currency.as_deref().unwrap_or("?"),
                row.status,
                row.currency
            );
            event(
                db,
                Event {
                    donation_id: Some(&row.id),
                    kind,
                    gateway: Some(notice.gateway),
                    from: Some(row.status),
                    digest: Some(&notice.digest),
                    detail: Some(&detail),
                    ..Event::default()
                },
            )?;
        }
        return Ok(answer);
    }
    let before = row.kept;
    let after = before.apply(notice.event);
    if let MoneyEvent::Refunded { .. } = notice.event {
        // The gateway's answer to an admin's refund, or its own cumulative notice: the
        // pending refund this total covers is made.
        super::refunds::settle_covered(db, &row.id, after.refunded_minor)?;
    }
    let changed = after != before;
    if changed {
        db.execute(
            "UPDATE donations SET refunded_minor = ?2, dispute = ?3, dispute_minor = ?4,
                 updated_at = ?5 WHERE id = ?1",
            args![
                &row.id,
                after.refunded_minor,
                after.dispute.as_str(),
                after.dispute.amount_minor(),
                now_ms()
            ],
        )?;
        super::outbox::on_refund(
            db,
            &row.id,
            after.refunded_minor,
            after.refunded_minor - before.refunded_minor,
            scope.emails,
        )?;
        // Money of another mode or currency is recorded, never counted.
        if row.live == scope.live && row.currency == scope.currency {
            // The donation's own fund gives the money back.
            delta.add(
                &row.fund,
                after.net() - before.net(),
                i64::from(after.net() > 0) - i64::from(before.net() > 0),
            );
        }
    } else if seen {
        repeated();
        return Ok(MoneyApplied::Done {
            id: row.id,
            changed,
            net_minor: after.net(),
        });
    }
    let kind = match notice.event {
        MoneyEvent::Refunded { .. } => "refund",
        MoneyEvent::DisputeOpened { .. } => "dispute_opened",
        MoneyEvent::DisputeClosed { won: true, .. } => "dispute_won",
        MoneyEvent::DisputeClosed { won: false, .. } => "dispute_lost",
    };
    let detail = format!(
        "refunded {} of {}, dispute {} {}, keeps {}{}",
        after.refunded_minor,
        after.amount_minor,
        match after.dispute.as_str() {
            "" => "none",
            s => s,
        },
        after.dispute.amount_minor(),
        after.net(),
        if changed { "" } else { " (unchanged)" }
    );
    event(
        db,
        Event {
            donation_id: Some(&row.id),
            kind,
            gateway: Some(notice.gateway),
            from: Some(row.status),
            to: Some(row.status),
            digest: Some(&notice.digest),
            detail: Some(&detail),
        },
    )?;
    Ok(MoneyApplied::Done {
        id: row.id,
        changed,
        net_minor: after.net(),
    })
}
