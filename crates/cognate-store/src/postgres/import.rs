//! Bulk import: many users in one transaction, by `COPY` when they have no aliases (the
//! benchmark's fixtures, imports of existing directories).

use deadpool_postgres::Transaction;

use super::users::{insert_user, BASE_COLUMNS};
use super::*;

impl PgStore {
    /// After a bulk import: fresh planner statistics and the WAL written out (`ANALYZE`,
    /// `CHECKPOINT`, which needs a superuser or `pg_checkpoint`), so that the next requests do
    /// not meet the database still digesting gigabytes.
    pub async fn settle_after_import(&self) -> Result<(), StoreError> {
        let conn = self.pool.get().await.map_err(|e| StoreError::Unavailable(e.to_string()))?;
        conn.batch_execute("ANALYZE users; CHECKPOINT").await.map_err(map_err)
    }

    /// Inserts many users (with their aliases) in one transaction: the bulk path for imports
    /// and benchmark fixtures. Fails whole on the first collision.
    pub async fn import_users(&self, users: Vec<NewUser>) -> Result<(), StoreError> {
        let rows =
            users.into_iter().map(|u| to_json(&u.user.attributes).map(|a| (u, a))).collect::<Result<Vec<_>, _>>()?;
        // Users without aliases go in by COPY, tens of times faster than a statement each.
        let copy = rows.iter().all(|(new, _)| new.aliases.is_empty());
        let csv = if copy { copy_rows(&rows) } else { String::new() };
        retrying!(self, |c| {
            let tx = c.transaction().await?;
            if copy {
                copy_users(&tx, &csv).await?;
            } else {
                for (new, attributes) in &rows {
                    insert_user(&tx, new, attributes).await?;
                }
            }
            tx.commit().await?;
            Ok(())
        })
    }
}

/// Users (without aliases) as `COPY … (FORMAT csv)` rows, in `BASE_COLUMNS` order plus the key.
fn copy_rows(rows: &[(NewUser, String)]) -> String {
    // Quoted, quotes doubled; an unquoted empty field is NULL.
    fn quoted(out: &mut String, value: &str) {
        out.push('"');
        out.push_str(&value.replace('"', "\"\""));
        out.push('"');
    }
    let mut out = String::with_capacity(rows.len() * 512);
    for (new, attributes) in rows {
        let u = &new.user;
        let enabled = if u.enabled { "t" } else { "f" };
        for (i, text) in
            [u.pool_id.as_str(), &u.sub, &u.username, u.status.as_str(), enabled, attributes].into_iter().enumerate()
        {
            if i > 0 {
                out.push(',');
            }
            quoted(&mut out, text);
        }
        out.push(',');
        if let Some(hash) = &u.password_hash {
            quoted(&mut out, hash);
        }
        out.push_str(&format!(",{},{},", u.created.0, u.modified.0));
        if let Some(verifier) = &u.srp_verifier {
            quoted(&mut out, verifier);
        }
        out.push_str(&format!(",{},", u.password_set.0));
        quoted(&mut out, &new.username_key);
        out.push('\n');
    }
    out
}

/// Writes `copy_rows` output into `users` (inside the caller's transaction).
async fn copy_users(tx: &Transaction<'_>, csv: &str) -> Result<(), Fail> {
    use futures_util::SinkExt;
    let sink = tx.copy_in(&format!("COPY users ({BASE_COLUMNS}, username_key) FROM STDIN (FORMAT csv)")).await?;
    let mut sink = std::pin::pin!(sink);
    sink.send(bytes::Bytes::copy_from_slice(csv.as_bytes())).await?;
    sink.finish().await?;
    Ok(())
}
