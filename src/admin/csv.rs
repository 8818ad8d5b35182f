//! `/admin/donations.csv`: every donation as RFC 4180 CSV (UTF-8, header row, CRLF),
//! streamed a page of rows at a time, with cells a spreadsheet would run as a formula
//! neutralised.

use bytes::Bytes;
use futures_util::stream::{self, Stream};

use super::figures::{fixed_major, rfc3339_ms};
use crate::ledger::{ExportRow, Ledger, LedgerError};
use crate::money::Currency;

/// Rows read from the ledger per query (and per chunk sent).
const PAGE: i64 = 1000;

pub const HEADER: [&str; 13] = [
    "id",
    "created_at",
    "updated_at",
    "status",
    "amount_minor",
    "amount",
    "currency",
    "lang",
    "gateway",
    "gateway_ref",
    "donor_name",
    "donor_email",
    "anonymous",
];

/// A cell a spreadsheet would take for a formula (`=`, `+`, `-`, `@`, tab, CR first) gets
/// a leading `'`, which spreadsheets show as text.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// Appends one cell, neutralised and quoted when it holds a comma, quote or line break.
pub fn push_cell(out: &mut String, cell: &str) {
    let cell = neutralise(cell);
    if cell.contains([',', '"', '\r', '\n']) || cell.starts_with(' ') || cell.ends_with(' ') {
        out.push('"');
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&cell);
    }
}

/// Appends one record and its CRLF.
pub fn push_record<'a>(out: &mut String, cells: impl IntoIterator<Item = &'a str>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_cell(out, cell);
    }
    out.push_str("\r\n");
}

pub fn push_row(out: &mut String, row: &ExportRow) {
    let amount = Currency::from_code(&row.currency)
        .map(|c| fixed_major(row.amount_minor, c))
        .unwrap_or_default();
    let created = rfc3339_ms(row.created_at_ms);
    let updated = rfc3339_ms(row.updated_at_ms);
    let amount_minor = row.amount_minor.to_string();
    push_record(
        out,
        [
            row.id.as_str(),
            &created,
            &updated,
            &row.status,
            &amount_minor,
            &amount,
            &row.currency,
            &row.lang,
            &row.gateway,
            row.gateway_ref.as_deref().unwrap_or(""),
            row.donor_name.as_deref().unwrap_or(""),
            row.donor_email.as_deref().unwrap_or(""),
            if row.anonymous { "true" } else { "false" },
        ],
    );
}

/// The whole export as a stream of chunks: the header, then a chunk per page of rows.
pub fn stream(ledger: Ledger) -> impl Stream<Item = Result<Bytes, LedgerError>> {
    // State: the last rowid sent, or None once the last page went out.
    stream::unfold(Some((ledger, 0i64, true)), |state| async move {
        let (ledger, after, first) = state?;
        let mut out = String::new();
        if first {
            push_record(&mut out, HEADER);
        }
        match ledger.export_page(after, PAGE).await {
            Ok(rows) => {
                let last = rows.last().map(|r| r.rowid);
                for row in &rows {
                    push_row(&mut out, row);
                }
                let next = match last {
                    Some(last) if rows.len() as i64 == PAGE => Some((ledger, last, false)),
                    _ => None,
                };
                Some((Ok(Bytes::from(out)), next))
            }
            Err(e) => {
                tracing::error!(error = %e, "donations export failed part-way");
                Some((Err(e), None))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_prefixes_are_neutralised() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutralise(bad), format!("'{bad}"));
        }
        for fine in ["Ann", "", "1-2", "a=b", " =x"] {
            assert_eq!(neutralise(fine), fine);
        }
    }

    #[test]
    fn cells_are_quoted_per_rfc_4180() {
        let mut out = String::new();
        push_record(
            &mut out,
            ["a,b", "say \"hi\"", "two\nlines", "plain", "=cmd"],
        );
        assert_eq!(
            out,
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",plain,'=cmd\r\n"
        );
        let mut out = String::new();
        push_record(&mut out, ["\r=x"]);
        assert_eq!(out, "\"'\r=x\"\r\n");
    }
}
