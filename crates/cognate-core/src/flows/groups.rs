//! Groups: CreateGroup … DeleteGroup, memberships, and the listings both ways.

use super::Cognate;
use crate::error::{DomainError, Result, StoreError};
use crate::group::Group;
use crate::user::User;

/// The members of a group that may change (UpdateGroup replaces each one given).
#[derive(Debug, Clone, Default)]
pub struct GroupChanges {
    pub description: Option<String>,
    pub role_arn: Option<String>,
    pub precedence: Option<u32>,
}

fn group_not_found() -> DomainError {
    DomainError::ResourceNotFound("Group not found.".into())
}

/// A page of results and the key after which the next one starts.
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

fn page<T>(items: Vec<T>, limit: usize, key: impl Fn(&T) -> String) -> Page<T> {
    let next = (limit > 0 && items.len() == limit).then(|| items.last().map(&key)).flatten();
    Page { items, next }
}

impl Cognate {
    pub async fn create_group(&self, pool_id: &str, name: &str, changes: GroupChanges) -> Result<Group> {
        self.pool(pool_id).await?;
        let now = self.clock.now();
        let group = Group {
            pool_id: pool_id.into(),
            name: name.into(),
            description: changes.description,
            role_arn: changes.role_arn,
            precedence: changes.precedence,
            created: now,
            modified: now,
        };
        match self.store.insert_group(&group).await {
            Ok(()) => Ok(group),
            Err(StoreError::Conflict(_)) => {
                Err(DomainError::GroupExists(format!("A group with the name {name} already exists.")))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn get_group(&self, pool_id: &str, name: &str) -> Result<Group> {
        self.pool(pool_id).await?;
        self.store.get_group(pool_id, name).await?.ok_or_else(group_not_found)
    }

    pub async fn update_group(&self, pool_id: &str, name: &str, changes: GroupChanges) -> Result<Group> {
        let mut group = self.get_group(pool_id, name).await?;
        if changes.description.is_some() {
            group.description = changes.description;
        }
        if changes.role_arn.is_some() {
            group.role_arn = changes.role_arn;
        }
        if changes.precedence.is_some() {
            group.precedence = changes.precedence;
        }
        group.modified = self.clock.now();
        self.store.update_group(&group).await?;
        Ok(group)
    }

    pub async fn delete_group(&self, pool_id: &str, name: &str) -> Result<()> {
        self.get_group(pool_id, name).await?;
        self.store.delete_group(pool_id, name).await?;
        Ok(())
    }

    pub async fn list_groups(&self, pool_id: &str, after: Option<&str>, limit: usize) -> Result<Page<Group>> {
        self.pool(pool_id).await?;
        let groups = self.store.list_groups(pool_id, after, limit).await?;
        Ok(page(groups, limit, |g| g.name.clone()))
    }

    async fn member(&self, pool_id: &str, username: &str, group: &str) -> Result<User> {
        let pool = self.pool(pool_id).await?;
        let user = self.require_user(&pool, username).await?;
        self.store.get_group(pool_id, group).await?.ok_or_else(group_not_found)?;
        Ok(user)
    }

    pub async fn add_user_to_group(&self, pool_id: &str, username: &str, group: &str) -> Result<()> {
        let user = self.member(pool_id, username, group).await?;
        self.store.add_to_group(pool_id, group, &user.sub).await.map_err(|e| match e {
            StoreError::NotFound => group_not_found(),
            other => other.into(),
        })
    }

    pub async fn remove_user_from_group(&self, pool_id: &str, username: &str, group: &str) -> Result<()> {
        let user = self.member(pool_id, username, group).await?;
        self.store.remove_from_group(pool_id, group, &user.sub).await?;
        Ok(())
    }

    pub async fn list_users_in_group(
        &self,
        pool_id: &str,
        group: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<User>> {
        self.get_group(pool_id, group).await?;
        let users = self.store.list_group_members(pool_id, group, after, limit).await?;
        Ok(page(users, limit, |u| u.sub.clone()))
    }

    pub async fn list_groups_for_user(
        &self,
        pool_id: &str,
        username: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Page<Group>> {
        let pool = self.pool(pool_id).await?;
        let user = self.require_user(&pool, username).await?;
        let groups = self.store.list_user_groups(pool_id, &user.sub, after, limit).await?;
        Ok(page(groups, limit, |g| g.name.clone()))
    }

    /// Every group of the user, in the order tokens list them.
    pub(crate) async fn token_groups(&self, user: &User) -> Result<Vec<Group>> {
        let mut groups = self.store.list_user_groups(&user.pool_id, &user.sub, None, 10_000).await?;
        crate::group::token_order(&mut groups);
        Ok(groups)
    }
}
