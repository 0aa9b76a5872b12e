//! Sign-in with a password and token refresh. Token encoding is the server's job: these
//! flows decide *whether* tokens are issued and with which session facts.

use std::collections::BTreeMap;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::Cognate;
use crate::attributes;
use crate::client::AppClient;
use crate::error::{DomainError, Result};
use crate::ids::{self, Timestamp};
use crate::pool::UserPool;
use crate::triggers::{Metadata, TokenOverrides, TriggerKind, TriggerRequest};
use crate::user::{AliasClaim, AliasKind, NewUser, RefreshToken, User, UserStatus};

use super::hooks::event_attributes;
use crate::user::Attributes;

/// What a sign-in step ends in: tokens, or the next challenge to answer.
#[derive(Debug)]
pub enum AuthOutcome {
    Tokens(Box<TokenGrant>),
    Challenge(Challenge),
}

impl AuthOutcome {
    pub fn tokens(self) -> Option<TokenGrant> {
        match self {
            Self::Tokens(grant) => Some(*grant),
            Self::Challenge(_) => None,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Challenge {
    pub name: String,
    pub parameters: BTreeMap<String, String>,
    pub session: Option<String>,
    /// NEW_PASSWORD_REQUIRED carries the user's attributes and the required ones it lacks;
    /// the wire layer encodes both as JSON strings in `ChallengeParameters`.
    pub user_attributes: Option<Attributes>,
    pub required_attributes: Option<Vec<String>>,
}

/// `InitiateAuth` / `AdminInitiateAuth` input, minus the wire.
pub struct AuthRequest {
    pub client_id: String,
    /// Set for `AdminInitiateAuth`: the client must belong to it.
    pub pool_id: Option<String>,
    pub flow: String,
    pub parameters: BTreeMap<String, String>,
    pub client_metadata: Metadata,
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
    /// Claims a PreTokenGeneration function added or suppressed.
    pub overrides: TokenOverrides,
    /// The user's groups, in token order (`cognito:groups`, `cognito:preferred_role`).
    pub groups: Vec<crate::group::Group>,
}

pub fn hash_refresh_token(token: &str) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// PreTokenGeneration's source after a sign-in (NEW_PASSWORD_REQUIRED has its own).
pub(crate) const TOKEN_SOURCE: &str = "TokenGeneration_Authentication";

fn invalid_refresh() -> DomainError {
    DomainError::not_authorized("Invalid Refresh Token")
}

pub(crate) fn param<'a>(params: &'a BTreeMap<String, String>, name: &str) -> Result<&'a str> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| DomainError::invalid(format!("Missing required parameter {name}")))
}

impl Cognate {
    pub async fn initiate_auth(&self, req: AuthRequest) -> Result<AuthOutcome> {
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
            "USER_PASSWORD_AUTH" => !admin,
            "ADMIN_USER_PASSWORD_AUTH" | "ADMIN_NO_SRP_AUTH" => admin,
            "USER_SRP_AUTH" | "CUSTOM_AUTH" | "USER_AUTH" => true,
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
                self.password_auth(client, pool, &req.parameters, req.client_metadata).await
            }
            "REFRESH_TOKEN_AUTH" | "REFRESH_TOKEN" => self
                .refresh(client, pool, &req.parameters, req.client_metadata)
                .await
                .map(|g| AuthOutcome::Tokens(Box::new(g))),
            "CUSTOM_AUTH" => self.custom_start(client, pool, &req.parameters, req.client_metadata).await,
            "USER_SRP_AUTH" => self.srp_start(client, pool, &req.parameters).await,
            _ => Err(DomainError::UnsupportedOperation(format!("The {flow} flow is not supported by cognate yet."))),
        }
    }

    async fn password_auth(
        &self,
        client: AppClient,
        pool: UserPool,
        params: &BTreeMap<String, String>,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        let username = param(params, "USERNAME")?;
        let password = param(params, "PASSWORD")?;
        let user = self.find_user(&pool, username).await?;
        let secret_names: Vec<&str> = match &user {
            Some(u) => vec![username, u.username.as_str()],
            None => vec![username],
        };
        Self::check_secret_hash(&client, params.get("SECRET_HASH").map(String::as_str), &secret_names)?;
        let client_id = client.client_id.clone();
        let user = match user {
            Some(user) => {
                if !user.enabled {
                    return Err(DomainError::not_authorized("User is disabled."));
                }
                self.pre_authentication(&pool, &user, &client_id, &client_metadata).await?;
                let attempt = self.begin_attempt(&pool, &user).await?;
                let Some(hash) = user.password_hash.as_deref() else {
                    self.verify_dummy(password).await?;
                    // Migrated through ForgotPassword: no password yet, only a reset.
                    if user.status == UserStatus::ResetRequired {
                        return self.finish_sign_in(client, pool, user, client_metadata, TOKEN_SOURCE).await;
                    }
                    return Err(DomainError::incorrect_credentials());
                };
                if !self.passwords.verify(password, hash).await.map_err(DomainError::Internal)? {
                    self.record_failure(&pool, &user).await?;
                    return Err(DomainError::incorrect_credentials());
                }
                self.clear_failures(&pool, &user, &attempt).await?;
                drop(attempt);
                self.ensure_verifier(&pool, &user, password).await?;
                user
            }
            None => match self.migrate_user(&pool, &client_id, username, Some(password), &client_metadata).await? {
                Some(user) => user,
                None if client.settings.prevents_user_existence_errors() => {
                    // The same work, and the same lockout, as a real user's wrong password.
                    let key = self.decoy_user_id(&pool, username);
                    self.check_hidden_lock(&pool, &key).await?;
                    self.verify_dummy(password).await?;
                    self.record_hidden_failure(&pool, &key).await?;
                    return Err(DomainError::incorrect_credentials());
                }
                None => return Err(DomainError::user_not_found()),
            },
        };
        self.finish_sign_in(client, pool, user, client_metadata, TOKEN_SOURCE).await
    }

    /// Cognito passes InitiateAuth's ClientMetadata as the validation data here.
    pub(crate) async fn pre_authentication(
        &self,
        pool: &UserPool,
        user: &User,
        client_id: &str,
        client_metadata: &Metadata,
    ) -> Result<()> {
        let request = TriggerRequest {
            user_attributes: event_attributes(user),
            validation_data: client_metadata.clone(),
            user_not_found: Some(false),
            ..Default::default()
        };
        let source = "PreAuthentication_Authentication";
        self.trigger(pool, TriggerKind::PreAuthentication, source, &user.username, Some(client_id), request).await?;
        Ok(())
    }

    /// The steps after the password was proven: status checks, the NEW_PASSWORD_REQUIRED
    /// challenge, PostAuthentication, PreTokenGeneration and a new refresh token.
    pub(crate) async fn finish_sign_in(
        &self,
        client: AppClient,
        pool: UserPool,
        user: User,
        client_metadata: Metadata,
        token_source: &str,
    ) -> Result<AuthOutcome> {
        let client_id = client.client_id.clone();
        // A user disabled between a challenge and its answer gets no tokens.
        if !user.enabled {
            return Err(DomainError::not_authorized("User is disabled."));
        }
        match user.status {
            UserStatus::Unconfirmed => return Err(DomainError::UserNotConfirmed("User is not confirmed.".into())),
            UserStatus::ResetRequired if client.settings.prevents_user_existence_errors() => {
                return Err(DomainError::incorrect_credentials())
            }
            UserStatus::ResetRequired => {
                return Err(DomainError::PasswordResetRequired("Password reset required for the user".into()))
            }
            UserStatus::ForceChangePassword => {
                let days = u64::from(match pool.settings.password_policy.temporary_password_validity_days {
                    0 => 7,
                    d => d,
                });
                if self.clock.now() >= user.password_set.plus(std::time::Duration::from_secs(days * 86_400)) {
                    return Err(DomainError::not_authorized(
                        "Temporary password has expired and must be reset by an administrator.",
                    ));
                }
                return self.new_password_challenge(&client, &pool, &user).await.map(AuthOutcome::Challenge);
            }
            UserStatus::Confirmed | UserStatus::ExternalProvider => {}
        }
        let request = TriggerRequest {
            user_attributes: event_attributes(&user),
            new_device_used: Some(false),
            client_metadata: client_metadata.clone(),
            ..Default::default()
        };
        let source = "PostAuthentication_Authentication";
        self.trigger(&pool, TriggerKind::PostAuthentication, source, &user.username, Some(&client_id), request).await?;
        let groups = self.token_groups(&user).await?;
        let overrides = self.token_overrides(&pool, &user, &client_id, token_source, client_metadata, &groups).await?;
        let now = self.clock.now();
        let origin_jti = ids::new_uuid(self.rng.as_ref());
        let token = self.new_refresh_value();
        let record = RefreshToken {
            token_hash: hash_refresh_token(&token),
            revoked: false,
            rotated: None,
            pool_id: pool.id.clone(),
            client_id: client.client_id.clone(),
            sub: user.sub.clone(),
            origin_jti: origin_jti.clone(),
            auth_time: now,
            created: now,
            expires: now.plus(client.settings.refresh_token_ttl()),
        };
        self.store.insert_refresh_token(&record).await?;
        Ok(AuthOutcome::Tokens(Box::new(TokenGrant {
            pool,
            client,
            user,
            auth_time: now,
            origin_jti,
            refresh_token: Some(token),
            now,
            overrides,
            groups,
        })))
    }

    async fn refresh(
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
        self.refreshed(client, pool, record, user, client_metadata, false).await
    }

    /// GetTokensFromRefreshToken: a refresh that also rotates the refresh token when the
    /// client asks for rotation.
    pub async fn get_tokens_from_refresh_token(
        &self,
        client_id: &str,
        client_secret: Option<&str>,
        token: &str,
        client_metadata: Metadata,
    ) -> Result<TokenGrant> {
        let (client, pool) = self.client_and_pool(client_id).await?;
        Self::check_client_secret(&client, client_secret)?;
        let record = self.live_refresh_token(&client, &pool, token).await?;
        let user = self.store.get_user_by_sub(&pool.id, &record.sub).await?.ok_or_else(invalid_refresh)?;
        let rotate = client.settings.refresh_token_rotation.is_some();
        self.refreshed(client, pool, record, user, client_metadata, rotate).await
    }

    /// The stored record of a refresh token this client may use now.
    async fn live_refresh_token(&self, client: &AppClient, pool: &UserPool, token: &str) -> Result<RefreshToken> {
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

    async fn refreshed(
        &self,
        client: AppClient,
        pool: UserPool,
        record: RefreshToken,
        user: User,
        client_metadata: Metadata,
        rotate: bool,
    ) -> Result<TokenGrant> {
        if !user.enabled {
            return Err(DomainError::not_authorized("User is disabled."));
        }
        let now = self.clock.now();
        let source = "TokenGeneration_RefreshTokens";
        let groups = self.token_groups(&user).await?;
        let overrides = self.token_overrides(&pool, &user, &client.client_id, source, client_metadata, &groups).await?;
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
        })
    }

    fn new_refresh_value(&self) -> String {
        let mut raw = [0u8; 48];
        self.rng.fill(&mut raw);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    async fn token_overrides(
        &self,
        pool: &UserPool,
        user: &User,
        client_id: &str,
        source: &str,
        client_metadata: Metadata,
        groups: &[crate::group::Group],
    ) -> Result<TokenOverrides> {
        let request = TriggerRequest {
            user_attributes: event_attributes(user),
            client_metadata,
            scopes: Some(vec![ACCESS_SCOPE.to_string()]),
            group_configuration: Some(crate::triggers::GroupConfiguration {
                groups: groups.iter().map(|g| g.name.clone()).collect(),
                roles: groups.iter().filter_map(|g| g.role_arn.clone()).collect(),
                preferred_role: crate::group::preferred_role(groups).map(str::to_string),
            }),
            ..Default::default()
        };
        let answer = self
            .trigger(pool, TriggerKind::PreTokenGeneration, source, &user.username, Some(client_id), request)
            .await?;
        Ok(answer.map(|a| a.token_overrides).unwrap_or_default())
    }

    /// Asks the UserMigration function about a user this pool does not know; creates the
    /// user it describes with the password that was just presented.
    /// `password` is `None` for ForgotPassword (`UserMigration_ForgotPassword`): the user is
    /// created without one and RESET_REQUIRED, and gets a reset code.
    pub(crate) async fn migrate_user(
        &self,
        pool: &UserPool,
        client_id: &str,
        typed: &str,
        password: Option<&str>,
        client_metadata: &Metadata,
    ) -> Result<Option<User>> {
        let request = TriggerRequest {
            password: password.map(str::to_string),
            client_metadata: client_metadata.clone(),
            ..Default::default()
        };
        let source = if password.is_some() { "UserMigration_Authentication" } else { "UserMigration_ForgotPassword" };
        let Some(answer) =
            self.trigger(pool, TriggerKind::UserMigration, source, typed, Some(client_id), request).await?
        else {
            return Ok(None);
        };
        let Some(migrated) = answer.migration else {
            return Err(DomainError::InvalidLambdaResponse(
                "Invalid lambda function output : userAttributes are required".into(),
            ));
        };
        let settings = &pool.settings;
        let mut attrs = migrated.user_attributes;
        attrs.remove("sub");
        attrs.remove("cognito:user_status");
        let supplied: Vec<(String, String)> = attrs.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        attributes::validate_supplied(settings, &supplied)
            .map_err(|e| DomainError::InvalidLambdaResponse(format!("Invalid lambda function output : {e}")))?;
        let sub = ids::new_uuid(self.rng.as_ref());
        let mut aliases = Vec::new();
        let username = if settings.username_attributes.is_empty() {
            for kind in &settings.alias_attributes {
                let verified =
                    kind.verified_attribute().is_none_or(|flag| attrs.get(flag).map(String::as_str) == Some("true"));
                if let (Some(value), true) = (attrs.get(kind.attribute()), verified) {
                    let value_key = settings.alias_key(*kind, value);
                    aliases.push(AliasClaim { kind: *kind, value_key, force: migrated.force_alias_creation });
                }
            }
            typed.to_string()
        } else {
            if attributes::is_email(typed) && !attrs.contains_key("email") {
                attrs.insert("email".into(), typed.into());
            } else if attributes::is_phone(typed) && !attrs.contains_key("phone_number") {
                attrs.insert("phone_number".into(), typed.into());
            }
            for kind in &settings.username_attributes {
                if let Some(value) = attrs.get(kind.attribute()) {
                    aliases.push(AliasClaim { kind: *kind, value_key: settings.alias_key(*kind, value), force: false });
                }
            }
            if !settings.username_attributes.iter().any(|k: &AliasKind| attrs.contains_key(k.attribute())) {
                return Err(DomainError::InvalidLambdaResponse(
                    "Invalid lambda function output : the user needs an email or phone_number".into(),
                ));
            }
            sub.clone()
        };
        attrs.insert("sub".into(), sub.clone());
        let status = match migrated.final_user_status.as_deref() {
            _ if password.is_none() => UserStatus::ResetRequired,
            Some("CONFIRMED") => UserStatus::Confirmed,
            None | Some("RESET_REQUIRED") => UserStatus::ResetRequired,
            Some(other) => {
                return Err(DomainError::InvalidLambdaResponse(format!(
                    "Invalid lambda function output : invalid finalUserStatus {other}"
                )))
            }
        };
        let now = self.clock.now();
        let (hash, verifier) = match password {
            Some(password) => {
                let (hash, verifier) = self.password_record(&pool.id, &username, password).await?;
                (Some(hash), Some(verifier))
            }
            None => (None, None),
        };
        let user = User {
            pool_id: pool.id.clone(),
            username: username.clone(),
            sub,
            status,
            enabled: true,
            attributes: attrs,
            password_hash: hash,
            srp_verifier: verifier,
            password_set: now,
            created: now,
            modified: now,
        };
        let new_user = NewUser { username_key: settings.username_key(&username), aliases, user: user.clone() };
        match self.store.create_user(&new_user, None, None).await {
            Ok(_) => Ok(Some(user)),
            Err(crate::error::StoreError::Conflict(_)) => {
                Err(DomainError::UsernameExists("An account with the given username or alias already exists.".into()))
            }
            Err(e) => Err(e.into()),
        }
    }
}

/// The scope of tokens from the user-pool API (as opposed to OAuth scopes).
pub const ACCESS_SCOPE: &str = "aws.cognito.signin.user.admin";
