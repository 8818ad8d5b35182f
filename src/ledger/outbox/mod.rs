//! Receipts in the ledger: the receipt number a donation gets in the transaction that
//! makes it succeed, and the outbox of messages (receipts, refund notices) waiting for an
//! SMTP server to accept them. Queued in the same transaction as the money they speak
//! of, so a message is never lost and never queued twice; sent by the `email` sender,
//! which claims due messages for a while (so several servers never send one at once)
//! and records each attempt's result.

mod send;
mod summary;

use std::time::Duration;

use super::sql::{Db, DbResult, Row, args};
use super::{Ledger, LedgerError, now_ms, writer};
use crate::donation::DonationId;
pub use send::{Attempt, Outgoing, Receipt};
pub(super) use send::{any_due, claim, receipt, record, release_claims};
pub(super) use summary::summary;
pub use summary::{OutboxRow, OutboxSummary};

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

impl Ledger {
    /// A donation's receipt; `NotFound` until it has succeeded.
    pub async fn receipt(&self, id: &str) -> Result<Receipt, LedgerError> {
        let id = id.to_owned();
        self.reads
            .run(move |conn| receipt(conn, &id))
            .await?
            .ok_or(LedgerError::NotFound)
    }

    /// Claims up to `limit` messages due to be sent, for `lease`: another server does not
    /// send them meanwhile. An idle outbox costs one read, no write.
    pub async fn claim_outbox(
        &self,
        lease: Duration,
        limit: i64,
    ) -> Result<Vec<Outgoing>, LedgerError> {
        let now = now_ms();
        if !self.reads.run(move |conn| any_due(conn, now)).await? {
            return Ok(Vec::new());
        }
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 4);
        self.write(
            writer::Op::ClaimOutbox {
                now_ms: now,
                lease_ms,
                limit,
            },
            |r| match r {
                writer::Reply::Outbox(o) => Some(o),
                _ => None,
            },
        )
        .await
    }

    /// Records how an attempt to send message `seq` ended; returns once committed.
    pub async fn record_attempt(&self, seq: i64, attempt: Attempt) -> Result<(), LedgerError> {
        self.write_done(writer::Op::RecordAttempt { seq, attempt })
            .await
    }

    /// At the start of the only server of a SQLite ledger, frees the messages a crash left
    /// claimed, so they go out at once; on PostgreSQL claims simply run out.
    pub async fn release_claims(&self) -> Result<u64, LedgerError> {
        if self.shared {
            return Ok(0);
        }
        self.write(writer::Op::ReleaseClaims, |r| match r {
            writer::Reply::Count(n) => Some(n),
            _ => None,
        })
        .await
    }

    /// Queues a donation's receipt again, to `to` (kept as its address) or its own.
    pub async fn resend_receipt(
        &self,
        id: &DonationId,
        to: Option<String>,
    ) -> Result<Resent, LedgerError> {
        self.write(
            writer::Op::Resend {
                id: id.to_string(),
                to,
            },
            |r| match r {
                writer::Reply::Resent(r) => Some(r),
                _ => None,
            },
        )
        .await
    }

    /// The outbox's counts and its latest `limit` waiting and sent messages.
    pub async fn outbox(&self, limit: i64) -> Result<OutboxSummary, LedgerError> {
        self.reads.run(move |conn| summary(conn, limit)).await
    }
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
