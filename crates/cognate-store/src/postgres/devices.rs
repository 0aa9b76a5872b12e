//! The devices users sign in from.

use super::*;

const DEVICE_COLUMNS: &str =
    "pool_id, device_key, sub, group_key, verifier, name, remembered, created, modified, last_authenticated";

fn device_row(r: &tokio_postgres::Row) -> Device {
    Device {
        pool_id: r.get(0),
        key: r.get(1),
        sub: r.get(2),
        group_key: r.get(3),
        verifier: r.get(4),
        name: r.get(5),
        remembered: r.get(6),
        created: Timestamp(r.get(7)),
        modified: Timestamp(r.get(8)),
        last_authenticated: Timestamp(r.get(9)),
    }
}

#[async_trait]
impl DeviceStore for PgStore {
    async fn insert_device(&self, device: &Device) -> Result<(), StoreError> {
        let d = device;
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "INSERT INTO devices ({DEVICE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ))
                .await?;
            c.execute(
                &s,
                &[
                    &d.pool_id,
                    &d.key,
                    &d.sub,
                    &d.group_key,
                    &d.verifier,
                    &d.name,
                    &d.remembered,
                    &d.created.0,
                    &d.modified.0,
                    &d.last_authenticated.0,
                ],
            )
            .await?;
            Ok(())
        })
    }
    async fn get_device(&self, pool_id: &str, key: &str) -> Result<Option<Device>, StoreError> {
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE pool_id = $1 AND device_key = $2"))
                .await?;
            Ok(c.query_opt(&s, &[&pool_id, &key]).await?.map(|r| device_row(&r)))
        })
    }
    async fn update_device(&self, device: &Device) -> Result<(), StoreError> {
        let d = device;
        retrying!(self, |c| {
            let s = c
                .prepare_cached(
                    "UPDATE devices SET verifier = $3, name = $4, remembered = $5, modified = $6, last_authenticated = $7
                     WHERE pool_id = $1 AND device_key = $2",
                )
                .await?;
            let n = c
                .execute(
                    &s,
                    &[&d.pool_id, &d.key, &d.verifier, &d.name, &d.remembered, &d.modified.0, &d.last_authenticated.0],
                )
                .await?;
            if n == 0 {
                return Err(StoreError::NotFound.into());
            }
            Ok(())
        })
    }
    async fn list_devices(
        &self,
        pool_id: &str,
        sub: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Device>, StoreError> {
        let (after, limit) = (after.unwrap_or(""), limit as i64);
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "SELECT {DEVICE_COLUMNS} FROM devices WHERE pool_id = $1 AND sub = $2 AND device_key > $3
                     ORDER BY device_key LIMIT $4"
                ))
                .await?;
            Ok(c.query(&s, &[&pool_id, &sub, &after, &limit]).await?.iter().map(device_row).collect())
        })
    }
    async fn delete_device(&self, pool_id: &str, key: &str) -> Result<bool, StoreError> {
        retrying!(self, |c| {
            let s = c.prepare_cached("DELETE FROM devices WHERE pool_id = $1 AND device_key = $2").await?;
            Ok(c.execute(&s, &[&pool_id, &key]).await? == 1)
        })
    }
}
