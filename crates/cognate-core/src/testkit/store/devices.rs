use super::*;

#[async_trait]
impl DeviceStore for MemStore {
    async fn insert_device(&self, device: &Device) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let key = (device.pool_id.clone(), device.key.clone());
        if m.devices.contains_key(&key) {
            return Err(StoreError::Conflict(Conflict::Other));
        }
        if !m.users.contains_key(&(device.pool_id.clone(), device.sub.clone())) {
            return Err(StoreError::Conflict(Conflict::Missing));
        }
        m.devices.insert(key, device.clone());
        Ok(())
    }
    async fn get_device(&self, pool_id: &str, key: &str) -> Result<Option<Device>, StoreError> {
        Ok(self.inner.lock().unwrap().devices.get(&(pool_id.to_string(), key.to_string())).cloned())
    }
    async fn update_device(&self, device: &Device) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let stored = m.devices.get_mut(&(device.pool_id.clone(), device.key.clone())).ok_or(StoreError::NotFound)?;
        stored.verifier = device.verifier.clone();
        stored.name = device.name.clone();
        stored.remembered = device.remembered;
        stored.modified = device.modified;
        stored.last_authenticated = device.last_authenticated;
        Ok(())
    }
    async fn list_devices(
        &self,
        pool_id: &str,
        sub: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Device>, StoreError> {
        let m = self.inner.lock().unwrap();
        let mut out: Vec<Device> = m
            .devices
            .values()
            .filter(|d| d.pool_id == pool_id && d.sub == sub && after.is_none_or(|a| d.key.as_str() > a))
            .cloned()
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out.truncate(limit);
        Ok(out)
    }
    async fn delete_device(&self, pool_id: &str, key: &str) -> Result<bool, StoreError> {
        Ok(self.inner.lock().unwrap().devices.remove(&(pool_id.to_string(), key.to_string())).is_some())
    }
}
