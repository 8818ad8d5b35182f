//! Sending the outbox: the receipt a message speaks of, claiming due messages for a
//! while (so several servers never send one at once) and recording each attempt.

use super::MessageKind;
use crate::lang::Lang;
use crate::ledger::now_ms;
use crate::ledger::sql::{Db, DbResult, Row, args};

/// A message to send, with what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub seq: i64,
    pub kind: MessageKind,
    pub to: String,
    pub message_key: String,
    /// The receipt's amount, or the refund's.
    pub amount_minor: i64,
    /// Failed attempts so far.
    pub attempts: i64,
    pub queued_at_ms: i64,
    pub receipt: Receipt,
}

/// A donation's receipt: what the email and the printable page show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub donation_id: String,
    pub number: i64,
    /// When the donation succeeded (unix ms).
    pub at_ms: i64,
    pub amount_minor: i64,
    pub refunded_minor: i64,
    pub currency: String,
    pub lang: Lang,
    pub donor_name: Option<String>,
    pub live: bool,
    /// Its fund's id.
    pub fund: String,
}

const RECEIPT: &str = "d.id, d.receipt_no, d.receipt_at, d.amount_minor, d.refunded_minor,
    d.currency, d.lang, d.donor_name, d.live, d.fund";

fn receipt_at(r: &Row, i: usize) -> DbResult<Receipt> {
    Ok(Receipt {
        donation_id: r.text(i)?,
        number: r.int(i + 1)?,
        at_ms: r.int(i + 2)?,
        amount_minor: r.int(i + 3)?,
        refunded_minor: r.int(i + 4)?,
        currency: r.text(i + 5)?,
        lang: Lang::from_code(&r.text(i + 6)?).unwrap_or(Lang::En),
        donor_name: r.opt_text(i + 7)?,
        live: r.bool(i + 8)?,
        fund: r.text(i + 9)?,
    })
}

/// A donation's receipt, once it has one.
pub(in crate::ledger) fn receipt(db: &mut dyn Db, id: &str) -> DbResult<Option<Receipt>> {
    db.query_opt(
        &format!("SELECT {RECEIPT} FROM donations d WHERE d.id = ?1 AND d.receipt_no IS NOT NULL"),
        args![id],
    )?
    .map(|r| receipt_at(&r, 0))
    .transpose()
}

/// Whether any message is due and free to claim: read before claiming, so an idle
/// sender writes nothing.
pub(in crate::ledger) fn any_due(db: &mut dyn Db, now: i64) -> DbResult<bool> {
    Ok(db
        .query_opt(
            "SELECT 1 FROM outbox WHERE status = 'queued' AND next_at <= ?1 AND claimed_until < ?1
             LIMIT 1",
            args![now],
        )?
        .is_some())
}

/// Claims up to `limit` due messages until `now + lease_ms`, oldest first.
pub(in crate::ledger) fn claim(
    db: &mut dyn Db,
    now: i64,
    lease_ms: i64,
    limit: i64,
) -> DbResult<Vec<Outgoing>> {
    let rows = db.query(
        &format!(
            "SELECT o.seq, o.kind, o.to_addr, o.message_key, o.amount_minor, o.attempts,
                    o.created_at, {RECEIPT}
             FROM outbox o JOIN donations d ON d.id = o.donation_id
             WHERE o.status = 'queued' AND o.next_at <= ?1 AND o.claimed_until < ?1
             ORDER BY o.next_at, o.seq LIMIT ?2"
        ),
        args![now, limit],
    )?;
    let mut claimed = Vec::with_capacity(rows.len());
    for r in &rows {
        let seq = r.int(0)?;
        // Another server may have claimed it since this transaction's snapshot: on
        // PostgreSQL the update then conflicts and the writer runs the batch again.
        let taken = db.execute(
            "UPDATE outbox SET claimed_until = ?2 WHERE seq = ?1 AND status = 'queued'
               AND claimed_until < ?3",
            args![seq, now + lease_ms, now],
        )?;
        if taken == 0 {
            continue;
        }
        claimed.push(Outgoing {
            seq,
            kind: MessageKind::parse(&r.text(1)?),
            to: r.text(2)?,
            message_key: r.text(3)?,
            amount_minor: r.int(4)?,
            attempts: r.int(5)?,
            queued_at_ms: r.int(6)?,
            receipt: receipt_at(r, 7)?,
        });
    }
    Ok(claimed)
}

/// How an attempt to send a message ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Attempt {
    Sent,
    /// A temporary failure: tried again at `next_at_ms`.
    Retry {
        error: String,
        next_at_ms: i64,
    },
    /// A permanent failure, or too long trying: not tried again.
    Failed {
        error: String,
    },
}

/// Records an attempt's result and gives the message up.
pub(in crate::ledger) fn record(db: &mut dyn Db, seq: i64, attempt: &Attempt) -> DbResult<()> {
    let now = now_ms();
    match attempt {
        Attempt::Sent => db.execute(
            "UPDATE outbox SET status = 'sent', sent_at = ?2, claimed_until = 0
             WHERE seq = ?1 AND status = 'queued'",
            args![seq, now],
        )?,
        Attempt::Retry { error, next_at_ms } => db.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?2, next_at = ?3,
                 claimed_until = 0
             WHERE seq = ?1 AND status = 'queued'",
            args![seq, error, *next_at_ms],
        )?,
        Attempt::Failed { error } => db.execute(
            "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?2,
                 claimed_until = 0
             WHERE seq = ?1 AND status = 'queued'",
            args![seq, error],
        )?,
    };
    Ok(())
}

/// Frees every claim: a SQLite ledger has one server, so at its start nothing is being
/// sent and a message claimed before a crash is due again at once.
pub(in crate::ledger) fn release_claims(db: &mut dyn Db) -> DbResult<u64> {
    db.execute(
        "UPDATE outbox SET claimed_until = 0 WHERE status = 'queued' AND claimed_until > 0",
        &[],
    )
}
