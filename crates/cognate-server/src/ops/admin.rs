//! AdminCreateUser, AdminSetUserPassword, AdminResetUserPassword, AdminDisableUser,
//! AdminEnableUser, AdminUserGlobalSignOut.

use cognate_core::flows::{AdminCreateUserRequest, MessageAction};
use cognate_core::user::Medium;
use cognate_wire::{rules, user, Input};
use serde_json::json;

use super::{Ctx, OpResult};

fn pool_and_username(input: &Input) -> Result<(String, String), cognate_wire::ApiError> {
    Ok((input.req_str("UserPoolId", &rules::POOL_ID)?, input.req_str("Username", &rules::USERNAME)?))
}

pub async fn admin_create_user(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let (pool_id, username) = pool_and_username(input)?;
    let message_action = match input.opt_enum("MessageAction", &["RESEND", "SUPPRESS"])?.as_deref() {
        Some("RESEND") => Some(MessageAction::Resend),
        Some(_) => Some(MessageAction::Suppress),
        None => None,
    };
    let delivery_mediums = input
        .opt_enum_list("DesiredDeliveryMediums", &["SMS", "EMAIL"])?
        .unwrap_or_default()
        .iter()
        .filter_map(|m| Medium::parse(m))
        .collect();
    let request = AdminCreateUserRequest {
        pool_id,
        username,
        attributes: input.opt_attributes("UserAttributes")?.unwrap_or_default(),
        validation_data: input.opt_attributes("ValidationData")?.map(|list| list.into_iter().collect()),
        temporary_password: input.opt_str("TemporaryPassword", &rules::PASSWORD)?,
        force_alias_creation: input.opt_bool("ForceAliasCreation")?.unwrap_or(false),
        message_action,
        delivery_mediums,
        client_metadata: input.opt_string_map("ClientMetadata")?,
    };
    let created = ctx.state.cognate.admin_create_user(request).await?;
    Ok(json!({ "User": user::user_type_json(&created, None) }))
}

pub async fn admin_set_user_password(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let (pool_id, username) = pool_and_username(input)?;
    let password = input.req_str("Password", &rules::PASSWORD)?;
    let permanent = input.opt_bool("Permanent")?.unwrap_or(false);
    ctx.state.cognate.admin_set_user_password(&pool_id, &username, &password, permanent).await?;
    Ok(json!({}))
}

pub async fn admin_reset_user_password(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let (pool_id, username) = pool_and_username(input)?;
    let metadata = input.opt_string_map("ClientMetadata")?;
    ctx.state.cognate.admin_reset_user_password(&pool_id, &username, metadata).await?;
    Ok(json!({}))
}

pub async fn admin_set_enabled(ctx: &Ctx<'_>, input: &Input, enabled: bool) -> OpResult {
    let (pool_id, username) = pool_and_username(input)?;
    ctx.state.cognate.admin_set_enabled(&pool_id, &username, enabled).await?;
    Ok(json!({}))
}

pub async fn admin_user_global_sign_out(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let (pool_id, username) = pool_and_username(input)?;
    ctx.state.cognate.admin_user_global_sign_out(&pool_id, &username).await?;
    Ok(json!({}))
}
