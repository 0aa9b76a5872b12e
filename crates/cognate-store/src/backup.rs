//! Online backups of the SQLite database and restoring them.

use std::path::Path;

use cognate_core::error::StoreError;
use rusqlite::{Connection, OpenFlags};

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// Writes a consistent copy of the database at `db` to `to` while the server may be running:
/// `VACUUM INTO` reads one snapshot (WAL readers never block the writer) and writes a compact,
/// self-contained file. `to` must not exist.
pub fn backup(db: &Path, to: &Path) -> Result<(), StoreError> {
    if to.exists() {
        return Err(StoreError::Unavailable(format!("{} already exists", to.display())));
    }
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(unavailable)?;
    conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(unavailable)?;
    let target = to.to_str().ok_or_else(|| StoreError::Unavailable("the backup path is not UTF-8".into()))?;
    conn.execute("VACUUM INTO ?1", [target]).map_err(unavailable)?;
    check(to)
}

/// Whether a database file passes SQLite's integrity and foreign-key checks.
pub fn check(db: &Path) -> Result<(), StoreError> {
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(unavailable)?;
    let result: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).map_err(unavailable)?;
    if result != "ok" {
        return Err(StoreError::Unavailable(format!("integrity check of {} failed: {result}", db.display())));
    }
    let broken: i64 =
        conn.query_row("SELECT COUNT(*) FROM pragma_foreign_key_check", [], |r| r.get(0)).map_err(unavailable)?;
    if broken != 0 {
        return Err(StoreError::Unavailable(format!("{} has {broken} broken foreign keys", db.display())));
    }
    Ok(())
}

/// Replaces the database at `db` with the backup `from` (the server must be stopped). The
/// backup is checked first; the old database is kept beside it as `cognate.db.before-restore`.
pub fn restore(from: &Path, db: &Path) -> Result<(), StoreError> {
    check(from)?;
    if db.exists() {
        let aside = db.with_extension("db.before-restore");
        // A clean checkpoint first, so the old file stands on its own.
        if let Ok(conn) = Connection::open(db) {
            let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
        }
        std::fs::rename(db, &aside).map_err(unavailable)?;
    }
    for suffix in ["-wal", "-shm"] {
        let mut side = db.as_os_str().to_owned();
        side.push(suffix);
        let _ = std::fs::remove_file(&side);
    }
    let partial = db.with_extension("db.restoring");
    std::fs::copy(from, &partial).map_err(unavailable)?;
    std::fs::File::open(&partial).and_then(|f| f.sync_all()).map_err(unavailable)?;
    std::fs::rename(&partial, db).map_err(unavailable)?;
    Ok(())
}
