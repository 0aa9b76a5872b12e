//! Sign-in with a password and token refresh. Token encoding is the server's job: these
//! flows decide *whether* tokens are issued and with which session facts.

use std::collections::BTreeMap;

use base64::Engine;
use sha2::{Digest, Sha256};

use super::state::{FirstFactor, Proof};
use super::Cognate;
use crate::attributes;
use crate::client::AppClient;
use crate::error::{DomainError, Result};
use crate::ids::{self, Timestamp};
use crate::pool::UserPool;
use crate::signin::{AuthFlow, ChallengeName};
use crate::triggers::{Metadata, TokenOverrides, TriggerKind, TriggerRequest};
use crate::user::{AliasClaim, AliasKind, NewUser, User, UserStatus};

use super::hooks::event_attributes;
use crate::user::Attributes;

/// What a sign-in step ends in: tokens, or the next challenge to answer.
#[derive(Debug)]
pub enum AuthOutcome {
    Tokens(Box<TokenGrant>),
    Challenge(Challenge),
    /// A sign-in on the hosted pages is complete: the page grants the authorization.
    SignedIn(Box<SignedIn>),
}

/// Who signed in on the hosted pages, and when.
#[derive(Debug)]
pub struct SignedIn {
    pub pool: UserPool,
    pub client: AppClient,
    pub user: User,
    pub auth_time: Timestamp,
}

impl AuthOutcome {
    pub fn tokens(self) -> Option<TokenGrant> {
        match self {
            Self::Tokens(grant) => Some(*grant),
            Self::Challenge(_) | Self::SignedIn(_) => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Challenge {
    pub name: ChallengeName,
    pub parameters: BTreeMap<String, String>,
    pub session: Option<String>,
    /// NEW_PASSWORD_REQUIRED carries the user's attributes and the required ones it lacks;
    /// the wire layer encodes both as JSON strings in `ChallengeParameters`.
    pub user_attributes: Option<Attributes>,
    pub required_attributes: Option<Vec<String>>,
    /// `AvailableChallenges`: the first factors `USER_AUTH` offered.
    pub available: Option<Vec<ChallengeName>>,
}

impl Challenge {
    pub fn new(name: ChallengeName, parameters: BTreeMap<String, String>, session: String) -> Self {
        Self {
            name,
            parameters,
            session: Some(session),
            user_attributes: None,
            required_attributes: None,
            available: None,
        }
    }
}

/// `InitiateAuth` / `AdminInitiateAuth` input, minus the wire.
pub struct AuthRequest {
    pub client_id: String,
    /// Set for `AdminInitiateAuth`: the client must belong to it.
    pub pool_id: Option<String>,
    pub flow: AuthFlow,
    pub parameters: BTreeMap<String, String>,
    pub client_metadata: Metadata,
    /// ConfirmSignUp's `Session`, for `USER_AUTH` right after sign-up.
    pub session: Option<String>,
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
    /// The device this sign-in came from (`device_key` in the access token).
    pub device_key: Option<String>,
    /// `NewDeviceMetadata`: a device first seen in this sign-in.
    pub new_device: Option<NewDevice>,
    /// Set for tokens of the OAuth endpoints: the scopes granted and the app's nonce.
    pub oauth: Option<OAuthGrant>,
}

/// What the authorization server granted, for the token claims.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OAuthGrant {
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
}

/// `NewDeviceMetadata`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDevice {
    pub key: String,
    pub group_key: String,
}

pub fn hash_refresh_token(token: &str) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(Sha256::digest(token.as_bytes()))
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
        let flow = req.flow;
        if flow.admin_only().is_some_and(|a| a != admin) {
            return Err(DomainError::invalid(format!("Invalid authentication flow {flow} for this operation.")));
        }
        if !client.settings.allows(flow) {
            return Err(DomainError::invalid(format!("{flow} flow not enabled for this client")));
        }
        match flow {
            AuthFlow::UserPasswordAuth | AuthFlow::AdminUserPasswordAuth | AuthFlow::AdminNoSrpAuth => {
                self.password_auth(client, pool, &req.parameters, req.client_metadata, false).await
            }
            AuthFlow::RefreshTokenAuth | AuthFlow::RefreshToken => self
                .refresh(client, pool, &req.parameters, req.client_metadata)
                .await
                .map(|g| AuthOutcome::Tokens(Box::new(g))),
            AuthFlow::CustomAuth => self.custom_start(client, pool, &req.parameters, req.client_metadata).await,
            AuthFlow::UserSrpAuth => self.srp_start(client, pool, &req.parameters).await,
            AuthFlow::UserAuth => {
                let session = req.session.as_deref();
                self.user_auth(client, pool, &req.parameters, session, req.client_metadata).await
            }
        }
    }

    pub(crate) async fn password_auth(
        &self,
        client: AppClient,
        pool: UserPool,
        params: &BTreeMap<String, String>,
        client_metadata: Metadata,
        hosted: bool,
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
        let mut device = None;
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
                        let proof = Proof { hosted, ..Proof::first(FirstFactor::Password) };
                        return self.first_factor_proven(client, pool, user, client_metadata, proof).await;
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
                device = self.presented_device(&pool, &user, params.get("DEVICE_KEY").map(String::as_str)).await?;
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
        let proof = Proof { hosted, ..Proof::first(FirstFactor::Password) }.with_device(device);
        self.first_factor_proven(client, pool, user, client_metadata, proof).await
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
            mfa: Default::default(),
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
