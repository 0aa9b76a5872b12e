//! The devices users sign in from.

use super::*;

const DEVICE_COLUMNS: &str =
    "pool_id, device_key, sub, group_key, verifier, name, remembered, created, modified, last_authenticated";

fn device_row(r: &Row<'_>) -> rusqlite::Result<Device> {
    Ok(Device {
        pool_id: r.get(0)?,
        key: r.get(1)?,
        sub: r.get(2)?,
        group_key: r.get(3)?,
        verifier: r.get(4)?,
        name: r.get(5)?,
        remembered: r.get(6)?,
        created: Timestamp(r.get(7)?),
        modified: Timestamp(r.get(8)?),
        last_authenticated: Timestamp(r.get(9)?),
    })
}

#[async_trait]
impl DeviceStore for SqliteStore {
    async fn insert_device(&self, device: &Device) -> Result<(), StoreError> {
        let d = device.clone();
        self.write(move |c| {
            c.execute(
                &format!("INSERT INTO devices ({DEVICE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"),
                params![
                    d.pool_id,
                    d.key,
                    d.sub,
                    d.group_key,
                    d.verifier,
                    d.name,
                    d.remembered,
                    d.created.0,
                    d.modified.0,
                    d.last_authenticated.0
                ],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }
    async fn get_device(&self, pool_id: &str, key: &str) -> Result<Option<Device>, StoreError> {
        let (pool, key) = (pool_id.to_string(), key.to_string());
        self.point(move |c| {
            c.prepare_cached(&format!("SELECT {DEVICE_COLUMNS} FROM devices WHERE pool_id = ?1 AND device_key = ?2"))
                .and_then(|mut s| s.query_row(params![pool, key], device_row).optional())
                .map_err(map_err)
        })
        .await
    }
    async fn update_device(&self, device: &Device) -> Result<(), StoreError> {
        let d = device.clone();
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE devices SET verifier = ?3, name = ?4, remembered = ?5, modified = ?6, last_authenticated = ?7
                     WHERE pool_id = ?1 AND device_key = ?2",
                    params![d.pool_id, d.key, d.verifier, d.name, d.remembered, d.modified.0, d.last_authenticated.0],
                )
                .map_err(map_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }
    async fn list_devices(
        &self,
        pool_id: &str,
        sub: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Device>, StoreError> {
        let (pool, sub, after) = (pool_id.to_string(), sub.to_string(), after.unwrap_or("").to_string());
        self.read(move |c| {
            let mut s = c
                .prepare_cached(&format!(
                    "SELECT {DEVICE_COLUMNS} FROM devices WHERE pool_id = ?1 AND sub = ?2 AND device_key > ?3
                     ORDER BY device_key LIMIT ?4"
                ))
                .map_err(map_err)?;
            let rows = s.query_map(params![pool, sub, after, limit as i64], device_row).map_err(map_err)?;
            rows.collect::<Result<Vec<_>, _>>().map_err(map_err)
        })
        .await
    }
    async fn delete_device(&self, pool_id: &str, key: &str) -> Result<bool, StoreError> {
        let (pool, key) = (pool_id.to_string(), key.to_string());
        self.write(move |c| {
            let n = c
                .execute("DELETE FROM devices WHERE pool_id = ?1 AND device_key = ?2", params![pool, key])
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }
}
