use super::*;

#[async_trait]
impl TokenStore for MemStore {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), StoreError> {
        self.inner.lock().unwrap().refresh.insert(token.token_hash.clone(), token.clone());
        Ok(())
    }
    async fn get_refresh_token(&self, hash: &str) -> Result<Option<RefreshToken>, StoreError> {
        Ok(self.inner.lock().unwrap().refresh.get(hash).cloned())
    }
    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new: &RefreshToken,
        now: Timestamp,
        grace: Duration,
    ) -> Result<bool, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let Some(old) = m.refresh.get_mut(old_hash) else { return Ok(false) };
        if old.revoked || old.rotated.is_some_and(|r| r.plus(grace) <= now) {
            return Ok(false);
        }
        old.rotated.get_or_insert(now);
        m.refresh.insert(new.token_hash.clone(), new.clone());
        Ok(true)
    }
    async fn revoke_refresh_tokens(&self, pool_id: &str, which: &Revocation) -> Result<u64, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let mut n = 0;
        for t in m.refresh.values_mut().filter(|t| t.pool_id == pool_id && !t.revoked) {
            let covered = match which {
                Revocation::User { sub } => &t.sub == sub,
                Revocation::Origin { origin_jti } => &t.origin_jti == origin_jti,
            };
            if covered {
                t.revoked = true;
                n += 1;
            }
        }
        Ok(n)
    }
    async fn get_token_user(
        &self,
        pool_id: &str,
        sub: &str,
        origin_jti: &str,
    ) -> Result<Option<(User, bool)>, StoreError> {
        let revoked = {
            let m = self.inner.lock().unwrap();
            m.refresh.values().any(|t| t.pool_id == pool_id && t.origin_jti == origin_jti && t.revoked)
        };
        Ok(self.get_user_by_sub(pool_id, sub).await?.map(|u| (u, revoked)))
    }
    async fn get_signing_keys(&self, pool_id: &str) -> Result<Vec<SigningKey>, StoreError> {
        Ok(self.inner.lock().unwrap().keys.iter().filter(|k| k.pool_id == pool_id).cloned().collect())
    }
    async fn insert_signing_key(&self, key: &SigningKey) -> Result<bool, StoreError> {
        let mut m = self.inner.lock().unwrap();
        if m.keys.iter().any(|k| k.pool_id == key.pool_id && k.token_use == key.token_use) {
            return Ok(false);
        }
        m.keys.push(key.clone());
        Ok(true)
    }
}
