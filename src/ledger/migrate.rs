//! `fundraiser migrate-to`: a SQLite ledger copied into an empty PostgreSQL one, for a
//! campaign that outgrows one server. Every row of every table goes across with its own
//! keys (donation and event numbers included) in one PostgreSQL transaction; the copy is
//! then read back and its figures compared with the file's before the command says yes.

use std::path::Path;

use super::offline::{OfflineError, Summary};
use super::postgres::{PgSource, SCHEMA};
use super::sql::{Cell, Db, Row, Value, args};
use super::{Scope, open, read};

/// The ledger's tables, in an order that copies rows before anything that refers to them.
const TABLES: [&str; 9] = [
    "settings",
    "donations",
    "events",
    "webhook_events",
    "reconcile_runs",
    "counters",
    "receipt_numbering",
    "outbox",
    "refund_intents",
];
/// Tables whose rows the migrations themselves insert (the receipt counter at 0): the
/// file's values replace them.
const SEEDED: [&str; 1] = ["counters"];
/// Rows read from the file at a time.
const PAGE: i64 = 2000;

/// What a copy moved, and the figures both ledgers agree on.
#[derive(Debug)]
pub struct Copied {
    /// Rows per table, in [`TABLES`] order.
    pub rows: Vec<(&'static str, u64)>,
    pub summary: Summary,
}

/// Copies the ledger file at `path` into the empty PostgreSQL ledger at `target`. The
/// file is locked (no server may write it meanwhile) and brought to the current schema
/// first; the target is created when it has no schema yet and refused when it holds
/// anything.
pub fn to_postgres(path: &Path, target: &PgSource, scope: &Scope) -> Result<Copied, OfflineError> {
    if !path.is_file() {
        return Err(OfflineError(format!("no ledger at {}", path.display())));
    }
    let at = super::sql::Source::describe(target);
    let (_lock, mut file) = open::for_writing(path).map_err(|e| OfflineError(e.to_string()))?;
    super::funds::settle(&mut file, scope).map_err(|e| OfflineError(e.to_string()))?;
    let mut pg = open::for_writing_pg(target).map_err(|e| OfflineError(e.to_string()))?;
    refuse_unless_empty(&mut pg, &at)?;
    pg.begin_write()
        .map_err(|e| OfflineError(format!("cannot start the copy into {at}: {e}")))?;
    let copied = copy_tables(&mut file, &mut pg).and_then(|rows| {
        restart_identities(&mut pg)?;
        Ok(rows)
    });
    let rows = match copied {
        Ok(rows) => rows,
        Err(e) => {
            let _ = pg.batch("ROLLBACK");
            return Err(OfflineError(format!(
                "the copy into {at} failed and was undone: {e}"
            )));
        }
    };
    pg.batch("COMMIT")
        .map_err(|e| OfflineError(format!("the copy into {at} did not commit: {e}")))?;
    let from = read::summary(&mut file, scope).map_err(|e| {
        OfflineError(format!(
            "cannot read the figures of {}: {e}",
            path.display()
        ))
    })?;
    let to = read::summary(&mut pg, scope)
        .map_err(|e| OfflineError(format!("cannot read the figures of {at}: {e}")))?;
    let recounted = count_rows(&mut pg).map_err(|e| OfflineError(e.to_string()))?;
    if from != to || recounted != rows {
        return Err(OfflineError(format!(
            "the copy in {at} does not match the file: {from:?} {rows:?} against {to:?} {recounted:?}; leave the servers on the file, and empty {at} before trying again"
        )));
    }
    Ok(Copied { rows, summary: to })
}

/// Refuses a target that already holds a ledger's rows: they would mix with the file's.
fn refuse_unless_empty(pg: &mut dyn Db, at: &str) -> Result<(), OfflineError> {
    let counts = count_rows(pg).map_err(|e| OfflineError(e.to_string()))?;
    let filled: Vec<String> = counts
        .iter()
        .filter(|(t, n)| *n > 0 && !SEEDED.contains(t))
        .map(|(t, n)| format!("{n} in {t}"))
        .collect();
    if filled.is_empty() {
        return Ok(());
    }
    Err(OfflineError(format!(
        "the PostgreSQL ledger {at} is not empty ({}): migrate-to copies into an empty ledger only. Give it a new database, or drop its `{SCHEMA}` schema if nothing there is needed",
        filled.join(", ")
    )))
}

fn count_rows(db: &mut dyn Db) -> Result<Vec<(&'static str, u64)>, super::sql::DbError> {
    TABLES
        .iter()
        .map(|t| {
            let n = db
                .query_one(&format!("SELECT COUNT(*) FROM {t}"), &[])?
                .count(0)?;
            Ok((*t, n))
        })
        .collect()
}

/// The PostgreSQL table's columns, in order.
fn columns(pg: &mut dyn Db, table: &str) -> Result<Vec<String>, super::sql::DbError> {
    pg.query(
        "SELECT column_name::TEXT FROM information_schema.columns
          WHERE table_schema = ?1 AND table_name = ?2 ORDER BY ordinal_position",
        args![SCHEMA, table],
    )?
    .iter()
    .map(|r| r.text(0))
    .collect()
}

fn copy_tables(
    file: &mut dyn Db,
    pg: &mut dyn Db,
) -> Result<Vec<(&'static str, u64)>, super::sql::DbError> {
    let mut rows = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        // The file has every column the database has (the same migrations made both);
        // a donation's `rowid` is SQLite's own, named the same.
        let columns = columns(pg, table)?.join(", ");
        let placeholders = (1..=columns.split(", ").count())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        let replace = if SEEDED.contains(&table) {
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value"
        } else {
            ""
        };
        let insert = format!(
            "INSERT INTO {table} ({columns}) OVERRIDING SYSTEM VALUE VALUES ({placeholders}){replace}"
        );
        let select = format!(
            "SELECT rowid, {columns} FROM {table} WHERE rowid > ?1 ORDER BY rowid LIMIT {PAGE}"
        );
        let (mut after, mut copied) = (0, 0u64);
        loop {
            let page = file.query(&select, args![after])?;
            let Some(last) = page.last() else { break };
            after = last.int(0)?;
            for row in &page {
                pg.execute(&insert, &values(row))?;
                copied += 1;
            }
        }
        rows.push((table, copied));
    }
    Ok(rows)
}

/// A row read from the file (after its paging `rowid`), as parameters.
fn values(row: &Row) -> Vec<Value<'_>> {
    row.0[1..]
        .iter()
        .map(|cell| match cell {
            Cell::Null => Value::Null,
            Cell::Int(i) => Value::Int(*i),
            Cell::Text(s) => Value::Text(s),
        })
        .collect()
}

/// Numbers the database gives new rows continue after the copied ones.
fn restart_identities(pg: &mut dyn Db) -> Result<(), super::sql::DbError> {
    let identities = pg.query(
        "SELECT table_name::TEXT, column_name::TEXT FROM information_schema.columns
          WHERE table_schema = ?1 AND is_identity = 'YES'",
        args![SCHEMA],
    )?;
    for identity in identities {
        let (table, column) = (identity.text(0)?, identity.text(1)?);
        pg.query(
            &format!(
                "SELECT setval(pg_get_serial_sequence('{SCHEMA}.{table}', '{column}'),
                               (SELECT COALESCE(MAX({column}), 0) FROM {table}) + 1, false)"
            ),
            &[],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_table_of_the_schema_is_copied() {
        let mut copied: Vec<String> = super::TABLES.iter().map(|t| t.to_string()).collect();
        let mut created = crate::ledger::schema::tables();
        copied.sort();
        created.sort();
        assert_eq!(copied, created);
    }
}
