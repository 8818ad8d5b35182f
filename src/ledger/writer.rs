//! The one thread that writes the ledger, with group commit: every job waiting when a
//! transaction starts goes into that transaction (each in its own savepoint, so one
//! failing job cannot undo the others), and each caller is answered only after the
//! commit that contains its write. `synchronous=FULL` makes that commit durable.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use tokio::sync::{mpsc, oneshot};

use super::{Applied, LedgerError, NewDonation, now_ms, read};
use crate::donation::{PaymentResult, Status, Transition, transition};
use crate::total::{LiveTotal, TotalSnapshot};

/// How many jobs may wait for the writer before senders wait too.
pub const QUEUE: usize = 8192;
/// The most jobs one transaction takes (`ledger.batch_max` may lower it).
pub const BATCH_MAX: usize = 1024;

pub enum Op {
    Create(NewDonation),
    SetGatewayRef {
        id: String,
        gateway_ref: String,
    },
    FailCheckout {
        id: String,
        reason: String,
    },
    Apply(PaymentResult),
    ExpireBefore {
        cutoff_ms: i64,
    },
    SettingOrInsert {
        key: String,
        value: String,
    },
    /// A small real write, to prove the ledger is writable.
    Probe,
}

pub enum Reply {
    Done,
    Applied(Applied),
    Count(u64),
    Value(String),
}

pub struct Job {
    pub op: Op,
    pub reply: oneshot::Sender<Result<Reply, LedgerError>>,
}

/// The running total as the committed ledger has it.
struct Totals {
    raised: i64,
    count: u64,
    version: u64,
}

pub fn spawn(
    conn: Connection,
    rx: mpsc::Receiver<Job>,
    live: std::sync::Arc<LiveTotal>,
    batch_max: usize,
) -> std::io::Result<()> {
    let snapshot = live.load();
    let totals = Totals {
        raised: snapshot.raised_minor,
        count: snapshot.donations,
        version: snapshot.version,
    };
    std::thread::Builder::new()
        .name("ledger-writer".into())
        .spawn(move || run(conn, rx, live, totals, batch_max))
        .map(|_| ())
}

fn run(
    mut conn: Connection,
    mut rx: mpsc::Receiver<Job>,
    live: std::sync::Arc<LiveTotal>,
    mut totals: Totals,
    batch_max: usize,
) {
    let mut batch: Vec<Job> = Vec::with_capacity(batch_max);
    while let Some(first) = rx.blocking_recv() {
        batch.push(first);
        while batch.len() < batch_max {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        let (results, delta) = commit_batch(&mut conn, &batch);
        crate::metrics::get()
            .ledger_write
            .observe(started.elapsed());
        if delta.changed {
            totals.raised += delta.raised;
            totals.count += delta.count;
            totals.version += 1;
            live.store(TotalSnapshot {
                raised_minor: totals.raised,
                donations: totals.count,
                updated_at: time::OffsetDateTime::now_utc(),
                version: totals.version,
            });
        }
        for (job, result) in batch.drain(..).zip(results) {
            // A caller that went away (client disconnected) does not matter: its write
            // is committed either way.
            let _ = job.reply.send(result);
        }
    }
}

#[derive(Default)]
struct Delta {
    raised: i64,
    count: u64,
    changed: bool,
}

/// Runs the batch in one immediate transaction. If the commit fails, every job fails and
/// nothing is counted.
fn commit_batch(conn: &mut Connection, batch: &[Job]) -> (Vec<Result<Reply, LedgerError>>, Delta) {
    let fail_all = |e: rusqlite::Error| {
        tracing::error!(error = %e, jobs = batch.len(), "ledger write failed");
        let e = std::sync::Arc::new(e);
        (
            batch
                .iter()
                .map(|_| Err(LedgerError::Unavailable(e.clone())))
                .collect(),
            Delta::default(),
        )
    };
    let mut tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return fail_all(e),
    };
    let mut delta = Delta::default();
    let mut results = Vec::with_capacity(batch.len());
    for job in batch {
        let mut job_delta = Delta::default();
        let result = (|| {
            let sp = tx.savepoint()?;
            let reply = apply_op(&sp, &job.op, &mut job_delta)?;
            sp.commit()?;
            Ok::<_, rusqlite::Error>(reply)
        })();
        match result {
            Ok(reply) => {
                delta.raised += job_delta.raised;
                delta.count += job_delta.count;
                delta.changed |= job_delta.changed;
                results.push(Ok(reply));
            }
            Err(e) => {
                tracing::warn!(error = %e, "ledger job refused");
                results.push(Err(LedgerError::from(e)));
            }
        }
    }
    match tx.commit() {
        Ok(()) => (results, delta),
        Err(e) => fail_all(e),
    }
}

/// One line of the append-only audit trail.
#[derive(Default)]
struct Event<'a> {
    donation_id: Option<&'a str>,
    kind: &'a str,
    gateway: Option<&'a str>,
    from: Option<Status>,
    to: Option<Status>,
    digest: Option<&'a str>,
    detail: Option<&'a str>,
}

fn event(conn: &Connection, e: Event<'_>) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "INSERT INTO events (donation_id, at, kind, gateway, from_status, to_status, digest, detail)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?
    .execute(params![e.donation_id, now_ms(), e.kind, e.gateway, e.from.map(Status::as_str), e.to.map(Status::as_str), e.digest, e.detail])?;
    Ok(())
}

fn apply_op(conn: &Connection, op: &Op, delta: &mut Delta) -> rusqlite::Result<Reply> {
    match op {
        Op::Create(d) => {
            let now = now_ms();
            conn.prepare_cached(
                "INSERT INTO donations (id, amount_minor, currency, status, gateway, gateway_ref, lang,
                     donor_name, donor_email, anonymous, client_ip, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 'pending', ?4, ?11, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
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
                d.gateway_ref
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
            Ok(Reply::Done)
        }
        Op::SetGatewayRef { id, gateway_ref } => {
            conn.prepare_cached(
                "UPDATE donations SET gateway_ref = ?2, updated_at = ?3 WHERE id = ?1",
            )?
            .execute(params![id, gateway_ref, now_ms()])?;
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
        Op::Apply(cb) => apply_callback(conn, cb, delta).map(Reply::Applied),
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
) -> rusqlite::Result<Applied> {
    let row = conn
        .prepare_cached(
            "SELECT id, amount_minor, currency, status, gateway, gateway_ref, lang, created_at
             FROM donations WHERE gateway = ?1 AND gateway_ref = ?2",
        )?
        .query_row(params![cb.gateway, cb.gateway_ref], read::row_to_donation)
        .optional()?;
    if let Some(event_id) = &cb.event_id {
        let first_time = conn
            .prepare_cached(
                "INSERT OR IGNORE INTO webhook_events (gateway, event_id, received_at)
                 VALUES (?1, ?2, ?3)",
            )?
            .execute(params![cb.gateway, event_id, now_ms()])?
            > 0;
        if !first_time {
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
    }
    let Some(row) = row else {
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
            if counts {
                delta.raised += row.amount_minor;
                delta.count += 1;
                delta.changed = true;
            }
            (status, true)
        }
        Transition::Unchanged => (row.status, false),
    };
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
