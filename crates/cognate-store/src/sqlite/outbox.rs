//! The delivery log.

use super::*;

#[async_trait]
impl OutboxStore for SqliteStore {
    async fn queue_message(&self, message: &OutboxMessage) -> Result<i64, StoreError> {
        let m = message.clone();
        self.write(move |c| insert_outbox(c, &m)).await
    }
    async fn set_outbox_status(&self, id: i64, status: &str) -> Result<(), StoreError> {
        let status = status.to_string();
        self.write(move |c| {
            c.execute("UPDATE outbox SET status = ?2, sealed = NULL WHERE id = ?1", params![id, status])
                .map_err(map_err)?;
            Ok(())
        })
        .await
    }
    async fn claim_outbox(
        &self,
        now: Timestamp,
        lease: Duration,
        limit: usize,
    ) -> Result<Vec<OutboxEntry>, StoreError> {
        let lease_ms = i64::try_from(lease.as_millis()).unwrap_or(i64::MAX);
        self.write(move |c| {
            // One writer: the update is the claim, no row locks needed.
            let mut s = c
                .prepare_cached(&format!(
                    "UPDATE outbox SET lease_until = ?1 + ?2
                     WHERE id IN (SELECT id FROM outbox WHERE status = 'pending'
                                    AND COALESCE(lease_until, created + ?2) <= ?1 ORDER BY id LIMIT ?3)
                     RETURNING {OUTBOX_COLUMNS}"
                ))
                .map_err(map_err)?;
            let rows = s.query_map(params![now.0, lease_ms, limit as i64], outbox_row).map_err(map_err)?;
            let mut entries = rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)?;
            entries.sort_by_key(|e| e.id);
            Ok(entries)
        })
        .await
    }
    async fn forget_outbox_text(&self) -> Result<u64, StoreError> {
        self.write(|c| {
            let n = c
                .execute(
                    "UPDATE outbox SET subject = NULL, body = '', code = NULL
                     WHERE body <> '' OR subject IS NOT NULL OR code IS NOT NULL",
                    [],
                )
                .map_err(map_err)?;
            Ok(n as u64)
        })
        .await
    }
    async fn list_outbox(&self, query: &OutboxQuery) -> Result<Vec<OutboxEntry>, StoreError> {
        let q = query.clone();
        self.read(move |c| {
            let mut s = c
                .prepare_cached(&format!(
                    "SELECT {OUTBOX_COLUMNS} FROM outbox
                     WHERE (?1 IS NULL OR pool_id = ?1) AND (?2 IS NULL OR recipient = ?2)
                     ORDER BY id DESC LIMIT ?3"
                ))
                .map_err(map_err)?;
            let limit = q.last.map(|n| n as i64).unwrap_or(-1);
            let rows = s.query_map(params![q.pool_id, q.recipient, limit], outbox_row).map_err(map_err)?;
            let mut entries = rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)?;
            entries.reverse();
            Ok(entries)
        })
        .await
    }
}

const OUTBOX_COLUMNS: &str =
    "id, pool_id, username, recipient, medium, kind, subject, body, created, status, code, sealed";

fn outbox_row(r: &Row<'_>) -> rusqlite::Result<OutboxEntry> {
    let medium: String = r.get(4)?;
    Ok(OutboxEntry {
        id: r.get(0)?,
        message: OutboxMessage {
            pool_id: r.get(1)?,
            username: r.get(2)?,
            recipient: r.get(3)?,
            medium: Medium::parse(&medium).unwrap_or(Medium::Email),
            kind: r.get(5)?,
            subject: r.get(6)?,
            body: r.get(7)?,
            code: r.get(10)?,
            created: Timestamp(r.get(8)?),
            keep_text: r.get_ref(7)?.as_str().is_ok_and(|b| !b.is_empty()),
            sealed: r.get(11)?,
        },
        status: r.get(9)?,
    })
}

pub(super) fn insert_outbox(conn: &Connection, m: &OutboxMessage) -> Result<i64, StoreError> {
    let m = &m.kept();
    conn.execute(
        "INSERT INTO outbox (pool_id, username, recipient, medium, kind, subject, body, code, created, status, sealed)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10)",
        params![
            m.pool_id,
            m.username,
            m.recipient,
            m.medium.as_str(),
            m.kind,
            m.subject,
            m.body,
            m.code,
            m.created.0,
            m.sealed
        ],
    )
    .map_err(map_err)?;
    Ok(conn.last_insert_rowid())
}

#[async_trait]
impl MetaStore for SqliteStore {
    async fn claim_meta(&self, name: &str, value: &str) -> Result<String, StoreError> {
        let (name, value) = (name.to_string(), value.to_string());
        self.write(move |c| {
            c.execute(
                "INSERT INTO meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                params![name, value],
            )
            .map_err(map_err)?;
            c.query_row("SELECT value FROM meta WHERE name = ?1", [name], |r| r.get(0)).map_err(map_err)
        })
        .await
    }
    async fn set_meta(&self, name: &str, value: &str) -> Result<(), StoreError> {
        let (name, value) = (name.to_string(), value.to_string());
        self.write(move |c| {
            c.execute(
                "INSERT INTO meta (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                params![name, value],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }
}
