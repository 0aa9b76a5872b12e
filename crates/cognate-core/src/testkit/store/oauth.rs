use super::*;
use crate::pool_domain::PoolDomain;
use crate::resource_server::ResourceServer;

#[async_trait]
impl DomainStore for MemStore {
    async fn insert_domain(&self, domain: &PoolDomain) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        if !m.pools.contains_key(&domain.pool_id) {
            return Err(StoreError::Conflict(Conflict::Missing));
        }
        if m.domains.contains_key(&domain.domain) {
            return Err(StoreError::Conflict(Conflict::Domain));
        }
        if m.domains.values().any(|d| d.pool_id == domain.pool_id && d.is_custom() == domain.is_custom()) {
            return Err(StoreError::Conflict(Conflict::PoolDomain));
        }
        m.domains.insert(domain.domain.clone(), domain.clone());
        Ok(())
    }
    async fn get_domain(&self, domain: &str) -> Result<Option<PoolDomain>, StoreError> {
        Ok(self.inner.lock().unwrap().domains.get(domain).cloned())
    }
    async fn pool_domains(&self, pool_id: &str) -> Result<Vec<PoolDomain>, StoreError> {
        let m = self.inner.lock().unwrap();
        let mut v: Vec<PoolDomain> = m.domains.values().filter(|d| d.pool_id == pool_id).cloned().collect();
        v.sort_by_key(|d| d.is_custom());
        Ok(v)
    }
    async fn update_domain(&self, domain: &PoolDomain) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        match m.domains.get_mut(&domain.domain) {
            Some(d) if d.pool_id == domain.pool_id => {
                d.custom = domain.custom.clone();
                d.managed_login_version = domain.managed_login_version;
                Ok(())
            }
            _ => Err(StoreError::NotFound),
        }
    }
    async fn delete_domain(&self, pool_id: &str, domain: &str) -> Result<bool, StoreError> {
        let mut m = self.inner.lock().unwrap();
        if m.domains.get(domain).is_some_and(|d| d.pool_id == pool_id) {
            m.domains.remove(domain);
            return Ok(true);
        }
        Ok(false)
    }
}

#[async_trait]
impl ResourceServerStore for MemStore {
    async fn insert_resource_server(&self, server: &ResourceServer) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        if !m.pools.contains_key(&server.pool_id) {
            return Err(StoreError::Conflict(Conflict::Missing));
        }
        let key = (server.pool_id.clone(), server.identifier.clone());
        if m.resource_servers.contains_key(&key) {
            return Err(StoreError::Conflict(Conflict::ResourceServer));
        }
        m.resource_servers.insert(key, server.clone());
        Ok(())
    }
    async fn get_resource_server(&self, pool_id: &str, identifier: &str) -> Result<Option<ResourceServer>, StoreError> {
        let m = self.inner.lock().unwrap();
        Ok(m.resource_servers.get(&(pool_id.to_string(), identifier.to_string())).cloned())
    }
    async fn list_resource_servers(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ResourceServer>, StoreError> {
        let m = self.inner.lock().unwrap();
        Ok(m.resource_servers
            .values()
            .filter(|s| s.pool_id == pool_id && after.is_none_or(|a| s.identifier.as_str() > a))
            .take(limit)
            .cloned()
            .collect())
    }
    async fn update_resource_server(&self, server: &ResourceServer) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let stored = m
            .resource_servers
            .get_mut(&(server.pool_id.clone(), server.identifier.clone()))
            .ok_or(StoreError::NotFound)?;
        stored.name = server.name.clone();
        stored.scopes = server.scopes.clone();
        Ok(())
    }
    async fn delete_resource_server(&self, pool_id: &str, identifier: &str) -> Result<bool, StoreError> {
        let mut m = self.inner.lock().unwrap();
        Ok(m.resource_servers.remove(&(pool_id.to_string(), identifier.to_string())).is_some())
    }
}
