//! Machine-to-machine tokens: the `client_credentials` grant.

use subtle::ConstantTimeEq;

use super::Cognate;
use crate::client::AppClient;
use crate::error::DomainError;
use crate::ids::Timestamp;
use crate::oauth::{OAuthError, OAuthFlow};
use crate::pool::UserPool;
use crate::triggers::{Metadata, TokenOverrides, TriggerKind, TriggerRequest};

/// The explicit auth flow of clients that get machine tokens through `GetClientToken`.
pub const CLIENT_TOKEN_FLOW: &str = "ALLOW_CLIENT_TOKEN_AUTH";

/// An access token for an app client acting for itself: no user, no ID or refresh token.
#[derive(Debug)]
pub struct MachineGrant {
    pub pool: UserPool,
    pub client: AppClient,
    /// Granted custom scopes, in the client's order, after PreTokenGeneration.
    pub scopes: Vec<String>,
    pub now: Timestamp,
    pub overrides: TokenOverrides,
}

/// Who is asking at the token endpoint: the client id and the secret it presented, by
/// either `client_secret_basic` or `client_secret_post`.
pub struct ClientAuth<'a> {
    pub client_id: &'a str,
    pub secret: Option<&'a str>,
}

impl Cognate {
    /// The client behind a token request, its secret checked in constant time. A client with
    /// a secret must present it; a public client must not pretend to have one.
    pub async fn authenticate_client(&self, auth: &ClientAuth<'_>) -> Result<(AppClient, UserPool), OAuthError> {
        let client = self.store.get_client(auth.client_id).await?.ok_or(OAuthError::InvalidClient)?;
        match (&client.secret, auth.secret) {
            (Some(secret), Some(presented)) if bool::from(secret.as_bytes().ct_eq(presented.as_bytes())) => {}
            (None, None) => {}
            _ => return Err(OAuthError::InvalidClient),
        }
        let pool = self.pool(&client.pool_id).await?;
        Ok((client, pool))
    }

    /// `grant_type=client_credentials`. `scope` is the space-separated request; without it
    /// the client gets every custom scope it is allowed.
    pub async fn client_credentials(
        &self,
        auth: &ClientAuth<'_>,
        scope: Option<&str>,
        client_metadata: Metadata,
    ) -> Result<MachineGrant, OAuthError> {
        let (client, pool) = self.authenticate_client(auth).await?;
        let oauth = &client.settings.oauth;
        // Cognito answers invalid_grant while the OAuth switch is off, and looks at the
        // scopes before the flow: a client without custom scopes gets invalid_scope.
        if !oauth.enabled {
            return Err(OAuthError::InvalidGrant);
        }
        let requested: Option<Vec<&str>> = scope.map(|s| s.split_whitespace().collect());
        let scopes = self.machine_scopes(&client, &pool, requested).await?.ok_or(OAuthError::InvalidScope)?;
        if client.secret.is_none() || !oauth.allows(OAuthFlow::ClientCredentials) {
            return Err(OAuthError::UnauthorizedClient);
        }
        Ok(self.machine_grant(client, pool, scopes, client_metadata).await?)
    }

    /// `GetClientToken`: the client-credentials grant through the API, for clients whose only
    /// auth flow is `ALLOW_CLIENT_TOKEN_AUTH`.
    pub async fn client_token(
        &self,
        client_id: &str,
        secret: &str,
        scopes: Option<Vec<String>>,
        client_metadata: Metadata,
    ) -> crate::error::Result<MachineGrant> {
        let auth = ClientAuth { client_id, secret: Some(secret) };
        let invalid = || DomainError::not_authorized("Invalid client or secret");
        let (client, pool) = match self.authenticate_client(&auth).await {
            Ok(found) => found,
            Err(OAuthError::Domain(e)) => return Err(e),
            Err(_) => return Err(invalid()),
        };
        if !client.settings.explicit_auth_flows.as_ref().is_some_and(|f| f.iter().any(|f| f == CLIENT_TOKEN_FLOW)) {
            return Err(DomainError::OperationNotEnabled(
                "ALLOW_CLIENT_TOKEN_AUTH is not enabled for this app client.".into(),
            ));
        }
        let requested: Option<Vec<&str>> = scopes.as_ref().map(|s| s.iter().map(String::as_str).collect());
        let scopes = match self.machine_scopes(&client, &pool, requested).await {
            Ok(Some(scopes)) => scopes,
            Ok(None) => return Err(DomainError::invalid("Invalid scope requested.")),
            Err(OAuthError::Domain(e)) => return Err(e),
            Err(_) => return Err(DomainError::invalid("Invalid scope requested.")),
        };
        self.machine_grant(client, pool, scopes, client_metadata).await
    }

    /// The custom scopes a machine token gets: those asked for (else all the client may have)
    /// whose resource server still defines them. `None` when none is left; an asked scope the
    /// client may not have is `invalid_scope`.
    async fn machine_scopes(
        &self,
        client: &AppClient,
        pool: &UserPool,
        requested: Option<Vec<&str>>,
    ) -> Result<Option<Vec<String>>, OAuthError> {
        let allowed = &client.settings.oauth.scopes;
        let requested = requested.unwrap_or_else(|| allowed.iter().map(String::as_str).collect());
        if requested.iter().any(|s| !allowed.iter().any(|a| a == s)) {
            return Err(OAuthError::InvalidScope);
        }
        // A scope its resource server no longer defines is inactive: left out, not refused.
        let mut scopes: Vec<String> = Vec::new();
        for (server, name) in client.settings.oauth.custom_scopes() {
            let full = format!("{server}/{name}");
            if !requested.contains(&full.as_str()) || scopes.contains(&full) {
                continue;
            }
            if self.store.get_resource_server(&pool.id, server).await?.is_some_and(|s| s.defines(name)) {
                scopes.push(full);
            }
        }
        Ok((!scopes.is_empty()).then_some(scopes))
    }

    async fn machine_grant(
        &self,
        client: AppClient,
        pool: UserPool,
        mut scopes: Vec<String>,
        client_metadata: Metadata,
    ) -> crate::error::Result<MachineGrant> {
        let overrides = self.machine_token_overrides(&pool, &client, &scopes, client_metadata).await?;
        let added: Vec<String> =
            overrides.scopes_add.iter().filter(|s| !s.is_empty() && !scopes.contains(s)).cloned().collect();
        scopes.extend(added);
        scopes.retain(|s| !overrides.scopes_suppress.contains(s));
        Ok(MachineGrant { pool, client, scopes, now: self.clock.now(), overrides })
    }

    /// PreTokenGeneration runs for machine tokens only in its version 3.
    async fn machine_token_overrides(
        &self,
        pool: &UserPool,
        client: &AppClient,
        scopes: &[String],
        client_metadata: Metadata,
    ) -> crate::error::Result<TokenOverrides> {
        if pool.settings.pre_token_generation_version.as_deref() != Some("V3_0") {
            return Ok(TokenOverrides::default());
        }
        let request = TriggerRequest { client_metadata, scopes: Some(scopes.to_vec()), ..Default::default() };
        let source = "TokenGeneration_ClientCredentials";
        let answer = self
            .trigger(
                pool,
                TriggerKind::PreTokenGeneration,
                source,
                "ClientCredentials",
                Some(&client.client_id),
                request,
            )
            .await?;
        Ok(answer.map(|a| a.token_overrides).unwrap_or_default())
    }
}
