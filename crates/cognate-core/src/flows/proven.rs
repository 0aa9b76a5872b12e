//! The common end of every sign-in, whatever proved the first factor:
//!
//! ```text
//! first factor proven ──► status checks ──► NEW_PASSWORD_REQUIRED? ──► second factor? ──► tokens
//! ```
//!
//! Each step that needs an answer from the client seals a [`Proof`] into its session, and the
//! answer resumes here where it left off.

use base64::Engine;

use super::auth::{hash_refresh_token, AuthOutcome, SignedIn, TokenGrant, ACCESS_SCOPE};
use super::hooks::event_attributes;
use super::state::Proof;
use super::Cognate;
use crate::client::AppClient;
use crate::error::{DomainError, Result};
use crate::ids;
use crate::pool::UserPool;
use crate::triggers::{Metadata, TokenOverrides, TriggerKind, TriggerRequest};
use crate::user::{RefreshToken, User, UserStatus};

impl Cognate {
    /// The user proved who they are: status checks and the NEW_PASSWORD_REQUIRED challenge,
    /// then the second factor.
    pub(crate) async fn first_factor_proven(
        &self,
        client: AppClient,
        pool: UserPool,
        user: User,
        client_metadata: Metadata,
        proof: Proof,
    ) -> Result<AuthOutcome> {
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
                return self.new_password_challenge(&client, &pool, &user, proof).await.map(AuthOutcome::Challenge);
            }
            UserStatus::Confirmed | UserStatus::ExternalProvider => {}
        }
        self.second_factor(client, pool, user, client_metadata, proof).await
    }

    /// Every factor is proven: PostAuthentication, PreTokenGeneration and a new refresh token.
    pub(crate) async fn issue_tokens(
        &self,
        client: AppClient,
        pool: UserPool,
        user: User,
        client_metadata: Metadata,
        proof: Proof,
    ) -> Result<AuthOutcome> {
        if !user.enabled {
            return Err(DomainError::not_authorized("User is disabled."));
        }
        let client_id = client.client_id.clone();
        let (device_key, new_device) = self.device_for_tokens(&pool, &user, &proof).await?;
        let request = TriggerRequest {
            user_attributes: event_attributes(&user),
            new_device_used: Some(new_device.is_some()),
            client_metadata: client_metadata.clone(),
            ..Default::default()
        };
        let source = "PostAuthentication_Authentication";
        self.trigger(&pool, TriggerKind::PostAuthentication, source, &user.username, Some(&client_id), request).await?;
        if proof.hosted {
            // The authorization is granted by the page; tokens come from the token endpoint.
            let auth_time = self.clock.now();
            return Ok(AuthOutcome::SignedIn(Box::new(SignedIn { pool, client, user, auth_time })));
        }
        let groups = self.token_groups(&user).await?;
        let overrides = self
            .token_overrides(&pool, &user, &client_id, proof.token_source(), client_metadata, &groups, None)
            .await?;
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
            scopes: None,
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
            device_key,
            new_device,
            oauth: None,
        })))
    }

    pub(crate) fn new_refresh_value(&self) -> String {
        let mut raw = [0u8; 48];
        self.rng.fill(&mut raw);
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn token_overrides(
        &self,
        pool: &UserPool,
        user: &User,
        client_id: &str,
        source: &str,
        client_metadata: Metadata,
        groups: &[crate::group::Group],
        scopes: Option<&[String]>,
    ) -> Result<TokenOverrides> {
        let scopes = scopes.map_or_else(|| vec![ACCESS_SCOPE.to_string()], <[String]>::to_vec);
        let request = TriggerRequest {
            user_attributes: event_attributes(user),
            client_metadata,
            scopes: Some(scopes),
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
}
