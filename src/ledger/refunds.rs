//! Refund intents (#29): an admin's refund is recorded before the gateway is asked, and
//! its number makes the gateway's idempotency key, so every retry of that action repeats
//! the same refund, never a second one. An intent stays pending until the gateway's
//! answer or its own notice of the refund settles it. The intents' SQL runs in the
//! writer; the handle's refund methods are here too.

use super::apply::{Event, event};
use super::sql::{Db, DbResult, Row, args};
use super::{Ledger, LedgerError, Refundable, now_ms, read, writer};
use crate::donation::DonationId;

impl Ledger {
    /// A donation as a refund needs it.
    pub async fn refundable(&self, id: &DonationId) -> Result<Refundable, LedgerError> {
        let id = id.to_string();
        self.reads
            .run(move |conn| read::refundable(conn, &id))
            .await?
            .ok_or(LedgerError::NotFound)
    }

    /// The latest `limit` succeeded donations the figures count, newest first.
    pub async fn recent_succeeded(&self, limit: i64) -> Result<Vec<Refundable>, LedgerError> {
        let scope = self.scope.clone();
        self.reads
            .run(move |conn| read::recent_succeeded(conn, &scope, limit))
            .await
    }

    /// The refund an admin's action makes, recorded before the gateway is asked: the
    /// donation's pending one, else (`form_n`: the number the admin's form carries) that
    /// one when settled, else a new one of `amount_minor`.
    pub async fn intend_refund(
        &self,
        id: &DonationId,
        amount_minor: i64,
        form_n: Option<u64>,
    ) -> Result<Intended, LedgerError> {
        let op = writer::Op::IntendRefund {
            id: id.to_string(),
            amount_minor,
            form_n,
        };
        self.write(op, |r| match r {
            writer::Reply::Intended(i) => Some(i),
            _ => None,
        })
        .await
    }

    /// The gateway refused refund `n` of the donation: it will never be made.
    pub async fn refund_refused(&self, id: &DonationId, n: u64) -> Result<(), LedgerError> {
        self.write_done(writer::Op::RefundRefused {
            id: id.to_string(),
            n,
        })
        .await
    }
}

/// One admin action's refund, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundIntent {
    /// Its number among the donation's intents (1, 2, ...): part of the idempotency key.
    pub n: u64,
    pub amount_minor: i64,
    /// What the donation had refunded when it was made: the refund is made once the
    /// refunded total reaches this plus `amount_minor`.
    pub refunded_before: i64,
    /// `pending`, `done` or `failed`.
    pub state: String,
}

/// What asking for a refund found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intended {
    /// The refund to ask the gateway for: the donation's pending one (`reused`), or one
    /// recorded now.
    Pending { intent: RefundIntent, reused: bool },
    /// The form's refund was settled already (made, or refused by the gateway).
    Settled(RefundIntent),
    /// The form names no refund of this donation, nor the next one: it is out of date.
    Stale,
}

const INTENT: &str = "SELECT n, amount_minor, refunded_before, state FROM refund_intents";

fn row_to_intent(r: &Row) -> DbResult<RefundIntent> {
    Ok(RefundIntent {
        n: u64::try_from(r.int(0)?).unwrap_or(0),
        amount_minor: r.int(1)?,
        refunded_before: r.int(2)?,
        state: r.text(3)?,
    })
}

/// The pending intent of the donation, else (with `form_n`, the number the admin's form
/// carries) that intent when settled, else a new one of `amount_minor`.
pub fn intend(
    db: &mut dyn Db,
    donation_id: &str,
    amount_minor: i64,
    form_n: Option<u64>,
) -> DbResult<Intended> {
    let pending = db.query_opt(
        &format!("{INTENT} WHERE donation_id = ?1 AND state = 'pending'"),
        args![donation_id],
    )?;
    if let Some(row) = pending {
        return Ok(Intended::Pending {
            intent: row_to_intent(&row)?,
            reused: true,
        });
    }
    let next = db
        .query_one(
            "SELECT COALESCE(MAX(n), 0) + 1 FROM refund_intents WHERE donation_id = ?1",
            args![donation_id],
        )?
        .int(0)?;
    // A form names the refund it makes: another than the next is one made before (the
    // same form sent again), or a form older than the donation's last refund.
    if let Some(n) = form_n.map(|n| i64::try_from(n).unwrap_or(i64::MAX))
        && n != next
    {
        let settled = db.query_opt(
            &format!("{INTENT} WHERE donation_id = ?1 AND n = ?2"),
            args![donation_id, n],
        )?;
        return Ok(match settled {
            Some(row) => Intended::Settled(row_to_intent(&row)?),
            None => Intended::Stale,
        });
    }
    let refunded_before = db
        .query_one(
            "SELECT refunded_minor FROM donations WHERE id = ?1",
            args![donation_id],
        )?
        .int(0)?;
    db.execute(
        "INSERT INTO refund_intents (donation_id, n, amount_minor, refunded_before, state, created_at)
         VALUES (?1, ?2, ?3, ?4, 'pending', ?5)",
        args![donation_id, next, amount_minor, refunded_before, now_ms()],
    )?;
    let detail = format!("refund #{next} of {amount_minor} asked of the gateway");
    event(
        db,
        Event {
            donation_id: Some(donation_id),
            kind: "refund_intent",
            detail: Some(&detail),
            ..Event::default()
        },
    )?;
    Ok(Intended::Pending {
        intent: RefundIntent {
            n: u64::try_from(next).unwrap_or(0),
            amount_minor,
            refunded_before,
            state: "pending".into(),
        },
        reused: false,
    })
}

/// The gateway refused intent `n`: it will never be made, and a new refund may be asked.
pub fn fail(db: &mut dyn Db, donation_id: &str, n: u64) -> DbResult<()> {
    db.execute(
        "UPDATE refund_intents SET state = 'failed', settled_at = ?3
         WHERE donation_id = ?1 AND n = ?2 AND state = 'pending'",
        args![donation_id, i64::try_from(n).unwrap_or(0), now_ms()],
    )?;
    Ok(())
}

/// The donation has `refunded_minor` refunded in all (the gateway's answer, or its own
/// cumulative notice): the pending intent that total covers is made.
pub fn settle_covered(db: &mut dyn Db, donation_id: &str, refunded_minor: i64) -> DbResult<()> {
    db.execute(
        "UPDATE refund_intents SET state = 'done', settled_at = ?3
         WHERE donation_id = ?1 AND state = 'pending' AND refunded_before + amount_minor <= ?2",
        args![donation_id, refunded_minor, now_ms()],
    )?;
    Ok(())
}
