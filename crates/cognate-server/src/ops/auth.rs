//! InitiateAuth, AdminInitiateAuth, RespondToAuthChallenge, AdminRespondToAuthChallenge.

use cognate_core::flows::{AuthOutcome, AuthRequest, Challenge, RespondRequest};
use cognate_core::signin::{AuthFlow, ChallengeName};
use cognate_core::DomainError;
use cognate_wire::{rules, ApiError, Input};
use serde_json::{json, Map, Value};

use super::{Ctx, OpResult};
use crate::tokens;

fn missing(member: &str) -> ApiError {
    DomainError::invalid(format!(
        "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
    ))
    .into()
}

pub async fn initiate_auth(ctx: &Ctx<'_>, input: &Input, admin: bool) -> OpResult {
    let pool_id = if admin { Some(input.req_str("UserPoolId", &rules::POOL_ID)?) } else { None };
    let client_id = input.req_str("ClientId", &rules::CLIENT_ID)?;
    let flow = input
        .opt_enum("AuthFlow", AuthFlow::NAMES)?
        .and_then(|name| AuthFlow::parse(&name))
        .ok_or_else(|| missing("authFlow"))?;
    let parameters = input.opt_secret_map("AuthParameters")?.unwrap_or_default();
    let client_metadata = input.opt_string_map("ClientMetadata")?;
    let session = input.opt_str("Session", &rules::SESSION)?;
    input.check_context()?;
    let request = AuthRequest { client_id, pool_id, flow, parameters, client_metadata, session };
    let outcome = ctx.state.cognate.initiate_auth(request).await?;
    outcome_json(ctx, outcome).await
}

pub async fn respond_to_auth_challenge(ctx: &Ctx<'_>, input: &Input, admin: bool) -> OpResult {
    let pool_id = if admin { Some(input.req_str("UserPoolId", &rules::POOL_ID)?) } else { None };
    let client_id = input.req_str("ClientId", &rules::CLIENT_ID)?;
    let challenge_name = input
        .opt_enum("ChallengeName", ChallengeName::NAMES)?
        .and_then(|name| ChallengeName::parse(&name))
        .ok_or_else(|| missing("challengeName"))?;
    let responses = input.opt_secret_map("ChallengeResponses")?.unwrap_or_default();
    let session = input.opt_str("Session", &rules::SESSION)?;
    let client_metadata = input.opt_string_map("ClientMetadata")?;
    input.check_context()?;
    let request = RespondRequest { client_id, pool_id, challenge_name, responses, session, client_metadata };
    let outcome = ctx.state.cognate.respond_to_auth_challenge(request).await?;
    outcome_json(ctx, outcome).await
}

pub async fn get_tokens_from_refresh_token(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let token = input.req_str("RefreshToken", &rules::TOKEN)?;
    let client_id = input.req_str("ClientId", &rules::CLIENT_ID)?;
    let secret = input.opt_str("ClientSecret", &rules::CLIENT_SECRET)?;
    let metadata = input.opt_string_map("ClientMetadata")?;
    let device = input.opt_str("DeviceKey", &rules::DEVICE_KEY)?;
    let grant = ctx
        .state
        .cognate
        .get_tokens_from_refresh_token(&client_id, secret.as_deref(), &token, metadata, device.as_deref())
        .await?;
    let mut out = outcome_json(ctx, AuthOutcome::Tokens(Box::new(grant))).await?;
    if let Some(map) = out.as_object_mut() {
        map.remove("ChallengeParameters");
    }
    Ok(out)
}

async fn outcome_json(ctx: &Ctx<'_>, outcome: AuthOutcome) -> OpResult {
    match outcome {
        AuthOutcome::Challenge(c) => Ok(challenge_json(c)),
        // A session of the hosted pages answered through the API: not this client's to finish.
        AuthOutcome::SignedIn(_) => Err(DomainError::not_authorized("Invalid session for the user.").into()),
        AuthOutcome::Tokens(grant) => {
            let state = ctx.state;
            let keys = state.keys.for_pool(state.cognate.store.as_ref(), &grant.pool.id, grant.now).await?;
            let issuer = format!("{}/{}", state.public_url, grant.pool.id);
            // Two RSA signatures are about a millisecond of CPU: done on the blocking pool so
            // the async workers keep serving cheap requests meanwhile.
            let rng = state.cognate.rng.clone();
            let grant = *grant;
            let (minted, grant) = tokio::task::spawn_blocking(move || {
                let minted = tokens::mint(&keys, &grant, &issuer, rng.as_ref());
                (minted, grant)
            })
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))?;
            let minted = minted?;
            let mut result = json!({
                "AccessToken": minted.access_token,
                "ExpiresIn": minted.expires_in,
                "TokenType": "Bearer",
            });
            if let Some(id_token) = &minted.id_token {
                result["IdToken"] = json!(id_token);
            }
            if let Some(refresh) = &grant.refresh_token {
                result["RefreshToken"] = json!(refresh);
            }
            if let Some(device) = &grant.new_device {
                result["NewDeviceMetadata"] = json!({ "DeviceKey": device.key, "DeviceGroupKey": device.group_key });
            }
            Ok(json!({ "ChallengeParameters": {}, "AuthenticationResult": result }))
        }
    }
}

fn challenge_json(c: Challenge) -> Value {
    let mut parameters: Map<String, Value> = c.parameters.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
    // Cognito sends these two as JSON text inside the string map.
    if let Some(attributes) = c.user_attributes {
        let object: Map<String, Value> = attributes.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        parameters.insert("userAttributes".into(), json!(Value::Object(object).to_string()));
    }
    if let Some(required) = c.required_attributes {
        parameters.insert("requiredAttributes".into(), json!(json!(required).to_string()));
    }
    let mut out = json!({ "ChallengeName": c.name.as_str(), "ChallengeParameters": parameters });
    if let Some(session) = c.session {
        out["Session"] = json!(session);
    }
    if let Some(available) = c.available {
        out["AvailableChallenges"] = json!(available.iter().map(|a| a.as_str()).collect::<Vec<_>>());
    }
    out
}

pub async fn get_user_auth_factors(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let user = super::access_user(ctx, input).await?;
    auth_factors_json(ctx, &user).await
}

pub async fn admin_get_user_auth_factors(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let username = input.req_str("Username", &rules::USERNAME)?;
    let user = ctx.state.cognate.admin_get_user(&pool_id, &username).await?;
    auth_factors_json(ctx, &user).await
}

async fn auth_factors_json(ctx: &Ctx<'_>, user: &cognate_core::user::User) -> OpResult {
    let factors = ctx.state.cognate.user_auth_factors(user).await?;
    let mut out = json!({
        "Username": user.username,
        "ConfiguredUserAuthFactors": factors.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
    });
    let mfa = cognate_wire::user::admin_get_user_json(user);
    for member in ["UserMFASettingList", "PreferredMfaSetting"] {
        if let Some(value) = mfa.get(member) {
            out[member] = value.clone();
        }
    }
    Ok(out)
}

/// GetClientToken: a machine-to-machine access token through the API.
pub async fn get_client_token(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let client_id = input.req_str("ClientId", &rules::CLIENT_ID)?;
    let secret = input.req_str("Secret", &rules::CLIENT_SECRET)?;
    let scopes = input.opt_str_list("Scopes", &rules::SCOPE, 50)?;
    let metadata = input.opt_string_map("ClientMetadata")?;
    let state = ctx.state;
    let grant = state.cognate.client_token(&client_id, &secret, scopes, metadata).await?;
    let keys = state.keys.for_pool(state.cognate.store.as_ref(), &grant.pool.id, grant.now).await?;
    let issuer = format!("{}/{}", state.public_url, grant.pool.id);
    let rng = state.cognate.rng.clone();
    let (token, expires_in) =
        tokio::task::spawn_blocking(move || tokens::mint_machine(&keys, &grant, &issuer, rng.as_ref()))
            .await
            .map_err(|e| DomainError::Internal(e.to_string()))??;
    Ok(
        json!({ "ClientAuthenticationResult": { "AccessToken": token, "ExpiresIn": expires_in, "TokenType": "Bearer" } }),
    )
}
