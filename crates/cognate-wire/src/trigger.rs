//! Trigger events as Cognito sends them to Lambda, and the functions' answers.

use std::collections::BTreeMap;

use cognate_core::triggers::{
    GroupConfiguration, Invocation, MigratedUser, TokenOverrides, TriggerKind, TriggerResponse,
};
use serde_json::{json, Map, Value};

fn string_map(map: &BTreeMap<String, String>) -> Value {
    Value::Object(map.iter().map(|(k, v)| (k.clone(), json!(v))).collect())
}

fn optional_map(map: &Option<BTreeMap<String, String>>) -> Value {
    map.as_ref().map(string_map).unwrap_or(Value::Null)
}

/// The event for an invocation, field for field as Cognito builds it.
pub fn event_json(inv: &Invocation) -> Value {
    let r = &inv.request;
    let mut request = Map::new();
    let mut response = Map::new();
    request.insert("userAttributes".into(), string_map(&r.user_attributes));
    match inv.trigger {
        TriggerKind::PreSignUp => {
            request.insert("validationData".into(), optional_map(&r.validation_data));
            request.insert("clientMetadata".into(), optional_map(&r.client_metadata));
            response.insert("autoConfirmUser".into(), json!(false));
            response.insert("autoVerifyEmail".into(), json!(false));
            response.insert("autoVerifyPhone".into(), json!(false));
        }
        TriggerKind::PostConfirmation => {
            request.insert("clientMetadata".into(), optional_map(&r.client_metadata));
        }
        TriggerKind::CustomMessage => {
            request.insert("codeParameter".into(), json!(r.code_parameter));
            request.insert("linkParameter".into(), json!("{##Click Here##}"));
            request.insert("usernameParameter".into(), json!(r.username_parameter));
            request.insert("clientMetadata".into(), optional_map(&r.client_metadata));
            response.insert("smsMessage".into(), Value::Null);
            response.insert("emailMessage".into(), Value::Null);
            response.insert("emailSubject".into(), Value::Null);
        }
        TriggerKind::PreAuthentication => {
            request.insert("validationData".into(), optional_map(&r.validation_data));
            request.insert("userNotFound".into(), json!(r.user_not_found.unwrap_or(false)));
        }
        TriggerKind::PostAuthentication => {
            request.insert("newDeviceUsed".into(), json!(r.new_device_used.unwrap_or(false)));
            request.insert("clientMetadata".into(), optional_map(&r.client_metadata));
        }
        TriggerKind::PreTokenGeneration => {
            // Machine-to-machine tokens have no user, and so no groups: `null`.
            let groups = match &r.group_configuration {
                Some(g) => json!({
                    "groupsToOverride": g.groups, "iamRolesToOverride": g.roles, "preferredRole": g.preferred_role
                }),
                None => Value::Null,
            };
            request.insert("groupConfiguration".into(), groups);
            request.insert("clientMetadata".into(), optional_map(&r.client_metadata));
            if inv.version != "1" {
                request.insert("scopes".into(), json!(r.scopes.clone().unwrap_or_default()));
                response.insert("claimsAndScopeOverrideDetails".into(), Value::Null);
            } else {
                response.insert("claimsOverrideDetails".into(), Value::Null);
            }
        }
        TriggerKind::DefineAuthChallenge => {
            request.insert("session".into(), session_json(r));
            request.insert("clientMetadata".into(), optional_map(&r.client_metadata));
            request.insert("userNotFound".into(), json!(r.user_not_found.unwrap_or(false)));
            response.insert("challengeName".into(), Value::Null);
            response.insert("issueTokens".into(), Value::Null);
            response.insert("failAuthentication".into(), Value::Null);
        }
        TriggerKind::CreateAuthChallenge => {
            request.insert("challengeName".into(), json!(r.challenge_name));
            request.insert("session".into(), session_json(r));
            request.insert("clientMetadata".into(), optional_map(&r.client_metadata));
            request.insert("userNotFound".into(), json!(r.user_not_found.unwrap_or(false)));
            response.insert("publicChallengeParameters".into(), Value::Null);
            response.insert("privateChallengeParameters".into(), Value::Null);
            response.insert("challengeMetadata".into(), Value::Null);
        }
        TriggerKind::VerifyAuthChallengeResponse => {
            request.insert("privateChallengeParameters".into(), optional_map(&r.private_challenge_parameters));
            request.insert("challengeAnswer".into(), json!(r.challenge_answer));
            request.insert("clientMetadata".into(), optional_map(&r.client_metadata));
            request.insert("userNotFound".into(), json!(r.user_not_found.unwrap_or(false)));
            response.insert("answerCorrect".into(), Value::Null);
        }
        TriggerKind::UserMigration => {
            request.remove("userAttributes");
            // UserMigration_ForgotPassword carries no password.
            if let Some(password) = &r.password {
                request.insert("password".into(), json!(password));
            }
            request.insert("validationData".into(), optional_map(&r.validation_data));
            request.insert("clientMetadata".into(), optional_map(&r.client_metadata));
            for member in ["userAttributes", "finalUserStatus", "messageAction", "desiredDeliveryMediums"] {
                response.insert(member.into(), Value::Null);
            }
            response.insert("forceAliasCreation".into(), Value::Null);
        }
    }
    json!({
        "version": inv.version,
        "triggerSource": inv.source,
        "region": inv.region,
        "userPoolId": inv.pool_id,
        "userName": inv.user_name,
        "callerContext": {
            "awsSdkVersion": "aws-sdk-unknown-unknown",
            "clientId": inv.client_id.as_deref().unwrap_or("CLIENT_ID_NOT_APPLICABLE"),
        },
        "request": request,
        "response": response,
    })
}

fn session_json(r: &cognate_core::triggers::TriggerRequest) -> Value {
    let entries: Vec<Value> = r
        .session
        .iter()
        .flatten()
        .map(|c| {
            json!({
                "challengeName": c.challenge_name,
                "challengeResult": c.challenge_result,
                "challengeMetadata": c.challenge_metadata,
            })
        })
        .collect();
    Value::Array(entries)
}

/// Claims no function may add, change or remove (Cognito's list, plus the access token's
/// own identity claims).
pub const PROTECTED_CLAIMS: &[&str] = &[
    "acr",
    "amr",
    "aud",
    "at_hash",
    "auth_time",
    "azp",
    "cognito:username",
    "exp",
    "iat",
    "identities",
    "iss",
    "jti",
    "nbf",
    "nonce",
    "origin_jti",
    "sub",
    "token_use",
    "event_id",
    "client_id",
    "scope",
    "username",
    "version",
];

fn invalid(reason: &str) -> String {
    format!("Invalid lambda function output : {reason}")
}

fn flag(response: &Map<String, Value>, name: &str) -> Result<bool, String> {
    match response.get(name) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        // Functions written in dynamic languages sometimes answer "true".
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
        Some(_) => Err(invalid(&format!("{name} must be a boolean"))),
    }
}

fn text(response: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    match response.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(invalid(&format!("{name} must be a string"))),
    }
}

fn object<'a>(v: Option<&'a Value>, name: &str) -> Result<Option<&'a Map<String, Value>>, String> {
    match v {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(m)) => Ok(Some(m)),
        Some(_) => Err(invalid(&format!("{name} must be an object"))),
    }
}

/// A map of strings; numbers and booleans are taken as their text, as Lambda runtimes
/// serialize them.
fn string_values(v: Option<&Value>, name: &str) -> Result<std::collections::BTreeMap<String, String>, String> {
    let Some(map) = object(v, name)? else { return Ok(Default::default()) };
    map.iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            Value::Number(_) | Value::Bool(_) => Ok((k.clone(), v.to_string())),
            _ => Err(invalid(&format!("{name} must map names to strings"))),
        })
        .collect()
}

fn strings(v: Option<&Value>, name: &str) -> Result<Vec<String>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                i.as_str().map(str::to_string).ok_or_else(|| invalid(&format!("{name} must be a list of strings")))
            })
            .collect(),
        Some(_) => Err(invalid(&format!("{name} must be a list"))),
    }
}

/// `claimsToAddOrOverride`: V1 allows strings only; V2 any JSON value, kept as JSON text.
fn claims(v: Option<&Value>, any_json: bool) -> Result<Vec<(String, String)>, String> {
    let Some(map) = object(v, "claimsToAddOrOverride")? else { return Ok(Vec::new()) };
    map.iter()
        .filter(|(name, _)| !PROTECTED_CLAIMS.contains(&name.as_str()))
        .map(|(name, value)| match value {
            Value::String(_) => Ok((name.clone(), value.to_string())),
            _ if any_json => Ok((name.clone(), value.to_string())),
            _ => Err(invalid(&format!("claim {name} must be a string"))),
        })
        .collect()
}

fn suppress(v: Option<&Value>) -> Result<Vec<String>, String> {
    Ok(strings(v, "claimsToSuppress")?.into_iter().filter(|c| !PROTECTED_CLAIMS.contains(&c.as_str())).collect())
}

fn group_override(details: &Map<String, Value>) -> Result<Option<GroupConfiguration>, String> {
    let Some(g) = object(details.get("groupOverrideDetails"), "groupOverrideDetails")? else { return Ok(None) };
    Ok(Some(GroupConfiguration {
        groups: strings(g.get("groupsToOverride"), "groupsToOverride")?,
        roles: strings(g.get("iamRolesToOverride"), "iamRolesToOverride")?,
        preferred_role: text(g, "preferredRole")?,
    }))
}

fn token_overrides(inv: &Invocation, response: &Map<String, Value>) -> Result<TokenOverrides, String> {
    let mut o = TokenOverrides::default();
    if inv.version == "1" {
        if let Some(d) = object(response.get("claimsOverrideDetails"), "claimsOverrideDetails")? {
            o.id_add = claims(d.get("claimsToAddOrOverride"), false)?;
            o.id_suppress = suppress(d.get("claimsToSuppress"))?;
            o.groups = group_override(d)?;
        }
    } else if let Some(d) = object(response.get("claimsAndScopeOverrideDetails"), "claimsAndScopeOverrideDetails")? {
        o.groups = group_override(d)?;
        if let Some(id) = object(d.get("idTokenGeneration"), "idTokenGeneration")? {
            o.id_add = claims(id.get("claimsToAddOrOverride"), true)?;
            o.id_suppress = suppress(id.get("claimsToSuppress"))?;
        }
        if let Some(access) = object(d.get("accessTokenGeneration"), "accessTokenGeneration")? {
            o.access_add = claims(access.get("claimsToAddOrOverride"), true)?;
            o.access_suppress = suppress(access.get("claimsToSuppress"))?;
            o.scopes_add = strings(access.get("scopesToAdd"), "scopesToAdd")?;
            o.scopes_suppress = strings(access.get("scopesToSuppress"), "scopesToSuppress")?;
        }
    }
    Ok(o)
}

fn migration(response: &Map<String, Value>) -> Result<Option<MigratedUser>, String> {
    let Some(attributes) = object(response.get("userAttributes"), "userAttributes")? else { return Ok(None) };
    let user_attributes = attributes
        .iter()
        .map(|(k, v)| match v {
            Value::String(s) => Ok((k.clone(), s.clone())),
            // Cognito stores every attribute as a string.
            Value::Bool(_) | Value::Number(_) => Ok((k.clone(), v.to_string())),
            _ => Err(invalid(&format!("attribute {k} must be a string"))),
        })
        .collect::<Result<_, _>>()?;
    Ok(Some(MigratedUser {
        user_attributes,
        final_user_status: text(response, "finalUserStatus")?,
        message_action: text(response, "messageAction")?,
        force_alias_creation: flag(response, "forceAliasCreation")?,
    }))
}

/// Reads what a function returned: the whole event, with `response` filled in.
pub fn parse_response(inv: &Invocation, output: &[u8]) -> Result<TriggerResponse, String> {
    let value: Value =
        serde_json::from_slice(output).map_err(|_| "Invalid lambda function output : Invalid JSON".to_string())?;
    let Value::Object(event) = value else { return Err("Unrecognizable lambda output".into()) };
    let empty = Map::new();
    let response = match event.get("response") {
        Some(Value::Object(r)) => r,
        None | Some(Value::Null) => &empty,
        Some(_) => return Err("Unrecognizable lambda output".into()),
    };
    let mut out = TriggerResponse::default();
    match inv.trigger {
        TriggerKind::PreSignUp => {
            out.auto_confirm_user = flag(response, "autoConfirmUser")?;
            out.auto_verify_email = flag(response, "autoVerifyEmail")?;
            out.auto_verify_phone = flag(response, "autoVerifyPhone")?;
        }
        TriggerKind::CustomMessage => {
            out.sms_message = text(response, "smsMessage")?;
            out.email_message = text(response, "emailMessage")?;
            out.email_subject = text(response, "emailSubject")?;
        }
        TriggerKind::PreTokenGeneration => out.token_overrides = token_overrides(inv, response)?,
        TriggerKind::UserMigration => out.migration = migration(response)?,
        TriggerKind::DefineAuthChallenge => {
            out.challenge_name = text(response, "challengeName")?;
            out.issue_tokens = flag(response, "issueTokens")?;
            out.fail_authentication = flag(response, "failAuthentication")?;
        }
        TriggerKind::CreateAuthChallenge => {
            out.public_challenge_parameters =
                string_values(response.get("publicChallengeParameters"), "publicChallengeParameters")?;
            out.private_challenge_parameters =
                string_values(response.get("privateChallengeParameters"), "privateChallengeParameters")?;
            out.challenge_metadata = text(response, "challengeMetadata")?;
        }
        TriggerKind::VerifyAuthChallengeResponse => out.answer_correct = flag(response, "answerCorrect")?,
        TriggerKind::PostConfirmation | TriggerKind::PreAuthentication | TriggerKind::PostAuthentication => {}
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use cognate_core::triggers::TriggerRequest;

    fn invocation(trigger: TriggerKind, version: &str) -> Invocation {
        Invocation {
            arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
            trigger,
            source: "PreSignUp_SignUp".into(),
            version: version.into(),
            region: "us-east-1".into(),
            pool_id: "us-east-1_abc".into(),
            user_name: "alice".into(),
            client_id: None,
            request: TriggerRequest {
                user_attributes: [("email".to_string(), "a@example.com".to_string())].into(),
                ..Default::default()
            },
        }
    }

    #[test]
    fn pre_sign_up_event_has_cognitos_shape() {
        let e = event_json(&invocation(TriggerKind::PreSignUp, "1"));
        assert_eq!(e["callerContext"]["clientId"], "CLIENT_ID_NOT_APPLICABLE");
        assert_eq!(e["request"]["userAttributes"]["email"], "a@example.com");
        assert_eq!(e["request"]["validationData"], Value::Null);
        assert_eq!(e["response"]["autoConfirmUser"], false);
    }

    #[test]
    fn responses_are_read_and_bad_ones_refused() {
        let inv = invocation(TriggerKind::PreSignUp, "1");
        let ok = parse_response(&inv, br#"{"response": {"autoConfirmUser": true}}"#).unwrap();
        assert!(ok.auto_confirm_user && !ok.auto_verify_email);
        assert_eq!(parse_response(&inv, b"nope").unwrap_err(), "Invalid lambda function output : Invalid JSON");
        assert_eq!(parse_response(&inv, b"[1]").unwrap_err(), "Unrecognizable lambda output");
        assert!(parse_response(&inv, br#"{"response": {"autoConfirmUser": 3}}"#).is_err());
    }

    #[test]
    fn token_claims_skip_protected_names() {
        let inv = invocation(TriggerKind::PreTokenGeneration, "2");
        let body = br#"{"response": {"claimsAndScopeOverrideDetails": {
            "idTokenGeneration": {"claimsToAddOrOverride": {"tier": "gold", "sub": "x", "n": 3}},
            "accessTokenGeneration": {"claimsToSuppress": ["iss", "email"], "scopesToAdd": ["a/b"]}}}}"#;
        let o = parse_response(&inv, body).unwrap().token_overrides;
        assert_eq!(o.id_add, vec![("n".to_string(), "3".to_string()), ("tier".to_string(), "\"gold\"".to_string())]);
        assert_eq!(o.access_suppress, vec!["email".to_string()]);
        assert_eq!(o.scopes_add, vec!["a/b".to_string()]);
    }
}
