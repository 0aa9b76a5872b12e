//! The authorization server behind the hosted pages: checking an authorization request,
//! signing in on the pages, granting codes (and implicit tokens), the browser's single
//! sign-on session, and redeeming codes and refresh tokens at the token endpoint.

use std::collections::BTreeMap;
use std::time::Duration;

use super::auth::{hash_refresh_token, AuthOutcome, OAuthGrant, SignedIn, TokenGrant};
use super::machine::ClientAuth;
use super::state::{CodeGrant, Step, StepKind};
use super::Cognate;
use crate::client::AppClient;
use crate::error::{DomainError, Result};
use crate::ids::{self, Timestamp};
use crate::oauth::{order_scopes, pkce_matches, OAuthError, OAuthFlow, Scope};
use crate::pool::UserPool;
use crate::user::{AuthSession, RefreshToken, User, UserStatus};

/// An authorization code is good for five minutes, once.
const CODE_LIFETIME: Duration = Duration::from_secs(300);
/// Cognito's hosted-page session cookie lives an hour, not configurable.
pub const BROWSER_SESSION_LIFETIME: Duration = Duration::from_secs(3600);
/// A sign-up on the pages may be confirmed there within a day (the code's lifetime).
const SIGN_UP_HOLD: Duration = Duration::from_secs(86_400);

/// The parameters of `/oauth2/authorize` (and `/login`), as the browser sent them.
#[derive(Debug, Clone, Default)]
pub struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub state: Option<String>,
    pub scope: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub nonce: Option<String>,
    pub identity_provider: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    Code,
    Token,
}

/// A checked authorization request: where to send the browser back, and what to grant.
#[derive(Debug, Clone)]
pub struct Authorization {
    pub pool: UserPool,
    pub client: AppClient,
    pub redirect_uri: String,
    pub response_type: ResponseType,
    pub scopes: Vec<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
}

/// Why an authorization request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The app or its redirect cannot be trusted: cognate's own error page, never a redirect.
    Page(&'static str),
    /// Reported to the app at its registered redirect URI.
    Redirect {
        redirect_uri: String,
        error: &'static str,
        state: Option<String>,
        fragment: bool,
    },
    Failed(DomainError),
}

impl From<DomainError> for Refusal {
    fn from(e: DomainError) -> Self {
        Refusal::Failed(e)
    }
}

impl From<crate::error::StoreError> for Refusal {
    fn from(e: crate::error::StoreError) -> Self {
        Refusal::Failed(e.into())
    }
}

/// What a completed sign-in gives the app.
#[derive(Debug)]
pub enum Granted {
    /// `response_type=code`.
    Code(String),
    /// `response_type=token` (implicit): tokens in the redirect's fragment.
    Tokens(Box<TokenGrant>),
}

impl Cognate {
    /// Checks an authorization request the way Cognito does: first whether the browser may
    /// be sent back at all, then everything that is reported to the app.
    pub async fn authorization(&self, p: &AuthorizeParams) -> std::result::Result<Authorization, Refusal> {
        let client_id = p.client_id.as_deref().ok_or(Refusal::Page("invalid_request"))?;
        let client = self.store.get_client(client_id).await?.ok_or(Refusal::Page("invalid_request"))?;
        let pool = self.pool(&client.pool_id).await?;
        let oauth = &client.settings.oauth;
        let redirect_uri = match p.redirect_uri.as_deref().or(oauth.default_redirect_uri.as_deref()) {
            Some(uri) if oauth.callback_urls.iter().any(|u| u == uri) => uri.to_string(),
            _ => return Err(Refusal::Page("redirect_mismatch")),
        };
        if p.identity_provider.as_deref().is_some_and(|idp| idp != "COGNITO") {
            return Err(Refusal::Page("invalid_request"));
        }
        let state = p.state.clone();
        let fragment = p.response_type.as_deref() == Some("token");
        let refuse = |error: &'static str| Refusal::Redirect {
            redirect_uri: redirect_uri.clone(),
            error,
            state: state.clone(),
            fragment,
        };
        let (response_type, flow) = match p.response_type.as_deref() {
            None => return Err(refuse("invalid_request")),
            Some("code") => (ResponseType::Code, OAuthFlow::Code),
            Some("token") => (ResponseType::Token, OAuthFlow::Implicit),
            Some(_) => return Err(refuse("unsupported_response_type")),
        };
        if !oauth.allows(flow) || !oauth.identity_providers.iter().any(|i| i == "COGNITO") {
            return Err(refuse("unauthorized_client"));
        }
        let code_challenge = match (p.code_challenge.as_deref(), p.code_challenge_method.as_deref()) {
            (None, None) => None,
            (Some(challenge), Some("S256")) if (43..=128).contains(&challenge.len()) => Some(challenge.to_string()),
            _ => return Err(refuse("invalid_request")),
        };
        let requested: Vec<&str> = match p.scope.as_deref() {
            Some(list) => list.split_whitespace().collect(),
            None => oauth.scopes.iter().map(String::as_str).collect(),
        };
        if requested.is_empty() || requested.iter().any(|s| !oauth.scopes.iter().any(|a| a == s)) {
            return Err(refuse("invalid_scope"));
        }
        let openid = requested.contains(&"openid");
        if !openid && requested.iter().any(|s| matches!(*s, "email" | "phone" | "profile")) {
            return Err(refuse("invalid_scope"));
        }
        // A custom scope its resource server no longer defines is inactive: left out.
        let mut scopes = Vec::with_capacity(requested.len());
        for scope in requested {
            if let Some(Scope::Custom { server, name }) = Scope::parse(scope) {
                if !self.store.get_resource_server(&pool.id, server).await?.is_some_and(|s| s.defines(name)) {
                    continue;
                }
            }
            scopes.push(scope.to_string());
        }
        if scopes.is_empty() {
            return Err(refuse("invalid_scope"));
        }
        Ok(Authorization {
            scopes: order_scopes(scopes, &oauth.scopes),
            pool,
            client,
            redirect_uri,
            response_type,
            state,
            nonce: p.nonce.clone(),
            code_challenge: if response_type == ResponseType::Code { code_challenge } else { None },
        })
    }

    /// The sign-in form of the hosted pages. The page is the app client's own front end, so
    /// it signs with the client's secret itself; the client's API flows do not apply.
    pub async fn hosted_sign_in(&self, authz: &Authorization, username: &str, password: &str) -> Result<AuthOutcome> {
        let client = &authz.client;
        let mut params = BTreeMap::from([
            ("USERNAME".to_string(), username.to_string()),
            ("PASSWORD".to_string(), password.to_string()),
        ]);
        if let Some(secret) = &client.secret {
            params.insert("SECRET_HASH".into(), crate::secret_hash::compute(secret, username, &client.client_id));
        }
        self.password_auth(client.clone(), authz.pool.clone(), &params, None, true).await
    }

    /// Grants the authorization to a signed-in user: a code, or (implicit) the tokens.
    pub async fn grant(&self, authz: &Authorization, user: &User, auth_time: Timestamp) -> Result<Granted> {
        if !user.enabled || user.status != UserStatus::Confirmed {
            return Err(DomainError::not_authorized("User is disabled."));
        }
        match authz.response_type {
            ResponseType::Code => {
                let code = ids::new_uuid(self.rng.as_ref());
                let step = Step::AuthorizationCode(CodeGrant {
                    redirect_uri: authz.redirect_uri.clone(),
                    scopes: authz.scopes.clone(),
                    nonce: authz.nonce.clone(),
                    challenge: authz.code_challenge.clone(),
                    auth_time: auth_time.0,
                });
                self.put_row(&authz.client, &authz.pool.id, user, &code, &step, CODE_LIFETIME).await?;
                Ok(Granted::Code(code))
            }
            ResponseType::Token => {
                let oauth = OAuthGrant { scopes: authz.scopes.clone(), nonce: authz.nonce.clone() };
                let grant =
                    self.oauth_tokens(&authz.pool, &authz.client, user.clone(), auth_time, oauth, false).await?;
                Ok(Granted::Tokens(Box::new(grant)))
            }
        }
    }

    /// The browser's single sign-on session after a sign-in on the pages: the cookie value.
    pub async fn open_browser_session(&self, signed: &SignedIn) -> Result<String> {
        let mut raw = [0u8; 32];
        self.rng.fill(&mut raw);
        let cookie = ids::hex(&raw);
        let step = Step::Browser { auth_time: signed.auth_time.0 };
        self.put_row(&signed.client, &signed.pool.id, &signed.user, &cookie, &step, BROWSER_SESSION_LIFETIME).await?;
        Ok(cookie)
    }

    /// The user a browser is signed in as in this pool, and when they signed in.
    pub async fn browser_session(&self, pool_id: &str, cookie: &str) -> Result<Option<(User, Timestamp)>> {
        let Some(row) = self.store.get_auth_session(&hash_refresh_token(cookie)).await? else { return Ok(None) };
        if row.pool_id != pool_id || row.challenge != StepKind::Browser.as_str() || self.clock.now() >= row.expires {
            return Ok(None);
        }
        let Some(Step::Browser { auth_time }) = self.sealer.open(&row.state).and_then(|b| Step::decode(&b)) else {
            return Ok(None);
        };
        let Some(sub) = row.sub else { return Ok(None) };
        let user = self.store.get_user_by_sub(pool_id, &sub).await?;
        Ok(user.filter(|u| u.enabled && u.status == UserStatus::Confirmed).map(|u| (u, Timestamp(auth_time))))
    }

    /// The browser that signed up on the pages, remembered until the account is confirmed
    /// there: it then lands signed in. Returns the cookie value.
    pub async fn hold_sign_up(&self, authz: &Authorization, user: &User) -> Result<String> {
        let mut raw = [0u8; 32];
        self.rng.fill(&mut raw);
        let cookie = ids::hex(&raw);
        self.put_row(&authz.client, &authz.pool.id, user, &cookie, &Step::SignUpHold, SIGN_UP_HOLD).await?;
        Ok(cookie)
    }

    /// Whether this browser signed `user` up (the hold is spent): if so, the confirmation
    /// completes a sign-in, with PostAuthentication as after a password.
    pub async fn take_sign_up_hold(
        &self,
        authz: &Authorization,
        cookie: &str,
        user: &User,
    ) -> Result<Option<SignedIn>> {
        let id_hash = hash_refresh_token(cookie);
        let Some(row) = self.store.get_auth_session(&id_hash).await? else { return Ok(None) };
        let ours = row.challenge == StepKind::SignUpHold.as_str()
            && row.pool_id == authz.pool.id
            && row.sub.as_deref() == Some(user.sub.as_str())
            && self.clock.now() < row.expires;
        if !ours || !self.store.delete_auth_session(&id_hash).await? {
            return Ok(None);
        }
        let request = crate::triggers::TriggerRequest {
            user_attributes: super::hooks::event_attributes(user),
            new_device_used: Some(false),
            ..Default::default()
        };
        let source = "PostAuthentication_Authentication";
        let client_id = Some(authz.client.client_id.as_str());
        self.trigger(
            &authz.pool,
            crate::triggers::TriggerKind::PostAuthentication,
            source,
            &user.username,
            client_id,
            request,
        )
        .await?;
        Ok(Some(SignedIn {
            pool: authz.pool.clone(),
            client: authz.client.clone(),
            user: user.clone(),
            auth_time: self.clock.now(),
        }))
    }

    /// `/logout`: the browser's session ends (tokens already issued stay valid, as on Cognito).
    pub async fn end_browser_session(&self, cookie: &str) -> Result<()> {
        self.store.delete_auth_session(&hash_refresh_token(cookie)).await?;
        Ok(())
    }

    /// `grant_type=authorization_code`. The code is spent by the first attempt, whatever
    /// its outcome.
    pub async fn redeem_code(
        &self,
        auth: &ClientAuth<'_>,
        code: &str,
        redirect_uri: Option<&str>,
        verifier: Option<&str>,
    ) -> std::result::Result<TokenGrant, OAuthError> {
        let (client, pool) = self.authenticate_client(auth).await?;
        if !client.settings.oauth.allows(OAuthFlow::Code) {
            return Err(OAuthError::UnauthorizedClient);
        }
        let id_hash = hash_refresh_token(code);
        let row = self.store.get_auth_session(&id_hash).await?.ok_or(OAuthError::InvalidGrant)?;
        if row.challenge != StepKind::Code.as_str() || !self.store.delete_auth_session(&id_hash).await? {
            return Err(OAuthError::InvalidGrant);
        }
        let Some(Step::AuthorizationCode(grant)) = self.sealer.open(&row.state).and_then(|b| Step::decode(&b)) else {
            return Err(OAuthError::InvalidGrant);
        };
        if self.clock.now() >= row.expires || row.client_id != client.client_id || row.pool_id != pool.id {
            return Err(OAuthError::InvalidGrant);
        }
        if redirect_uri != Some(grant.redirect_uri.as_str()) {
            return Err(OAuthError::InvalidRedirect);
        }
        if let Some(challenge) = &grant.challenge {
            if !verifier.is_some_and(|v| pkce_matches(challenge, v)) {
                return Err(OAuthError::InvalidGrant);
            }
        }
        let sub = row.sub.ok_or(OAuthError::InvalidGrant)?;
        let user = self.store.get_user_by_sub(&pool.id, &sub).await?.ok_or(OAuthError::InvalidGrant)?;
        if !user.enabled {
            return Err(OAuthError::InvalidGrant);
        }
        let oauth = OAuthGrant { scopes: grant.scopes, nonce: grant.nonce };
        Ok(self.oauth_tokens(&pool, &client, user, Timestamp(grant.auth_time), oauth, true).await?)
    }

    /// `grant_type=refresh_token` at the token endpoint.
    pub async fn redeem_refresh_token(
        &self,
        auth: &ClientAuth<'_>,
        token: &str,
    ) -> std::result::Result<TokenGrant, OAuthError> {
        let (client, pool) = self.authenticate_client(auth).await?;
        let record = self.live_refresh_token(&client, &pool, token).await.map_err(|e| match e {
            DomainError::Internal(_) => OAuthError::Domain(e),
            _ => OAuthError::InvalidGrant,
        })?;
        let user = self.store.get_user_by_sub(&pool.id, &record.sub).await?.ok_or(OAuthError::InvalidGrant)?;
        let rotate = client.settings.refresh_token_rotation.is_some();
        self.refreshed(client, pool, record, user, None, rotate, None).await.map_err(|e| match e {
            DomainError::NotAuthorized(_) | DomainError::RefreshTokenReuse(_) => OAuthError::InvalidGrant,
            other => OAuthError::Domain(other),
        })
    }

    /// Tokens for the OAuth endpoints: PreTokenGeneration with the granted scopes, and a
    /// refresh token (code grant) that remembers them.
    async fn oauth_tokens(
        &self,
        pool: &UserPool,
        client: &AppClient,
        user: User,
        auth_time: Timestamp,
        oauth: OAuthGrant,
        with_refresh: bool,
    ) -> Result<TokenGrant> {
        let groups = self.token_groups(&user).await?;
        let source = "TokenGeneration_HostedAuth";
        let overrides =
            self.token_overrides(pool, &user, &client.client_id, source, None, &groups, Some(&oauth.scopes)).await?;
        let now = self.clock.now();
        let origin_jti = ids::new_uuid(self.rng.as_ref());
        let refresh_token = if with_refresh {
            let token = self.new_refresh_value();
            let record = RefreshToken {
                token_hash: hash_refresh_token(&token),
                revoked: false,
                rotated: None,
                pool_id: pool.id.clone(),
                client_id: client.client_id.clone(),
                sub: user.sub.clone(),
                origin_jti: origin_jti.clone(),
                auth_time,
                created: now,
                expires: now.plus(client.settings.refresh_token_ttl()),
                scopes: Some(oauth.scopes.join(" ")),
            };
            self.store.insert_refresh_token(&record).await?;
            Some(token)
        } else {
            None
        };
        Ok(TokenGrant {
            pool: pool.clone(),
            client: client.clone(),
            user,
            auth_time,
            origin_jti,
            refresh_token,
            now,
            overrides,
            groups,
            device_key: None,
            new_device: None,
            oauth: Some(oauth),
        })
    }

    /// A session row for a code or a browser, sealed like the sign-in steps.
    async fn put_row(
        &self,
        client: &AppClient,
        pool_id: &str,
        user: &User,
        token: &str,
        step: &Step,
        ttl: Duration,
    ) -> Result<()> {
        let row = AuthSession {
            id_hash: hash_refresh_token(token),
            pool_id: pool_id.to_string(),
            client_id: client.client_id.clone(),
            sub: Some(user.sub.clone()),
            username: user.username.clone(),
            challenge: step.kind().as_str().to_string(),
            state: self.sealer.seal(&step.encode()),
            expires: self.clock.now().plus(ttl),
        };
        self.store.insert_auth_session(&row).await?;
        Ok(())
    }
}
