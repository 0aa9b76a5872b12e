//! Pools and their app clients.

use super::*;

#[async_trait]
impl PoolStore for PgStore {
    async fn insert_pool(&self, pool: &UserPool) -> Result<(), StoreError> {
        let settings = to_json(&pool.settings)?;
        retrying!(self, |c| {
            let s = c
                .prepare_cached("INSERT INTO pools (id, name, created, modified, settings) VALUES ($1, $2, $3, $4, $5)")
                .await?;
            c.execute(&s, &[&pool.id, &pool.name, &pool.created.0, &pool.modified.0, &settings]).await?;
            Ok(())
        })
    }
    async fn get_pool(&self, pool_id: &str) -> Result<Option<UserPool>, StoreError> {
        if let Some(pool) = self.pools.get(pool_id) {
            return Ok(Some(pool));
        }
        let found: Option<UserPool> = retrying!(self, |c| {
            let s = c.prepare_cached("SELECT id, name, created, modified, settings FROM pools WHERE id = $1").await?;
            Ok(c.query_opt(&s, &[&pool_id]).await?.map(|r| pool_row(&r)).transpose()?)
        })?;
        if let Some(pool) = &found {
            self.pools.put(pool_id, pool.clone());
        }
        Ok(found)
    }
    async fn update_pool(&self, pool: &UserPool) -> Result<(), StoreError> {
        self.pools.forget(&pool.id);
        let settings = to_json(&pool.settings)?;
        let done = retrying!(self, |c| {
            let s = c.prepare_cached("UPDATE pools SET name = $2, modified = $3, settings = $4 WHERE id = $1").await?;
            if c.execute(&s, &[&pool.id, &pool.name, &pool.modified.0, &settings]).await? == 0 {
                return Err(StoreError::NotFound.into());
            }
            Ok(())
        });
        // Again after the write: a read in between may have remembered the old one.
        self.pools.forget(&pool.id);
        done
    }
    async fn delete_pool(&self, pool_id: &str) -> Result<(), StoreError> {
        self.pools.forget(pool_id);
        let done = retrying!(self, |c| {
            let tx = c.transaction().await?;
            // Children first, in the same order on every instance so that two deletions
            // cannot deadlock.
            for sql in [
                "DELETE FROM aliases WHERE pool_id = $1",
                "DELETE FROM group_members WHERE pool_id = $1",
                "DELETE FROM user_groups WHERE pool_id = $1",
                "DELETE FROM codes WHERE pool_id = $1",
                "DELETE FROM attempts WHERE pool_id = $1",
                "DELETE FROM refresh_tokens WHERE pool_id = $1",
                "DELETE FROM auth_sessions WHERE pool_id = $1",
                "DELETE FROM signin_failures WHERE pool_id = $1",
                "DELETE FROM users WHERE pool_id = $1",
                "DELETE FROM clients WHERE pool_id = $1",
                "DELETE FROM signing_keys WHERE pool_id = $1",
                "DELETE FROM pools WHERE id = $1",
            ] {
                tx.execute(sql, &[&pool_id]).await?;
            }
            tx.commit().await?;
            Ok(())
        });
        self.pools.forget(pool_id);
        self.clients.forget_all(|client| client.pool_id == pool_id);
        done
    }
    async fn list_pools(&self, after: Option<&str>, limit: usize) -> Result<Vec<UserPool>, StoreError> {
        let after = after.unwrap_or("");
        retrying!(self, |c| {
            let s = c
                .prepare_cached(
                    "SELECT id, name, created, modified, settings FROM pools WHERE id > $1 ORDER BY id LIMIT $2",
                )
                .await?;
            let rows = c.query(&s, &[&after, &(limit as i64)]).await?;
            Ok(rows.iter().map(pool_row).collect::<Result<Vec<_>, _>>()?)
        })
    }
    async fn insert_client(&self, client: &AppClient) -> Result<(), StoreError> {
        let cl = client;
        let settings = to_json(&cl.settings)?;
        retrying!(self, |c| {
            let s = c
                .prepare_cached(
                    "INSERT INTO clients (client_id, pool_id, name, secret, created, modified, settings)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .await?;
            c.execute(
                &s,
                &[&cl.client_id, &cl.pool_id, &cl.name, &cl.secret, &cl.created.0, &cl.modified.0, &settings],
            )
            .await?;
            Ok(())
        })
    }
    async fn get_client(&self, client_id: &str) -> Result<Option<AppClient>, StoreError> {
        if let Some(client) = self.clients.get(client_id) {
            return Ok(Some(client));
        }
        let found: Option<AppClient> = retrying!(self, |c| {
            let s = c
                .prepare_cached(
                    "SELECT client_id, pool_id, name, secret, created, modified, settings FROM clients WHERE client_id = $1",
                )
                .await?;
            Ok(c.query_opt(&s, &[&client_id]).await?.map(|r| client_row(&r)).transpose()?)
        })?;
        if let Some(client) = &found {
            self.clients.put(client_id, client.clone());
        }
        Ok(found)
    }
    async fn update_client(&self, client: &AppClient) -> Result<(), StoreError> {
        self.clients.forget(&client.client_id);
        let cl = client;
        let settings = to_json(&cl.settings)?;
        let done = retrying!(self, |c| {
            let s = c
                .prepare_cached("UPDATE clients SET name = $2, modified = $3, settings = $4 WHERE client_id = $1")
                .await?;
            if c.execute(&s, &[&cl.client_id, &cl.name, &cl.modified.0, &settings]).await? == 0 {
                return Err(StoreError::NotFound.into());
            }
            Ok(())
        });
        self.clients.forget(&client.client_id);
        done
    }
    async fn delete_client(&self, pool_id: &str, client_id: &str) -> Result<(), StoreError> {
        self.clients.forget(client_id);
        let done = retrying!(self, |c| {
            let s = c.prepare_cached("DELETE FROM clients WHERE pool_id = $1 AND client_id = $2").await?;
            c.execute(&s, &[&pool_id, &client_id]).await?;
            Ok(())
        });
        self.clients.forget(client_id);
        done
    }
    async fn list_clients(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AppClient>, StoreError> {
        let after = after.unwrap_or("");
        retrying!(self, |c| {
            let s = c
                .prepare_cached(
                    "SELECT client_id, pool_id, name, secret, created, modified, settings FROM clients
                     WHERE pool_id = $1 AND client_id > $2 ORDER BY client_id LIMIT $3",
                )
                .await?;
            let rows = c.query(&s, &[&pool_id, &after, &(limit as i64)]).await?;
            Ok(rows.iter().map(client_row).collect::<Result<Vec<_>, _>>()?)
        })
    }
}

pub(super) fn pool_row(r: &Row) -> Result<UserPool, StoreError> {
    Ok(UserPool {
        id: r.get(0),
        name: r.get(1),
        created: Timestamp(r.get(2)),
        modified: Timestamp(r.get(3)),
        settings: from_json::<PoolSettings>(r.get(4))?,
    })
}

pub(super) fn client_row(r: &Row) -> Result<AppClient, StoreError> {
    Ok(AppClient {
        client_id: r.get(0),
        pool_id: r.get(1),
        name: r.get(2),
        secret: r.get(3),
        created: Timestamp(r.get(4)),
        modified: Timestamp(r.get(5)),
        settings: from_json::<ClientSettings>(r.get(6))?,
    })
}
