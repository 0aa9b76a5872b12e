//! `CreateUserPoolClient` / `UpdateUserPoolClient` and the `UserPoolClientType` shape.

use cognate_core::client::{unit_seconds, AppClient, ClientSettings};
use cognate_core::oauth::{OAuthFlow, OAuthSettings};
use cognate_core::DomainError;
use serde_json::{json, Map, Value};

use crate::input::{validation_error, Input, WireResult};
use crate::pool::timestamp;
use crate::rules;

const AUTH_FLOWS: &[&str] = &[
    "ADMIN_NO_SRP_AUTH",
    "CUSTOM_AUTH_FLOW_ONLY",
    "USER_PASSWORD_AUTH",
    "ALLOW_ADMIN_USER_PASSWORD_AUTH",
    "ALLOW_CUSTOM_AUTH",
    "ALLOW_USER_PASSWORD_AUTH",
    "ALLOW_USER_SRP_AUTH",
    "ALLOW_REFRESH_TOKEN_AUTH",
    "ALLOW_USER_AUTH",
    "ALLOW_TOKEN_EXCHANGE_DELEGATION",
    "ALLOW_TOKEN_EXCHANGE_IMPERSONATION",
    // GetClientToken's flow: named by Cognito's documentation, not yet in the pinned model.
    "ALLOW_CLIENT_TOKEN_AUTH",
];
const UNITS: &[&str] = &["seconds", "minutes", "hours", "days"];
const TYPED: &[&str] = &[
    "UserPoolId",
    "ClientId",
    "ClientName",
    "GenerateSecret",
    "ClientSecret",
    "ExplicitAuthFlows",
    "AccessTokenValidity",
    "IdTokenValidity",
    "RefreshTokenValidity",
    "TokenValidityUnits",
    "PreventUserExistenceErrors",
    "ReadAttributes",
    "WriteAttributes",
    "EnableTokenRevocation",
    "AuthSessionValidity",
    "AllowedOAuthFlowsUserPoolClient",
    "AllowedOAuthFlows",
    "AllowedOAuthScopes",
    "CallbackURLs",
    "LogoutURLs",
    "DefaultRedirectURI",
    "SupportedIdentityProviders",
];

fn check_validity(
    value: Option<u32>,
    unit: Option<&str>,
    default_unit: &str,
    min: u64,
    max: u64,
    what: &str,
) -> WireResult<()> {
    let Some(v) = value else { return Ok(()) };
    if what == "refresh" && v == 0 {
        return Ok(());
    }
    let secs = u64::from(v) * unit_seconds(unit, default_unit);
    if secs < min || secs > max {
        return Err(DomainError::invalid(format!(
            "Invalid range for token validity: {what} token validity must be between {min} and {max} seconds."
        ))
        .into());
    }
    Ok(())
}

/// Reads the client settings members (the same for create and update).
pub fn parse_settings(input: &Input) -> WireResult<ClientSettings> {
    let flows = input.opt_enum_list("ExplicitAuthFlows", AUTH_FLOWS)?;
    if let Some(flows) = &flows {
        let legacy = flows.iter().any(|f| !f.starts_with("ALLOW_"));
        let modern = flows.iter().any(|f| f.starts_with("ALLOW_"));
        if legacy && modern {
            return Err(DomainError::invalid(
                "The combination of the ALLOW_ and legacy explicit auth flows is not supported.",
            )
            .into());
        }
    }
    let units = input.opt_object("TokenValidityUnits")?.unwrap_or_default();
    let settings = ClientSettings {
        explicit_auth_flows: flows,
        access_token_validity: input.opt_int("AccessTokenValidity", 1, 86_400)?.map(|v| v as u32),
        id_token_validity: input.opt_int("IdTokenValidity", 1, 86_400)?.map(|v| v as u32),
        refresh_token_validity: input.opt_int("RefreshTokenValidity", 0, 315_360_000)?.map(|v| v as u32),
        access_token_unit: units.opt_enum("AccessToken", UNITS)?,
        id_token_unit: units.opt_enum("IdToken", UNITS)?,
        refresh_token_unit: units.opt_enum("RefreshToken", UNITS)?,
        prevent_user_existence_errors: input.opt_enum("PreventUserExistenceErrors", &["LEGACY", "ENABLED"])?,
        read_attributes: input.opt_str_list("ReadAttributes", &rules::CLIENT_PERMISSION, usize::MAX)?,
        write_attributes: input.opt_str_list("WriteAttributes", &rules::CLIENT_PERMISSION, usize::MAX)?,
        enable_token_revocation: input.opt_bool("EnableTokenRevocation")?.unwrap_or(true),
        auth_session_validity: input.opt_int("AuthSessionValidity", 3, 15)?.map(|v| v as u32),
        refresh_token_rotation: None,
        oauth: OAuthSettings::default(),
        passthrough: String::new(),
    };
    check_validity(
        settings.access_token_validity,
        settings.access_token_unit.as_deref(),
        "hours",
        300,
        86_400,
        "access",
    )?;
    check_validity(settings.id_token_validity, settings.id_token_unit.as_deref(), "hours", 300, 86_400, "id")?;
    check_validity(
        settings.refresh_token_validity,
        settings.refresh_token_unit.as_deref(),
        "days",
        3_600,
        315_360_000,
        "refresh",
    )?;
    let oauth = parse_oauth(input)?;
    input.opt_str("ClientSecret", &rules::CLIENT_SECRET)?;
    input.opt_str_list("AllowedOAuthScopes", &rules::SCOPE, 50)?;
    input.opt_bool("AllowedOAuthFlowsUserPoolClient")?;
    input.opt_bool("EnablePropagateAdditionalUserContextData")?;
    // Kept and echoed; cognate has no Secrets Manager, so the secret is returned as usual.
    input.opt_bool("PublishSecretsInAWSSecretsManager")?;
    input.expect_object("AnalyticsConfiguration")?;
    let rotation = match input.opt_object("RefreshTokenRotation")? {
        Some(r) => {
            let feature = r
                .opt_enum("Feature", &["ENABLED", "DISABLED"])?
                .ok_or_else(|| validation_error("refreshTokenRotation.feature", None, "Member must not be null"))?;
            let grace = r.opt_int("RetryGracePeriodSeconds", 0, 60)?.unwrap_or(0) as u32;
            (feature == "ENABLED").then_some(grace)
        }
        None => None,
    };
    let mut passthrough = input.raw().clone();
    for typed in TYPED {
        passthrough.remove(*typed);
    }
    Ok(ClientSettings {
        passthrough: Value::Object(passthrough).to_string(),
        refresh_token_rotation: rotation,
        oauth,
        ..settings
    })
}

fn parse_oauth(input: &Input) -> WireResult<OAuthSettings> {
    let names: Vec<&str> = OAuthFlow::ALL.iter().map(|f| f.as_str()).collect();
    let flows = input.opt_enum_list("AllowedOAuthFlows", &names)?.unwrap_or_default();
    if flows.len() > 3 {
        return Err(validation_error("allowedOAuthFlows", None, "Member must have length less than or equal to 3"));
    }
    let mut parsed: Vec<OAuthFlow> = Vec::new();
    for flow in flows.iter().filter_map(|f| OAuthFlow::parse(f)) {
        if !parsed.contains(&flow) {
            parsed.push(flow);
        }
    }
    Ok(OAuthSettings {
        enabled: input.opt_bool("AllowedOAuthFlowsUserPoolClient")?.unwrap_or(false),
        flows: parsed,
        scopes: dedup(input.opt_str_list("AllowedOAuthScopes", &rules::SCOPE, 50)?.unwrap_or_default()),
        callback_urls: dedup(input.opt_str_list("CallbackURLs", &rules::REDIRECT_URL, 100)?.unwrap_or_default()),
        logout_urls: dedup(input.opt_str_list("LogoutURLs", &rules::REDIRECT_URL, 100)?.unwrap_or_default()),
        default_redirect_uri: input.opt_str("DefaultRedirectURI", &rules::REDIRECT_URL)?,
        identity_providers: dedup(
            input.opt_str_list("SupportedIdentityProviders", &rules::PROVIDER_NAME, usize::MAX)?.unwrap_or_default(),
        ),
    })
}

/// The OAuth members of a client stored before they were typed (they sat in the
/// passthrough): moved into the typed settings. Returns whether anything moved.
pub fn lift_stored_oauth(settings: &mut ClientSettings) -> bool {
    const MEMBERS: [&str; 7] = [
        "AllowedOAuthFlowsUserPoolClient",
        "AllowedOAuthFlows",
        "AllowedOAuthScopes",
        "CallbackURLs",
        "LogoutURLs",
        "DefaultRedirectURI",
        "SupportedIdentityProviders",
    ];
    let Ok(Value::Object(mut kept)) = serde_json::from_str::<Value>(&settings.passthrough) else { return false };
    let old: Map<String, Value> = MEMBERS.iter().filter_map(|m| kept.remove(*m).map(|v| (m.to_string(), v))).collect();
    if old.is_empty() {
        return false;
    }
    // They were validated when stored; a value the typed parse refuses stays where it was.
    match parse_oauth(&Input::from_map(old)) {
        Ok(oauth) => {
            settings.oauth = oauth;
            settings.passthrough = Value::Object(kept).to_string();
            true
        }
        Err(_) => false,
    }
}

/// Cognito keeps each list member once, in the order given.
fn dedup(list: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for item in list {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// `UserPoolClientType`.
pub fn client_json(client: &AppClient) -> Value {
    let s = &client.settings;
    let mut v: Map<String, Value> = serde_json::from_str(&s.passthrough).unwrap_or_default();
    v.insert("UserPoolId".into(), json!(client.pool_id));
    v.insert("ClientName".into(), json!(client.name));
    v.insert("ClientId".into(), json!(client.client_id));
    if let Some(secret) = &client.secret {
        v.insert("ClientSecret".into(), json!(secret));
    }
    v.insert("CreationDate".into(), timestamp(client.created));
    v.insert("LastModifiedDate".into(), timestamp(client.modified));
    v.insert("RefreshTokenValidity".into(), json!(s.refresh_token_validity.filter(|v| *v > 0).unwrap_or(30)));
    if let Some(a) = s.access_token_validity {
        v.insert("AccessTokenValidity".into(), json!(a));
    }
    if let Some(i) = s.id_token_validity {
        v.insert("IdTokenValidity".into(), json!(i));
    }
    v.insert(
        "TokenValidityUnits".into(),
        json!({
            "AccessToken": s.access_token_unit.as_deref().unwrap_or("hours"),
            "IdToken": s.id_token_unit.as_deref().unwrap_or("hours"),
            "RefreshToken": s.refresh_token_unit.as_deref().unwrap_or("days"),
        }),
    );
    if let Some(r) = &s.read_attributes {
        v.insert("ReadAttributes".into(), json!(r));
    }
    if let Some(w) = &s.write_attributes {
        v.insert("WriteAttributes".into(), json!(w));
    }
    let flows: Vec<String> = s
        .explicit_auth_flows
        .clone()
        .unwrap_or_else(|| cognate_core::client::DEFAULT_AUTH_FLOWS.iter().map(|f| f.to_string()).collect());
    v.insert("ExplicitAuthFlows".into(), json!(flows));
    let oauth = &s.oauth;
    if oauth.enabled {
        v.insert("AllowedOAuthFlowsUserPoolClient".into(), json!(true));
    } else {
        v.entry("AllowedOAuthFlowsUserPoolClient").or_insert(json!(false));
    }
    let lists: [(&str, Vec<&str>); 5] = [
        ("AllowedOAuthFlows", oauth.flows.iter().map(|f| f.as_str()).collect()),
        ("AllowedOAuthScopes", oauth.scopes.iter().map(String::as_str).collect()),
        ("CallbackURLs", oauth.callback_urls.iter().map(String::as_str).collect()),
        ("LogoutURLs", oauth.logout_urls.iter().map(String::as_str).collect()),
        ("SupportedIdentityProviders", oauth.identity_providers.iter().map(String::as_str).collect()),
    ];
    for (member, list) in lists {
        // Clients stored before these members were typed keep them in the passthrough.
        if !list.is_empty() {
            v.insert(member.into(), json!(list));
        }
    }
    if let Some(default) = &oauth.default_redirect_uri {
        v.insert("DefaultRedirectURI".into(), json!(default));
    }
    v.insert(
        "PreventUserExistenceErrors".into(),
        json!(s.prevent_user_existence_errors.as_deref().unwrap_or("LEGACY")),
    );
    v.insert("EnableTokenRevocation".into(), json!(s.enable_token_revocation));
    v.entry("EnablePropagateAdditionalUserContextData").or_insert(json!(false));
    v.insert("AuthSessionValidity".into(), json!(s.auth_session_validity.unwrap_or(3)));
    Value::Object(v)
}

/// `UserPoolClientDescription`, for `ListUserPoolClients`.
pub fn client_description_json(client: &AppClient) -> Value {
    json!({ "ClientId": client.client_id, "UserPoolId": client.pool_id, "ClientName": client.name })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oauth_members_stored_as_text_become_typed() {
        let mut settings = ClientSettings {
            passthrough: json!({
                "AllowedOAuthFlows": ["code"],
                "AllowedOAuthScopes": ["openid"],
                "AllowedOAuthFlowsUserPoolClient": true,
                "CallbackURLs": ["https://app.example.com/cb"],
                "AnalyticsConfiguration": {"ApplicationId": "a"}
            })
            .to_string(),
            ..Default::default()
        };
        assert!(lift_stored_oauth(&mut settings));
        assert!(settings.oauth.enabled);
        assert_eq!(settings.oauth.flows, [OAuthFlow::Code]);
        assert_eq!(settings.oauth.callback_urls, ["https://app.example.com/cb"]);
        assert_eq!(settings.passthrough, json!({"AnalyticsConfiguration": {"ApplicationId": "a"}}).to_string());
        assert!(!lift_stored_oauth(&mut settings), "once");
    }
}
