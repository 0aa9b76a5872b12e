//! The state between the steps of a sign-in.

use super::*;

#[async_trait]
impl SessionStore for PgStore {
    async fn insert_auth_session(&self, session: &AuthSession) -> Result<(), StoreError> {
        let s = session;
        retrying!(self, |c| {
            // Expired sessions are swept as new ones arrive, a few at a time; the index keeps
            // this cheap and SKIP LOCKED keeps instances from queueing behind each other.
            let sweep = c
                .prepare_cached(
                    "DELETE FROM auth_sessions WHERE id_hash IN
                       (SELECT id_hash FROM auth_sessions WHERE expires < $1 LIMIT 16 FOR UPDATE SKIP LOCKED)",
                )
                .await?;
            c.execute(&sweep, &[&(s.expires.0 - 3_600_000)]).await?;
            let insert = c
                .prepare_cached(
                    "INSERT INTO auth_sessions (id_hash, pool_id, client_id, sub, username, challenge, state, expires)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .await?;
            c.execute(
                &insert,
                &[&s.id_hash, &s.pool_id, &s.client_id, &s.sub, &s.username, &s.challenge, &s.state, &s.expires.0],
            )
            .await?;
            Ok(())
        })
    }
    async fn get_auth_session(&self, id_hash: &str) -> Result<Option<AuthSession>, StoreError> {
        retrying!(self, |c| {
            let s = c
                .prepare_cached(
                    "SELECT id_hash, pool_id, client_id, sub, username, challenge, state, expires
                     FROM auth_sessions WHERE id_hash = $1",
                )
                .await?;
            Ok(c.query_opt(&s, &[&id_hash]).await?.map(|r| AuthSession {
                id_hash: r.get(0),
                pool_id: r.get(1),
                client_id: r.get(2),
                sub: r.get(3),
                username: r.get(4),
                challenge: r.get(5),
                state: r.get(6),
                expires: Timestamp(r.get(7)),
            }))
        })
    }
    async fn delete_auth_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        retrying!(self, |c| {
            let s = c.prepare_cached("DELETE FROM auth_sessions WHERE id_hash = $1").await?;
            Ok(c.execute(&s, &[&id_hash]).await? == 1)
        })
    }
}
