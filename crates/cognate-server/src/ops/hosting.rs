//! User pool domains and resource servers.

use cognate_wire::{hosting, rules, Input};
use serde_json::json;

use super::{decode_token, encode_token, Ctx, OpResult};

/// Where cognate answers for every domain: the host of its public URL (Cognito names its
/// CloudFront distribution here).
pub fn answering_host(public_url: &str) -> &str {
    let rest = public_url.split_once("://").map_or(public_url, |(_, r)| r);
    rest.split('/').next().unwrap_or(rest)
}

pub async fn create_user_pool_domain(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let request = hosting::parse_domain_request(input)?;
    hosting::check_prefix(&request)?;
    let created = ctx
        .state
        .cognate
        .create_domain(&pool_id, &request.domain, request.custom, request.managed_login_version)
        .await?;
    Ok(hosting::domain_result_json(&created, answering_host(&ctx.state.public_url)))
}

pub async fn describe_user_pool_domain(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let domain = input.req_str("Domain", &rules::DOMAIN_NAME)?;
    let found = ctx.state.cognate.describe_domain(&domain).await?;
    Ok(hosting::domain_description_json(found.as_ref(), &ctx.state.account_id, answering_host(&ctx.state.public_url)))
}

pub async fn update_user_pool_domain(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let request = hosting::parse_domain_request(input)?;
    let updated = ctx
        .state
        .cognate
        .update_domain(&pool_id, &request.domain, request.custom, request.managed_login_version)
        .await?;
    Ok(hosting::domain_result_json(&updated, answering_host(&ctx.state.public_url)))
}

pub async fn delete_user_pool_domain(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let domain = input.req_str("Domain", &rules::DOMAIN_NAME)?;
    ctx.state.cognate.delete_domain(&pool_id, &domain).await?;
    Ok(json!({}))
}

pub async fn create_resource_server(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let (identifier, name, scopes) = hosting::parse_resource_server(input)?;
    let created = ctx.state.cognate.create_resource_server(&pool_id, identifier, name, scopes).await?;
    Ok(json!({ "ResourceServer": hosting::resource_server_json(&created) }))
}

pub async fn describe_resource_server(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let identifier = input.req_str("Identifier", &rules::RESOURCE_SERVER_ID)?;
    let found = ctx.state.cognate.resource_server(&pool_id, &identifier).await?;
    Ok(json!({ "ResourceServer": hosting::resource_server_json(&found) }))
}

pub async fn list_resource_servers(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let max = input.opt_int("MaxResults", 1, 50)?.unwrap_or(50);
    let after = decode_token(input.opt_str("NextToken", &rules::PAGINATION_KEY)?, "NextToken")?;
    let page = ctx.state.cognate.list_resource_servers(&pool_id, after.as_deref(), max as usize).await?;
    let mut out =
        json!({ "ResourceServers": page.items.iter().map(hosting::resource_server_json).collect::<Vec<_>>() });
    if let Some(next) = page.next {
        out["NextToken"] = json!(encode_token(&next));
    }
    Ok(out)
}

pub async fn update_resource_server(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let (identifier, name, scopes) = hosting::parse_resource_server(input)?;
    let updated = ctx.state.cognate.update_resource_server(&pool_id, &identifier, name, scopes).await?;
    Ok(json!({ "ResourceServer": hosting::resource_server_json(&updated) }))
}

pub async fn delete_resource_server(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let identifier = input.req_str("Identifier", &rules::RESOURCE_SERVER_ID)?;
    ctx.state.cognate.delete_resource_server(&pool_id, &identifier).await?;
    Ok(json!({}))
}
