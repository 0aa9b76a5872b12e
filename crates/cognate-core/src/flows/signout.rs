//! Signing out: GlobalSignOut and AdminUserGlobalSignOut end every sign-in of a user,
//! RevokeToken ends one. A sign-in is its refresh token's `origin_jti`, which every access
//! token minted from it carries, so revoking the refresh token also refuses those access
//! tokens.

use super::auth::hash_refresh_token;
use super::Cognate;
use crate::error::{DomainError, Result};
use crate::ports::Revocation;
use crate::user::User;

impl Cognate {
    /// The user behind a verified access token, refusing tokens of revoked sign-ins and
    /// disabled users.
    pub async fn token_user(&self, pool_id: &str, sub: &str, origin_jti: Option<&str>) -> Result<User> {
        let Some(origin) = origin_jti else { return self.user_by_sub(pool_id, sub).await };
        match self.store.get_token_user(pool_id, sub, origin).await? {
            Some((_, true)) => Err(DomainError::not_authorized("Access Token has been revoked")),
            Some((user, false)) if user.enabled => Ok(user),
            Some(_) => Err(DomainError::not_authorized("User is disabled.")),
            None => Err(DomainError::user_not_found()),
        }
    }

    pub async fn global_sign_out(&self, user: &User) -> Result<()> {
        self.store.revoke_refresh_tokens(&user.pool_id, &Revocation::User { sub: user.sub.clone() }).await?;
        Ok(())
    }

    pub async fn admin_user_global_sign_out(&self, pool_id: &str, username: &str) -> Result<()> {
        let pool = self.pool(pool_id).await?;
        let user = self.require_user(&pool, username).await?;
        self.global_sign_out(&user).await
    }

    /// RevokeToken: unknown tokens are accepted silently (RFC 7009 §2.2).
    pub async fn revoke_token(&self, client_id: &str, client_secret: Option<&str>, token: &str) -> Result<()> {
        let (client, _pool) = self.client_and_pool(client_id).await?;
        Self::check_client_secret(&client, client_secret)?;
        if !client.settings.enable_token_revocation {
            return Err(DomainError::UnsupportedOperation("Token revocation is not enabled for this client.".into()));
        }
        if token.split('.').count() == 3 {
            return Err(DomainError::UnsupportedTokenType("Unsupported token type".into()));
        }
        let Some(record) = self.store.get_refresh_token(&hash_refresh_token(token)).await? else { return Ok(()) };
        if record.client_id != client.client_id {
            return Ok(());
        }
        let origin = Revocation::Origin { origin_jti: record.origin_jti };
        self.store.revoke_refresh_tokens(&record.pool_id, &origin).await?;
        Ok(())
    }
}
