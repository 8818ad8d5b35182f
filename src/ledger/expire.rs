//! Expiring one pending donation that can no longer be paid here: it was started under
//! another gateway or mode (test or live money) than the one running, so no checkout of
//! this server could ever be counted for it. The state machine's pending → expired, with
//! an audit event that says why.

use super::apply::{Event, event};
use super::sql::{Db, DbResult, args};
use super::{Ledger, LedgerError, now_ms, writer};
use crate::donation::{DonationId, Status};

impl Ledger {
    /// Expires the donation if it is still pending; `true` when this call did.
    pub async fn expire(&self, id: &DonationId, reason: &str) -> Result<bool, LedgerError> {
        self.write(
            writer::Op::Expire {
                id: id.to_string(),
                reason: reason.to_owned(),
            },
            |r| match r {
                writer::Reply::Count(n) => Some(n > 0),
                _ => None,
            },
        )
        .await
    }
}

/// The write itself, in the writer's transaction: how many donations it expired (0 or 1).
pub(super) fn one(db: &mut dyn Db, id: &str, reason: &str) -> DbResult<u64> {
    end_pending(db, id, Status::Expired, "expired", reason)
}

/// A pending donation ends (`expired`, `failed`) with the event that says why; a donation
/// no longer pending is left as it is. How many it changed (0 or 1).
pub(super) fn end_pending(
    db: &mut dyn Db,
    id: &str,
    to: Status,
    kind: &str,
    reason: &str,
) -> DbResult<u64> {
    let changed = db.execute(
        "UPDATE donations SET status = ?3, updated_at = ?2 WHERE id = ?1 AND status = 'pending'",
        args![id, now_ms(), to.as_str()],
    )?;
    if changed > 0 {
        event(
            db,
            Event {
                donation_id: Some(id),
                kind,
                from: Some(Status::Pending),
                to: Some(to),
                detail: Some(reason),
                ..Event::default()
            },
        )?;
    }
    Ok(changed)
}
