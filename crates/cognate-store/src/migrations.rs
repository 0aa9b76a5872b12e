//! Embedded SQLite migrations, tracked with SQLite's `user_version`. Never edit a shipped one;
//! PostgreSQL has its own history (`postgres/migrate.rs`).

use cognate_core::error::StoreError;
use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/sqlite/0002_search_indexes.sql"),
    include_str!("../migrations/sqlite/0003_lifecycle.sql"),
    include_str!("../migrations/sqlite/0004_name_attempts.sql"),
    include_str!("../migrations/sqlite/0005_outbox_code.sql"),
    include_str!("../migrations/sqlite/0006_scale_out.sql"),
    include_str!("../migrations/sqlite/0007_mfa.sql"),
    include_str!("../migrations/sqlite/0008_oauth.sql"),
];

/// The schema version this build writes (one per migration).
pub const SQLITE_VERSION: usize = MIGRATIONS.len();

/// Applies the migrations this database lacks; refuses a database written by a newer cognate.
pub fn run(conn: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(unavailable)?;
    if version > SQLITE_VERSION as i64 {
        return Err(newer_schema(version, SQLITE_VERSION));
    }
    apply(conn, version).map_err(unavailable)
}

pub(crate) fn newer_schema(found: i64, known: usize) -> StoreError {
    StoreError::Unavailable(format!(
        "the database schema is at version {found}, newer than this cognate knows ({known}): \
         it was upgraded by a newer cognate; run that version or newer"
    ))
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

fn apply(conn: &mut Connection, version: i64) -> rusqlite::Result<()> {
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
