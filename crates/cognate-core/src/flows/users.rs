//! Reading, listing and deleting users.

use super::Cognate;
use crate::error::{DomainError, Result};
use crate::filter::UserFilter;
use crate::user::User;

pub struct UserPage {
    pub users: Vec<User>,
    /// The sub after which the next page starts.
    pub next: Option<String>,
}

impl Cognate {
    pub async fn admin_get_user(&self, pool_id: &str, username: &str) -> Result<User> {
        let pool = self.pool(pool_id).await?;
        self.require_user(&pool, username).await
    }

    pub async fn admin_delete_user(&self, pool_id: &str, username: &str) -> Result<()> {
        let pool = self.pool(pool_id).await?;
        let user = self.require_user(&pool, username).await?;
        self.store.delete_user(&pool.id, &user.sub).await?;
        Ok(())
    }

    /// The user an access token names; the token itself was verified by the caller.
    pub async fn user_by_sub(&self, pool_id: &str, sub: &str) -> Result<User> {
        let user = self.store.get_user_by_sub(pool_id, sub).await?.ok_or_else(DomainError::user_not_found)?;
        if !user.enabled {
            return Err(DomainError::not_authorized("User is disabled."));
        }
        Ok(user)
    }

    /// DeleteUser: the user of a verified access token deletes themselves.
    pub async fn delete_user(&self, user: &User) -> Result<()> {
        self.store.delete_user(&user.pool_id, &user.sub).await?;
        Ok(())
    }

    pub async fn list_users(
        &self,
        pool_id: &str,
        filter: Option<&UserFilter>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<UserPage> {
        self.pool(pool_id).await?;
        let users = self.store.list_users(pool_id, filter, after, limit).await?;
        let next = (limit > 0 && users.len() == limit).then(|| users.last().map(|u| u.sub.clone())).flatten();
        Ok(UserPage { users, next })
    }
}
