//! The one interface the ledger's SQL runs through, with a backend for SQLite
//! (`sqlite.rs`) and one for PostgreSQL (`postgres.rs`). Statements are written once, in
//! the SQL both databases accept, with `?1`-style placeholders; what differs (schema
//! versions, how a write transaction starts, an exclusive job) is a method here.

use std::sync::Arc;

/// A statement parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Null,
    Int(i64),
    Text(&'a str),
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(v)
    }
}

impl From<bool> for Value<'_> {
    fn from(v: bool) -> Self {
        Value::Int(i64::from(v))
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(v: &'a str) -> Self {
        Value::Text(v)
    }
}

impl<'a> From<&'a String> for Value<'a> {
    fn from(v: &'a String) -> Self {
        Value::Text(v)
    }
}

impl<'a> From<&'a &'a str> for Value<'a> {
    fn from(v: &'a &'a str) -> Self {
        Value::Text(v)
    }
}

impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(v: Option<&'a str>) -> Self {
        v.map_or(Value::Null, Value::Text)
    }
}

impl<'a> From<&'a Option<String>> for Value<'a> {
    fn from(v: &'a Option<String>) -> Self {
        v.as_deref().map_or(Value::Null, Value::Text)
    }
}

impl From<Option<i64>> for Value<'_> {
    fn from(v: Option<i64>) -> Self {
        v.map_or(Value::Null, Value::Int)
    }
}

/// Statement parameters: `args![a, b, c]`.
macro_rules! args {
    ($($e:expr),* $(,)?) => {
        &[$($crate::ledger::sql::Value::from($e)),*][..]
    };
}
pub(crate) use args;

/// A value read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Null,
    Int(i64),
    Text(String),
}

/// One result row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row(pub Vec<Cell>);

impl Row {
    fn cell(&self, i: usize) -> Result<&Cell, DbError> {
        self.0
            .get(i)
            .ok_or_else(|| DbError::Decode(format!("no column {i}")))
    }

    pub fn opt_int(&self, i: usize) -> Result<Option<i64>, DbError> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            Cell::Int(v) => Ok(Some(*v)),
            Cell::Text(_) => Err(DbError::Decode(format!("column {i} is text"))),
        }
    }

    pub fn int(&self, i: usize) -> Result<i64, DbError> {
        self.opt_int(i)?
            .ok_or_else(|| DbError::Decode(format!("column {i} is null")))
    }

    /// A count: never negative.
    pub fn count(&self, i: usize) -> Result<u64, DbError> {
        Ok(self.int(i)?.max(0) as u64)
    }

    pub fn bool(&self, i: usize) -> Result<bool, DbError> {
        Ok(self.int(i)? != 0)
    }

    pub fn opt_text(&self, i: usize) -> Result<Option<String>, DbError> {
        match self.cell(i)? {
            Cell::Null => Ok(None),
            Cell::Text(v) => Ok(Some(v.clone())),
            Cell::Int(_) => Err(DbError::Decode(format!("column {i} is an integer"))),
        }
    }

    pub fn text(&self, i: usize) -> Result<String, DbError> {
        self.opt_text(i)?
            .ok_or_else(|| DbError::Decode(format!("column {i} is null")))
    }
}

/// Which database a connection talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

/// What a database said. Never carries a connection string.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// With its causes: "error performing TLS handshake: invalid peer certificate: ...".
    #[error("{}", with_causes(.0))]
    Postgres(#[from] postgres::Error),
    #[error("unexpected value: {0}")]
    Decode(String),
}

/// An error and the errors under it, as one line.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut line = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let text = c.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        cause = c.source();
    }
    line
}

impl DbError {
    /// A conflict with a concurrent transaction (serialization failure, deadlock): the
    /// whole transaction is run again.
    pub fn is_conflict(&self) -> bool {
        match self {
            DbError::Postgres(e) => e.code().is_some_and(|c| {
                *c == postgres::error::SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == postgres::error::SqlState::T_R_DEADLOCK_DETECTED
            }),
            _ => false,
        }
    }

    /// The connection is gone (closed, broken, or ended by the server: a restart, a
    /// failover, an administrator): a new one is needed.
    pub fn is_lost(&self) -> bool {
        match self {
            DbError::Postgres(e) => {
                e.is_closed()
                    || e.code().is_none_or(|c| {
                        // 08: connection exception; 57P: operator intervention (shutdown,
                        // crash, cannot connect now); 25006: a standby's read-only
                        // transaction, after a failover the address still names it.
                        let c = c.code();
                        c.starts_with("08") || c.starts_with("57P") || c == "25006"
                    })
            }
            _ => false,
        }
    }
}

pub type DbResult<T> = Result<T, DbError>;

/// A connection to the ledger's database.
pub trait Db: Send {
    fn dialect(&self) -> Dialect;
    /// Runs one statement; returns how many rows it changed.
    fn execute(&mut self, sql: &str, args: &[Value<'_>]) -> DbResult<u64>;
    /// Runs one statement; returns its rows.
    fn query(&mut self, sql: &str, args: &[Value<'_>]) -> DbResult<Vec<Row>>;
    /// Runs statements without parameters (transaction control, schema).
    fn batch(&mut self, sql: &str) -> DbResult<()>;
    /// Starts the transaction a group of writes runs in.
    fn begin_write(&mut self) -> DbResult<()>;
    /// Starts a read-only transaction that sees one snapshot.
    fn begin_read(&mut self) -> DbResult<()>;
    /// Takes, for the rest of the write transaction, the lock named `key` when no other
    /// server holds it; `false` when one does. One server has nothing to share.
    fn try_exclusive(&mut self, key: i64) -> DbResult<bool>;
    /// Tells the other servers on this database that the total changed, at commit.
    fn announce_total(&mut self) -> DbResult<()>;
    /// Whether the connection can still be used.
    fn is_usable(&self) -> bool;
}

impl dyn Db + '_ {
    /// The first row, if any.
    pub fn query_opt(&mut self, sql: &str, args: &[Value<'_>]) -> DbResult<Option<Row>> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    /// Exactly one row (an aggregate's).
    pub fn query_one(&mut self, sql: &str, args: &[Value<'_>]) -> DbResult<Row> {
        self.query_opt(sql, args)?
            .ok_or_else(|| DbError::Decode("no row".into()))
    }
}

/// Opens connections to one database: the writer's again after a loss, and readers'.
pub trait Source: Send + Sync {
    fn connect(&self, read_only: bool) -> DbResult<Box<dyn Db>>;
    /// Where the ledger is, for messages (never a password).
    fn describe(&self) -> String;
}

/// A shared source.
pub type SharedSource = Arc<dyn Source>;

/// Rewrites `?N` placeholders as PostgreSQL's `$N`.
pub fn dollar_placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_dollars() {
        assert_eq!(
            dollar_placeholders("SELECT a FROM t WHERE b = ?1 AND c IN (?2, ?12) AND d = '?'"),
            "SELECT a FROM t WHERE b = $1 AND c IN ($2, $12) AND d = '?'"
        );
    }

    #[test]
    fn rows_read_as_their_types() {
        let row = Row(vec![Cell::Int(3), Cell::Null, Cell::Text("x".into())]);
        assert_eq!(row.int(0).unwrap(), 3);
        assert!(row.bool(0).unwrap());
        assert_eq!(row.opt_int(1).unwrap(), None);
        assert_eq!(row.text(2).unwrap(), "x");
        assert!(row.int(1).is_err());
        assert!(row.text(0).is_err());
        assert!(row.int(7).is_err());
    }
}
