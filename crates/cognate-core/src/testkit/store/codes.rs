use super::*;

#[async_trait]
impl CodeStore for MemStore {
    async fn replace_code(
        &self,
        code: &StoredCode,
        message: Option<&OutboxMessage>,
    ) -> Result<Option<i64>, StoreError> {
        let mut m = self.inner.lock().unwrap();
        m.codes.insert((code.pool_id.clone(), code.sub.clone(), code.purpose.clone()), code.clone());
        Ok(message.map(|msg| {
            m.outbox.push((msg.kept(), "pending".into()));
            m.outbox.len() as i64
        }))
    }
    async fn get_code(&self, pool_id: &str, sub: &str, purpose: &str) -> Result<Option<StoredCode>, StoreError> {
        Ok(self.inner.lock().unwrap().codes.get(&(pool_id.into(), sub.into(), purpose.into())).cloned())
    }
    async fn delete_code(&self, pool_id: &str, sub: &str, purpose: &str, code_hash: &str) -> Result<bool, StoreError> {
        let key = (pool_id.to_string(), sub.to_string(), purpose.to_string());
        let mut m = self.inner.lock().unwrap();
        if m.codes.get(&key).is_some_and(|c| c.code_hash == code_hash) {
            m.codes.remove(&key);
            return Ok(true);
        }
        Ok(false)
    }
}
