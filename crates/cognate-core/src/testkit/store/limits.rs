use super::*;

/// The fake keeps users and made-up names in one map: a name's key cannot meet a sub (a
/// UUID), and the prefix keeps them apart anyway.
fn key(who: Subject<'_>) -> String {
    match who {
        Subject::User(sub) => sub.to_string(),
        Subject::Name(name_key) => format!("name:{name_key}"),
    }
}

#[async_trait]
impl LimitStore for MemStore {
    async fn bump_attempts(
        &self,
        pool_id: &str,
        who: Subject<'_>,
        action: &str,
        now: Timestamp,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let e = m.attempts.entry((pool_id.into(), key(who), action.into())).or_insert((now, 0));
        if now >= e.0.plus(window) {
            *e = (now, 0);
        }
        e.1 += 1;
        Ok(e.1)
    }
    async fn get_signin_failures(&self, pool_id: &str, who: Subject<'_>) -> Result<Option<SignInFailures>, StoreError> {
        Ok(self.inner.lock().unwrap().failures.get(&(pool_id.to_string(), key(who))).copied())
    }
    async fn record_signin_failure(
        &self,
        pool_id: &str,
        who: Subject<'_>,
        now: Timestamp,
        quiet: Duration,
    ) -> Result<u32, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let e = m.failures.entry((pool_id.into(), key(who))).or_insert(SignInFailures { count: 0, last: now });
        if now >= e.last.plus(quiet) {
            e.count = 0;
        }
        e.count += 1;
        e.last = now;
        let count = e.count;
        m.holds.remove(&(pool_id.into(), key(who)));
        Ok(count)
    }
    async fn clear_signin_failures(&self, pool_id: &str, sub: &str) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        m.failures.remove(&(pool_id.to_string(), sub.to_string()));
        m.holds.remove(&(pool_id.to_string(), sub.to_string()));
        Ok(())
    }
    async fn hold_signin(&self, pool_id: &str, sub: &str, now: Timestamp, hold: Duration) -> Result<bool, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let id = (pool_id.to_string(), sub.to_string());
        if !m.failures.contains_key(&id) || m.holds.get(&id).is_some_and(|until| now < *until) {
            return Ok(false);
        }
        m.holds.insert(id, now.plus(hold));
        Ok(true)
    }
}
