//! Pending codes (sign-up, recovery, verification).

use deadpool_postgres::Transaction;

use super::outbox::insert_outbox;
use super::*;

#[async_trait]
impl CodeStore for PgStore {
    async fn replace_code(
        &self,
        code: &StoredCode,
        message: Option<&OutboxMessage>,
    ) -> Result<Option<i64>, StoreError> {
        retrying!(self, |c| {
            let tx = c.transaction().await?;
            upsert_code(&tx, code).await?;
            let id = match message {
                Some(m) => Some(insert_outbox(&tx, m).await?),
                None => None,
            };
            tx.commit().await?;
            Ok(id)
        })
    }
    async fn get_code(&self, pool_id: &str, sub: &str, purpose: &str) -> Result<Option<StoredCode>, StoreError> {
        retrying!(self, |c| {
            let s = c
                .prepare_cached(
                    "SELECT pool_id, sub, purpose, code_hash, salt, attribute, created, expires, pending FROM codes
                     WHERE pool_id = $1 AND sub = $2 AND purpose = $3",
                )
                .await?;
            Ok(c.query_opt(&s, &[&pool_id, &sub, &purpose]).await?.map(|r| code_row(&r)))
        })
    }
    async fn delete_code(&self, pool_id: &str, sub: &str, purpose: &str, code_hash: &str) -> Result<bool, StoreError> {
        retrying!(self, |c| {
            let s = c
                .prepare_cached("DELETE FROM codes WHERE pool_id = $1 AND sub = $2 AND purpose = $3 AND code_hash = $4")
                .await?;
            Ok(c.execute(&s, &[&pool_id, &sub, &purpose, &code_hash]).await? == 1)
        })
    }
}

pub(super) fn code_row(r: &Row) -> StoredCode {
    StoredCode {
        pool_id: r.get(0),
        sub: r.get(1),
        purpose: r.get(2),
        code_hash: r.get(3),
        salt: r.get(4),
        attribute: r.get(5),
        created: Timestamp(r.get(6)),
        expires: Timestamp(r.get(7)),
        pending: r.get(8),
    }
}

pub(super) async fn upsert_code(tx: &Transaction<'_>, c: &StoredCode) -> Result<(), Fail> {
    let s = tx
        .prepare_cached(
            "INSERT INTO codes (pool_id, sub, purpose, code_hash, salt, attribute, created, expires, pending)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (pool_id, sub, purpose) DO UPDATE SET
               code_hash = excluded.code_hash, salt = excluded.salt, attribute = excluded.attribute,
               created = excluded.created, expires = excluded.expires, pending = excluded.pending",
        )
        .await?;
    tx.execute(
        &s,
        &[&c.pool_id, &c.sub, &c.purpose, &c.code_hash, &c.salt, &c.attribute, &c.created.0, &c.expires.0, &c.pending],
    )
    .await?;
    Ok(())
}
