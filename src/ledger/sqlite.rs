//! The SQLite backend of [`Db`]: a connection to the ledger file (see `open.rs` for how
//! it is opened, locked and checked). One server writes it, through one writer thread.

use std::path::PathBuf;

use rusqlite::Connection;
use rusqlite::types::ValueRef;

use super::sql::{Cell, Db, DbError, DbResult, Dialect, Row, Source, Value};

pub struct SqliteDb(pub Connection);

fn bind(args: &[Value<'_>]) -> Vec<rusqlite::types::Value> {
    args.iter()
        .map(|v| match v {
            Value::Null => rusqlite::types::Value::Null,
            Value::Int(i) => rusqlite::types::Value::Integer(*i),
            Value::Text(s) => rusqlite::types::Value::Text((*s).to_owned()),
        })
        .collect()
}

impl Db for SqliteDb {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn execute(&mut self, sql: &str, args: &[Value<'_>]) -> DbResult<u64> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let n = stmt.execute(rusqlite::params_from_iter(bind(args)))?;
        Ok(n as u64)
    }

    fn query(&mut self, sql: &str, args: &[Value<'_>]) -> DbResult<Vec<Row>> {
        let mut stmt = self.0.prepare_cached(sql)?;
        let columns = stmt.column_count();
        let mut rows = stmt.query(rusqlite::params_from_iter(bind(args)))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut cells = Vec::with_capacity(columns);
            for i in 0..columns {
                cells.push(match r.get_ref(i)? {
                    ValueRef::Null => Cell::Null,
                    ValueRef::Integer(v) => Cell::Int(v),
                    ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
                    ValueRef::Real(_) | ValueRef::Blob(_) => {
                        return Err(DbError::Decode(format!(
                            "column {i} is not text or integer"
                        )));
                    }
                });
            }
            out.push(Row(cells));
        }
        Ok(out)
    }

    fn batch(&mut self, sql: &str) -> DbResult<()> {
        Ok(self.0.execute_batch(sql)?)
    }

    fn begin_write(&mut self) -> DbResult<()> {
        self.batch("BEGIN IMMEDIATE")
    }

    fn begin_read(&mut self) -> DbResult<()> {
        self.batch("BEGIN")
    }

    fn try_exclusive(&mut self, _key: i64) -> DbResult<bool> {
        // The file's lock already keeps every other server off this ledger.
        Ok(true)
    }

    fn announce_total(&mut self) -> DbResult<()> {
        Ok(())
    }

    fn is_usable(&self) -> bool {
        true
    }
}

/// Read-only connections to a ledger file.
pub struct SqliteSource(pub PathBuf);

impl Source for SqliteSource {
    fn connect(&self, read_only: bool) -> DbResult<Box<dyn Db>> {
        Ok(Box::new(SqliteDb(super::open::connection(
            &self.0, read_only,
        )?)))
    }

    fn describe(&self) -> String {
        self.0.display().to_string()
    }
}
