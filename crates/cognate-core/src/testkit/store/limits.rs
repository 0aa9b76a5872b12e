use super::*;

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
        match who {
            Subject::User(sub) => self.bump_user_attempts(pool_id, sub, action, now, window).await,
            Subject::Name(name_key) => self.bump_name_attempts(pool_id, name_key, action, now, window).await,
        }
    }
    async fn get_signin_failures(&self, pool_id: &str, who: Subject<'_>) -> Result<Option<SignInFailures>, StoreError> {
        match who {
            Subject::User(sub) => self.get_user_signin_failures(pool_id, sub).await,
            Subject::Name(name_key) => self.get_name_signin_failures(pool_id, name_key).await,
        }
    }
    async fn record_signin_failure(
        &self,
        pool_id: &str,
        who: Subject<'_>,
        now: Timestamp,
        quiet: Duration,
    ) -> Result<u32, StoreError> {
        match who {
            Subject::User(sub) => self.record_user_signin_failure(pool_id, sub, now, quiet).await,
            Subject::Name(name_key) => self.record_name_signin_failure(pool_id, name_key, now, quiet).await,
        }
    }
    async fn clear_signin_failures(&self, pool_id: &str, sub: &str) -> Result<(), StoreError> {
        self.inner.lock().unwrap().failures.remove(&(pool_id.to_string(), sub.to_string()));
        Ok(())
    }
}

/// The two kinds of counter subject, behind `bump_attempts` and the sign-in failure methods.
impl MemStore {
    async fn bump_user_attempts(
        &self,
        pool_id: &str,
        sub: &str,
        action: &str,
        now: Timestamp,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let e = m.attempts.entry((pool_id.into(), sub.into(), action.into())).or_insert((now, 0));
        if now >= e.0.plus(window) {
            *e = (now, 0);
        }
        e.1 += 1;
        Ok(e.1)
    }

    async fn bump_name_attempts(
        &self,
        pool_id: &str,
        name_key: &str,
        action: &str,
        now: Timestamp,
        window: Duration,
    ) -> Result<u32, StoreError> {
        // Names and subs cannot meet: a sub is a UUID, the prefix keeps them apart anyway.
        self.bump_user_attempts(pool_id, &format!("name:{name_key}"), action, now, window).await
    }

    async fn get_user_signin_failures(&self, pool_id: &str, sub: &str) -> Result<Option<SignInFailures>, StoreError> {
        Ok(self.inner.lock().unwrap().failures.get(&(pool_id.to_string(), sub.to_string())).copied())
    }

    async fn record_user_signin_failure(
        &self,
        pool_id: &str,
        sub: &str,
        now: Timestamp,
        quiet: Duration,
    ) -> Result<u32, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let e = m.failures.entry((pool_id.into(), sub.into())).or_insert(SignInFailures { count: 0, last: now });
        if now >= e.last.plus(quiet) {
            e.count = 0;
        }
        e.count += 1;
        e.last = now;
        Ok(e.count)
    }

    async fn get_name_signin_failures(
        &self,
        pool_id: &str,
        name_key: &str,
    ) -> Result<Option<SignInFailures>, StoreError> {
        self.get_user_signin_failures(pool_id, &format!("name:{name_key}")).await
    }

    async fn record_name_signin_failure(
        &self,
        pool_id: &str,
        name_key: &str,
        now: Timestamp,
        quiet: Duration,
    ) -> Result<u32, StoreError> {
        self.record_user_signin_failure(pool_id, &format!("name:{name_key}"), now, quiet).await
    }
}
