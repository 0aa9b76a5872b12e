//! Users' passkeys.

use super::*;

const PASSKEY_COLUMNS: &str = "pool_id, credential_id, sub, record, name, rp_id, attachment, transports, created";

fn passkey_row(r: &Row<'_>) -> rusqlite::Result<Passkey> {
    let transports: String = r.get(7)?;
    Ok(Passkey {
        pool_id: r.get(0)?,
        credential_id: r.get(1)?,
        sub: r.get(2)?,
        record: r.get(3)?,
        name: r.get(4)?,
        relying_party_id: r.get(5)?,
        attachment: r.get(6)?,
        transports: transports.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect(),
        created: Timestamp(r.get(8)?),
    })
}

#[async_trait]
impl PasskeyStore for SqliteStore {
    async fn insert_passkey(&self, passkey: &Passkey) -> Result<(), StoreError> {
        let p = passkey.clone();
        self.write(move |c| {
            c.execute(
                &format!("INSERT INTO passkeys ({PASSKEY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"),
                params![
                    p.pool_id,
                    p.credential_id,
                    p.sub,
                    p.record,
                    p.name,
                    p.relying_party_id,
                    p.attachment,
                    p.transports.join(","),
                    p.created.0
                ],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }
    async fn list_passkeys(&self, pool_id: &str, sub: &str) -> Result<Vec<Passkey>, StoreError> {
        let (pool, sub) = (pool_id.to_string(), sub.to_string());
        self.read(move |c| {
            let mut s = c
                .prepare_cached(&format!(
                    "SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE pool_id = ?1 AND sub = ?2 ORDER BY created, credential_id"
                ))
                .map_err(map_err)?;
            let rows = s.query_map(params![pool, sub], passkey_row).map_err(map_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(map_err)
        })
        .await
    }
    async fn update_passkey(&self, pool_id: &str, credential_id: &str, record: &str) -> Result<(), StoreError> {
        let (pool, id, record) = (pool_id.to_string(), credential_id.to_string(), record.to_string());
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE passkeys SET record = ?3 WHERE pool_id = ?1 AND credential_id = ?2",
                    params![pool, id, record],
                )
                .map_err(map_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }
    async fn delete_passkey(&self, pool_id: &str, sub: &str, credential_id: &str) -> Result<bool, StoreError> {
        let (pool, sub, id) = (pool_id.to_string(), sub.to_string(), credential_id.to_string());
        self.write(move |c| {
            let n = c
                .execute(
                    "DELETE FROM passkeys WHERE pool_id = ?1 AND sub = ?2 AND credential_id = ?3",
                    params![pool, sub, id],
                )
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }
}
