//! OAuth 2.0 on app clients: the flows and scopes a client may use at the authorization
//! server, its redirect allow-lists, and the checks Cognito makes when they are configured.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{DomainError, Result};

/// The scope that lets an access token call the user's own API operations.
pub const ADMIN_SCOPE: &str = "aws.cognito.signin.user.admin";
/// The OpenID Connect scopes Cognito defines, besides [`ADMIN_SCOPE`].
pub const OIDC_SCOPES: [&str; 4] = ["openid", "email", "phone", "profile"];

/// `AllowedOAuthFlows`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OAuthFlow {
    Code,
    Implicit,
    ClientCredentials,
}

impl OAuthFlow {
    pub const ALL: [OAuthFlow; 3] = [OAuthFlow::Code, OAuthFlow::Implicit, OAuthFlow::ClientCredentials];

    pub fn as_str(self) -> &'static str {
        match self {
            OAuthFlow::Code => "code",
            OAuthFlow::Implicit => "implicit",
            OAuthFlow::ClientCredentials => "client_credentials",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// The OAuth members of an app client. Lists are empty when not configured.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OAuthSettings {
    /// `AllowedOAuthFlowsUserPoolClient`: the master switch.
    pub enabled: bool,
    pub flows: Vec<OAuthFlow>,
    pub scopes: Vec<String>,
    pub callback_urls: Vec<String>,
    pub logout_urls: Vec<String>,
    pub default_redirect_uri: Option<String>,
    /// `SupportedIdentityProviders`: `COGNITO` and the names of federated providers.
    pub identity_providers: Vec<String>,
}

/// A scope as the authorization server sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope<'a> {
    /// `openid`, `email`, `phone`, `profile`, `aws.cognito.signin.user.admin`.
    Reserved(&'a str),
    /// `<resource server identifier>/<scope name>`.
    Custom { server: &'a str, name: &'a str },
}

impl<'a> Scope<'a> {
    /// `None` for a string that is neither reserved nor has the custom form.
    pub fn parse(s: &'a str) -> Option<Self> {
        if s == ADMIN_SCOPE || OIDC_SCOPES.contains(&s) {
            return Some(Scope::Reserved(s));
        }
        // Identifiers may contain "/" (URLs are common); scope names may not.
        let (server, name) = s.rsplit_once('/')?;
        (!server.is_empty() && !name.is_empty()).then_some(Scope::Custom { server, name })
    }
}

impl OAuthSettings {
    pub fn allows(&self, flow: OAuthFlow) -> bool {
        self.enabled && self.flows.contains(&flow)
    }

    /// The custom scopes the client names, as (resource server, scope name).
    pub fn custom_scopes(&self) -> impl Iterator<Item = (&str, &str)> {
        self.scopes.iter().filter_map(|s| match Scope::parse(s) {
            Some(Scope::Custom { server, name }) => Some((server, name)),
            _ => None,
        })
    }

    /// Cognito's rules between the members, checked on create and update, in Cognito's order
    /// after the scopes and providers the flow checks against the pool.
    pub fn check(&self, has_secret: bool) -> Result<()> {
        if self.enabled && (self.flows.is_empty() || self.scopes.is_empty()) {
            return Err(DomainError::invalid(
                "AllowedOAuthFlows and AllowedOAuthScopes are required if user pool client is allowed to use OAuth flows.",
            ));
        }
        let machine = self.flows.contains(&OAuthFlow::ClientCredentials);
        if machine && self.flows.len() > 1 {
            return Err(DomainError::InvalidOAuthFlow(
                "client_credentials flow can not be selected along with code flow or implicit flow.".into(),
            ));
        }
        if machine && !has_secret {
            return Err(DomainError::InvalidOAuthFlow(
                "client_credentials flow can not be selected if client does not have a client secret.".into(),
            ));
        }
        if machine {
            if let Some(reserved) = self.scopes.iter().find(|s| matches!(Scope::parse(s), Some(Scope::Reserved(_)))) {
                return Err(DomainError::InvalidOAuthFlow(format!(
                    "{reserved} is not supported with client_credentials flow"
                )));
            }
        }
        if self.flows.iter().any(|f| matches!(f, OAuthFlow::Code | OAuthFlow::Implicit))
            && self.callback_urls.is_empty()
        {
            return Err(DomainError::InvalidOAuthFlow(
                "CallbackUrls can not be empty when code flow or implicit flow is selected".into(),
            ));
        }
        for url in self.callback_urls.iter().chain(&self.logout_urls) {
            check_redirect_url(url)?;
        }
        if let Some(default) = &self.default_redirect_uri {
            if !self.callback_urls.contains(default) {
                return Err(DomainError::invalid(format!(
                    "The default redirect URI {default} is not in the callback URIs list."
                )));
            }
        }
        Ok(())
    }

    /// The first scope that is neither reserved nor of the custom form.
    pub fn malformed_scope(&self) -> Option<&str> {
        self.scopes.iter().map(String::as_str).find(|s| Scope::parse(s).is_none())
    }
}

/// A redirect URL as Cognito accepts it: no fragment, HTTPS unless the host is `localhost`;
/// other schemes (`myapp://callback`) are left to native apps. The wire's pattern checked the rest.
pub fn check_redirect_url(url: &str) -> Result<()> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    if url.contains('#') {
        return Err(DomainError::invalid(format!("{url} cannot use fragment")));
    }
    if scheme.eq_ignore_ascii_case("http") {
        let authority = rest.split(['/', '?']).next().unwrap_or_default();
        let host = match authority.rsplit_once('@') {
            Some((_, h)) => h,
            None => authority,
        };
        let host = match host.rsplit_once(':') {
            Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
            _ => host,
        };
        // Loopback by name or address (RFC 8252 §7.3, which Cognito now follows too).
        let loopback = host.eq_ignore_ascii_case("localhost") || host == "127.0.0.1" || host == "[::1]";
        if !loopback {
            return Err(DomainError::invalid(format!("{url} cannot use the HTTP protocol.")));
        }
    }
    Ok(())
}

/// PKCE with `S256`: BASE64URL(SHA256(verifier)) without padding equals the challenge.
pub fn pkce_matches(challenge: &str, verifier: &str) -> bool {
    use base64::Engine;
    use subtle::ConstantTimeEq;
    let computed = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()))
}

/// Granted scopes in the order Cognito writes them: its own scopes first
/// (`aws.cognito.signin.user.admin phone openid profile email`), then custom scopes in the
/// client's order.
pub fn order_scopes(mut scopes: Vec<String>, client_order: &[String]) -> Vec<String> {
    const RESERVED_ORDER: [&str; 5] = [ADMIN_SCOPE, "phone", "openid", "profile", "email"];
    let rank = |s: &String| match RESERVED_ORDER.iter().position(|r| r == s) {
        Some(i) => i,
        None => RESERVED_ORDER.len() + client_order.iter().position(|c| c == s).unwrap_or(usize::MAX / 2),
    };
    scopes.sort_by_key(rank);
    scopes.dedup();
    scopes
}

/// An OAuth 2.0 error (RFC 6749 §5.2) as the token endpoint reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OAuthError {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    InvalidScope,
    /// `redirect_uri` differs from the authorization request's: Cognito answers
    /// `unauthorized_client` with the description `invalid_redirect`.
    InvalidRedirect,
    /// A failure that is not the request's (storage, a trigger): answered as the API would.
    Domain(DomainError),
}

impl OAuthError {
    /// The `error` value; `None` for [`OAuthError::Domain`].
    pub fn code(&self) -> Option<&'static str> {
        Some(match self {
            OAuthError::InvalidRequest => "invalid_request",
            OAuthError::InvalidClient => "invalid_client",
            OAuthError::InvalidGrant => "invalid_grant",
            OAuthError::UnauthorizedClient => "unauthorized_client",
            OAuthError::UnsupportedGrantType => "unsupported_grant_type",
            OAuthError::InvalidScope => "invalid_scope",
            OAuthError::InvalidRedirect => "unauthorized_client",
            OAuthError::Domain(_) => return None,
        })
    }
}

impl From<DomainError> for OAuthError {
    fn from(e: DomainError) -> Self {
        OAuthError::Domain(e)
    }
}

impl From<crate::error::StoreError> for OAuthError {
    fn from(e: crate::error::StoreError) -> Self {
        OAuthError::Domain(e.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(flows: &[OAuthFlow], scopes: &[&str], callbacks: &[&str]) -> OAuthSettings {
        OAuthSettings {
            enabled: true,
            flows: flows.to_vec(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            callback_urls: callbacks.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    #[test]
    fn scopes_parse_reserved_and_custom() {
        assert_eq!(Scope::parse("openid"), Some(Scope::Reserved("openid")));
        assert_eq!(
            Scope::parse("https://api.example.com/read"),
            Some(Scope::Custom { server: "https://api.example.com", name: "read" })
        );
        assert_eq!(Scope::parse("orders"), None);
        assert_eq!(Scope::parse("orders/"), None);
    }

    #[test]
    fn machine_clients_need_a_secret_custom_scopes_and_no_other_flow() {
        let m = settings(&[OAuthFlow::ClientCredentials], &["api/read"], &[]);
        assert!(m.check(true).is_ok());
        assert!(matches!(m.check(false), Err(DomainError::InvalidOAuthFlow(_))));
        let mixed = settings(&[OAuthFlow::ClientCredentials, OAuthFlow::Code], &["api/read"], &["https://a/cb"]);
        assert!(matches!(mixed.check(true), Err(DomainError::InvalidOAuthFlow(_))));
        let reserved = settings(&[OAuthFlow::ClientCredentials], &["openid"], &[]);
        assert!(matches!(reserved.check(true), Err(DomainError::InvalidOAuthFlow(_))));
    }

    #[test]
    fn enabled_clients_need_flows_scopes_and_callbacks() {
        let none = OAuthSettings { enabled: true, ..Default::default() };
        assert!(none.check(false).is_err());
        let no_callback = settings(&[OAuthFlow::Code], &["openid"], &[]);
        assert!(no_callback.check(false).is_err());
        let ok = settings(&[OAuthFlow::Code], &["openid", "email"], &["http://localhost:3000/cb"]);
        assert!(ok.check(false).is_ok());
    }

    #[test]
    fn redirect_urls_are_https_or_localhost_without_fragment() {
        assert!(check_redirect_url("https://app.example.com/cb").is_ok());
        assert!(check_redirect_url("http://localhost:8080/cb").is_ok());
        assert!(check_redirect_url("http://127.0.0.1:53682/cb").is_ok());
        assert!(check_redirect_url("http://[::1]:53682/cb").is_ok());
        assert!(check_redirect_url("myapp://callback").is_ok());
        assert!(check_redirect_url("http://example.com/cb").is_err());
        assert!(check_redirect_url("http://localhost.evil.com/cb").is_err());
        assert!(check_redirect_url("https://app/cb#x").is_err());
    }

    #[test]
    fn scopes_follow_cognitos_order() {
        let client = vec!["api/b".to_string(), "api/a".to_string()];
        let got = order_scopes(
            ["api/a", "email", "openid", "api/b", "aws.cognito.signin.user.admin"].map(String::from).to_vec(),
            &client,
        );
        assert_eq!(got, ["aws.cognito.signin.user.admin", "openid", "email", "api/b", "api/a"]);
    }

    #[test]
    fn pkce_uses_s256() {
        // RFC 7636 appendix B.
        assert!(pkce_matches(
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        ));
        assert!(!pkce_matches("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "other"));
    }
}
