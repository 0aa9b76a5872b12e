use super::*;

#[async_trait]
impl SessionStore for MemStore {
    async fn insert_auth_session(&self, session: &AuthSession) -> Result<(), StoreError> {
        self.inner.lock().unwrap().sessions.insert(session.id_hash.clone(), session.clone());
        Ok(())
    }
    async fn get_auth_session(&self, id_hash: &str) -> Result<Option<AuthSession>, StoreError> {
        Ok(self.inner.lock().unwrap().sessions.get(id_hash).cloned())
    }
    async fn delete_auth_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        Ok(self.inner.lock().unwrap().sessions.remove(id_hash).is_some())
    }
}
