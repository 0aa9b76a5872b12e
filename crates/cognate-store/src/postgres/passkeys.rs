//! Users' passkeys.

use super::*;

const PASSKEY_COLUMNS: &str = "pool_id, credential_id, sub, record, name, rp_id, attachment, transports, created";

fn passkey_row(r: &tokio_postgres::Row) -> Passkey {
    let transports: &str = r.get(7);
    Passkey {
        pool_id: r.get(0),
        credential_id: r.get(1),
        sub: r.get(2),
        record: r.get(3),
        name: r.get(4),
        relying_party_id: r.get(5),
        attachment: r.get(6),
        transports: transports.split(',').filter(|t| !t.is_empty()).map(str::to_string).collect(),
        created: Timestamp(r.get(8)),
    }
}

#[async_trait]
impl PasskeyStore for PgStore {
    async fn insert_passkey(&self, passkey: &Passkey) -> Result<(), StoreError> {
        let p = passkey;
        let transports = p.transports.join(",");
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "INSERT INTO passkeys ({PASSKEY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
                ))
                .await?;
            c.execute(
                &s,
                &[
                    &p.pool_id,
                    &p.credential_id,
                    &p.sub,
                    &p.record,
                    &p.name,
                    &p.relying_party_id,
                    &p.attachment,
                    &transports,
                    &p.created.0,
                ],
            )
            .await?;
            Ok(())
        })
    }
    async fn list_passkeys(&self, pool_id: &str, sub: &str) -> Result<Vec<Passkey>, StoreError> {
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "SELECT {PASSKEY_COLUMNS} FROM passkeys WHERE pool_id = $1 AND sub = $2 ORDER BY created, credential_id"
                ))
                .await?;
            Ok(c.query(&s, &[&pool_id, &sub]).await?.iter().map(passkey_row).collect())
        })
    }
    async fn update_passkey(&self, pool_id: &str, credential_id: &str, record: &str) -> Result<(), StoreError> {
        retrying!(self, |c| {
            let s =
                c.prepare_cached("UPDATE passkeys SET record = $3 WHERE pool_id = $1 AND credential_id = $2").await?;
            if c.execute(&s, &[&pool_id, &credential_id, &record]).await? == 0 {
                return Err(StoreError::NotFound.into());
            }
            Ok(())
        })
    }
    async fn delete_passkey(&self, pool_id: &str, sub: &str, credential_id: &str) -> Result<bool, StoreError> {
        retrying!(self, |c| {
            let s =
                c.prepare_cached("DELETE FROM passkeys WHERE pool_id = $1 AND sub = $2 AND credential_id = $3").await?;
            Ok(c.execute(&s, &[&pool_id, &sub, &credential_id]).await? == 1)
        })
    }
}
