//! Pool and app client administration.

use cognate_core::flows::ClientChanges;
use cognate_wire::{client, pool, rules};
use serde_json::json;

use super::{decode_token, encode_token, Ctx, OpResult};
use cognate_wire::Input;

pub async fn create_user_pool(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let name = input.req_str("PoolName", &rules::POOL_NAME)?;
    let settings = pool::parse_settings(input)?;
    let cognate = &ctx.state.cognate;
    let created = cognate.create_pool(name, settings, ctx.region.as_deref()).await?;
    // Keys are made now so the first sign-in does not pay for RSA key generation.
    ctx.state.keys.for_pool(cognate.store.as_ref(), &created.id, cognate.clock.now()).await?;
    Ok(json!({ "UserPool": pool::pool_json(&created, &ctx.state.account_id, 0) }))
}

pub async fn describe_user_pool(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let cognate = &ctx.state.cognate;
    let found = cognate.pool(&id).await?;
    let users = cognate.store.count_users(&id).await.map_err(cognate_core::DomainError::from)?;
    let mut described = pool::pool_json(&found, &ctx.state.account_id, users);
    cognate_wire::hosting::add_pool_domains(&mut described, &cognate.pool_domains(&id).await?);
    Ok(json!({ "UserPool": described }))
}

pub async fn list_user_pools(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let max = input.opt_int("MaxResults", 1, 60)?.ok_or_else(|| {
        cognate_core::DomainError::invalid(
            "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null",
        )
    })?;
    let after = decode_token(input.opt_str("NextToken", &rules::PAGINATION_KEY)?, "NextToken")?;
    let page = ctx.state.cognate.list_pools(after.as_deref(), max as usize).await?;
    let mut out = json!({ "UserPools": page.items.iter().map(pool::pool_description_json).collect::<Vec<_>>() });
    if let Some(next) = page.next {
        out["NextToken"] = json!(encode_token(&next));
    }
    Ok(out)
}

pub async fn update_user_pool(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    input.opt_str("PoolName", &rules::POOL_NAME)?;
    let settings = pool::parse_settings(input)?;
    ctx.state.cognate.update_pool(&id, settings, pool::mfa_mode(input)?).await?;
    Ok(json!({}))
}

pub async fn delete_user_pool(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    ctx.state.cognate.delete_pool(&id).await?;
    ctx.state.keys.forget(&id);
    Ok(json!({}))
}

pub async fn create_user_pool_client(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let name = input.req_str("ClientName", &rules::CLIENT_NAME)?;
    let generate_secret = input.opt_bool("GenerateSecret")?.unwrap_or(false);
    let settings = client::parse_settings(input)?;
    let created = ctx.state.cognate.create_client(&pool_id, name, generate_secret, settings).await?;
    Ok(json!({ "UserPoolClient": client::client_json(&created) }))
}

pub async fn describe_user_pool_client(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let client_id = input.req_str("ClientId", &rules::CLIENT_ID)?;
    let found = ctx.state.cognate.client_in_pool(&pool_id, &client_id).await?;
    Ok(json!({ "UserPoolClient": client::client_json(&found) }))
}

pub async fn list_user_pool_clients(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let max = input.opt_int("MaxResults", 1, 60)?.unwrap_or(60);
    input.opt_enum("ClientType", &["REGULAR", "DCR"])?;
    let after = decode_token(input.opt_str("NextToken", &rules::PAGINATION_KEY)?, "NextToken")?;
    let page = ctx.state.cognate.list_clients(&pool_id, after.as_deref(), max as usize).await?;
    let mut out =
        json!({ "UserPoolClients": page.items.iter().map(client::client_description_json).collect::<Vec<_>>() });
    if let Some(next) = page.next {
        out["NextToken"] = json!(encode_token(&next));
    }
    Ok(out)
}

pub async fn update_user_pool_client(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let client_id = input.req_str("ClientId", &rules::CLIENT_ID)?;
    let name = input.opt_str("ClientName", &rules::CLIENT_NAME)?;
    let settings = client::parse_settings(input)?;
    let updated = ctx.state.cognate.update_client(&pool_id, &client_id, ClientChanges { name, settings }).await?;
    Ok(json!({ "UserPoolClient": client::client_json(&updated) }))
}

pub async fn delete_user_pool_client(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let client_id = input.req_str("ClientId", &rules::CLIENT_ID)?;
    ctx.state.cognate.delete_client(&pool_id, &client_id).await?;
    Ok(json!({}))
}
