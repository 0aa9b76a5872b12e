//! Attempt counters and sign-in failures, of users and of made-up names.

use super::*;

/// Where a subject's counters live. Made-up names have tables of their own, pruned as they
/// are written, since anyone can make names up.
struct Counters {
    attempts: &'static str,
    failures: &'static str,
    column: &'static str,
    key: String,
    pruned: bool,
}

impl Counters {
    fn of(who: Subject<'_>) -> Self {
        match who {
            Subject::User(sub) => Self {
                attempts: "attempts",
                failures: "signin_failures",
                column: "sub",
                key: sub.to_string(),
                pruned: false,
            },
            Subject::Name(name_key) => Self {
                attempts: "name_attempts",
                failures: "name_signin_failures",
                column: "name_key",
                key: name_key.to_string(),
                pruned: true,
            },
        }
    }
}

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
        let (pool, action, rows) = (pool_id.to_string(), action.to_string(), Counters::of(who));
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            if rows.pruned {
                // Rows whose window has passed count from 1 again anyway.
                let expired = now.0.saturating_sub(i64::try_from(window.as_millis()).unwrap_or(i64::MAX));
                prune_names(&tx, rows.attempts, "window_start", expired)?;
            }
            let n = bump(&tx, rows.attempts, rows.column, &pool, &rows.key, &action, now, window)?;
            tx.commit().map_err(map_err)?;
            Ok(n)
        })
        .await
    }
    async fn get_signin_failures(&self, pool_id: &str, who: Subject<'_>) -> Result<Option<SignInFailures>, StoreError> {
        let (pool, rows) = (pool_id.to_string(), Counters::of(who));
        self.point(move |c| failures(c, rows.failures, rows.column, &pool, &rows.key)).await
    }
    async fn record_signin_failure(
        &self,
        pool_id: &str,
        who: Subject<'_>,
        now: Timestamp,
        quiet: Duration,
    ) -> Result<u32, StoreError> {
        let (pool, rows) = (pool_id.to_string(), Counters::of(who));
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            if rows.pruned {
                prune_names(&tx, rows.failures, "last", now.0.saturating_sub(NAME_FAILURES_KEPT_MS))?;
            }
            let n = record_failure(&tx, rows.failures, rows.column, &pool, &rows.key, now, quiet)?;
            tx.commit().map_err(map_err)?;
            Ok(n)
        })
        .await
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
    async fn hold_signin(&self, pool_id: &str, sub: &str, now: Timestamp, hold: Duration) -> Result<bool, StoreError> {
        let (pool, sub) = (pool_id.to_string(), sub.to_string());
        let until = now.0.saturating_add(i64::try_from(hold.as_millis()).unwrap_or(i64::MAX));
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE signin_failures SET held_until = ?4
                     WHERE pool_id = ?1 AND sub = ?2 AND (held_until IS NULL OR held_until <= ?3)",
                    params![pool, sub, now.0, until],
                )
                .map_err(map_err)?;
            Ok(n == 1)
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
           last = ?3,
           held_until = NULL
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
