//! The outbox as the admin sees it: messages by status, the latest waiting and sent.

use super::MessageKind;
use crate::ledger::sql::{Db, DbResult, Row, args};

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

pub(in crate::ledger) fn summary(db: &mut dyn Db, limit: i64) -> DbResult<OutboxSummary> {
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
