//! InitiateAuth and AdminInitiateAuth.

use cognate_core::flows::AuthRequest;
use cognate_wire::{rules, Input};
use serde_json::json;

use super::{Ctx, OpResult};
use crate::tokens;

const FLOWS: &[&str] = &[
    "USER_SRP_AUTH",
    "REFRESH_TOKEN_AUTH",
    "REFRESH_TOKEN",
    "CUSTOM_AUTH",
    "ADMIN_NO_SRP_AUTH",
    "USER_PASSWORD_AUTH",
    "ADMIN_USER_PASSWORD_AUTH",
    "USER_AUTH",
];

pub async fn initiate_auth(ctx: &Ctx<'_>, input: &Input, admin: bool) -> OpResult {
    let pool_id = if admin { Some(input.req_str("UserPoolId", &rules::POOL_ID)?) } else { None };
    let client_id = input.req_str("ClientId", &rules::CLIENT_ID)?;
    let flow = input.opt_enum("AuthFlow", FLOWS)?.ok_or_else(|| {
        cognate_core::DomainError::invalid(
            "1 validation error detected: Value null at 'authFlow' failed to satisfy constraint: Member must not be null",
        )
    })?;
    let parameters = input.opt_string_map("AuthParameters")?.unwrap_or_default();
    let client_metadata = input.opt_string_map("ClientMetadata")?;
    input.opt_str("Session", &rules::SESSION)?;
    input.expect_object("AnalyticsMetadata")?;
    input.expect_object(if admin { "ContextData" } else { "UserContextData" })?;

    let state = ctx.state;
    let grant =
        state.cognate.initiate_auth(AuthRequest { client_id, pool_id, flow, parameters, client_metadata }).await?;
    let keys = state.keys.for_pool(state.cognate.store.as_ref(), &grant.pool.id, grant.now).await?;
    let issuer = format!("{}/{}", state.public_url, grant.pool.id);
    // Two RSA signatures are about a millisecond of CPU: done on the blocking pool so the
    // async workers keep serving cheap requests meanwhile.
    let rng = state.cognate.rng.clone();
    let (minted, grant) = tokio::task::spawn_blocking(move || {
        let minted = tokens::mint(&keys, &grant, &issuer, rng.as_ref());
        (minted, grant)
    })
    .await
    .map_err(|e| cognate_core::DomainError::Internal(e.to_string()))?;
    let minted = minted?;
    let mut result = json!({
        "AccessToken": minted.access_token,
        "ExpiresIn": minted.expires_in,
        "TokenType": "Bearer",
        "IdToken": minted.id_token,
    });
    if let Some(refresh) = &grant.refresh_token {
        result["RefreshToken"] = json!(refresh);
    }
    Ok(json!({ "ChallengeParameters": {}, "AuthenticationResult": result }))
}
