//! Receipts in the ledger: the receipt number a donation gets in the transaction that
//! makes it succeed, and the outbox of messages (receipts, refund notices) waiting for an
//! SMTP server to accept them. Queued in the same transaction as the money they speak
//! of, so a message is never lost and never queued twice; sent by the `email` sender,
//! which claims due messages for a while (so several servers never send one at once)
//! and records each attempt's result.

use super::now_ms;
use super::sql::{Db, DbResult, Row, args};
use crate::lang::Lang;

/// What kind of message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Receipt,
    Refund,
}

impl MessageKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Receipt => "receipt",
            MessageKind::Refund => "refund",
        }
    }

    fn parse(s: &str) -> MessageKind {
        if s == "refund" {
            MessageKind::Refund
        } else {
            MessageKind::Receipt
        }
    }
}

/// A receipt number as printed: `R-000042`.
pub fn receipt_label(number: i64) -> String {
    format!("R-{number:06}")
}

/// Gives a donation that has just succeeded the next receipt number, once, and queues
/// its receipt when emails are on and the donor gave an address. In the writer's
/// transaction: a rolled-back success takes its number back with it, so numbers have no
/// gaps.
pub(super) fn on_success(db: &mut dyn Db, id: &str, emails: bool) -> DbResult<()> {
    let Some(row) = db.query_opt(
        "SELECT receipt_no, donor_email, amount_minor FROM donations WHERE id = ?1",
        args![id],
    )?
    else {
        return Ok(());
    };
    if row.opt_int(0)?.is_some() {
        return Ok(());
    }
    let number = db
        .query_one(
            "UPDATE counters SET value = value + 1 WHERE name = 'receipt' RETURNING value",
            &[],
        )?
        .int(0)?;
    let now = now_ms();
    db.execute(
        "UPDATE donations SET receipt_no = ?2, receipt_at = ?3 WHERE id = ?1",
        args![id, number, now],
    )?;
    if let (true, Some(to)) = (emails, address(&row)?) {
        queue(db, id, MessageKind::Receipt, "", &to, row.int(2)?, now)?;
    }
    Ok(())
}

/// Queues a notice of a refund that brought the donation's refunds to `refunded_minor`
/// (`amount_minor` of it new), when emails are on and the donor gave an address.
pub(super) fn on_refund(
    db: &mut dyn Db,
    id: &str,
    refunded_minor: i64,
    amount_minor: i64,
    emails: bool,
) -> DbResult<()> {
    if !emails || amount_minor <= 0 {
        return Ok(());
    }
    let Some(row) = db.query_opt(
        "SELECT receipt_no, donor_email FROM donations WHERE id = ?1",
        args![id],
    )?
    else {
        return Ok(());
    };
    if let Some(to) = address(&row)? {
        let reference = refunded_minor.to_string();
        queue(
            db,
            id,
            MessageKind::Refund,
            &reference,
            &to,
            amount_minor,
            now_ms(),
        )?;
    }
    Ok(())
}

/// The donor's address in column 1, when there is one.
fn address(row: &Row) -> DbResult<Option<String>> {
    Ok(row.opt_text(1)?.filter(|e| !e.trim().is_empty()))
}

/// The Message-ID's left part: from the donation and the message, never random, so a
/// message sent twice (a crash after the SMTP server accepted it but before the ledger
/// recorded it) carries the same Message-ID both times.
fn message_key(id: &str, kind: MessageKind, reference: &str) -> String {
    match (kind, reference) {
        (MessageKind::Receipt, "") => format!("{id}.receipt"),
        (kind, reference) => format!("{id}.{}.{reference}", kind.as_str()),
    }
}

fn queue(
    db: &mut dyn Db,
    id: &str,
    kind: MessageKind,
    reference: &str,
    to: &str,
    amount_minor: i64,
    now: i64,
) -> DbResult<bool> {
    let queued = db.execute(
        "INSERT INTO outbox (donation_id, kind, ref, to_addr, amount_minor, message_key, status,
                             created_at, next_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'queued', ?7, ?7)
         ON CONFLICT DO NOTHING",
        args![
            id,
            kind.as_str(),
            reference,
            to,
            amount_minor,
            &message_key(id, kind, reference),
            now
        ],
    )?;
    Ok(queued > 0)
}

/// What re-sending a receipt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resent {
    /// Queued again (a copy with a Message-ID of its own), to `to`.
    Queued { to: String },
    /// The donation has no receipt (it has not succeeded).
    NoReceipt,
    /// Neither the donation nor the form gives an address.
    NoAddress,
}

/// Queues the receipt again, to `to` or the donation's own address; a corrected address
/// is kept as the donation's.
pub(super) fn resend(db: &mut dyn Db, id: &str, to: Option<&str>) -> DbResult<Resent> {
    let Some(row) = db.query_opt(
        "SELECT receipt_no, donor_email, amount_minor FROM donations WHERE id = ?1",
        args![id],
    )?
    else {
        return Ok(Resent::NoReceipt);
    };
    if row.opt_int(0)?.is_none() {
        return Ok(Resent::NoReceipt);
    }
    let Some(to) = to.map(str::to_owned).or(address(&row)?) else {
        return Ok(Resent::NoAddress);
    };
    let copies = db
        .query_one(
            "SELECT COUNT(*) FROM outbox WHERE donation_id = ?1 AND kind = 'receipt'",
            args![id],
        )?
        .int(0)?;
    let reference = format!("copy-{}", copies + 1);
    db.execute(
        "UPDATE donations SET donor_email = ?2 WHERE id = ?1",
        args![id, &to],
    )?;
    super::apply::event(
        db,
        super::apply::Event {
            donation_id: Some(id),
            kind: "receipt_resent",
            detail: Some(&reference),
            ..Default::default()
        },
    )?;
    queue(
        db,
        id,
        MessageKind::Receipt,
        &reference,
        &to,
        row.int(2)?,
        now_ms(),
    )?;
    Ok(Resent::Queued { to })
}

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
}

const RECEIPT: &str = "d.id, d.receipt_no, d.receipt_at, d.amount_minor, d.refunded_minor,
    d.currency, d.lang, d.donor_name, d.live";

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
    })
}

/// A donation's receipt, once it has one.
pub(super) fn receipt(db: &mut dyn Db, id: &str) -> DbResult<Option<Receipt>> {
    db.query_opt(
        &format!("SELECT {RECEIPT} FROM donations d WHERE d.id = ?1 AND d.receipt_no IS NOT NULL"),
        args![id],
    )?
    .map(|r| receipt_at(&r, 0))
    .transpose()
}

/// Whether any message is due and free to claim: read before claiming, so an idle
/// sender writes nothing.
pub(super) fn any_due(db: &mut dyn Db, now: i64) -> DbResult<bool> {
    Ok(db
        .query_opt(
            "SELECT 1 FROM outbox WHERE status = 'queued' AND next_at <= ?1 AND claimed_until < ?1
             LIMIT 1",
            args![now],
        )?
        .is_some())
}

/// Claims up to `limit` due messages until `now + lease_ms`, oldest first.
pub(super) fn claim(
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
pub(super) fn record(db: &mut dyn Db, seq: i64, attempt: &Attempt) -> DbResult<()> {
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
pub(super) fn release_claims(db: &mut dyn Db) -> DbResult<u64> {
    db.execute(
        "UPDATE outbox SET claimed_until = 0 WHERE status = 'queued' AND claimed_until > 0",
        &[],
    )
}

/// A message as the admin sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub seq: i64,
    pub donation_id: String,
    pub kind: MessageKind,
    pub to: String,
    pub status: String,
    pub attempts: i64,
    pub created_at_ms: i64,
    pub next_at_ms: i64,
    pub sent_at_ms: Option<i64>,
    pub last_error: Option<String>,
    pub receipt_number: Option<i64>,
}

/// The outbox at a glance: messages by status, and the latest that are not sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutboxSummary {
    pub queued: u64,
    pub sent: u64,
    pub failed: u64,
    /// Queued and failed messages, newest first.
    pub waiting: Vec<OutboxRow>,
    /// The latest sent.
    pub sent_recently: Vec<OutboxRow>,
}

pub(super) fn summary(db: &mut dyn Db, limit: i64) -> DbResult<OutboxSummary> {
    let mut out = OutboxSummary::default();
    for r in db.query("SELECT status, COUNT(*) FROM outbox GROUP BY status", &[])? {
        let n = r.count(1)?;
        match r.text(0)?.as_str() {
            "queued" => out.queued = n,
            "sent" => out.sent = n,
            _ => out.failed = n,
        }
    }
    let select = "SELECT o.seq, o.donation_id, o.kind, o.to_addr, o.status, o.attempts,
                         o.created_at, o.next_at, o.sent_at, o.last_error, d.receipt_no
                  FROM outbox o LEFT JOIN donations d ON d.id = o.donation_id";
    out.waiting = db
        .query(
            &format!("{select} WHERE o.status <> 'sent' ORDER BY o.seq DESC LIMIT ?1"),
            args![limit],
        )?
        .iter()
        .map(outbox_row)
        .collect::<DbResult<_>>()?;
    out.sent_recently = db
        .query(
            &format!("{select} WHERE o.status = 'sent' ORDER BY o.seq DESC LIMIT ?1"),
            args![limit],
        )?
        .iter()
        .map(outbox_row)
        .collect::<DbResult<_>>()?;
    Ok(out)
}

fn outbox_row(r: &Row) -> DbResult<OutboxRow> {
    Ok(OutboxRow {
        seq: r.int(0)?,
        donation_id: r.text(1)?,
        kind: MessageKind::parse(&r.text(2)?),
        to: r.text(3)?,
        status: r.text(4)?,
        attempts: r.int(5)?,
        created_at_ms: r.int(6)?,
        next_at_ms: r.int(7)?,
        sent_at_ms: r.opt_int(8)?,
        last_error: r.opt_text(9)?,
        receipt_number: r.opt_int(10)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_numbers_print_with_six_digits_and_grow_past_them() {
        assert_eq!(receipt_label(1), "R-000001");
        assert_eq!(receipt_label(1_234_567), "R-1234567");
    }

    #[test]
    fn message_keys_come_from_the_donation_and_the_message() {
        assert_eq!(message_key("d1", MessageKind::Receipt, ""), "d1.receipt");
        assert_eq!(
            message_key("d1", MessageKind::Receipt, "copy-2"),
            "d1.receipt.copy-2"
        );
        assert_eq!(
            message_key("d1", MessageKind::Refund, "500"),
            "d1.refund.500"
        );
    }
}
