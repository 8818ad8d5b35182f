//! The ledger's schema, migrated at start-up: the same numbered migrations for SQLite
//! (versioned with `PRAGMA user_version`) and PostgreSQL (in a schema of its own, with a
//! version table), each run in one transaction.

use super::sql::{Db, DbResult, Dialect, args};

use super::migrations::{POSTGRES, SQLITE};

pub const VERSION: i64 = SQLITE.len() as i64;

/// Serializes migrations of servers starting together on one PostgreSQL ledger.
const MIGRATION_LOCK: i64 = 0x6675_6e64_7261_6973;

/// The schema version the database has; 0 for an empty one.
pub fn version(db: &mut dyn Db) -> DbResult<i64> {
    match db.dialect() {
        Dialect::Sqlite => db.query_one("PRAGMA user_version", &[])?.int(0),
        Dialect::Postgres => {
            let exists = db
                .query_one(
                    "SELECT COUNT(*) FROM information_schema.tables
                     WHERE table_schema = ?1 AND table_name = 'schema_version'",
                    args![super::postgres::SCHEMA],
                )?
                .int(0)?;
            if exists == 0 {
                return Ok(0);
            }
            db.query_one("SELECT COALESCE(MAX(version), 0) FROM schema_version", &[])?
                .int(0)
        }
    }
}

/// Brings the schema up to date in one transaction. A ledger from a newer binary is refused.
pub fn migrate(db: &mut dyn Db) -> Result<(), String> {
    let dialect = db.dialect();
    let migrations = match dialect {
        Dialect::Sqlite => SQLITE,
        Dialect::Postgres => POSTGRES,
    };
    let begun = match dialect {
        Dialect::Sqlite => db.begin_write(),
        Dialect::Postgres => db.batch(&format!(
            "BEGIN; SELECT pg_advisory_xact_lock({MIGRATION_LOCK});
             CREATE SCHEMA IF NOT EXISTS {schema};
             CREATE TABLE IF NOT EXISTS {schema}.schema_version (version BIGINT NOT NULL);",
            schema = super::postgres::SCHEMA
        )),
    };
    begun.map_err(|e| format!("cannot start the migration: {e}"))?;
    let result = migrate_in(db, migrations);
    let end = if result.is_ok() { "COMMIT" } else { "ROLLBACK" };
    let ended = db.batch(end);
    result?;
    ended.map_err(|e| format!("cannot commit the migration: {e}"))
}

fn migrate_in(db: &mut dyn Db, migrations: &[&str]) -> Result<(), String> {
    let current = version(db).map_err(|e| format!("cannot read the schema version: {e}"))?;
    if current > VERSION {
        return Err(format!(
            "the ledger has schema version {current}, newer than this binary knows ({VERSION}); use a newer fundraiser"
        ));
    }
    if current == VERSION {
        return Ok(());
    }
    for (i, sql) in migrations.iter().enumerate().skip(current as usize) {
        db.batch(sql)
            .map_err(|e| format!("migration {} failed: {e}", i + 1))?;
    }
    let recorded = match db.dialect() {
        Dialect::Sqlite => db.batch(&format!("PRAGMA user_version = {VERSION}")),
        Dialect::Postgres => db.batch(&format!(
            "DELETE FROM schema_version; INSERT INTO schema_version (version) VALUES ({VERSION})"
        )),
    };
    recorded.map_err(|e| format!("cannot record the schema version: {e}"))
}

/// The tables the migrations create.
#[cfg(test)]
pub fn tables() -> Vec<String> {
    SQLITE
        .iter()
        .flat_map(|m| m.split("CREATE TABLE ").skip(1))
        .filter_map(|rest| rest.split_whitespace().next().map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_databases_have_every_migration() {
        assert_eq!(super::SQLITE.len(), super::POSTGRES.len());
    }
}
