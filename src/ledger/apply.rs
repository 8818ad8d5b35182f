//! What each write does inside the writer's transaction: the SQL of creating a
//! donation, applying a payment result through the state machine, expiring, and the
//! audit events each leaves. Called only by the writer, one savepoint per job.

use super::sql::{Db, DbResult, args};

pub use super::funds::Delta;
use super::writer::{Op, Reply};
use super::{Applied, Created, Scope, now_ms, read};
use crate::donation::{PaymentResult, Status, Transition, transition};

/// One line of the append-only audit trail.
#[derive(Default)]
pub(super) struct Event<'a> {
    pub(super) donation_id: Option<&'a str>,
    pub(super) kind: &'a str,
    pub(super) gateway: Option<&'a str>,
    pub(super) from: Option<Status>,
    pub(super) to: Option<Status>,
    pub(super) digest: Option<&'a str>,
    pub(super) detail: Option<&'a str>,
}

pub(super) fn event(db: &mut dyn Db, e: Event<'_>) -> DbResult<()> {
    db.execute(
        "INSERT INTO events (donation_id, at, kind, gateway, from_status, to_status, digest, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        args![
            e.donation_id,
            now_ms(),
            e.kind,
            e.gateway,
            e.from.map(Status::as_str),
            e.to.map(Status::as_str),
            e.digest,
            e.detail
        ],
    )?;
    Ok(())
}

/// Expiry runs on one server at a time (the others skip it), under this lock.
const EXPIRY_LOCK: i64 = 0x6675_6e64_6578_7069;

pub fn apply_op(db: &mut dyn Db, op: &Op, delta: &mut Delta, scope: &Scope) -> DbResult<Reply> {
    match op {
        Op::Create(d) => {
            if let (Some(net), true) = (&d.client_net, d.open_limit > 0) {
                let open = db
                    .query_one(
                        "SELECT COUNT(*) FROM donations WHERE client_net = ?1 AND status = 'pending'",
                        args![net],
                    )?
                    .int(0)?;
                if open >= i64::from(d.open_limit) {
                    return Ok(Reply::Created(Created::TooManyOpen));
                }
            }
            let now = now_ms();
            db.execute(
                "INSERT INTO donations (id, amount_minor, currency, status, gateway, gateway_ref, lang,
                     donor_name, donor_email, anonymous, client_ip, created_at, updated_at, client_net, live,
                     fund)
                 VALUES (?1, ?2, ?3, 'pending', ?4, ?11, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?12, ?13, ?14)",
                args![
                d.id.as_str(),
                d.amount.minor(),
                d.amount.currency().code(),
                d.gateway,
                d.lang.code(),
                &d.donor_name,
                &d.donor_email,
                d.anonymous,
                &d.client_ip,
                now,
                &d.gateway_ref,
                &d.client_net,
                d.live,
                d.fund.as_str()
            ])?;
            event(
                db,
                Event {
                    donation_id: Some(d.id.as_str()),
                    kind: "created",
                    gateway: Some(d.gateway),
                    to: Some(Status::Pending),
                    ..Event::default()
                },
            )?;
            Ok(Reply::Created(Created::Recorded))
        }
        Op::SetGatewayRef {
            id,
            gateway_ref,
            url,
        } => {
            db.execute(
                "UPDATE donations SET gateway_ref = ?2, checkout_url = ?4, updated_at = ?3
                 WHERE id = ?1",
                args![id, gateway_ref, now_ms(), url],
            )?;
            event(
                db,
                Event {
                    donation_id: Some(id),
                    kind: "checkout",
                    detail: Some(gateway_ref),
                    ..Event::default()
                },
            )?;
            Ok(Reply::Done)
        }
        Op::FailCheckout { id, reason } => {
            super::expire::end_pending(db, id, Status::Failed, "checkout_failed", reason)?;
            Ok(Reply::Done)
        }
        Op::Apply(cb) => apply_callback(db, cb, delta, scope).map(Reply::Applied),
        Op::Money(notice) => {
            super::after_payment::apply_money(db, notice, delta, scope).map(Reply::Money)
        }
        Op::IntendRefund {
            id,
            amount_minor,
            form_n,
        } => super::refunds::intend(db, id, *amount_minor, *form_n).map(Reply::Intended),
        Op::RefundRefused { id, n } => {
            super::refunds::fail(db, id, *n)?;
            Ok(Reply::Done)
        }
        Op::ExpireBefore { cutoff_ms } => {
            if !db.try_exclusive(EXPIRY_LOCK)? {
                // Another server is expiring the same donations right now.
                return Ok(Reply::Count(0));
            }
            let ids = db
                .query(
                    "SELECT id FROM donations WHERE status = 'pending' AND created_at < ?1",
                    args![*cutoff_ms],
                )?
                .iter()
                .map(|r| r.text(0))
                .collect::<DbResult<Vec<String>>>()?;
            let now = now_ms();
            for id in &ids {
                db.execute(
                    "UPDATE donations SET status = 'expired', updated_at = ?2 WHERE id = ?1",
                    args![id, now],
                )?;
                event(
                    db,
                    Event {
                        donation_id: Some(id),
                        kind: "expired",
                        from: Some(Status::Pending),
                        to: Some(Status::Expired),
                        ..Event::default()
                    },
                )?;
            }
            Ok(Reply::Count(ids.len() as u64))
        }
        Op::Expire { id, reason } => super::expire::one(db, id, reason).map(Reply::Count),
        Op::Probe => {
            db.execute(
                "INSERT INTO settings (key, value) VALUES ('probe', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                args![&now_ms().to_string()],
            )?;
            Ok(Reply::Done)
        }
        Op::RecordReconcile(run) => {
            super::reconcile::record(db, run)?;
            Ok(Reply::Done)
        }
        Op::ClaimOutbox {
            now_ms,
            lease_ms,
            limit,
        } => super::outbox::claim(db, *now_ms, *lease_ms, *limit).map(Reply::Outbox),
        Op::RecordAttempt { seq, attempt } => {
            super::outbox::record(db, *seq, attempt)?;
            Ok(Reply::Done)
        }
        Op::ReleaseClaims => super::outbox::release_claims(db).map(Reply::Count),
        Op::Resend { id, to } => super::outbox::resend(db, id, to.as_deref()).map(Reply::Resent),
        Op::SettingOrInsert { key, value } => {
            db.execute(
                "INSERT INTO settings (key, value) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                args![key, value],
            )?;
            let stored = db
                .query_one("SELECT value FROM settings WHERE key = ?1", args![key])?
                .text(0)?;
            Ok(Reply::Value(stored))
        }
    }
}

fn apply_callback(
    db: &mut dyn Db,
    cb: &PaymentResult,
    delta: &mut Delta,
    scope: &Scope,
) -> DbResult<Applied> {
    let row = read::donation_by_gateway_ref(db, cb.gateway, &cb.gateway_ref)?;
    if let Some(event_id) = &cb.event_id
        && !first_delivery(db, cb.gateway, event_id)?
    {
        // Delivered again: already recorded once, so nothing else is recorded.
        return Ok(match row {
            Some(row) => Applied::Done {
                id: row.id,
                lang: row.lang,
                status: row.status,
                changed: false,
            },
            None => Applied::UnknownDonation,
        });
    }
    // The same payload again (a replayed return URL, a redelivery without an event id)
    // changes nothing and is answered, but is not written again: counted instead.
    let seen = payload_seen(db, &cb.digest)?;
    let Some(row) = row else {
        if seen {
            repeated();
            return Ok(Applied::UnknownDonation);
        }
        event(
            db,
            Event {
                kind: "callback_unknown",
                gateway: Some(cb.gateway),
                digest: Some(&cb.digest),
                detail: Some(&cb.gateway_ref),
                ..Event::default()
            },
        )?;
        return Ok(Applied::UnknownDonation);
    };
    let kind = format!("{}:{}", cb.channel, cb.outcome.as_str());
    let amount_ok = cb.amount_minor.is_none_or(|a| a == row.amount_minor);
    let currency_ok = cb
        .currency
        .as_deref()
        .is_none_or(|c| c.eq_ignore_ascii_case(&row.currency));
    // Money of the running mode in another currency than the campaign's (switched while
    // this donation waited) could be neither counted nor left out: a success would stop
    // the next start. Recorded as a mismatch for the admin, never a success.
    let campaign_ok = cb.outcome != crate::donation::Outcome::Paid
        || row.live != scope.live
        || row.currency == scope.currency;
    if !(amount_ok && currency_ok && campaign_ok) {
        let detail = format!(
            "gateway reported {} {}, ledger has {} {}{}",
            cb.amount_minor.map_or("?".into(), |a| a.to_string()),
            cb.currency.as_deref().unwrap_or("?"),
            row.amount_minor,
            row.currency,
            if campaign_ok {
                String::new()
            } else {
                format!(", campaign is in {}", scope.currency)
            }
        );
        if seen {
            repeated();
            return Ok(Applied::Mismatch {
                id: row.id,
                lang: row.lang,
            });
        }
        tracing::warn!(donation = %row.id, gateway = %cb.gateway, %detail, "payment amount mismatch: not counted");
        event(
            db,
            Event {
                donation_id: Some(&row.id),
                kind: "mismatch",
                gateway: Some(cb.gateway),
                from: Some(row.status),
                digest: Some(&cb.digest),
                detail: Some(&detail),
                ..Event::default()
            },
        )?;
        return Ok(Applied::Mismatch {
            id: row.id,
            lang: row.lang,
        });
    }
    let (status, changed) = match transition(row.status, cb.outcome) {
        Transition::To { status, counts } => {
            db.execute(
                "UPDATE donations SET status = ?2, updated_at = ?3 WHERE id = ?1",
                args![&row.id, status.as_str(), now_ms()],
            )?;
            // Money of another mode or currency is recorded, never counted.
            if counts && row.live == scope.live && row.currency == scope.currency {
                delta.add(&row.fund, row.amount_minor, 1);
            }
            if status == Status::Succeeded {
                super::outbox::on_success(db, &row.id, scope.emails)?;
            }
            (status, true)
        }
        Transition::Unchanged => (row.status, false),
    };
    if status == Status::Succeeded
        && let Some(payment) = &cb.payment_ref
    {
        // What later refunds and disputes name. A payment id some other donation already
        // holds (never expected) is left alone: it must not undo this success.
        db.execute(
            "UPDATE donations SET payment_ref = ?2 WHERE id = ?1 AND payment_ref IS NULL
               AND NOT EXISTS (SELECT 1 FROM donations o WHERE o.gateway = ?3 AND o.payment_ref = ?2)",
            args![&row.id, payment, cb.gateway],
        )?;
    }
    if !changed && seen {
        repeated();
        return Ok(Applied::Done {
            id: row.id,
            lang: row.lang,
            status,
            changed,
        });
    }
    event(
        db,
        Event {
            donation_id: Some(&row.id),
            kind: &kind,
            gateway: Some(cb.gateway),
            from: Some(row.status),
            to: Some(status),
            digest: Some(&cb.digest),
            detail: (!changed).then_some("unchanged"),
        },
    )?;
    Ok(Applied::Done {
        id: row.id,
        lang: row.lang,
        status,
        changed,
    })
}

/// Whether a payload with this digest was recorded before (a replay).
pub(super) fn payload_seen(db: &mut dyn Db, digest: &str) -> DbResult<bool> {
    Ok(db
        .query_opt(
            "SELECT 1 FROM events WHERE digest = ?1 LIMIT 1",
            args![digest],
        )?
        .is_some())
}

/// Marks a gateway's notification id as applied; `false` when it was already.
pub(super) fn first_delivery(db: &mut dyn Db, gateway: &str, event_id: &str) -> DbResult<bool> {
    Ok(db.execute(
        "INSERT INTO webhook_events (gateway, event_id, received_at) VALUES (?1, ?2, ?3)
         ON CONFLICT DO NOTHING",
        args![gateway, event_id, now_ms()],
    )? > 0)
}

pub(super) fn repeated() {
    crate::metrics::inc(&crate::metrics::get().callbacks_repeated);
}
