//! User pools and app clients: create, read, update, delete, list.

use super::Cognate;
use crate::client::{AppClient, ClientSettings};
use crate::error::{DomainError, Result, StoreError};
use crate::ids;
use crate::oauth::OAuthSettings;
use crate::pool::{FirstAuthFactor, MfaConfig, MfaMode, PoolSettings, UserPool};
use crate::user::AliasKind;

/// One page of a listing and the key to continue after it.
pub struct ListPage<T> {
    pub items: Vec<T>,
    pub next: Option<String>,
}

/// What `UpdateUserPoolClient` may change.
pub struct ClientChanges {
    pub name: Option<String>,
    pub settings: ClientSettings,
}

/// The rules between the pool's first factors and its MFA: a required second factor follows
/// a password only.
pub(crate) fn check_sign_in_policy(settings: &PoolSettings) -> Result<()> {
    let factors = &settings.first_auth_factors;
    if settings.mfa.mode == MfaMode::On && factors.contains(&FirstAuthFactor::WebAuthn) {
        return Err(DomainError::invalid(
            "Cannot set WebAuthn factor configuration to SINGLE_FACTOR if MFA is required and WebAuthn is an \
             allowed first auth factor",
        ));
    }
    let passwordless = factors.iter().any(|f| matches!(f, FirstAuthFactor::EmailOtp | FirstAuthFactor::SmsOtp));
    if settings.mfa.mode == MfaMode::On && passwordless {
        return Err(DomainError::invalid(
            "Only PASSWORD and WEB_AUTHN (if configured) can be enabled as an auth factor if MFA is enabled",
        ));
    }
    Ok(())
}

fn check_pool_settings(settings: &PoolSettings) -> Result<()> {
    check_sign_in_policy(settings)?;
    if !settings.alias_attributes.is_empty() && !settings.username_attributes.is_empty() {
        return Err(DomainError::invalid(
            "Only one of the aliasAttributes or usernameAttributes can be set in a User Pool.",
        ));
    }
    if settings.username_attributes.contains(&AliasKind::PreferredUsername) {
        return Err(DomainError::invalid("preferred_username cannot be a username attribute."));
    }
    if settings.mfa.mode != MfaMode::Off && settings.mfa.factors().is_empty() {
        return Err(DomainError::invalid(
            "SMS configuration and Auto verification for phone_number are required when MFA is required/optional",
        ));
    }
    Ok(())
}

impl Cognate {
    /// `settings.mfa.sms` says whether the request configured SMS; it counts only with MFA on.
    pub async fn create_pool(
        &self,
        name: String,
        mut settings: PoolSettings,
        region: Option<&str>,
    ) -> Result<UserPool> {
        settings.mfa.sms &= settings.mfa.mode != MfaMode::Off;
        check_pool_settings(&settings)?;
        let now = self.clock.now();
        let region = region.unwrap_or(&self.config.region);
        loop {
            let pool = UserPool {
                id: ids::new_pool_id(self.rng.as_ref(), region),
                name: name.clone(),
                created: now,
                modified: now,
                settings: settings.clone(),
            };
            match self.store.insert_pool(&pool).await {
                Ok(()) => return Ok(pool),
                // A random id collided with an existing pool: draw again.
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// `mfa_mode` is `None` when the request left `MfaConfiguration` out: the pool keeps its
    /// own. The other factors are set by `SetUserPoolMfaConfig` and kept here.
    pub async fn update_pool(
        &self,
        pool_id: &str,
        settings: PoolSettings,
        mfa_mode: Option<MfaMode>,
    ) -> Result<UserPool> {
        let mut pool = self.pool(pool_id).await?;
        // Username and alias attributes and case sensitivity are fixed at creation.
        let fixed = &pool.settings;
        let mfa = match mfa_mode {
            Some(mode) => MfaConfig { mode, sms: settings.mfa.sms || fixed.mfa.sms, ..fixed.mfa.clone() },
            None => fixed.mfa.clone(),
        };
        let settings = PoolSettings {
            username_attributes: fixed.username_attributes.clone(),
            alias_attributes: fixed.alias_attributes.clone(),
            case_sensitive: fixed.case_sensitive,
            schema: fixed.schema.clone(),
            mfa,
            ..settings
        };
        check_pool_settings(&settings)?;
        pool.settings = settings;
        pool.modified = self.clock.now();
        self.store.update_pool(&pool).await?;
        Ok(pool)
    }

    pub async fn delete_pool(&self, pool_id: &str) -> Result<()> {
        let pool = self.pool(pool_id).await?;
        if pool.settings.deletion_protection {
            return Err(DomainError::invalid(
                "The user pool cannot be deleted because deletion protection is activated.",
            ));
        }
        self.store.delete_pool(pool_id).await?;
        Ok(())
    }

    pub async fn list_pools(&self, after: Option<&str>, limit: usize) -> Result<ListPage<UserPool>> {
        let items = self.store.list_pools(after, limit).await?;
        let next = (items.len() == limit).then(|| items.last().map(|p| p.id.clone())).flatten();
        Ok(ListPage { items, next })
    }

    pub async fn create_client(
        &self,
        pool_id: &str,
        name: String,
        generate_secret: bool,
        settings: ClientSettings,
    ) -> Result<AppClient> {
        self.pool(pool_id).await?;
        self.check_oauth(pool_id, &settings.oauth, generate_secret).await?;
        Self::check_client_token_flow(&settings, generate_secret)?;
        let now = self.clock.now();
        let client = AppClient {
            pool_id: pool_id.into(),
            client_id: ids::new_client_id(self.rng.as_ref()),
            name,
            secret: generate_secret.then(|| ids::new_client_secret(self.rng.as_ref())),
            created: now,
            modified: now,
            settings,
        };
        self.store.insert_client(&client).await?;
        Ok(client)
    }

    /// The client, which must belong to `pool_id`.
    pub async fn client_in_pool(&self, pool_id: &str, client_id: &str) -> Result<AppClient> {
        self.pool(pool_id).await?;
        match self.store.get_client(client_id).await? {
            Some(c) if c.pool_id == pool_id => Ok(c),
            _ => Err(DomainError::client_not_found(client_id)),
        }
    }

    pub async fn update_client(&self, pool_id: &str, client_id: &str, changes: ClientChanges) -> Result<AppClient> {
        let mut client = self.client_in_pool(pool_id, client_id).await?;
        if let Some(name) = changes.name {
            client.name = name;
        }
        self.check_oauth(pool_id, &changes.settings.oauth, client.secret.is_some()).await?;
        Self::check_client_token_flow(&changes.settings, client.secret.is_some())?;
        client.settings = changes.settings;
        client.modified = self.clock.now();
        self.store.update_client(&client).await?;
        Ok(client)
    }

    /// The OAuth members against the pool: identity providers and custom scopes must exist.
    /// `ALLOW_CLIENT_TOKEN_AUTH` stands alone and needs a secret (GetClientToken).
    fn check_client_token_flow(settings: &ClientSettings, has_secret: bool) -> Result<()> {
        let flows = settings.explicit_auth_flows.as_deref().unwrap_or_default();
        if !flows.iter().any(|f| f == super::machine::CLIENT_TOKEN_FLOW) {
            return Ok(());
        }
        if flows.len() > 1 {
            return Err(DomainError::invalid(
                "ALLOW_CLIENT_TOKEN_AUTH can not be combined with other authentication flows.",
            ));
        }
        if !has_secret {
            return Err(DomainError::invalid("ALLOW_CLIENT_TOKEN_AUTH requires a client secret."));
        }
        Ok(())
    }

    async fn check_oauth(&self, pool_id: &str, oauth: &OAuthSettings, has_secret: bool) -> Result<()> {
        // No federated provider can be created yet, so COGNITO is the only one there is.
        if let Some(idp) = oauth.identity_providers.iter().find(|p| p.as_str() != "COGNITO") {
            return Err(DomainError::invalid(format!("The provider {idp} does not exist for User Pool {pool_id}.")));
        }
        if let Some(bad) = oauth.malformed_scope() {
            return Err(DomainError::ScopeDoesNotExist(format!("Invalid scope requested: {bad}")));
        }
        for (server, name) in oauth.custom_scopes() {
            let defined = self.store.get_resource_server(pool_id, server).await?.is_some_and(|s| s.defines(name));
            if !defined {
                return Err(DomainError::ScopeDoesNotExist(format!("Invalid scope requested: {server}/{name}")));
            }
        }
        oauth.check(has_secret)
    }

    pub async fn delete_client(&self, pool_id: &str, client_id: &str) -> Result<()> {
        self.client_in_pool(pool_id, client_id).await?;
        self.store.delete_client(pool_id, client_id).await?;
        Ok(())
    }

    pub async fn list_clients(&self, pool_id: &str, after: Option<&str>, limit: usize) -> Result<ListPage<AppClient>> {
        self.pool(pool_id).await?;
        let items = self.store.list_clients(pool_id, after, limit).await?;
        let next = (items.len() == limit).then(|| items.last().map(|c| c.client_id.clone())).flatten();
        Ok(ListPage { items, next })
    }
}
