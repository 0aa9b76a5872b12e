//! The delivery log.

use deadpool_postgres::Transaction;

use super::*;

#[async_trait]
impl OutboxStore for PgStore {
    async fn queue_message(&self, message: &OutboxMessage) -> Result<i64, StoreError> {
        retrying!(self, |c| {
            let tx = c.transaction().await?;
            let id = insert_outbox(&tx, message).await?;
            tx.commit().await?;
            Ok(id)
        })
    }
    async fn set_outbox_status(&self, id: i64, status: &str) -> Result<(), StoreError> {
        retrying!(self, |c| {
            let s = c.prepare_cached("UPDATE outbox SET status = $2, sealed = NULL WHERE id = $1").await?;
            c.execute(&s, &[&id, &status]).await?;
            Ok(())
        })
    }
    async fn claim_outbox(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let lease_ms = millis(lease);
        retrying!(self, |c| {
            // Rows another instance is claiming right now are skipped, not waited for: two
            // instances never take the same message.
            let s = c
                .prepare_cached(&format!(
                    "UPDATE outbox SET lease_until = $1 + $2
                     WHERE id IN (SELECT id FROM outbox WHERE status = 'pending'
                                    AND COALESCE(lease_until, created + $2) <= $1
                                  ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
                     RETURNING {OUTBOX_COLUMNS}"
                ))
                .await?;
            let rows = c.query(&s, &[&now.0, &lease_ms, &(limit as i64)]).await?;
            let mut entries: Vec<_> = rows.iter().map(outbox_row).collect();
            entries.sort_by_key(|e| e.id);
            Ok(entries)
        })
    }
    async fn forget_outbox_text(&self) -> Result<u64, StoreError> {
        retrying!(self, |c| {
            Ok(c.execute(
                "UPDATE outbox SET subject = NULL, body = '', code = NULL
                 WHERE body <> '' OR subject IS NOT NULL OR code IS NOT NULL",
                &[],
            )
            .await?)
        })
    }
    async fn list_outbox(&self, query: &OutboxQuery) -> Result<Vec<OutboxEntry>, StoreError> {
        let limit = query.last.map(|n| n as i64);
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "SELECT {OUTBOX_COLUMNS} FROM outbox
                     WHERE ($1::text IS NULL OR pool_id = $1) AND ($2::text IS NULL OR recipient = $2)
                     ORDER BY id DESC LIMIT $3"
                ))
                .await?;
            let rows = c.query(&s, &[&query.pool_id, &query.recipient, &limit]).await?;
            let mut entries: Vec<_> = rows.iter().map(outbox_row).collect();
            entries.reverse();
            Ok(entries)
        })
    }
}

#[async_trait]
impl MetaStore for PgStore {
    async fn claim_meta(&self, name: &str, value: &str) -> Result<String, StoreError> {
        retrying!(self, |c| {
            c.execute("INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", &[&name, &value])
                .await?;
            Ok(c.query_one("SELECT value FROM meta WHERE name = $1", &[&name]).await?.get(0))
        })
    }
    async fn set_meta(&self, name: &str, value: &str) -> Result<(), StoreError> {
        retrying!(self, |c| {
            c.execute(
                "INSERT INTO meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                &[&name, &value],
            )
            .await?;
            Ok(())
        })
    }
}

const OUTBOX_COLUMNS: &str =
    "id, pool_id, username, recipient, medium, kind, subject, body, created, status, code, sealed";

fn outbox_row(r: &Row) -> OutboxEntry {
    let medium: &str = r.get(4);
    let body: String = r.get(7);
    OutboxEntry {
        id: r.get(0),
        message: OutboxMessage {
            pool_id: r.get(1),
            username: r.get(2),
            recipient: r.get(3),
            medium: Medium::parse(medium).unwrap_or(Medium::Email),
            kind: r.get(5),
            subject: r.get(6),
            keep_text: !body.is_empty(),
            body,
            code: r.get(10),
            created: Timestamp(r.get(8)),
            sealed: r.get(11),
        },
        status: r.get(9),
    }
}

pub(super) async fn insert_outbox(tx: &Transaction<'_>, m: &OutboxMessage) -> Result<i64, Fail> {
    let m = &m.kept();
    let s = tx
        .prepare_cached(
            "INSERT INTO outbox (pool_id, username, recipient, medium, kind, subject, body, code, created, status, sealed)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10) RETURNING id",
        )
        .await?;
    let row = tx
        .query_one(
            &s,
            &[
                &m.pool_id,
                &m.username,
                &m.recipient,
                &m.medium.as_str(),
                &m.kind,
                &m.subject,
                &m.body,
                &m.code,
                &m.created.0,
                &m.sealed,
            ],
        )
        .await?;
    Ok(row.get(0))
}
