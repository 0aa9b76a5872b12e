//! Pools and their app clients.

use super::*;

#[async_trait]
impl PoolStore for SqliteStore {
    async fn insert_pool(&self, pool: &UserPool) -> Result<(), StoreError> {
        let pool = pool.clone();
        let settings = to_json(&pool.settings)?;
        self.write(move |c| {
            c.execute(
                "INSERT INTO pools (id, name, created, modified, settings) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![pool.id, pool.name, pool.created.0, pool.modified.0, settings],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }
    async fn get_pool(&self, pool_id: &str) -> Result<Option<UserPool>, StoreError> {
        let id = pool_id.to_string();
        self.point(move |c| {
            c.prepare_cached("SELECT id, name, created, modified, settings FROM pools WHERE id = ?1")
                .and_then(|mut s| s.query_row([id], pool_row).optional())
                .map_err(map_err)
        })
        .await
    }
    async fn update_pool(&self, pool: &UserPool) -> Result<(), StoreError> {
        let pool = pool.clone();
        let settings = to_json(&pool.settings)?;
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE pools SET name = ?2, modified = ?3, settings = ?4 WHERE id = ?1",
                    params![pool.id, pool.name, pool.modified.0, settings],
                )
                .map_err(map_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }
    async fn delete_pool(&self, pool_id: &str) -> Result<(), StoreError> {
        let id = pool_id.to_string();
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            // Children first: the alias / code foreign keys point at users, users at pools.
            for sql in [
                "DELETE FROM aliases WHERE pool_id = ?1",
                "DELETE FROM group_members WHERE pool_id = ?1",
                "DELETE FROM user_groups WHERE pool_id = ?1",
                "DELETE FROM codes WHERE pool_id = ?1",
                "DELETE FROM attempts WHERE pool_id = ?1",
                "DELETE FROM refresh_tokens WHERE pool_id = ?1",
                "DELETE FROM auth_sessions WHERE pool_id = ?1",
                "DELETE FROM signin_failures WHERE pool_id = ?1",
                "DELETE FROM users WHERE pool_id = ?1",
                "DELETE FROM clients WHERE pool_id = ?1",
                "DELETE FROM signing_keys WHERE pool_id = ?1",
                "DELETE FROM pools WHERE id = ?1",
            ] {
                tx.execute(sql, [&id]).map_err(map_err)?;
            }
            tx.commit().map_err(map_err)
        })
        .await
    }
    async fn list_pools(&self, after: Option<&str>, limit: usize) -> Result<Vec<UserPool>, StoreError> {
        let after = after.unwrap_or("").to_string();
        self.read(move |c| {
            let mut s = c
                .prepare_cached(
                    "SELECT id, name, created, modified, settings FROM pools WHERE id > ?1 ORDER BY id LIMIT ?2",
                )
                .map_err(map_err)?;
            let rows = s.query_map(params![after, limit as i64], pool_row).map_err(map_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
        })
        .await
    }
    async fn insert_client(&self, client: &AppClient) -> Result<(), StoreError> {
        let cl = client.clone();
        let settings = to_json(&cl.settings)?;
        self.write(move |c| {
            c.execute(
                "INSERT INTO clients (client_id, pool_id, name, secret, created, modified, settings)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![cl.client_id, cl.pool_id, cl.name, cl.secret, cl.created.0, cl.modified.0, settings],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }
    async fn get_client(&self, client_id: &str) -> Result<Option<AppClient>, StoreError> {
        let id = client_id.to_string();
        self.point(move |c| {
            c.prepare_cached(
                "SELECT client_id, pool_id, name, secret, created, modified, settings FROM clients WHERE client_id = ?1",
            )
            .and_then(|mut s| s.query_row([id], client_row).optional())
            .map_err(map_err)
        })
        .await
    }
    async fn update_client(&self, client: &AppClient) -> Result<(), StoreError> {
        let cl = client.clone();
        let settings = to_json(&cl.settings)?;
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE clients SET name = ?2, modified = ?3, settings = ?4 WHERE client_id = ?1",
                    params![cl.client_id, cl.name, cl.modified.0, settings],
                )
                .map_err(map_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }
    async fn delete_client(&self, pool_id: &str, client_id: &str) -> Result<(), StoreError> {
        let (pool, id) = (pool_id.to_string(), client_id.to_string());
        self.write(move |c| {
            c.execute("DELETE FROM clients WHERE pool_id = ?1 AND client_id = ?2", params![pool, id])
                .map_err(map_err)?;
            Ok(())
        })
        .await
    }
    async fn list_clients(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AppClient>, StoreError> {
        let (pool, after) = (pool_id.to_string(), after.unwrap_or("").to_string());
        self.read(move |c| {
            let mut s = c
                .prepare_cached(
                    "SELECT client_id, pool_id, name, secret, created, modified, settings FROM clients
                     WHERE pool_id = ?1 AND client_id > ?2 ORDER BY client_id LIMIT ?3",
                )
                .map_err(map_err)?;
            let rows = s.query_map(params![pool, after, limit as i64], client_row).map_err(map_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
        })
        .await
    }
}

pub(super) fn pool_row(r: &Row<'_>) -> rusqlite::Result<UserPool> {
    let settings: String = r.get(4)?;
    Ok(UserPool {
        id: r.get(0)?,
        name: r.get(1)?,
        created: Timestamp(r.get(2)?),
        modified: Timestamp(r.get(3)?),
        settings: from_json::<PoolSettings>(&settings)?,
    })
}

pub(super) fn client_row(r: &Row<'_>) -> rusqlite::Result<AppClient> {
    let settings: String = r.get(6)?;
    Ok(AppClient {
        client_id: r.get(0)?,
        pool_id: r.get(1)?,
        name: r.get(2)?,
        secret: r.get(3)?,
        created: Timestamp(r.get(4)?),
        modified: Timestamp(r.get(5)?),
        settings: from_json::<ClientSettings>(&settings)?,
    })
}
