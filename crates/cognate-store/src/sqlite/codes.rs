//! Pending codes (sign-up, recovery, verification).

use super::outbox::insert_outbox;
use super::*;

#[async_trait]
impl CodeStore for SqliteStore {
    async fn replace_code(
        &self,
        code: &StoredCode,
        message: Option<&OutboxMessage>,
    ) -> Result<Option<i64>, StoreError> {
        let code = code.clone();
        let message = message.cloned();
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            upsert_code(&tx, &code)?;
            let id = message.as_ref().map(|m| insert_outbox(&tx, m)).transpose()?;
            tx.commit().map_err(map_err)?;
            Ok(id)
        })
        .await
    }
    async fn get_code(&self, pool_id: &str, sub: &str, purpose: &str) -> Result<Option<StoredCode>, StoreError> {
        let (pool, sub, purpose) = (pool_id.to_string(), sub.to_string(), purpose.to_string());
        self.point(move |c| {
            c.prepare_cached(
                "SELECT pool_id, sub, purpose, code_hash, salt, attribute, created, expires, pending FROM codes
                 WHERE pool_id = ?1 AND sub = ?2 AND purpose = ?3",
            )
            .and_then(|mut s| s.query_row(params![pool, sub, purpose], code_row).optional())
            .map_err(map_err)
        })
        .await
    }
    async fn delete_code(&self, pool_id: &str, sub: &str, purpose: &str, code_hash: &str) -> Result<bool, StoreError> {
        let (pool, sub, purpose, hash) =
            (pool_id.to_string(), sub.to_string(), purpose.to_string(), code_hash.to_string());
        self.write(move |c| {
            let n = c
                .execute(
                    "DELETE FROM codes WHERE pool_id = ?1 AND sub = ?2 AND purpose = ?3 AND code_hash = ?4",
                    params![pool, sub, purpose, hash],
                )
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }
}

pub(super) fn code_row(r: &Row<'_>) -> rusqlite::Result<StoredCode> {
    Ok(StoredCode {
        pool_id: r.get(0)?,
        sub: r.get(1)?,
        purpose: r.get(2)?,
        code_hash: r.get(3)?,
        salt: r.get(4)?,
        attribute: r.get(5)?,
        created: Timestamp(r.get(6)?),
        expires: Timestamp(r.get(7)?),
        pending: r.get(8)?,
    })
}

pub(super) fn upsert_code(conn: &Connection, c: &StoredCode) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO codes (pool_id, sub, purpose, code_hash, salt, attribute, created, expires, pending)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (pool_id, sub, purpose) DO UPDATE SET
           code_hash = excluded.code_hash, salt = excluded.salt, attribute = excluded.attribute,
           created = excluded.created, expires = excluded.expires, pending = excluded.pending",
        params![c.pool_id, c.sub, c.purpose, c.code_hash, c.salt, c.attribute, c.created.0, c.expires.0, c.pending],
    )
    .map_err(map_err)?;
    Ok(())
}
