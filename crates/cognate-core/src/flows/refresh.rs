//! Tokens from a refresh token: REFRESH_TOKEN_AUTH and GetTokensFromRefreshToken, with
//! rotation where the client asks for it.

use std::collections::BTreeMap;

use super::auth::{hash_refresh_token, param, TokenGrant};
use super::Cognate;
use crate::client::AppClient;
use crate::error::{DomainError, Result};
use crate::pool::UserPool;
use crate::triggers::Metadata;
use crate::user::{RefreshToken, User};

fn invalid_refresh() -> DomainError {
    DomainError::not_authorized("Invalid Refresh Token")
}

impl Cognate {
    pub(crate) async fn refresh(
        &self,
        client: AppClient,
        pool: UserPool,
        params: &BTreeMap<String, String>,
        client_metadata: Metadata,
    ) -> Result<TokenGrant> {
        if client.settings.refresh_token_rotation.is_some() {
            return Err(DomainError::invalid(
                "Refresh token rotation is enabled for this app client: use GetTokensFromRefreshToken.",
            ));
        }
        let token = param(params, "REFRESH_TOKEN")?;
        let record = self.live_refresh_token(&client, &pool, token).await?;
        let user = self.store.get_user_by_sub(&pool.id, &record.sub).await?.ok_or_else(invalid_refresh)?;
        if let Some(secret) = &client.secret {
            // Clients hash over the real username, the sub or what the user typed.
            let presented = params.get("SECRET_HASH").map(String::as_str);
            let mut names = vec![user.username.as_str(), user.sub.as_str()];
            if let Some(typed) = params.get("USERNAME") {
                names.push(typed);
            }
            match presented {
                Some(hash) if crate::secret_hash::matches(secret, &client.client_id, hash, &names) => {}
                _ => {
                    return Err(DomainError::not_authorized(format!(
                        "SecretHash does not match for the client: {}",
                        client.client_id
                    )))
                }
            }
        }
        let device = params.get("DEVICE_KEY").map(String::as_str);
        self.refreshed(client, pool, record, user, client_metadata, false, device).await
    }

    /// GetTokensFromRefreshToken: a refresh that also rotates the refresh token when the
    /// client asks for rotation.
    pub async fn get_tokens_from_refresh_token(
        &self,
        client_id: &str,
        client_secret: Option<&str>,
        token: &str,
        client_metadata: Metadata,
        device_key: Option<&str>,
    ) -> Result<TokenGrant> {
        let (client, pool) = self.client_and_pool(client_id).await?;
        Self::check_client_secret(&client, client_secret)?;
        let record = self.live_refresh_token(&client, &pool, token).await?;
        let user = self.store.get_user_by_sub(&pool.id, &record.sub).await?.ok_or_else(invalid_refresh)?;
        let rotate = client.settings.refresh_token_rotation.is_some();
        self.refreshed(client, pool, record, user, client_metadata, rotate, device_key).await
    }

    /// The stored record of a refresh token this client may use now.
    pub(crate) async fn live_refresh_token(
        &self,
        client: &AppClient,
        pool: &UserPool,
        token: &str,
    ) -> Result<RefreshToken> {
        let record = self.store.get_refresh_token(&hash_refresh_token(token)).await?.ok_or_else(invalid_refresh)?;
        let now = self.clock.now();
        if record.client_id != client.client_id || record.pool_id != pool.id || now >= record.expires {
            return Err(invalid_refresh());
        }
        if record.revoked {
            return Err(DomainError::not_authorized("Refresh Token has been revoked"));
        }
        if let Some(rotated) = record.rotated {
            let grace = u64::from(client.settings.refresh_token_rotation.unwrap_or(0));
            if now >= rotated.plus(std::time::Duration::from_secs(grace)) {
                return Err(DomainError::RefreshTokenReuse(
                    "Refresh Token has been rotated and can no longer be used".into(),
                ));
            }
        }
        Ok(record)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn refreshed(
        &self,
        client: AppClient,
        pool: UserPool,
        record: RefreshToken,
        user: User,
        client_metadata: Metadata,
        rotate: bool,
        device_key: Option<&str>,
    ) -> Result<TokenGrant> {
        if !user.enabled {
            return Err(DomainError::not_authorized("User is disabled."));
        }
        // A refresh names its device to keep `device_key` in the new access token.
        let device_key = match device_key.filter(|k| !k.is_empty()) {
            Some(key) => self.store.get_device(&pool.id, key).await?.filter(|d| d.sub == user.sub).map(|d| d.key),
            None => None,
        };
        let now = self.clock.now();
        let source = "TokenGeneration_RefreshTokens";
        let groups = self.token_groups(&user).await?;
        let scopes: Option<Vec<String>> =
            record.scopes.as_deref().map(|s| s.split_whitespace().map(str::to_string).collect());
        let overrides = self
            .token_overrides(&pool, &user, &client.client_id, source, client_metadata, &groups, scopes.as_deref())
            .await?;
        let refresh_token = if rotate {
            // Same sign-in, same expiry: rotation does not extend a session.
            let value = self.new_refresh_value();
            let next = RefreshToken {
                token_hash: hash_refresh_token(&value),
                revoked: false,
                rotated: None,
                created: now,
                ..record.clone()
            };
            let grace = std::time::Duration::from_secs(u64::from(client.settings.refresh_token_rotation.unwrap_or(0)));
            if !self.store.rotate_refresh_token(&record.token_hash, &next, now, grace).await? {
                // Revoked or rotated by a concurrent request since it was read.
                let current = self.store.get_refresh_token(&record.token_hash).await?;
                if current.is_some_and(|t| t.revoked) {
                    return Err(DomainError::not_authorized("Refresh Token has been revoked"));
                }
                return Err(DomainError::RefreshTokenReuse(
                    "Refresh Token has been rotated and can no longer be used".into(),
                ));
            }
            Some(value)
        } else {
            None
        };
        Ok(TokenGrant {
            pool,
            client,
            user,
            auth_time: record.auth_time,
            origin_jti: record.origin_jti,
            refresh_token,
            now,
            overrides,
            groups,
            device_key,
            new_device: None,
            oauth: scopes.map(|scopes| super::auth::OAuthGrant { scopes, nonce: None }),
        })
    }
}
