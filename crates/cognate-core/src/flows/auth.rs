//! Sign-in with a password and token refresh. Token encoding is the server's job: these
//! flows decide *whether* tokens are issued and with which session facts.

use std::collections::BTreeMap;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::Cognate;
use crate::client::AppClient;
use crate::error::{DomainError, Result};
use crate::ids::{self, Timestamp};
use crate::pool::UserPool;
use crate::user::{RefreshToken, User, UserStatus};

/// `InitiateAuth` / `AdminInitiateAuth` input, minus the wire.
pub struct AuthRequest {
    pub client_id: String,
    /// Set for `AdminInitiateAuth`: the client must belong to it.
    pub pool_id: Option<String>,
    pub flow: String,
    pub parameters: BTreeMap<String, String>,
}

/// Everything the token minter needs; `refresh_token` is set only for a fresh sign-in.
#[derive(Debug)]
pub struct TokenGrant {
    pub pool: UserPool,
    pub client: AppClient,
    pub user: User,
    pub auth_time: Timestamp,
    pub origin_jti: String,
    pub refresh_token: Option<String>,
    pub now: Timestamp,
}

pub fn hash_refresh_token(token: &str) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

fn param<'a>(params: &'a BTreeMap<String, String>, name: &str) -> Result<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| DomainError::invalid(format!("Missing required parameter {name}")))
}

impl Cognate {
    pub async fn initiate_auth(&self, req: AuthRequest) -> Result<TokenGrant> {
        let (client, pool) = match &req.pool_id {
            Some(pool_id) => {
                let client = self.client_in_pool(pool_id, &req.client_id).await?;
                (client, self.pool(pool_id).await?)
            }
            None => self.client_and_pool(&req.client_id).await?,
        };
        let admin = req.pool_id.is_some();
        let flow = req.flow.as_str();
        let known = match flow {
            "USER_PASSWORD_AUTH" | "USER_SRP_AUTH" | "CUSTOM_AUTH" | "USER_AUTH" => !admin,
            "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH" => admin,
            "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN" => true,
            _ => false,
        };
        if !known {
            return Err(DomainError::invalid(format!("Invalid authentication flow {flow} for this operation.")));
        }
        if !client.settings.allows(flow) {
            return Err(DomainError::invalid(format!("{flow} flow not enabled for this client")));
        }
        match flow {
            "USER_PASSWORD_AUTH" | "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH" => {
                self.password_auth(client, pool, &req.parameters).await
            }
            "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN" => self.refresh(client, pool, &req.parameters).await,
            _ => Err(DomainError::UnsupportedOperation(format!("The {flow} flow is not supported by cognate yet."))),
        }
    }

    async fn password_auth(
        &self,
        client: AppClient,
        pool: UserPool,
        params: &BTreeMap<String, String>,
    ) -> Result<TokenGrant> {
        let username = param(params, "USERNAME")?;
        let password = param(params, "PASSWORD")?;
        let user = self.find_user(&pool, username).await?;
        let secret_names: Vec<&str> = match &user {
            Some(u) => vec![username, u.username.as_str()],
            None => vec![username],
        };
        Self::check_secret_hash(&client, params.get("SECRET_HASH").map(String::as_str), &secret_names)?;
        let Some(user) = user else {
            return Err(if client.settings.prevents_user_existence_errors() {
                DomainError::incorrect_credentials()
            } else {
                DomainError::user_not_found()
            });
        };
        if !user.enabled {
            return Err(DomainError::not_authorized("User is disabled."));
        }
        let hash = user.password_hash.as_deref().unwrap_or("");
        if !self.passwords.verify(password, hash).await.map_err(DomainError::Internal)? {
            return Err(DomainError::incorrect_credentials());
        }
        match user.status {
            UserStatus::Unconfirmed => return Err(DomainError::UserNotConfirmed("User is not confirmed.".into())),
            UserStatus::ResetRequired => {
                return Err(DomainError::PasswordResetRequired("Password reset required for the user".into()))
            }
            UserStatus::ForceChangePassword => {
                return Err(DomainError::UnsupportedOperation(
                    "The NEW_PASSWORD_REQUIRED challenge is not supported by cognate yet.".into(),
                ))
            }
            UserStatus::Confirmed | UserStatus::ExternalProvider => {}
        }
        let now = self.clock.now();
        let origin_jti = ids::new_uuid(self.rng.as_ref());
        let mut raw = [0u8; 48];
        self.rng.fill(&mut raw);
        let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        let record = RefreshToken {
            token_hash: hash_refresh_token(&token),
            pool_id: pool.id.clone(),
            client_id: client.client_id.clone(),
            sub: user.sub.clone(),
            origin_jti: origin_jti.clone(),
            auth_time: now,
            created: now,
            expires: now.plus(client.settings.refresh_token_ttl()),
        };
        self.store.insert_refresh_token(&record).await?;
        Ok(TokenGrant { pool, client, user, auth_time: now, origin_jti, refresh_token: Some(token), now })
    }

    async fn refresh(
        &self,
        client: AppClient,
        pool: UserPool,
        params: &BTreeMap<String, String>,
    ) -> Result<TokenGrant> {
        let token = param(params, "REFRESH_TOKEN")?;
        let invalid = || DomainError::not_authorized("Invalid Refresh Token");
        let record = self.store.get_refresh_token(&hash_refresh_token(token)).await?.ok_or_else(invalid)?;
        let now = self.clock.now();
        if record.client_id != client.client_id || record.pool_id != pool.id || now >= record.expires {
            return Err(invalid());
        }
        let user = self.store.get_user_by_sub(&pool.id, &record.sub).await?.ok_or_else(invalid)?;
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
        if !user.enabled {
            return Err(DomainError::not_authorized("User is disabled."));
        }
        Ok(TokenGrant {
            pool,
            client,
            user,
            auth_time: record.auth_time,
            origin_jti: record.origin_jti,
            refresh_token: None,
            now,
        })
    }
}
