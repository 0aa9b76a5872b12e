//! Embedded migrations, tracked with SQLite's `user_version`. Never edit a shipped one.

use rusqlite::Connection;

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_search_indexes.sql"),
    include_str!("../migrations/0003_lifecycle.sql"),
    include_str!("../migrations/0004_name_attempts.sql"),
    include_str!("../migrations/0005_outbox_code.sql"),
];

pub fn run(conn: &mut Connection) -> rusqlite::Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(version).unwrap_or(0)) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}
