//! Groups and memberships.

use super::users::{user_row, USER_COLUMNS};
use super::*;

#[async_trait]
impl GroupStore for SqliteStore {
    async fn insert_group(&self, group: &Group) -> Result<(), StoreError> {
        let g = group.clone();
        self.write(move |c| {
            c.execute(
                &format!("INSERT INTO user_groups ({GROUP_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                params![g.pool_id, g.name, g.description, g.role_arn, g.precedence, g.created.0, g.modified.0],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }
    async fn get_group(&self, pool_id: &str, name: &str) -> Result<Option<Group>, StoreError> {
        let (pool, name) = (pool_id.to_string(), name.to_string());
        self.point(move |c| {
            c.prepare_cached(&format!("SELECT {GROUP_COLUMNS} FROM user_groups WHERE pool_id = ?1 AND name = ?2"))
                .and_then(|mut s| s.query_row(params![pool, name], group_row).optional())
                .map_err(map_err)
        })
        .await
    }
    async fn update_group(&self, group: &Group) -> Result<(), StoreError> {
        let g = group.clone();
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE user_groups SET description = ?3, role_arn = ?4, precedence = ?5, modified = ?6
                     WHERE pool_id = ?1 AND name = ?2",
                    params![g.pool_id, g.name, g.description, g.role_arn, g.precedence, g.modified.0],
                )
                .map_err(map_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }
    async fn delete_group(&self, pool_id: &str, name: &str) -> Result<(), StoreError> {
        let (pool, name) = (pool_id.to_string(), name.to_string());
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            tx.execute("DELETE FROM group_members WHERE pool_id = ?1 AND name = ?2", params![pool, name])
                .map_err(map_err)?;
            tx.execute("DELETE FROM user_groups WHERE pool_id = ?1 AND name = ?2", params![pool, name])
                .map_err(map_err)?;
            tx.commit().map_err(map_err)
        })
        .await
    }
    async fn list_groups(&self, pool_id: &str, after: Option<&str>, limit: usize) -> Result<Vec<Group>, StoreError> {
        let (pool, after) = (pool_id.to_string(), after.unwrap_or("").to_string());
        self.read(move |c| {
            let mut s = c
                .prepare_cached(&format!(
                    "SELECT {GROUP_COLUMNS} FROM user_groups WHERE pool_id = ?1 AND name > ?2 ORDER BY name LIMIT ?3"
                ))
                .map_err(map_err)?;
            let rows = s.query_map(params![pool, after, limit as i64], group_row).map_err(map_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
        })
        .await
    }
    async fn add_to_group(&self, pool_id: &str, name: &str, sub: &str) -> Result<(), StoreError> {
        let (pool, name, sub) = (pool_id.to_string(), name.to_string(), sub.to_string());
        self.write(move |c| {
            c.execute(
                "INSERT INTO group_members (pool_id, name, sub) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                params![pool, name, sub],
            )
            .map_err(|e| match map_err(e) {
                // The group or the user went away meanwhile (foreign keys).
                StoreError::Conflict(_) => StoreError::NotFound,
                other => other,
            })?;
            Ok(())
        })
        .await
    }
    async fn remove_from_group(&self, pool_id: &str, name: &str, sub: &str) -> Result<(), StoreError> {
        let (pool, name, sub) = (pool_id.to_string(), name.to_string(), sub.to_string());
        self.write(move |c| {
            c.execute(
                "DELETE FROM group_members WHERE pool_id = ?1 AND name = ?2 AND sub = ?3",
                params![pool, name, sub],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }
    async fn list_group_members(
        &self,
        pool_id: &str,
        name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<User>, StoreError> {
        let (pool, name, after) = (pool_id.to_string(), name.to_string(), after.unwrap_or("").to_string());
        self.read(move |c| {
            let columns = USER_COLUMNS.split(", ").map(|col| format!("u.{col}")).collect::<Vec<_>>().join(", ");
            let mut s = c
                .prepare_cached(&format!(
                    "SELECT {columns} FROM group_members m JOIN users u ON u.pool_id = m.pool_id AND u.sub = m.sub
                     WHERE m.pool_id = ?1 AND m.name = ?2 AND m.sub > ?3 ORDER BY m.sub LIMIT ?4"
                ))
                .map_err(map_err)?;
            let rows = s.query_map(params![pool, name, after, limit as i64], user_row).map_err(map_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
        })
        .await
    }
    async fn list_user_groups(
        &self,
        pool_id: &str,
        sub: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Group>, StoreError> {
        let (pool, sub, after) = (pool_id.to_string(), sub.to_string(), after.unwrap_or("").to_string());
        self.point(move |c| {
            let columns = GROUP_COLUMNS.split(", ").map(|col| format!("g.{col}")).collect::<Vec<_>>().join(", ");
            let mut s = c
                .prepare_cached(&format!(
                    "SELECT {columns} FROM group_members m JOIN user_groups g ON g.pool_id = m.pool_id AND g.name = m.name
                     WHERE m.pool_id = ?1 AND m.sub = ?2 AND m.name > ?3 ORDER BY m.name LIMIT ?4"
                ))
                .map_err(map_err)?;
            let rows = s.query_map(params![pool, sub, after, limit as i64], group_row).map_err(map_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
        })
        .await
    }
}

pub(super) const GROUP_COLUMNS: &str = "pool_id, name, description, role_arn, precedence, created, modified";

pub(super) fn group_row(r: &Row<'_>) -> rusqlite::Result<Group> {
    Ok(Group {
        pool_id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        role_arn: r.get(3)?,
        precedence: r.get(4)?,
        created: Timestamp(r.get(5)?),
        modified: Timestamp(r.get(6)?),
    })
}
