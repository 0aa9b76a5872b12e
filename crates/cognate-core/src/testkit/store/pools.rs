use super::*;

#[async_trait]
impl PoolStore for MemStore {
    async fn insert_pool(&self, pool: &UserPool) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        if m.pools.contains_key(&pool.id) {
            return Err(StoreError::Conflict(Conflict::Pool));
        }
        m.pools.insert(pool.id.clone(), pool.clone());
        Ok(())
    }
    async fn get_pool(&self, pool_id: &str) -> Result<Option<UserPool>, StoreError> {
        Ok(self.inner.lock().unwrap().pools.get(pool_id).cloned())
    }
    async fn update_pool(&self, pool: &UserPool) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let stored = m.pools.get_mut(&pool.id).ok_or(StoreError::NotFound)?;
        *stored = UserPool { created: stored.created, ..pool.clone() };
        Ok(())
    }
    /// Everything of the pool goes, as the SQL backends' cascades take it; the outbox stays
    /// (a delivery log outlives what it delivered to).
    async fn delete_pool(&self, pool_id: &str) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        m.pools.remove(pool_id);
        m.clients.retain(|_, c| c.pool_id != pool_id);
        m.users.retain(|(p, _), _| p != pool_id);
        m.aliases.retain(|(p, _, _), _| p != pool_id);
        m.codes.retain(|(p, _, _), _| p != pool_id);
        m.attempts.retain(|(p, _, _), _| p != pool_id);
        m.refresh.retain(|_, t| t.pool_id != pool_id);
        m.sessions.retain(|_, s| s.pool_id != pool_id);
        m.failures.retain(|(p, _), _| p != pool_id);
        m.groups.retain(|(p, _), _| p != pool_id);
        m.members.retain(|(p, _, _)| p != pool_id);
        m.keys.retain(|k| k.pool_id != pool_id);
        m.devices.retain(|(p, _), _| p != pool_id);
        m.passkeys.retain(|p| p.pool_id != pool_id);
        m.domains.retain(|_, d| d.pool_id != pool_id);
        m.resource_servers.retain(|(p, _), _| p != pool_id);
        m.ui.retain(|(p, _), _| p != pool_id);
        m.brandings.retain(|b| b.pool_id != pool_id);
        Ok(())
    }
    async fn list_pools(&self, after: Option<&str>, limit: usize) -> Result<Vec<UserPool>, StoreError> {
        let m = self.inner.lock().unwrap();
        let mut v: Vec<_> = m.pools.values().filter(|p| after.is_none_or(|a| p.id.as_str() > a)).cloned().collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v.truncate(limit);
        Ok(v)
    }
    async fn insert_client(&self, client: &AppClient) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        if m.clients.contains_key(&client.client_id) {
            return Err(StoreError::Conflict(Conflict::Client));
        }
        m.clients.insert(client.client_id.clone(), client.clone());
        Ok(())
    }
    async fn get_client(&self, client_id: &str) -> Result<Option<AppClient>, StoreError> {
        Ok(self.inner.lock().unwrap().clients.get(client_id).cloned())
    }
    async fn update_client(&self, client: &AppClient) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let stored = m.clients.get_mut(&client.client_id).ok_or(StoreError::NotFound)?;
        *stored = AppClient { secret: stored.secret.clone(), created: stored.created, ..client.clone() };
        Ok(())
    }
    async fn delete_client(&self, _pool_id: &str, client_id: &str) -> Result<(), StoreError> {
        self.inner.lock().unwrap().clients.remove(client_id);
        Ok(())
    }
    async fn list_clients(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AppClient>, StoreError> {
        let m = self.inner.lock().unwrap();
        let mut v: Vec<_> = m
            .clients
            .values()
            .filter(|c| c.pool_id == pool_id && after.is_none_or(|a| c.client_id.as_str() > a))
            .cloned()
            .collect();
        v.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        v.truncate(limit);
        Ok(v)
    }
}
