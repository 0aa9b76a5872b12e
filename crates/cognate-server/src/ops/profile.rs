//! UpdateUserAttributes, AdminUpdateUserAttributes, DeleteUserAttributes,
//! AdminDeleteUserAttributes, GetUserAttributeVerificationCode, VerifyUserAttribute.

use cognate_core::flows::Editor;
use cognate_core::DomainError;
use cognate_wire::{rules, user, ApiError, Input};
use serde_json::json;

use super::{access, Ctx, OpResult};

fn attributes(input: &Input) -> Result<Vec<(String, String)>, ApiError> {
    input.opt_attributes("UserAttributes")?.ok_or_else(|| {
        DomainError::invalid(
            "1 validation error detected: Value null at 'userAttributes' failed to satisfy constraint: Member must not be null",
        )
        .into()
    })
}

fn names(input: &Input) -> Result<Vec<String>, ApiError> {
    input.opt_str_list("UserAttributeNames", &rules::ATTRIBUTE_NAME, usize::MAX)?.ok_or_else(|| {
        DomainError::invalid(
            "1 validation error detected: Value null at 'userAttributeNames' failed to satisfy constraint: Member must not be null",
        )
        .into()
    })
}

async fn admin_user(ctx: &Ctx<'_>, input: &Input) -> Result<cognate_core::user::User, ApiError> {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let username = input.req_str("Username", &rules::USERNAME)?;
    Ok(ctx.state.cognate.admin_get_user(&pool_id, &username).await?)
}

pub async fn update_user_attributes(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let supplied = attributes(input)?;
    let metadata = input.opt_string_map("ClientMetadata")?;
    let (user, client_id) = access(ctx, input).await?;
    let deliveries =
        ctx.state.cognate.update_user_attributes(&user, supplied, Editor::User, client_id.as_deref(), metadata).await?;
    if deliveries.is_empty() {
        return Ok(json!({}));
    }
    let list: Vec<_> = deliveries.iter().map(user::code_delivery_json).collect();
    Ok(json!({ "CodeDeliveryDetailsList": list }))
}

pub async fn admin_update_user_attributes(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let supplied = attributes(input)?;
    let metadata = input.opt_string_map("ClientMetadata")?;
    let user = admin_user(ctx, input).await?;
    ctx.state.cognate.update_user_attributes(&user, supplied, Editor::Admin, None, metadata).await?;
    Ok(json!({}))
}

pub async fn delete_user_attributes(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let names = names(input)?;
    let (user, _) = access(ctx, input).await?;
    ctx.state.cognate.delete_user_attributes(&user, &names).await?;
    Ok(json!({}))
}

pub async fn admin_delete_user_attributes(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let names = names(input)?;
    let user = admin_user(ctx, input).await?;
    ctx.state.cognate.delete_user_attributes(&user, &names).await?;
    Ok(json!({}))
}

pub async fn get_user_attribute_verification_code(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let attribute = input.req_str("AttributeName", &rules::ATTRIBUTE_NAME)?;
    let metadata = input.opt_string_map("ClientMetadata")?;
    let (user, client_id) = access(ctx, input).await?;
    let delivery = ctx
        .state
        .cognate
        .get_user_attribute_verification_code(&user, &attribute, client_id.as_deref(), metadata)
        .await?;
    Ok(json!({ "CodeDeliveryDetails": user::code_delivery_json(&delivery) }))
}

pub async fn verify_user_attribute(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let attribute = input.req_str("AttributeName", &rules::ATTRIBUTE_NAME)?;
    let code = input.req_str("Code", &rules::CONFIRMATION_CODE)?;
    let (user, _) = access(ctx, input).await?;
    ctx.state.cognate.verify_user_attribute(&user, &attribute, &code).await?;
    Ok(json!({}))
}
