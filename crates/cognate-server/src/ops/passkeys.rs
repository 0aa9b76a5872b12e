//! Passkeys: StartWebAuthnRegistration, CompleteWebAuthnRegistration, ListWebAuthnCredentials,
//! DeleteWebAuthnCredential.

use cognate_core::DomainError;
use cognate_wire::{pool::timestamp, rules, Input};
use serde_json::{json, Value};

use super::{decode_token, encode_token, Ctx, OpResult};

pub async fn start_web_authn_registration(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let (user, client_id) = super::access(ctx, input).await?;
    let options = ctx.state.cognate.start_webauthn_registration(&user, client_id.as_deref()).await?;
    let options: Value = serde_json::from_str(&options).map_err(|e| DomainError::Internal(e.to_string()))?;
    Ok(json!({ "CredentialCreationOptions": options }))
}

pub async fn complete_web_authn_registration(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    // A document: the RegistrationResponseJSON object as the browser's toJSON() gives it.
    let credential =
        match input.raw().get("Credential") {
            Some(Value::Object(map)) => Value::Object(map.clone()).to_string(),
            Some(_) => return Err(DomainError::invalid(
                "1 validation error detected: Value at 'credential' failed to satisfy constraint: Member must be a \
                 document (an object)",
            )
            .into()),
            None => return Err(DomainError::invalid(
                "1 validation error detected: Value null at 'credential' failed to satisfy constraint: Member must \
                 not be null",
            )
            .into()),
        };
    let (user, client_id) = super::access(ctx, input).await?;
    ctx.state.cognate.complete_webauthn_registration(&user, client_id.as_deref(), &credential).await?;
    Ok(json!({}))
}

pub async fn list_web_authn_credentials(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let limit = input.opt_int("MaxResults", 0, 20)?.unwrap_or(20);
    let after = decode_token(input.opt_str("NextToken", &rules::PAGINATION_KEY)?, "NextToken")?;
    let (user, _) = super::access(ctx, input).await?;
    let limit = if limit == 0 { 20 } else { limit as usize };
    let page = ctx.state.cognate.list_webauthn_credentials(&user, after.as_deref(), limit).await?;
    let credentials: Vec<Value> = page
        .passkeys
        .iter()
        .map(|p| {
            let mut c = json!({
                "CredentialId": p.credential_id,
                "FriendlyCredentialName": p.name,
                "RelyingPartyId": p.relying_party_id,
                "AuthenticatorTransports": p.transports,
                "CreatedAt": timestamp(p.created),
            });
            if let Some(a) = &p.attachment {
                c["AuthenticatorAttachment"] = json!(a);
            }
            c
        })
        .collect();
    let mut out = json!({ "Credentials": credentials });
    if let Some(next) = page.next {
        out["NextToken"] = json!(encode_token(&next));
    }
    Ok(out)
}

pub async fn delete_web_authn_credential(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let id = input.req_str("CredentialId", &rules::MAP_STRING)?;
    let (user, _) = super::access(ctx, input).await?;
    ctx.state.cognate.delete_webauthn_credential(&user, &id).await?;
    Ok(json!({}))
}
