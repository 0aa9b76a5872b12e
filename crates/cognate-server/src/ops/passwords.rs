//! ForgotPassword, ConfirmForgotPassword, ChangePassword, GlobalSignOut, RevokeToken.

use cognate_wire::{rules, user, Input};
use serde_json::json;

use super::{access_user, Ctx, OpResult};

pub async fn forgot_password(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let client_id = input.req_str("ClientId", &rules::CLIENT_ID)?;
    let secret_hash = input.opt_str("SecretHash", &rules::SECRET_HASH)?;
    let username = input.req_str("Username", &rules::USERNAME)?;
    let metadata = input.opt_string_map("ClientMetadata")?;
    input.check_context()?;
    let delivery = ctx.state.cognate.forgot_password(&client_id, secret_hash.as_deref(), &username, metadata).await?;
    Ok(json!({ "CodeDeliveryDetails": user::code_delivery_json(&delivery) }))
}

pub async fn confirm_forgot_password(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let client_id = input.req_str("ClientId", &rules::CLIENT_ID)?;
    let secret_hash = input.opt_str("SecretHash", &rules::SECRET_HASH)?;
    let username = input.req_str("Username", &rules::USERNAME)?;
    let code = input.req_str("ConfirmationCode", &rules::CONFIRMATION_CODE)?;
    let password = input.req_str("Password", &rules::PASSWORD)?;
    let metadata = input.opt_string_map("ClientMetadata")?;
    input.check_context()?;
    ctx.state
        .cognate
        .confirm_forgot_password(&client_id, secret_hash.as_deref(), &username, &code, &password, metadata)
        .await?;
    Ok(json!({}))
}

pub async fn change_password(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let previous = input.opt_str("PreviousPassword", &rules::PASSWORD)?.unwrap_or_default();
    let proposed = input.req_str("ProposedPassword", &rules::PASSWORD)?;
    let user = access_user(ctx, input).await?;
    ctx.state.cognate.change_password(&user, &previous, &proposed).await?;
    Ok(json!({}))
}

pub async fn global_sign_out(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let user = access_user(ctx, input).await?;
    ctx.state.cognate.global_sign_out(&user).await?;
    Ok(json!({}))
}

pub async fn revoke_token(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let token = input.req_str("Token", &rules::TOKEN)?;
    let client_id = input.req_str("ClientId", &rules::CLIENT_ID)?;
    let secret = input.opt_str("ClientSecret", &rules::CLIENT_SECRET)?;
    input.opt_string_map("ClientMetadata")?;
    input.opt_enum("RevokeAssociatedSessions", &["NONE", "LINKED"])?;
    ctx.state.cognate.revoke_token(&client_id, secret.as_deref(), &token).await?;
    Ok(json!({}))
}
