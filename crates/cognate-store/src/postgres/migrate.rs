//! Embedded PostgreSQL migrations, tracked in `cognate_schema`. Each runs in the transaction
//! that records it (PostgreSQL's DDL is transactional), under an advisory lock held to the end
//! of that transaction: instances that start together apply each migration once, the others
//! wait and then find nothing to do. Never edit a shipped one.

use cognate_core::error::StoreError;
use deadpool_postgres::Object;

use super::map_err;

const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_init.sql"),
    include_str!("../../migrations/postgres/0002_mfa.sql"),
    include_str!("../../migrations/postgres/0003_oauth.sql"),
];

/// The schema version this build writes (one per migration).
pub const POSTGRES_VERSION: usize = MIGRATIONS.len();

/// Any constant will do, as long as it is cognate's alone: "cognate" in ASCII.
const LOCK: i64 = 0x0063_6f67_6e61_7465;

const SCHEMA_TABLE: &str = "CREATE TABLE IF NOT EXISTS cognate_schema (version BIGINT NOT NULL)";

pub async fn run(conn: &mut Object) -> Result<(), StoreError> {
    // A current schema needs no lock and no DDL, so instances may run as a role that can
    // read and write the tables but not create any (once `cognate migrate` has run).
    match current(conn).await? {
        v if v == POSTGRES_VERSION as i64 => return Ok(()),
        v if v > POSTGRES_VERSION as i64 => return Err(crate::migrations::newer_schema(v, POSTGRES_VERSION)),
        _ => {}
    }
    let tx = conn.transaction().await.map_err(map_err)?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOCK]).await.map_err(map_err)?;
    // "relation already exists, skipping" is no news on every start.
    tx.batch_execute("SET LOCAL client_min_messages = warning").await.map_err(map_err)?;
    tx.batch_execute(SCHEMA_TABLE).await.map_err(map_err)?;
    let found = version(&*tx).await?;
    if found > POSTGRES_VERSION as i64 {
        return Err(crate::migrations::newer_schema(found, POSTGRES_VERSION));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(found).unwrap_or(0)) {
        tx.batch_execute(sql).await.map_err(|e| StoreError::Unavailable(format!("migration {}: {e}", i + 1)))?;
        tx.execute("DELETE FROM cognate_schema", &[]).await.map_err(map_err)?;
        tx.execute("INSERT INTO cognate_schema (version) VALUES ($1)", &[&(i as i64 + 1)]).await.map_err(map_err)?;
        tracing::info!(version = i + 1, "applied a database migration");
    }
    tx.commit().await.map_err(map_err)
}

/// Fails unless the schema is exactly the one this build writes.
pub async fn check(conn: &Object) -> Result<(), StoreError> {
    let found = current(conn).await?;
    match found {
        v if v == POSTGRES_VERSION as i64 => Ok(()),
        v if v > POSTGRES_VERSION as i64 => Err(crate::migrations::newer_schema(v, POSTGRES_VERSION)),
        v => Err(StoreError::Unavailable(format!(
            "the database schema is at version {v}, older than this cognate's ({POSTGRES_VERSION}): run `cognate migrate`"
        ))),
    }
}

/// The schema version the database is at (0 for an empty database).
pub async fn current(conn: &tokio_postgres::Client) -> Result<i64, StoreError> {
    let exists: bool =
        conn.query_one("SELECT to_regclass('cognate_schema') IS NOT NULL", &[]).await.map_err(map_err)?.get(0);
    if !exists {
        return Ok(0);
    }
    version(conn).await
}

async fn version(c: &impl tokio_postgres::GenericClient) -> Result<i64, StoreError> {
    let row = c.query_opt("SELECT max(version) FROM cognate_schema", &[]).await.map_err(map_err)?;
    Ok(row.and_then(|r| r.get::<_, Option<i64>>(0)).unwrap_or(0))
}
