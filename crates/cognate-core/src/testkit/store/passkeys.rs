use super::*;

#[async_trait]
impl PasskeyStore for MemStore {
    async fn insert_passkey(&self, passkey: &Passkey) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let key = (passkey.pool_id.clone(), passkey.credential_id.clone());
        if m.passkeys.iter().any(|p| (p.pool_id.clone(), p.credential_id.clone()) == key) {
            return Err(StoreError::Conflict(Conflict::Other));
        }
        if !m.users.contains_key(&(passkey.pool_id.clone(), passkey.sub.clone())) {
            return Err(StoreError::Conflict(Conflict::Missing));
        }
        m.passkeys.push(passkey.clone());
        Ok(())
    }
    async fn list_passkeys(&self, pool_id: &str, sub: &str) -> Result<Vec<Passkey>, StoreError> {
        let m = self.inner.lock().unwrap();
        let mut out: Vec<Passkey> =
            m.passkeys.iter().filter(|p| p.pool_id == pool_id && p.sub == sub).cloned().collect();
        out.sort_by(|a, b| (a.created, &a.credential_id).cmp(&(b.created, &b.credential_id)));
        Ok(out)
    }
    async fn update_passkey(&self, pool_id: &str, credential_id: &str, record: &str) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let stored = m
            .passkeys
            .iter_mut()
            .find(|p| p.pool_id == pool_id && p.credential_id == credential_id)
            .ok_or(StoreError::NotFound)?;
        stored.record = record.to_string();
        Ok(())
    }
    async fn delete_passkey(&self, pool_id: &str, sub: &str, credential_id: &str) -> Result<bool, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let before = m.passkeys.len();
        m.passkeys.retain(|p| !(p.pool_id == pool_id && p.sub == sub && p.credential_id == credential_id));
        Ok(m.passkeys.len() != before)
    }
}
