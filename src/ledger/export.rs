//! The admin export's reads: every donation with its donor's details, page by page.

use super::sql::{Db, DbResult, Value};

/// A donation as the admin export shows it, donor details included.
#[derive(Debug, Clone)]
pub struct ExportRow {
    pub rowid: i64,
    pub id: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    pub status: String,
    pub amount_minor: i64,
    pub currency: String,
    pub lang: String,
    pub gateway: String,
    pub gateway_ref: Option<String>,
    pub donor_name: Option<String>,
    pub donor_email: Option<String>,
    pub anonymous: bool,
    /// Taken with live money; test money otherwise.
    pub live: bool,
    pub refunded_minor: i64,
    /// `""`, `open`, `won` or `lost`.
    pub dispute: String,
    pub receipt_no: Option<i64>,
    /// What became of the latest receipt email: `queued`, `sent` or `failed`.
    pub receipt_status: Option<String>,
    /// Its fund's id.
    pub fund: String,
}

/// Up to `limit` donations after `after_rowid`, in insertion order; of one fund alone
/// when `fund` names it.
pub fn export_page(
    db: &mut dyn Db,
    after_rowid: i64,
    limit: i64,
    fund: Option<&str>,
) -> DbResult<Vec<ExportRow>> {
    // Two statements rather than `?3 IS NULL OR ...`, whose parameter PostgreSQL cannot type.
    let only = if fund.is_some() { "AND fund = ?3" } else { "" };
    let mut params = vec![Value::from(after_rowid), Value::from(limit)];
    params.extend(fund.map(Value::from));
    db.query(
        &format!(
        "SELECT rowid, id, created_at, updated_at, status, amount_minor, currency, lang, gateway,
                gateway_ref, donor_name, donor_email, anonymous, live, refunded_minor, dispute,
                receipt_no,
                (SELECT o.status FROM outbox o WHERE o.donation_id = donations.id
                   AND o.kind = 'receipt' ORDER BY o.seq DESC LIMIT 1),
                fund
         FROM donations WHERE rowid > ?1 {only} ORDER BY rowid LIMIT ?2"
        ),
        &params,
    )?
    .iter()
    .map(|r| {
        Ok(ExportRow {
            rowid: r.int(0)?,
            id: r.text(1)?,
            created_at_ms: r.int(2)?,
            updated_at_ms: r.int(3)?,
            status: r.text(4)?,
            amount_minor: r.int(5)?,
            currency: r.text(6)?,
            lang: r.text(7)?,
            gateway: r.text(8)?,
            gateway_ref: r.opt_text(9)?,
            donor_name: r.opt_text(10)?,
            donor_email: r.opt_text(11)?,
            anonymous: r.bool(12)?,
            live: r.bool(13)?,
            refunded_minor: r.int(14)?,
            dispute: r.text(15)?,
            receipt_no: r.opt_int(16)?,
            receipt_status: r.opt_text(17)?,
            fund: r.text(18)?,
        })
    })
    .collect()
}
