//! Attempt counters and sign-in failures, of users and of made-up names. Each count is one
//! upsert, so instances counting at once add up instead of overwriting each other.

use deadpool_postgres::Transaction;

use super::*;

/// Where a subject's counters live. Made-up names have tables of their own, pruned as they
/// are written, since anyone can make names up.
struct Counters<'a> {
    attempts: &'static str,
    failures: &'static str,
    column: &'static str,
    key: &'a str,
    pruned: bool,
}

impl<'a> Counters<'a> {
    fn of(who: Subject<'a>) -> Self {
        match who {
            Subject::User(sub) => {
                Self { attempts: "attempts", failures: "signin_failures", column: "sub", key: sub, pruned: false }
            }
            Subject::Name(name_key) => Self {
                attempts: "name_attempts",
                failures: "name_signin_failures",
                column: "name_key",
                key: name_key,
                pruned: true,
            },
        }
    }
}

/// Sign-in failures of made-up names are dropped a day after the last one (the lockout's
/// quiet period forgets them long before).
const NAME_FAILURES_KEPT_MS: i64 = 24 * 3600 * 1000;

#[async_trait]
impl LimitStore for PgStore {
    async fn bump_attempts(
        &self,
        pool_id: &str,
        who: Subject<'_>,
        action: &str,
        now: Timestamp,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let rows = Counters::of(who);
        let window_ms = millis(window);
        retrying!(self, |c| {
            let tx = c.transaction().await?;
            if rows.pruned {
                // Rows whose window has passed count from 1 again anyway.
                prune_names(&tx, rows.attempts, "window_start", now.0.saturating_sub(window_ms)).await?;
            }
            let s = tx
                .prepare_cached(&format!(
                    "INSERT INTO {t} AS a (pool_id, {k}, action, window_start, count) VALUES ($1, $2, $3, $4, 1)
                     ON CONFLICT (pool_id, {k}, action) DO UPDATE SET
                       count = CASE WHEN a.window_start + $5 <= $4 THEN 1 ELSE a.count + 1 END,
                       window_start = CASE WHEN a.window_start + $5 <= $4 THEN $4 ELSE a.window_start END
                     RETURNING count",
                    t = rows.attempts,
                    k = rows.column
                ))
                .await?;
            let n: i64 = tx.query_one(&s, &[&pool_id, &rows.key, &action, &now.0, &window_ms]).await?.get(0);
            tx.commit().await?;
            Ok(count(n))
        })
    }
    async fn get_signin_failures(&self, pool_id: &str, who: Subject<'_>) -> Result<Option<SignInFailures>, StoreError> {
        let rows = Counters::of(who);
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "SELECT count, last FROM {} WHERE pool_id = $1 AND {} = $2",
                    rows.failures, rows.column
                ))
                .await?;
            Ok(c.query_opt(&s, &[&pool_id, &rows.key])
                .await?
                .map(|r| SignInFailures { count: count(r.get(0)), last: Timestamp(r.get(1)) }))
        })
    }
    async fn record_signin_failure(
        &self,
        pool_id: &str,
        who: Subject<'_>,
        now: Timestamp,
        quiet: Duration,
    ) -> Result<u32, StoreError> {
        let rows = Counters::of(who);
        let quiet_ms = millis(quiet);
        retrying!(self, |c| {
            let tx = c.transaction().await?;
            if rows.pruned {
                prune_names(&tx, rows.failures, "last", now.0.saturating_sub(NAME_FAILURES_KEPT_MS)).await?;
            }
            let s = tx
                .prepare_cached(&format!(
                    "INSERT INTO {t} AS f (pool_id, {k}, count, last) VALUES ($1, $2, 1, $3)
                     ON CONFLICT (pool_id, {k}) DO UPDATE SET
                       count = CASE WHEN f.last + $4 <= $3 THEN 1 ELSE f.count + 1 END,
                       last = $3,
                       held_until = NULL
                     RETURNING count",
                    t = rows.failures,
                    k = rows.column
                ))
                .await?;
            let n: i64 = tx.query_one(&s, &[&pool_id, &rows.key, &now.0, &quiet_ms]).await?.get(0);
            tx.commit().await?;
            Ok(count(n))
        })
    }
    async fn clear_signin_failures(&self, pool_id: &str, sub: &str) -> Result<(), StoreError> {
        retrying!(self, |c| {
            c.execute("DELETE FROM signin_failures WHERE pool_id = $1 AND sub = $2", &[&pool_id, &sub]).await?;
            Ok(())
        })
    }
    async fn hold_signin(&self, pool_id: &str, sub: &str, now: Timestamp, hold: Duration) -> Result<bool, StoreError> {
        let until = now.0.saturating_add(millis(hold));
        retrying!(self, |c| {
            // Of instances reserving at once, the row lock lets one through; the others find
            // the hold set when they re-read the row.
            let s = c
                .prepare_cached(
                    "UPDATE signin_failures SET held_until = $4
                     WHERE pool_id = $1 AND sub = $2 AND (held_until IS NULL OR held_until <= $3)",
                )
                .await?;
            Ok(c.execute(&s, &[&pool_id, &sub, &now.0, &until]).await? == 1)
        })
    }
}

/// Anyone can make up names: every new count takes a few rows older than `before` with it,
/// so these tables hold about one retention period's worth. Rows another instance is
/// pruning are skipped.
async fn prune_names(tx: &Transaction<'_>, table: &'static str, time: &'static str, before: i64) -> Result<(), Fail> {
    let s = tx
        .prepare_cached(&format!(
            "DELETE FROM {table} WHERE ctid IN (SELECT ctid FROM {table} WHERE {time} <= $1 LIMIT 8 FOR UPDATE SKIP LOCKED)"
        ))
        .await?;
    tx.execute(&s, &[&before]).await?;
    Ok(())
}
