//! What each write does inside the writer's transaction: the SQL of creating a
//! donation, applying a payment result through the state machine, expiring, and the
//! audit events each leaves. Called only by the writer, one savepoint per job.

use rusqlite::{Connection, OptionalExtension, params};

use super::writer::{Op, Reply};
use super::{Applied, Created, Scope, now_ms, read};
use crate::donation::{PaymentResult, Status, Transition, transition};

/// What the committed jobs change in the live total.
#[derive(Default)]
pub struct Delta {
    pub raised: i64,
    /// Donations that count (a net above zero) gained or lost.
    pub count: i64,
    pub changed: bool,
}

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

pub(super) fn event(conn: &Connection, e: Event<'_>) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO events (donation_id, at, kind, gateway, from_status, to_status, digest, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![e.donation_id, now_ms(), e.kind, e.gateway, e.from.map(Status::as_str), e.to.map(Status::as_str), e.digest, e.detail])?;
    Ok(())
}

pub fn apply_op(
    conn: &Connection,
    op: &Op,
    delta: &mut Delta,
    scope: &Scope,
) -> rusqlite::Result<Reply> {
    match op {
        Op::Create(d) => {
            if let (Some(net), true) = (&d.client_net, d.open_limit > 0) {
                let open: i64 = conn
                    .prepare_cached(
                        "SELECT COUNT(*) FROM donations WHERE client_net = ?1 AND status = 'pending'",
                    )?
                    .query_row([net], |r| r.get(0))?;
                if open >= i64::from(d.open_limit) {
                    return Ok(Reply::Created(Created::TooManyOpen));
                }
            }
            let now = now_ms();
            conn.prepare_cached(
                "INSERT INTO donations (id, amount_minor, currency, status, gateway, gateway_ref, lang,
                     donor_name, donor_email, anonymous, client_ip, created_at, updated_at, client_net, live)
                 VALUES (?1, ?2, ?3, 'pending', ?4, ?11, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?12, ?13)",
            )?
            .execute(params![
                d.id.as_str(),
                d.amount.minor(),
                d.amount.currency().code(),
                d.gateway,
                d.lang.code(),
                d.donor_name,
                d.donor_email,
                d.anonymous,
                d.client_ip,
                now,
                d.gateway_ref,
                d.client_net,
                d.live
            ])?;
            event(
                conn,
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
            conn.prepare_cached(
                "UPDATE donations SET gateway_ref = ?2, checkout_url = ?4, updated_at = ?3
                 WHERE id = ?1",
            )?
            .execute(params![id, gateway_ref, now_ms(), url])?;
            event(
                conn,
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
            let changed = conn
                .prepare_cached(
                    "UPDATE donations SET status = 'failed', updated_at = ?2 WHERE id = ?1 AND status = 'pending'",
                )?
                .execute(params![id, now_ms()])?;
            if changed > 0 {
                event(
                    conn,
                    Event {
                        donation_id: Some(id),
                        kind: "checkout_failed",
                        from: Some(Status::Pending),
                        to: Some(Status::Failed),
                        detail: Some(reason),
                        ..Event::default()
                    },
                )?;
            }
            Ok(Reply::Done)
        }
        Op::Apply(cb) => apply_callback(conn, cb, delta, scope).map(Reply::Applied),
        Op::Money(notice) => {
            super::after_payment::apply_money(conn, notice, delta, scope).map(Reply::Money)
        }
        Op::ExpireBefore { cutoff_ms } => {
            let ids: Vec<String> = conn
                .prepare_cached(
                    "SELECT id FROM donations WHERE status = 'pending' AND created_at < ?1",
                )?
                .query_map([cutoff_ms], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            let now = now_ms();
            for id in &ids {
                conn.prepare_cached(
                    "UPDATE donations SET status = 'expired', updated_at = ?2 WHERE id = ?1",
                )?
                .execute(params![id, now])?;
                event(
                    conn,
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
        Op::Probe => {
            conn.prepare_cached(
                "INSERT INTO settings (key, value) VALUES ('probe', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )?
            .execute([now_ms().to_string()])?;
            Ok(Reply::Done)
        }
        Op::RecordReconcile(run) => {
            super::reconcile::record(conn, run)?;
            Ok(Reply::Done)
        }
        Op::SettingOrInsert { key, value } => {
            conn.prepare_cached("INSERT OR IGNORE INTO settings (key, value) VALUES (?1, ?2)")?
                .execute(params![key, value])?;
            let stored: String = conn
                .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
                .query_row([key], |r| r.get(0))?;
            Ok(Reply::Value(stored))
        }
    }
}

fn apply_callback(
    conn: &Connection,
    cb: &PaymentResult,
    delta: &mut Delta,
    scope: &Scope,
) -> rusqlite::Result<Applied> {
    let row = conn
        .prepare_cached(
            "SELECT id, amount_minor, currency, status, gateway, gateway_ref, lang, created_at, live,
                checkout_url
             FROM donations WHERE gateway = ?1 AND gateway_ref = ?2",
        )?
        .query_row(params![cb.gateway, cb.gateway_ref], read::row_to_donation)
        .optional()?;
    if let Some(event_id) = &cb.event_id
        && !first_delivery(conn, cb.gateway, event_id)?
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
    let seen = payload_seen(conn, &cb.digest)?;
    let Some(row) = row else {
        if seen {
            repeated();
            return Ok(Applied::UnknownDonation);
        }
        event(
            conn,
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
    if !(amount_ok && currency_ok) {
        let detail = format!(
            "gateway reported {} {}, ledger has {} {}",
            cb.amount_minor.map_or("?".into(), |a| a.to_string()),
            cb.currency.as_deref().unwrap_or("?"),
            row.amount_minor,
            row.currency
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
            conn,
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
            conn.prepare_cached("UPDATE donations SET status = ?2, updated_at = ?3 WHERE id = ?1")?
                .execute(params![row.id, status.as_str(), now_ms()])?;
            // Money of another mode or currency is recorded, never counted.
            if counts && row.live == scope.live && row.currency == scope.currency {
                delta.raised += row.amount_minor;
                delta.count += 1;
                delta.changed = true;
            }
            (status, true)
        }
        Transition::Unchanged => (row.status, false),
    };
    if status == Status::Succeeded
        && let Some(payment) = &cb.payment_ref
    {
        // What later refunds and disputes name. OR IGNORE: a payment id some other
        // donation already holds (never expected) must not undo this success.
        conn.prepare_cached(
            "UPDATE OR IGNORE donations SET payment_ref = ?2 WHERE id = ?1 AND payment_ref IS NULL",
        )?
        .execute(params![row.id, payment])?;
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
        conn,
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
pub(super) fn payload_seen(conn: &Connection, digest: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM events WHERE digest = ?1)")?
        .query_row([digest], |r| r.get::<_, bool>(0))
}

/// Marks a gateway's notification id as applied; `false` when it was already.
pub(super) fn first_delivery(
    conn: &Connection,
    gateway: &str,
    event_id: &str,
) -> rusqlite::Result<bool> {
    Ok(conn
        .prepare_cached(
            "INSERT OR IGNORE INTO webhook_events (gateway, event_id, received_at)
             VALUES (?1, ?2, ?3)",
        )?
        .execute(params![gateway, event_id, now_ms()])?
        > 0)
}

pub(super) fn repeated() {
    crate::metrics::inc(&crate::metrics::get().callbacks_repeated);
}
