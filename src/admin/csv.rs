//! `/admin/donations.csv`: every donation as RFC 4180 CSV (UTF-8, header row, CRLF),
//! streamed a page of rows at a time, with cells a spreadsheet would run as a formula
//! neutralised.

use bytes::Bytes;
use futures_util::stream::{self, Stream};
use icu_normalizer::ComposingNormalizerBorrowed;
use icu_properties::props::{DefaultIgnorableCodePoint, GeneralCategory};
use icu_properties::{CodePointMapData, CodePointSetData};

use super::figures::{fixed_major, rfc3339_ms};
use crate::ledger::{ExportRow, Ledger, LedgerError};
use crate::money::Currency;

/// Rows read from the ledger per query (and per chunk sent).
const PAGE: i64 = 1000;

pub const HEADER: [&str; 19] = [
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
    // `live` money, or `test` money (the sandbox, Stripe's test mode): only the running
    // mode's donations count in the figures; all are listed here.
    "mode",
    // Refunded so far (minor units), and the dispute: empty, open, won or lost.
    "refunded_minor",
    "dispute",
    // The receipt's number (R-000001) once the donation succeeded, and what became of its
    // latest email: queued, sent or failed; empty when none was queued.
    "receipt_number",
    "receipt_status",
    // The fund's id (`[[funds]]`), the donation's for good.
    "fund",
];

/// A cell a spreadsheet would take for a formula gets a leading `'`, which spreadsheets
/// show as text. A formula is what starts with `=`, `+`, `-`, `@`, tab or CR once the
/// text is NFKC-normalised (a full-width `＝` is `=`) and invisible characters (zero-width
/// spaces, joiners, a byte-order mark: Unicode's format and default-ignorable ones) are
/// skipped, as a spreadsheet may.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let normalized = ComposingNormalizerBorrowed::new_nfkc().normalize(cell);
    let first = normalized.chars().find(|&c| !invisible(c));
    match first {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

fn invisible(c: char) -> bool {
    CodePointMapData::<GeneralCategory>::new().get(c) == GeneralCategory::Format
        || CodePointSetData::new::<DefaultIgnorableCodePoint>().contains(c)
}

/// Appends one cell, neutralised and always quoted: a quoted cell stays one text cell in
/// every spreadsheet, whatever separator its locale expects (`;` in much of Europe).
pub fn push_cell(out: &mut String, cell: &str) {
    let cell = neutralise(cell);
    out.push('"');
    out.push_str(&cell.replace('"', "\"\""));
    out.push('"');
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
    let refunded = row.refunded_minor.to_string();
    let receipt = row
        .receipt_no
        .map(crate::ledger::receipt_label)
        .unwrap_or_default();
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
            if row.live { "live" } else { "test" },
            &refunded,
            &row.dispute,
            &receipt,
            row.receipt_status.as_deref().unwrap_or(""),
            &row.fund,
        ],
    );
}

/// The whole export as a stream of chunks: the header, then a chunk per page of rows;
/// of one fund's donations alone when `fund` names it.
pub fn stream(
    ledger: Ledger,
    fund: Option<String>,
) -> impl Stream<Item = Result<Bytes, LedgerError>> {
    // State: the last rowid sent, or None once the last page went out.
    stream::unfold(Some((ledger, 0i64, true)), move |state| {
        let fund = fund.clone();
        async move {
            let (ledger, after, first) = state?;
            let mut out = String::new();
            if first {
                push_record(&mut out, HEADER);
            }
            match ledger.export_page(after, PAGE, fund).await {
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
        for fine in ["Ann", "", "1-2", "a=b", " =x", "x;=1+1", "متبرع", "Zoë"] {
            assert_eq!(neutralise(fine), fine);
        }
        // Full-width signs, and invisible characters before the sign.
        for bad in [
            "\u{FF1D}1+1",
            "\u{FF0B}1",
            "\u{FF20}SUM(A1)",
            "\u{200B}=1+1",
            "\u{FEFF}=1+1",
            "\u{200D}\u{2060}-1",
            "\u{00AD}+1",
        ] {
            assert_eq!(neutralise(bad), format!("'{bad}"), "{bad:?}");
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
            "\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",\"plain\",\"'=cmd\"\r\n"
        );
        let mut out = String::new();
        push_record(&mut out, ["\r=x", "x;=1+1", ""]);
        assert_eq!(out, "\"'\r=x\",\"x;=1+1\",\"\"\r\n");
    }
}
