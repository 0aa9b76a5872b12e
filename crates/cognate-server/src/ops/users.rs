//! Reading, listing and deleting users.

use cognate_core::filter;
use cognate_core::DomainError;
use cognate_wire::{rules, user, Input};
use serde_json::json;

use super::{decode_token, encode_token, Ctx, OpResult};
use crate::tokens;

pub async fn admin_get_user(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let username = input.req_str("Username", &rules::USERNAME)?;
    let found = ctx.state.cognate.admin_get_user(&pool_id, &username).await?;
    Ok(user::admin_get_user_json(&found))
}

pub async fn admin_delete_user(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let username = input.req_str("Username", &rules::USERNAME)?;
    ctx.state.cognate.admin_delete_user(&pool_id, &username).await?;
    Ok(json!({}))
}

pub async fn get_user(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let token = input.req_str("AccessToken", &rules::TOKEN)?;
    let verified = tokens::verify_access_token(ctx.state, &token).await?;
    let sub = verified.str("sub").unwrap_or_default();
    let cognate = &ctx.state.cognate;
    let found = cognate.token_user(&verified.pool_id, sub, verified.str("origin_jti")).await?;
    let readable = match verified.str("client_id") {
        Some(client_id) => cognate
            .store
            .get_client(client_id)
            .await
            .map_err(DomainError::from)?
            .and_then(|c| c.settings.read_attributes),
        None => None,
    };
    let attributes = user::attributes_json(&found, readable.as_deref());
    let mut out = json!({ "Username": found.username, "UserAttributes": attributes });
    user::add_mfa_settings(&mut out, &found);
    Ok(out)
}

pub async fn delete_user(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let user = super::access_user(ctx, input).await?;
    ctx.state.cognate.delete_user(&user).await?;
    Ok(json!({}))
}

pub async fn list_users(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let only = input.opt_str_list("AttributesToGet", &rules::ATTRIBUTE_NAME, usize::MAX)?;
    let limit = input.opt_int("Limit", 0, 60)?.filter(|l| *l > 0).unwrap_or(60) as usize;
    let after = decode_token(input.opt_str("PaginationToken", &rules::PAGINATION_KEY)?, "PaginationToken")?;
    let filter = match input.opt_str("Filter", &rules::USER_FILTER)? {
        Some(f) => filter::parse(&f)?,
        None => None,
    };
    let page = ctx.state.cognate.list_users(&pool_id, filter.as_ref(), after.as_deref(), limit).await?;
    let users: Vec<_> = page.users.iter().map(|u| user::user_type_json(u, only.as_deref())).collect();
    let mut out = json!({ "Users": users });
    if let Some(next) = page.next {
        out["PaginationToken"] = json!(encode_token(&next));
    }
    Ok(out)
}
