//! The ledger file seen from outside the server: a consistent backup taken while it runs,
//! a health check, and a summary. Everything opens the file read-only and leaves the
//! server's lock alone, so each can run next to a serving `fundraiser`.

use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};

use super::sql::Db;
use super::sqlite::SqliteDb;
use super::{Location, Scope, open, read, schema};

/// What a ledger file holds, in a few figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub schema_version: i64,
    /// Every donation, whatever its status.
    pub donations: u64,
    pub succeeded: u64,
    pub raised_minor: i64,
    pub events: u64,
}

/// Why a ledger file cannot be used; worded for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct OfflineError(pub String);

/// Reads the summary of an existing ledger; `None` when there is no file yet.
pub fn summary(path: &Path, scope: &Scope) -> Result<Option<Summary>, OfflineError> {
    if !path.exists() {
        return Ok(None);
    }
    let mut db = open_read_only(path)?;
    summarise(&mut db, &path.display().to_string(), scope).map(Some)
}

/// Checks a ledger as `serve` would use it: a missing file is fine (serve creates it,
/// provided its folder can be), a corrupt file, a file from a newer version of the
/// program, or a folder in the way is not.
pub fn check(path: &Path, scope: &Scope) -> Result<Option<Summary>, OfflineError> {
    if !path.exists() {
        let mut ancestor = path.parent();
        while let Some(dir) = ancestor.filter(|d| !d.as_os_str().is_empty()) {
            if dir.exists() {
                if !dir.is_dir() {
                    return Err(OfflineError(format!(
                        "the ledger folder cannot be created: {} is not a folder",
                        dir.display()
                    )));
                }
                break;
            }
            ancestor = dir.parent();
        }
        return Ok(None);
    }
    if !path.is_file() {
        return Err(OfflineError(format!(
            "the ledger {} is not a file",
            path.display()
        )));
    }
    let mut db = open_read_only(path)?;
    verify(&db.0, path)?;
    if schema_version(&mut db) >= 6 {
        open::refuse_other_currency(&mut db, &Location::File(path.to_path_buf()), scope)
            .map_err(|e| OfflineError(e.to_string()))?;
    }
    if schema_version(&mut db) >= 12 {
        open::refuse_unlisted_funds(&mut db, &Location::File(path.to_path_buf()), scope)
            .map_err(|e| OfflineError(e.to_string()))?;
    }
    summarise(&mut db, &path.display().to_string(), scope).map(Some)
}

/// [`summary`] of the ledger wherever it is.
pub fn summary_at(location: &Location, scope: &Scope) -> Result<Option<Summary>, OfflineError> {
    match location {
        Location::File(path) => summary(path, scope),
        Location::Postgres(_) => check_postgres(location, scope),
    }
}

/// [`check`] of the ledger wherever it is.
pub fn check_at(location: &Location, scope: &Scope) -> Result<Option<Summary>, OfflineError> {
    match location {
        Location::File(path) => check(path, scope),
        Location::Postgres(_) => check_postgres(location, scope),
    }
}

/// Checks a PostgreSQL ledger as `serve` would use it: reachable, not from a newer
/// version of the program, in the campaign's currency. `None` when it is still empty
/// (serve creates the schema).
pub fn check_postgres(location: &Location, scope: &Scope) -> Result<Option<Summary>, OfflineError> {
    let at = location.describe();
    let mut db = location
        .source()
        .connect(true)
        .map_err(|e| OfflineError(format!("cannot reach the PostgreSQL ledger {at}: {e}")))?;
    let version = schema::version(db.as_mut())
        .map_err(|e| OfflineError(format!("cannot read the schema of {at}: {e}")))?;
    if version == 0 {
        return Ok(None);
    }
    if version > schema::VERSION {
        return Err(OfflineError(format!(
            "the ledger {at} has schema version {version}, newer than this program's {}: use a newer fundraiser",
            schema::VERSION
        )));
    }
    open::refuse_other_currency(db.as_mut(), location, scope)
        .map_err(|e| OfflineError(e.to_string()))?;
    if version >= 12 {
        open::refuse_unlisted_funds(db.as_mut(), location, scope)
            .map_err(|e| OfflineError(e.to_string()))?;
    }
    summarise(db.as_mut(), &at, scope).map(Some)
}

/// Copies the ledger at `source` to `dest` with SQLite's online backup: one consistent
/// snapshot even while the server commits donations. The copy is written next to `dest`,
/// made durable, checked (integrity, schema, figures readable) and only then renamed
/// over `dest`, so a failed backup never replaces a good one.
pub fn backup(source: &Path, dest: &Path, scope: &Scope) -> Result<Summary, OfflineError> {
    if !source.is_file() {
        return Err(OfflineError(format!("no ledger at {}", source.display())));
    }
    if is_ledger_file(source, dest) {
        return Err(OfflineError(format!(
            "the backup must not overwrite the ledger or the files beside it ({}): choose another path",
            dest.display()
        )));
    }
    let partial = sibling(dest, ".partial");
    remove_if_present(&partial)?;
    // Created here, exclusively (O_EXCL: never through a link someone left at that name)
    // and readable by its owner alone; SQLite then fills the empty file.
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(open::FILE_MODE)
        .open(&partial)
        .and_then(|f| f.set_permissions(std::fs::Permissions::from_mode(open::FILE_MODE)))
        .map_err(|e| {
            OfflineError(format!(
                "cannot create the backup {}: {e}",
                partial.display()
            ))
        })?;
    let result = write_copy(source, &partial).and_then(|()| {
        let mut db = open_read_only(&partial)?;
        verify(&db.0, &partial)?;
        let summary = summarise(&mut db, &partial.display().to_string(), scope)?;
        drop(db);
        std::fs::rename(&partial, dest).map_err(|e| {
            OfflineError(format!("cannot move the backup to {}: {e}", dest.display()))
        })?;
        sync_parent(dest);
        Ok(summary)
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn write_copy(source: &Path, partial: &Path) -> Result<(), OfflineError> {
    let src = open_read_only(source)?;
    let mut dst = Connection::open(partial).map_err(|e| {
        OfflineError(format!(
            "cannot create the backup {}: {e}",
            partial.display()
        ))
    })?;
    {
        let backup = Backup::new(&src.0, &mut dst)
            .map_err(|e| OfflineError(format!("cannot start the backup: {e}")))?;
        // All pages in one step: one read transaction, so one consistent snapshot. The
        // server's writer is never blocked (WAL); a busy source is retried briefly.
        let mut tries = 0;
        loop {
            match backup.step(-1) {
                Ok(StepResult::Done) => break,
                Ok(StepResult::More | StepResult::Busy | StepResult::Locked) if tries < 100 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_millis(50));
                }
                Ok(other) => {
                    return Err(OfflineError(format!(
                        "the backup did not complete ({other:?})"
                    )));
                }
                Err(e) => return Err(OfflineError(format!("the backup failed: {e}"))),
            }
        }
    }
    // A backup is one self-contained file: no write-ahead log beside it.
    dst.pragma_update(None, "journal_mode", "DELETE")
        .and_then(|()| dst.pragma_update(None, "synchronous", "FULL"))
        .map_err(|e| OfflineError(format!("cannot finish the backup: {e}")))?;
    dst.close()
        .map_err(|(_, e)| OfflineError(format!("cannot close the backup: {e}")))?;
    std::fs::File::open(partial)
        .and_then(|f| f.sync_all())
        .map_err(|e| OfflineError(format!("cannot flush the backup to disk: {e}")))
}

fn open_read_only(path: &Path) -> Result<SqliteDb, OfflineError> {
    open::connection(path, true)
        .or_else(|_| {
            // A ledger whose folder is not writable (a copy on read-only media) has no
            // `-shm` to share; immutable mode reads it as a plain file.
            let uri = format!("file:{}?immutable=1", path.display());
            Connection::open_with_flags(
                uri,
                OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI,
            )
        })
        .map(SqliteDb)
        .map_err(|e| OfflineError(format!("cannot open the ledger {}: {e}", path.display())))
}

/// Integrity and schema version.
fn verify(conn: &Connection, path: &Path) -> Result<(), OfflineError> {
    let unreadable = |e: rusqlite::Error| {
        OfflineError(format!("{} is not a readable ledger: {e}", path.display()))
    };
    let problems: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut stmt| {
            stmt.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .map_err(unreadable)?;
    if problems != ["ok"] {
        return Err(OfflineError(format!(
            "the ledger {} is corrupt: {}",
            path.display(),
            problems.join("; ")
        )));
    }
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(unreadable)?;
    if version > schema::VERSION {
        return Err(OfflineError(format!(
            "the ledger {} has schema version {version}, newer than this program's {}: use a newer fundraiser",
            path.display(),
            schema::VERSION
        )));
    }
    Ok(())
}

/// The schema version a ledger is at (0 when unreadable).
fn schema_version(db: &mut dyn Db) -> i64 {
    schema::version(db).unwrap_or(0)
}

fn summarise(db: &mut dyn Db, at: &str, scope: &Scope) -> Result<Summary, OfflineError> {
    if schema_version(db) < 6 {
        // A ledger from before modes were recorded: serve migrates it; until then its
        // figures are the plain ones.
        return read::summary_unscoped(db)
            .map_err(|e| OfflineError(format!("cannot read the figures of {at}: {e}")));
    }
    read::summary(db, scope)
        .map_err(|e| OfflineError(format!("cannot read the figures of {at}: {e}")))
}

/// Whether `dest` names the ledger or one of its companions (`-wal`, `-shm`, `-journal`,
/// `.lock`), whether or not that file exists now: compared by folder (resolved) and name.
fn is_ledger_file(ledger: &Path, dest: &Path) -> bool {
    let resolved = |p: &Path| -> Option<PathBuf> {
        if let Ok(c) = p.canonicalize() {
            return Some(c);
        }
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        Some(dir.canonicalize().ok()?.join(p.file_name()?))
    };
    let Some(dest) = resolved(dest) else {
        return false;
    };
    std::iter::once(ledger.to_path_buf())
        .chain(open::companions(ledger))
        .filter_map(|p| resolved(&p))
        .any(|p| p == dest)
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

fn remove_if_present(path: &Path) -> Result<(), OfflineError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(OfflineError(format!(
            "cannot remove the leftover {}: {e}",
            path.display()
        ))),
    }
}

/// Makes a rename durable (best effort: not every file system lets a folder be synced).
fn sync_parent(path: &Path) {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
}
