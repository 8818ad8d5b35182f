//! Opening a ledger file: its folder, the lock that keeps a second server off it, the
//! connection settings every reader and the writer share, the integrity check and the
//! schema migrations.

use std::fs::{DirBuilder, OpenOptions, Permissions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::postgres::{PgDb, PgSource};
use super::sql::{Db, DbError};
use super::sqlite::SqliteDb;
use super::{Location, Scope, schema};

/// Opening the ledger failed; the message is for the operator, the source kept.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create the ledger folder {}: {source}", dir.display())]
    Folder {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the ledger lock {}: {source}", path.display())]
    LockFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the ledger {} is in use by another fundraiser process", path.display())]
    InUse { path: PathBuf },
    #[error("cannot lock the ledger {}: {source}", path.display())]
    Lock {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot make {} readable by its owner alone: {source}", path.display())]
    Private {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the ledger {}: {source}", path.display())]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("the ledger {} is unreadable: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("the ledger {} is corrupt: {report}", path.display())]
    Corrupt { path: PathBuf, report: String },
    #[error("ledger {}: {message}", path.display())]
    Schema { path: PathBuf, message: String },
    /// Counted money in another currency: relabelling it would misstate the total.
    #[error(
        "the ledger {at} holds {} in {other}, but campaign.currency is {configured}: the total would relabel that money. Keep campaign.currency = \"{other}\", or start this campaign on a new ledger (ledger.path or ledger.url)",
        crate::lang::english_count(*.count, "succeeded donation", "succeeded donations")
    )]
    OtherCurrency {
        at: String,
        other: String,
        count: u64,
        configured: String,
    },
    /// A fund removed from the settings while donations belong to it: its money would
    /// vanish from the totals, its donors' receipts lose their fund.
    #[error(
        "the ledger {at} holds {} of the fund \"{fund}\", which the settings no longer list: a donation's fund is kept for good. List it again in [[funds]] (it may stay without a goal), or start this campaign on a new ledger",
        crate::lang::english_count(*.count, "donation", "donations")
    )]
    UnlistedFund {
        at: String,
        fund: String,
        count: u64,
    },
    /// A currency switch while donations in the old one wait for their payment: paid
    /// after it, they could be neither counted nor refused.
    #[error(
        "the ledger {at} holds {} in {other}, but campaign.currency is {configured}: their payments would be in {other}. Keep campaign.currency = \"{other}\" until they are paid or expire (donation.pending_ttl after they started), then switch",
        crate::lang::english_count(*.count, "pending donation", "pending donations")
    )]
    PendingOtherCurrency {
        at: String,
        other: String,
        count: u64,
        configured: String,
    },
    #[error("cannot reach the PostgreSQL ledger {at}: {source}")]
    Unreachable { at: String, source: DbError },
    #[error("PostgreSQL ledger {at}: {message}")]
    DatabaseSchema { at: String, message: String },
    #[error("cannot read the ledger total: {0}")]
    Total(#[source] DbError),
    #[error("cannot start the ledger writer: {0}")]
    Writer(#[source] std::io::Error),
}

/// Donor names and emails live in the ledger: only its owner may read it, whatever the
/// umask. Folders this process creates are 0700; the ledger, its `-wal`, `-shm` and
/// `-journal` (SQLite gives them the database file's mode), the lock and every backup
/// are 0600.
pub const FILE_MODE: u32 = 0o600;
pub const DIR_MODE: u32 = 0o700;

/// The files SQLite keeps beside a ledger, and the lock: none may ever be overwritten
/// by anything but SQLite itself.
pub fn companions(path: &Path) -> [PathBuf; 4] {
    ["-wal", "-shm", "-journal", ".lock"].map(|suffix| {
        let mut s = path.as_os_str().to_owned();
        s.push(suffix);
        PathBuf::from(s)
    })
}

/// Creates the folder when needed, takes the lock, opens, checks and migrates: the
/// connection the writer will own, and the lock to hold while it runs.
pub fn for_writing(path: &Path) -> Result<(std::fs::File, SqliteDb), OpenError> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)
            .map_err(|source| OpenError::Folder {
                dir: dir.to_path_buf(),
                source,
            })?;
    }
    let lock = lock(path)?;
    // Created (or narrowed) to 0600 before SQLite opens it: the WAL and shared-memory
    // files SQLite creates next take the database file's mode.
    owner_only(path, true).map_err(|source| OpenError::Private {
        path: path.to_path_buf(),
        source,
    })?;
    for companion in &companions(path)[..3] {
        if companion.exists() {
            owner_only(companion, false).map_err(|source| OpenError::Private {
                path: companion.clone(),
                source,
            })?;
        }
    }
    let conn = connection(path, false).map_err(|source| OpenError::Open {
        path: path.to_path_buf(),
        source,
    })?;
    let report = conn
        .query_row("PRAGMA quick_check", [], |r| r.get::<_, String>(0))
        .map_err(|source| OpenError::Unreadable {
            path: path.to_path_buf(),
            source,
        })?;
    if report != "ok" {
        return Err(OpenError::Corrupt {
            path: path.to_path_buf(),
            report,
        });
    }
    let mut db = SqliteDb(conn);
    schema::migrate(&mut db).map_err(|message| OpenError::Schema {
        path: path.to_path_buf(),
        message,
    })?;
    Ok((lock, db))
}

/// Connects to a PostgreSQL ledger and migrates it: the connection the writer will own.
pub fn for_writing_pg(source: &PgSource) -> Result<PgDb, OpenError> {
    let at = || super::sql::Source::describe(source);
    let mut db = source.connect_pg().map_err(|e| OpenError::Unreachable {
        at: at(),
        source: e,
    })?;
    schema::migrate(&mut db).map_err(|message| OpenError::DatabaseSchema { at: at(), message })?;
    Ok(db)
}

/// Refuses a ledger whose succeeded or pending donations of the running mode are in
/// another currency than the campaign's.
pub fn refuse_other_currency(
    db: &mut dyn Db,
    location: &Location,
    scope: &Scope,
) -> Result<(), OpenError> {
    let others = super::read::other_currencies(db, scope).map_err(OpenError::Total)?;
    if let Some((other, count)) = others.into_iter().next() {
        return Err(OpenError::OtherCurrency {
            at: location.describe(),
            other,
            count,
            configured: scope.currency.clone(),
        });
    }
    let pending = super::read::pending_other_currencies(db, scope).map_err(OpenError::Total)?;
    match pending.into_iter().next() {
        Some((other, count)) => Err(OpenError::PendingOtherCurrency {
            at: location.describe(),
            other,
            count,
            configured: scope.currency.clone(),
        }),
        None => Ok(()),
    }
}

/// Refuses a ledger holding donations (of any status) of a fund the scope does not list.
pub fn refuse_unlisted_funds(
    db: &mut dyn Db,
    location: &Location,
    scope: &Scope,
) -> Result<(), OpenError> {
    match super::funds::unlisted(db, scope).map_err(OpenError::Total)? {
        Some((fund, count)) => Err(OpenError::UnlistedFund {
            at: location.describe(),
            fund,
            count,
        }),
        None => Ok(()),
    }
}

/// Takes an exclusive lock on `<ledger>.lock`, so a second `fundraiser` on the same
/// ledger stops at start-up instead of racing the first one's writer.
fn lock(path: &Path) -> Result<std::fs::File, OpenError> {
    let mut lock_path = path.as_os_str().to_owned();
    lock_path.push(".lock");
    let lock_path = PathBuf::from(lock_path);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .mode(FILE_MODE)
        .open(&lock_path)
        .and_then(|f| {
            f.set_permissions(Permissions::from_mode(FILE_MODE))?;
            Ok(f)
        })
        .map_err(|source| OpenError::LockFile {
            path: lock_path.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(OpenError::InUse {
            path: path.to_path_buf(),
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(OpenError::Lock {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Makes `path` readable and writable by its owner alone, creating it (empty) when
/// `create` and it does not exist.
pub fn owner_only(path: &Path, create: bool) -> std::io::Result<()> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(create)
        .truncate(false)
        .mode(FILE_MODE)
        .open(path)?;
    file.set_permissions(Permissions::from_mode(FILE_MODE))
}

/// A connection with the settings every user of the ledger shares: WAL (for the
/// writer), full sync, foreign keys, and a busy timeout.
pub fn connection(path: &Path, read_only: bool) -> rusqlite::Result<Connection> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    if !read_only {
        conn.pragma_update(None, "journal_mode", "WAL")?;
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(conn)
}
