//! Groups and memberships.

use super::users::{prefixed, user_row, USER_COLUMNS};
use super::*;

#[async_trait]
impl GroupStore for PgStore {
    async fn insert_group(&self, group: &Group) -> Result<(), StoreError> {
        let g = group;
        let precedence = g.precedence.map(i64::from);
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "INSERT INTO user_groups ({GROUP_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
                ))
                .await?;
            c.execute(
                &s,
                &[&g.pool_id, &g.name, &g.description, &g.role_arn, &precedence, &g.created.0, &g.modified.0],
            )
            .await?;
            Ok(())
        })
    }
    async fn get_group(&self, pool_id: &str, name: &str) -> Result<Option<Group>, StoreError> {
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!("SELECT {GROUP_COLUMNS} FROM user_groups WHERE pool_id = $1 AND name = $2"))
                .await?;
            Ok(c.query_opt(&s, &[&pool_id, &name]).await?.map(|r| group_row(&r)))
        })
    }
    async fn update_group(&self, group: &Group) -> Result<(), StoreError> {
        let g = group;
        let precedence = g.precedence.map(i64::from);
        retrying!(self, |c| {
            let s = c
                .prepare_cached(
                    "UPDATE user_groups SET description = $3, role_arn = $4, precedence = $5, modified = $6
                     WHERE pool_id = $1 AND name = $2",
                )
                .await?;
            if c.execute(&s, &[&g.pool_id, &g.name, &g.description, &g.role_arn, &precedence, &g.modified.0]).await?
                == 0
            {
                return Err(StoreError::NotFound.into());
            }
            Ok(())
        })
    }
    async fn delete_group(&self, pool_id: &str, name: &str) -> Result<(), StoreError> {
        retrying!(self, |c| {
            let tx = c.transaction().await?;
            tx.execute("DELETE FROM group_members WHERE pool_id = $1 AND name = $2", &[&pool_id, &name]).await?;
            tx.execute("DELETE FROM user_groups WHERE pool_id = $1 AND name = $2", &[&pool_id, &name]).await?;
            tx.commit().await?;
            Ok(())
        })
    }
    async fn list_groups(&self, pool_id: &str, after: Option<&str>, limit: usize) -> Result<Vec<Group>, StoreError> {
        let after = after.unwrap_or("");
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "SELECT {GROUP_COLUMNS} FROM user_groups WHERE pool_id = $1 AND name > $2 ORDER BY name LIMIT $3"
                ))
                .await?;
            Ok(c.query(&s, &[&pool_id, &after, &(limit as i64)]).await?.iter().map(group_row).collect())
        })
    }
    async fn add_to_group(&self, pool_id: &str, name: &str, sub: &str) -> Result<(), StoreError> {
        retrying!(self, |c| {
            let added = c
                .execute(
                    "INSERT INTO group_members (pool_id, name, sub) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                    &[&pool_id, &name, &sub],
                )
                .await;
            match added {
                Ok(_) => Ok(()),
                // The group or the user went away meanwhile (foreign keys).
                Err(e) if e.code() == Some(&SqlState::FOREIGN_KEY_VIOLATION) => Err(StoreError::NotFound.into()),
                Err(e) => Err(e.into()),
            }
        })
    }
    async fn remove_from_group(&self, pool_id: &str, name: &str, sub: &str) -> Result<(), StoreError> {
        retrying!(self, |c| {
            c.execute(
                "DELETE FROM group_members WHERE pool_id = $1 AND name = $2 AND sub = $3",
                &[&pool_id, &name, &sub],
            )
            .await?;
            Ok(())
        })
    }
    async fn list_group_members(
        &self,
        pool_id: &str,
        name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<User>, StoreError> {
        let after = after.unwrap_or("");
        let columns = prefixed("u", USER_COLUMNS);
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "SELECT {columns} FROM group_members m JOIN users u ON u.pool_id = m.pool_id AND u.sub = m.sub
                     WHERE m.pool_id = $1 AND m.name = $2 AND m.sub > $3 ORDER BY m.sub LIMIT $4"
                ))
                .await?;
            let rows = c.query(&s, &[&pool_id, &name, &after, &(limit as i64)]).await?;
            Ok(rows.iter().map(user_row).collect::<Result<Vec<_>, _>>()?)
        })
    }
    async fn list_user_groups(
        &self,
        pool_id: &str,
        sub: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Group>, StoreError> {
        let after = after.unwrap_or("");
        let columns = prefixed("g", GROUP_COLUMNS);
        retrying!(self, |c| {
            let s = c
                .prepare_cached(&format!(
                    "SELECT {columns} FROM group_members m JOIN user_groups g ON g.pool_id = m.pool_id AND g.name = m.name
                     WHERE m.pool_id = $1 AND m.sub = $2 AND m.name > $3 ORDER BY m.name LIMIT $4"
                ))
                .await?;
            Ok(c.query(&s, &[&pool_id, &sub, &after, &(limit as i64)]).await?.iter().map(group_row).collect())
        })
    }
}

pub(super) const GROUP_COLUMNS: &str = "pool_id, name, description, role_arn, precedence, created, modified";

pub(super) fn group_row(r: &Row) -> Group {
    Group {
        pool_id: r.get(0),
        name: r.get(1),
        description: r.get(2),
        role_arn: r.get(3),
        precedence: r.get::<_, Option<i64>>(4).map(|p| u32::try_from(p).unwrap_or(u32::MAX)),
        created: Timestamp(r.get(5)),
        modified: Timestamp(r.get(6)),
    }
}
