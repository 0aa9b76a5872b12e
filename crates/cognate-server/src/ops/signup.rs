//! SignUp, ConfirmSignUp, ResendConfirmationCode, AdminConfirmSignUp.

use cognate_core::flows::SignUpRequest;
use cognate_core::DomainError;
use cognate_wire::{rules, user, ApiError, Input};
use serde_json::json;

use super::{Ctx, OpResult};

/// Members every unauthenticated call may carry; cognate checks their shape and, for now,
/// does not act on them (the trigger issue passes `ClientMetadata` on).
fn check_context_members(input: &Input) -> Result<(), ApiError> {
    input.opt_string_map("ClientMetadata")?;
    input.check_context()?;
    input.opt_str("Session", &rules::SESSION)?;
    Ok(())
}

pub async fn sign_up(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let request = SignUpRequest {
        client_id: input.req_str("ClientId", &rules::CLIENT_ID)?,
        secret_hash: input.opt_str("SecretHash", &rules::SECRET_HASH)?,
        username: input.req_str("Username", &rules::USERNAME)?,
        password: input.opt_str("Password", &rules::PASSWORD)?,
        attributes: input.opt_attributes("UserAttributes")?.unwrap_or_default(),
        validation_data: input.opt_attributes("ValidationData")?.map(|list| list.into_iter().collect()),
        client_metadata: input.opt_string_map("ClientMetadata")?,
    };
    check_context_members(input)?;
    let client_id = request.client_id.clone();
    let result = ctx.state.cognate.sign_up(request).await?;
    let mut out = json!({ "UserConfirmed": result.confirmed, "UserSub": result.sub });
    if let Some(d) = &result.delivery {
        out["CodeDeliveryDetails"] = user::code_delivery_json(d);
    }
    if result.confirmed {
        // Confirmed at once (PreSignUp): the sign-up itself can sign the user in.
        let cognate = &ctx.state.cognate;
        let pool = cognate.client_and_pool(&client_id).await?.1;
        if let Some(created) = cognate.store.get_user_by_sub(&pool.id, &result.sub).await.map_err(DomainError::from)? {
            if let Some(session) = cognate.session_after_sign_up(&client_id, &created).await? {
                out["Session"] = json!(session);
            }
        }
    }
    Ok(out)
}

pub async fn confirm_sign_up(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let client_id = input.req_str("ClientId", &rules::CLIENT_ID)?;
    let secret_hash = input.opt_str("SecretHash", &rules::SECRET_HASH)?;
    let username = input.req_str("Username", &rules::USERNAME)?;
    let code = input.req_str("ConfirmationCode", &rules::CONFIRMATION_CODE)?;
    let force = input.opt_bool("ForceAliasCreation")?.unwrap_or(false);
    check_context_members(input)?;
    let metadata = input.opt_string_map("ClientMetadata")?;
    let cognate = &ctx.state.cognate;
    let confirmed =
        cognate.confirm_sign_up(&client_id, secret_hash.as_deref(), &username, &code, force, metadata).await?;
    match cognate.session_after_sign_up(&client_id, &confirmed).await? {
        Some(session) => Ok(json!({ "Session": session })),
        None => Ok(json!({})),
    }
}

pub async fn resend_confirmation_code(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let client_id = input.req_str("ClientId", &rules::CLIENT_ID)?;
    let secret_hash = input.opt_str("SecretHash", &rules::SECRET_HASH)?;
    let username = input.req_str("Username", &rules::USERNAME)?;
    check_context_members(input)?;
    let metadata = input.opt_string_map("ClientMetadata")?;
    let delivery =
        ctx.state.cognate.resend_confirmation_code(&client_id, secret_hash.as_deref(), &username, metadata).await?;
    Ok(json!({ "CodeDeliveryDetails": user::code_delivery_json(&delivery) }))
}

pub async fn admin_confirm_sign_up(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let username = input.req_str("Username", &rules::USERNAME)?;
    let metadata = input.opt_string_map("ClientMetadata")?;
    ctx.state.cognate.admin_confirm_sign_up(&pool_id, &username, metadata).await?;
    Ok(json!({}))
}
