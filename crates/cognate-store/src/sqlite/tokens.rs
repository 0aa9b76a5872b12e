//! Refresh tokens, revocation and the pools' signing keys.

use super::users::{user_row, USER_COLUMNS, USER_COLUMN_COUNT};
use super::*;

#[async_trait]
impl TokenStore for SqliteStore {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), StoreError> {
        let t = token.clone();
        self.write(move |c| insert_refresh(c, &t)).await
    }
    async fn get_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshToken>, StoreError> {
        let hash = token_hash.to_string();
        self.point(move |c| {
            c.prepare_cached(
                "SELECT token_hash, pool_id, client_id, sub, origin_jti, auth_time, created, expires, revoked, rotated,
                        scopes
                 FROM refresh_tokens WHERE token_hash = ?1",
            )
            .and_then(|mut s| {
                s.query_row([hash], |r| {
                    Ok(RefreshToken {
                        token_hash: r.get(0)?,
                        pool_id: r.get(1)?,
                        client_id: r.get(2)?,
                        sub: r.get(3)?,
                        origin_jti: r.get(4)?,
                        auth_time: Timestamp(r.get(5)?),
                        created: Timestamp(r.get(6)?),
                        expires: Timestamp(r.get(7)?),
                        revoked: r.get(8)?,
                        rotated: r.get::<_, Option<i64>>(9)?.map(Timestamp),
                        scopes: r.get(10)?,
                    })
                })
                .optional()
            })
            .map_err(map_err)
        })
        .await
    }
    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new: &RefreshToken,
        now: Timestamp,
        grace: Duration,
    ) -> Result<bool, StoreError> {
        let (old, t) = (old_hash.to_string(), new.clone());
        let grace_ms = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            let n = tx
                .execute(
                    "UPDATE refresh_tokens SET rotated = COALESCE(rotated, ?2)
                     WHERE token_hash = ?1 AND revoked = 0 AND (rotated IS NULL OR rotated + ?3 > ?2)",
                    params![old, now.0, grace_ms],
                )
                .map_err(map_err)?;
            if n != 1 {
                return Ok(false);
            }
            insert_refresh(&tx, &t)?;
            tx.commit().map_err(map_err)?;
            Ok(true)
        })
        .await
    }
    async fn revoke_refresh_tokens(&self, pool_id: &str, which: &Revocation) -> Result<u64, StoreError> {
        let (pool, which) = (pool_id.to_string(), which.clone());
        self.write(move |c| {
            let n = match &which {
                Revocation::User { sub } => c.execute(
                    "UPDATE refresh_tokens SET revoked = 1 WHERE pool_id = ?1 AND sub = ?2 AND revoked = 0",
                    params![pool, sub],
                ),
                Revocation::Origin { origin_jti } => c.execute(
                    "UPDATE refresh_tokens SET revoked = 1 WHERE pool_id = ?1 AND origin_jti = ?2 AND revoked = 0",
                    params![pool, origin_jti],
                ),
            }
            .map_err(map_err)?;
            Ok(n as u64)
        })
        .await
    }
    async fn get_token_user(
        &self,
        pool_id: &str,
        sub: &str,
        origin_jti: &str,
    ) -> Result<Option<(User, bool)>, StoreError> {
        let (pool, sub, origin) = (pool_id.to_string(), sub.to_string(), origin_jti.to_string());
        self.point(move |c| {
            c.prepare_cached(&format!(
                "SELECT {USER_COLUMNS}, EXISTS(SELECT 1 FROM refresh_tokens
                   WHERE pool_id = ?1 AND origin_jti = ?3 AND revoked = 1)
                 FROM users WHERE pool_id = ?1 AND sub = ?2"
            ))
            .and_then(|mut s| {
                s.query_row(params![pool, sub, origin], |r| Ok((user_row(r)?, r.get::<_, bool>(USER_COLUMN_COUNT)?)))
                    .optional()
            })
            .map_err(map_err)
        })
        .await
    }
    async fn get_signing_keys(&self, pool_id: &str) -> Result<Vec<SigningKey>, StoreError> {
        let pool = pool_id.to_string();
        self.point(move |c| {
            let mut s = c
                .prepare_cached(
                    "SELECT pool_id, kid, token_use, private_der, created FROM signing_keys WHERE pool_id = ?1",
                )
                .map_err(map_err)?;
            let rows = s
                .query_map([pool], |r| {
                    Ok(SigningKey {
                        pool_id: r.get(0)?,
                        kid: r.get(1)?,
                        token_use: r.get(2)?,
                        private_der: r.get(3)?,
                        created: Timestamp(r.get(4)?),
                    })
                })
                .map_err(map_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
        })
        .await
    }
    async fn insert_signing_key(&self, key: &SigningKey) -> Result<bool, StoreError> {
        let k = key.clone();
        self.write(move |c| {
            let n = c
                .execute(
                    "INSERT INTO signing_keys (pool_id, token_use, kid, private_der, created) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (pool_id, token_use) DO NOTHING",
                    params![k.pool_id, k.token_use, k.kid, k.private_der, k.created.0],
                )
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }
}

pub(super) fn insert_refresh(conn: &Connection, t: &RefreshToken) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO refresh_tokens
           (token_hash, pool_id, client_id, sub, origin_jti, auth_time, created, expires, revoked, rotated, scopes)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            t.token_hash,
            t.pool_id,
            t.client_id,
            t.sub,
            t.origin_jti,
            t.auth_time.0,
            t.created.0,
            t.expires.0,
            t.revoked,
            t.rotated.map(|r| r.0),
            t.scopes
        ],
    )
    .map_err(map_err)?;
    Ok(())
}
