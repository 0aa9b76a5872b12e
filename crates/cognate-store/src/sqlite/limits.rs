//! Attempt counters and sign-in failures, of users and of made-up names.

use super::*;

#[async_trait]
impl LimitStore for SqliteStore {
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
        let (pool, sub) = (pool_id.to_string(), sub.to_string());
        self.write(move |c| {
            c.execute("DELETE FROM signin_failures WHERE pool_id = ?1 AND sub = ?2", params![pool, sub])
                .map_err(map_err)?;
            Ok(())
        })
        .await
    }
}

/// Sign-in failures of made-up names are dropped a day after the last one (the lockout's
/// quiet period forgets them long before).
pub(super) const NAME_FAILURES_KEPT_MS: i64 = 24 * 3600 * 1000;

/// Anyone can make up names: every new count takes a few rows older than `before` with it,
/// so these tables hold about one retention period's worth.
pub(super) fn prune_names(
    c: &Connection,
    table: &'static str,
    time: &'static str,
    before: i64,
) -> Result<(), StoreError> {
    c.prepare_cached(&format!(
        "DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {time} <= ?1 LIMIT 8)"
    ))
    .and_then(|mut s| s.execute(params![before]))
    .map(|_| ())
    .map_err(map_err)
}

pub(super) fn failures(
    c: &Connection,
    table: &'static str,
    key: &'static str,
    pool: &str,
    who: &str,
) -> Result<Option<SignInFailures>, StoreError> {
    c.prepare_cached(&format!("SELECT count, last FROM {table} WHERE pool_id = ?1 AND {key} = ?2"))
        .and_then(|mut s| {
            s.query_row(params![pool, who], |r| Ok(SignInFailures { count: r.get(0)?, last: Timestamp(r.get(1)?) }))
                .optional()
        })
        .map_err(map_err)
}

/// Counts one failed sign-in; a count whose last failure is older than `quiet` restarts at 1.
pub(super) fn record_failure(
    c: &Connection,
    table: &'static str,
    key: &'static str,
    pool: &str,
    who: &str,
    now: Timestamp,
    quiet: Duration,
) -> Result<u32, StoreError> {
    let quiet_ms = i64::try_from(quiet.as_millis()).unwrap_or(i64::MAX);
    c.prepare_cached(&format!(
        "INSERT INTO {table} (pool_id, {key}, count, last) VALUES (?1, ?2, 1, ?3)
         ON CONFLICT (pool_id, {key}) DO UPDATE SET
           count = CASE WHEN last + ?4 <= ?3 THEN 1 ELSE count + 1 END,
           last = ?3
         RETURNING count"
    ))
    .and_then(|mut s| s.query_row(params![pool, who, now.0, quiet_ms], |r| r.get::<_, u32>(0)))
    .map_err(map_err)
}

/// Counts one attempt in a fixed window that restarts when it has passed.
#[allow(clippy::too_many_arguments)]
pub(super) fn bump(
    c: &Connection,
    table: &'static str,
    key: &'static str,
    pool: &str,
    who: &str,
    action: &str,
    now: Timestamp,
    window: Duration,
) -> Result<u32, StoreError> {
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    c.prepare_cached(&format!(
        "INSERT INTO {table} (pool_id, {key}, action, window_start, count) VALUES (?1, ?2, ?3, ?4, 1)
         ON CONFLICT (pool_id, {key}, action) DO UPDATE SET
           count = CASE WHEN window_start + ?5 <= ?4 THEN 1 ELSE count + 1 END,
           window_start = CASE WHEN window_start + ?5 <= ?4 THEN ?4 ELSE window_start END
         RETURNING count"
    ))
    .and_then(|mut s| s.query_row(params![pool, who, action, now.0, window_ms], |r| r.get::<_, u32>(0)))
    .map_err(map_err)
}

/// The two kinds of counter subject, behind `bump_attempts` and the sign-in failure methods.
impl SqliteStore {
    async fn bump_user_attempts(
        &self,
        pool_id: &str,
        sub: &str,
        action: &str,
        now: Timestamp,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let (pool, sub, action) = (pool_id.to_string(), sub.to_string(), action.to_string());
        self.write(move |c| bump(c, "attempts", "sub", &pool, &sub, &action, now, window)).await
    }

    async fn bump_name_attempts(
        &self,
        pool_id: &str,
        name_key: &str,
        action: &str,
        now: Timestamp,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let (pool, name, action) = (pool_id.to_string(), name_key.to_string(), action.to_string());
        self.write(move |c| {
            // Anyone can make up names: a few expired counters go with every new count, so
            // the table holds about one window's worth.
            let expired = now.0.saturating_sub(i64::try_from(window.as_millis()).unwrap_or(i64::MAX));
            let tx = c.transaction().map_err(map_err)?;
            // Rows whose window has passed count from 1 again anyway.
            prune_names(&tx, "name_attempts", "window_start", expired)?;
            let n = bump(&tx, "name_attempts", "name_key", &pool, &name, &action, now, window)?;
            tx.commit().map_err(map_err)?;
            Ok(n)
        })
        .await
    }

    async fn get_user_signin_failures(&self, pool_id: &str, sub: &str) -> Result<Option<SignInFailures>, StoreError> {
        let (pool, sub) = (pool_id.to_string(), sub.to_string());
        self.point(move |c| failures(c, "signin_failures", "sub", &pool, &sub)).await
    }

    async fn record_user_signin_failure(
        &self,
        pool_id: &str,
        sub: &str,
        now: Timestamp,
        quiet: Duration,
    ) -> Result<u32, StoreError> {
        let (pool, sub) = (pool_id.to_string(), sub.to_string());
        self.write(move |c| record_failure(c, "signin_failures", "sub", &pool, &sub, now, quiet)).await
    }

    async fn get_name_signin_failures(
        &self,
        pool_id: &str,
        name_key: &str,
    ) -> Result<Option<SignInFailures>, StoreError> {
        let (pool, name) = (pool_id.to_string(), name_key.to_string());
        self.point(move |c| failures(c, "name_signin_failures", "name_key", &pool, &name)).await
    }

    async fn record_name_signin_failure(
        &self,
        pool_id: &str,
        name_key: &str,
        now: Timestamp,
        quiet: Duration,
    ) -> Result<u32, StoreError> {
        let (pool, name) = (pool_id.to_string(), name_key.to_string());
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            prune_names(&tx, "name_signin_failures", "last", now.0.saturating_sub(NAME_FAILURES_KEPT_MS))?;
            let n = record_failure(&tx, "name_signin_failures", "name_key", &pool, &name, now, quiet)?;
            tx.commit().map_err(map_err)?;
            Ok(n)
        })
        .await
    }
}
