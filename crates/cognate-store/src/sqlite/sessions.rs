//! The state between the steps of a sign-in.

use super::*;

#[async_trait]
impl SessionStore for SqliteStore {
    async fn insert_auth_session(&self, session: &AuthSession) -> Result<(), StoreError> {
        let s = session.clone();
        self.write(move |c| {
            // Expired sessions are swept as new ones arrive; the index keeps this cheap.
            c.prepare_cached("DELETE FROM auth_sessions WHERE expires < ?1")
                .and_then(|mut st| st.execute([s.expires.0 - 3_600_000]))
                .map_err(map_err)?;
            c.prepare_cached(
                "INSERT INTO auth_sessions (id_hash, pool_id, client_id, sub, username, challenge, state, expires)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    s.id_hash,
                    s.pool_id,
                    s.client_id,
                    s.sub,
                    s.username,
                    s.challenge,
                    s.state,
                    s.expires.0
                ])
            })
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }
    async fn get_auth_session(&self, id_hash: &str) -> Result<Option<AuthSession>, StoreError> {
        let id = id_hash.to_string();
        self.point(move |c| {
            c.prepare_cached(
                "SELECT id_hash, pool_id, client_id, sub, username, challenge, state, expires
                 FROM auth_sessions WHERE id_hash = ?1",
            )
            .and_then(|mut s| {
                s.query_row([id], |r| {
                    Ok(AuthSession {
                        id_hash: r.get(0)?,
                        pool_id: r.get(1)?,
                        client_id: r.get(2)?,
                        sub: r.get(3)?,
                        username: r.get(4)?,
                        challenge: r.get(5)?,
                        state: r.get(6)?,
                        expires: Timestamp(r.get(7)?),
                    })
                })
                .optional()
            })
            .map_err(map_err)
        })
        .await
    }
    async fn delete_auth_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        let id = id_hash.to_string();
        self.write(move |c| {
            let n = c.execute("DELETE FROM auth_sessions WHERE id_hash = ?1", [id]).map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }
}
