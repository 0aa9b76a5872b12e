//! App clients: which flows they may use, their secret and token lifetimes.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::ids::Timestamp;
use crate::oauth::OAuthSettings;
use crate::signin::AuthFlow;

#[derive(Debug, Clone, PartialEq)]
pub struct AppClient {
    pub pool_id: String,
    pub client_id: String,
    pub name: String,
    pub secret: Option<String>,
    pub created: Timestamp,
    pub modified: Timestamp,
    pub settings: ClientSettings,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ClientSettings {
    /// `None` means the client was created without `ExplicitAuthFlows`.
    pub explicit_auth_flows: Option<Vec<String>>,
    pub access_token_validity: Option<u32>,
    pub id_token_validity: Option<u32>,
    pub refresh_token_validity: Option<u32>,
    /// Units for access, id and refresh token validity (`seconds` … `days`), when given.
    pub access_token_unit: Option<String>,
    pub id_token_unit: Option<String>,
    pub refresh_token_unit: Option<String>,
    pub prevent_user_existence_errors: Option<String>,
    pub read_attributes: Option<Vec<String>>,
    pub write_attributes: Option<Vec<String>>,
    pub enable_token_revocation: bool,
    pub auth_session_validity: Option<u32>,
    /// `RefreshTokenRotation`: `Some(grace seconds)` when enabled.
    pub refresh_token_rotation: Option<u32>,
    /// The OAuth 2.0 members (`AllowedOAuthFlows`, scopes, callback and logout URLs, …).
    pub oauth: OAuthSettings,
    /// Members stored and echoed but not acted on yet, encoded by the wire layer.
    pub passthrough: String,
}

impl Default for ClientSettings {
    fn default() -> Self {
        Self {
            explicit_auth_flows: None,
            access_token_validity: None,
            id_token_validity: None,
            refresh_token_validity: None,
            access_token_unit: None,
            id_token_unit: None,
            refresh_token_unit: None,
            prevent_user_existence_errors: None,
            read_attributes: None,
            write_attributes: None,
            enable_token_revocation: true,
            auth_session_validity: None,
            refresh_token_rotation: None,
            oauth: OAuthSettings::default(),
            passthrough: String::new(),
        }
    }
}

/// The flows Cognito enables when a client is created without `ExplicitAuthFlows`.
pub const DEFAULT_AUTH_FLOWS: [&str; 3] = ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_CUSTOM_AUTH"];

pub fn unit_seconds(unit: Option<&str>, default_unit: &str) -> u64 {
    match unit.unwrap_or(default_unit) {
        "seconds" => 1,
        "minutes" => 60,
        "days" => 86_400,
        _ => 3_600,
    }
}

impl ClientSettings {
    /// Whether a flow (`USER_PASSWORD_AUTH`, `REFRESH_TOKEN_AUTH`, …) is enabled, accepting
    /// both the `ALLOW_*` names and the legacy ones.
    pub fn allows(&self, flow: AuthFlow) -> bool {
        let allowed = |name: &str| match &self.explicit_auth_flows {
            Some(flows) => flows.iter().any(|f| f == name),
            None => DEFAULT_AUTH_FLOWS.contains(&name),
        };
        match flow {
            AuthFlow::UserPasswordAuth => allowed("ALLOW_USER_PASSWORD_AUTH") || allowed("USER_PASSWORD_AUTH"),
            AuthFlow::AdminUserPasswordAuth | AuthFlow::AdminNoSrpAuth => {
                allowed("ALLOW_ADMIN_USER_PASSWORD_AUTH") || allowed("ADMIN_NO_SRP_AUTH")
            }
            // Cognito always lets a client refresh the tokens it was given.
            AuthFlow::RefreshTokenAuth | AuthFlow::RefreshToken => true,
            AuthFlow::UserSrpAuth => allowed("ALLOW_USER_SRP_AUTH") || self.explicit_auth_flows.is_none(),
            AuthFlow::CustomAuth => allowed("ALLOW_CUSTOM_AUTH") || allowed("CUSTOM_AUTH_FLOW_ONLY"),
            AuthFlow::UserAuth => allowed("ALLOW_USER_AUTH"),
        }
    }

    pub fn access_token_ttl(&self) -> Duration {
        ttl(self.access_token_validity, self.access_token_unit.as_deref(), "hours", 1)
    }

    pub fn id_token_ttl(&self) -> Duration {
        ttl(self.id_token_validity, self.id_token_unit.as_deref(), "hours", 1)
    }

    pub fn refresh_token_ttl(&self) -> Duration {
        ttl(self.refresh_token_validity, self.refresh_token_unit.as_deref(), "days", 30)
    }

    pub fn prevents_user_existence_errors(&self) -> bool {
        self.prevent_user_existence_errors.as_deref() == Some("ENABLED")
    }
}

fn ttl(value: Option<u32>, unit: Option<&str>, default_unit: &str, default_value: u64) -> Duration {
    let secs = match value {
        Some(0) | None => default_value * unit_seconds(None, default_unit),
        Some(v) => u64::from(v) * unit_seconds(unit, default_unit),
    };
    Duration::from_secs(secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_flows_do_not_include_password_auth() {
        let s = ClientSettings::default();
        assert!(!s.allows(AuthFlow::UserPasswordAuth));
        assert!(s.allows(AuthFlow::RefreshTokenAuth));
        let s =
            ClientSettings { explicit_auth_flows: Some(vec!["ALLOW_USER_PASSWORD_AUTH".into()]), ..Default::default() };
        assert!(s.allows(AuthFlow::UserPasswordAuth));
        assert!(!s.allows(AuthFlow::AdminUserPasswordAuth));
    }

    #[test]
    fn token_lifetimes_follow_units() {
        let s = ClientSettings::default();
        assert_eq!(s.access_token_ttl(), Duration::from_secs(3600));
        assert_eq!(s.refresh_token_ttl(), Duration::from_secs(30 * 86400));
        let s = ClientSettings {
            access_token_validity: Some(10),
            access_token_unit: Some("minutes".into()),
            refresh_token_validity: Some(0),
            ..Default::default()
        };
        assert_eq!(s.access_token_ttl(), Duration::from_secs(600));
        assert_eq!(s.refresh_token_ttl(), Duration::from_secs(30 * 86400));
    }
}
