//! Refresh tokens, revocation and the pools' signing keys.

use deadpool_postgres::Transaction;

use super::users::{user_row, USER_COLUMNS, USER_COLUMN_COUNT};
use super::*;

#[async_trait]
impl TokenStore for PgStore {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), StoreError> {
        retrying!(self, |c| {
            let tx = c.transaction().await?;
            insert_refresh(&tx, token).await?;
            tx.commit().await?;
            Ok(())
        })
    }
    async fn get_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshToken>, StoreError> {
        retrying!(self, |c| {
            let s = c
                .prepare_cached(
                    "SELECT token_hash, pool_id, client_id, sub, origin_jti, auth_time, created, expires, revoked, rotated,
                            scopes
                     FROM refresh_tokens WHERE token_hash = $1",
                )
                .await?;
            Ok(c.query_opt(&s, &[&token_hash]).await?.map(|r| RefreshToken {
                token_hash: r.get(0),
                pool_id: r.get(1),
                client_id: r.get(2),
                sub: r.get(3),
                origin_jti: r.get(4),
                auth_time: Timestamp(r.get(5)),
                created: Timestamp(r.get(6)),
                expires: Timestamp(r.get(7)),
                revoked: r.get(8),
                rotated: r.get::<_, Option<i64>>(9).map(Timestamp),
                scopes: r.get(10),
            }))
        })
    }
    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new: &RefreshToken,
        now: Timestamp,
        grace: Duration,
    ) -> Result<bool, StoreError> {
        let grace_ms = millis(grace);
        retrying!(self, |c| {
            let tx = c.transaction().await?;
            // The conditional update is the arbiter: of two instances rotating the same token
            // after its grace period, the second finds no row to update.
            let n = tx
                .execute(
                    "UPDATE refresh_tokens SET rotated = COALESCE(rotated, $2)
                     WHERE token_hash = $1 AND NOT revoked AND (rotated IS NULL OR rotated + $3 > $2)",
                    &[&old_hash, &now.0, &grace_ms],
                )
                .await?;
            if n != 1 {
                return Ok(false);
            }
            insert_refresh(&tx, new).await?;
            tx.commit().await?;
            Ok(true)
        })
    }
    async fn revoke_refresh_tokens(&self, pool_id: &str, which: &Revocation) -> Result<u64, StoreError> {
        retrying!(self, |c| {
            Ok(match which {
                Revocation::User { sub } => {
                    c.execute(
                        "UPDATE refresh_tokens SET revoked = true WHERE pool_id = $1 AND sub = $2 AND NOT revoked",
                        &[&pool_id, sub],
                    )
                    .await?
                }
                Revocation::Origin { origin_jti } => {
                    c.execute(
                        "UPDATE refresh_tokens SET revoked = true WHERE pool_id = $1 AND origin_jti = $2 AND NOT revoked",
                        &[&pool_id, origin_jti],
                    )
                    .await?
                }
            })
        })
    }
    async fn get_token_user(
        &self,
        pool_id: &str,
        sub: &str,
        origin_jti: &str,
    ) -> Result<Option<(User, bool)>, StoreError> {
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS}, EXISTS(SELECT 1 FROM refresh_tokens
                       WHERE pool_id = $1 AND origin_jti = $3 AND revoked)
                     FROM users WHERE pool_id = $1 AND sub = $2"
                ))
                .await?;
            match c.query_opt(&s, &[&pool_id, &sub, &origin_jti]).await? {
                Some(r) => Ok(Some((user_row(&r)?, r.get::<_, bool>(USER_COLUMN_COUNT)))),
                None => Ok(None),
            }
        })
    }
    async fn get_signing_keys(&self, pool_id: &str) -> Result<Vec<SigningKey>, StoreError> {
        retrying!(self, |c| {
            let s = c
                .prepare_cached(
                    "SELECT pool_id, kid, token_use, private_der, created FROM signing_keys WHERE pool_id = $1",
                )
                .await?;
            Ok(c.query(&s, &[&pool_id])
                .await?
                .iter()
                .map(|r| SigningKey {
                    pool_id: r.get(0),
                    kid: r.get(1),
                    token_use: r.get(2),
                    private_der: r.get(3),
                    created: Timestamp(r.get(4)),
                })
                .collect())
        })
    }
    async fn insert_signing_key(&self, key: &SigningKey) -> Result<bool, StoreError> {
        let k = key;
        retrying!(self, |c| {
            let n = c
                .execute(
                    "INSERT INTO signing_keys (pool_id, token_use, kid, private_der, created) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (pool_id, token_use) DO NOTHING",
                    &[&k.pool_id, &k.token_use, &k.kid, &k.private_der, &k.created.0],
                )
                .await?;
            Ok(n == 1)
        })
    }
}

pub(super) async fn insert_refresh(tx: &Transaction<'_>, t: &RefreshToken) -> Result<(), Fail> {
    let s = tx
        .prepare_cached(
            "INSERT INTO refresh_tokens
               (token_hash, pool_id, client_id, sub, origin_jti, auth_time, created, expires, revoked, rotated, scopes)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .await?;
    tx.execute(
        &s,
        &[
            &t.token_hash,
            &t.pool_id,
            &t.client_id,
            &t.sub,
            &t.origin_jti,
            &t.auth_time.0,
            &t.created.0,
            &t.expires.0,
            &t.revoked,
            &t.rotated.map(|r| r.0),
            &t.scopes,
        ],
    )
    .await?;
    Ok(())
}
