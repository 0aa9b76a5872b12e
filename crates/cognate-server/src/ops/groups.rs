//! CreateGroup, GetGroup, ListGroups, UpdateGroup, DeleteGroup, AdminAddUserToGroup,
//! AdminRemoveUserFromGroup, ListUsersInGroup, AdminListGroupsForUser.

use cognate_core::flows::GroupChanges;
use cognate_wire::{rules, user, ApiError, Input};
use serde_json::json;

use super::{decode_token, encode_token, Ctx, OpResult};

fn pool_and_group(input: &Input) -> Result<(String, String), ApiError> {
    Ok((input.req_str("UserPoolId", &rules::POOL_ID)?, input.req_str("GroupName", &rules::GROUP_NAME)?))
}

fn changes(input: &Input) -> Result<GroupChanges, ApiError> {
    Ok(GroupChanges {
        description: input.opt_str("Description", &rules::GROUP_DESCRIPTION)?,
        role_arn: input.opt_str("RoleArn", &rules::ARN)?,
        precedence: input.opt_int("Precedence", 0, i64::from(i32::MAX))?.map(|p| p as u32),
    })
}

fn paging(input: &Input) -> Result<(usize, Option<String>), ApiError> {
    let limit = input.opt_int("Limit", 0, 60)?.filter(|l| *l > 0).unwrap_or(60) as usize;
    let after = decode_token(input.opt_str("NextToken", &rules::PAGINATION_KEY)?, "NextToken")?;
    Ok((limit, after))
}

pub async fn create_group(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let (pool_id, name) = pool_and_group(input)?;
    let group = ctx.state.cognate.create_group(&pool_id, &name, changes(input)?).await?;
    Ok(json!({ "Group": user::group_json(&group) }))
}

pub async fn get_group(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let (pool_id, name) = pool_and_group(input)?;
    let group = ctx.state.cognate.get_group(&pool_id, &name).await?;
    Ok(json!({ "Group": user::group_json(&group) }))
}

pub async fn update_group(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let (pool_id, name) = pool_and_group(input)?;
    let group = ctx.state.cognate.update_group(&pool_id, &name, changes(input)?).await?;
    Ok(json!({ "Group": user::group_json(&group) }))
}

pub async fn delete_group(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let (pool_id, name) = pool_and_group(input)?;
    ctx.state.cognate.delete_group(&pool_id, &name).await?;
    Ok(json!({}))
}

pub async fn list_groups(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let (limit, after) = paging(input)?;
    let page = ctx.state.cognate.list_groups(&pool_id, after.as_deref(), limit).await?;
    let mut out = json!({ "Groups": page.items.iter().map(user::group_json).collect::<Vec<_>>() });
    if let Some(next) = page.next {
        out["NextToken"] = json!(encode_token(&next));
    }
    Ok(out)
}

pub async fn admin_add_user_to_group(ctx: &Ctx<'_>, input: &Input, add: bool) -> OpResult {
    let (pool_id, group) = pool_and_group(input)?;
    let username = input.req_str("Username", &rules::USERNAME)?;
    let cognate = &ctx.state.cognate;
    if add {
        cognate.add_user_to_group(&pool_id, &username, &group).await?;
    } else {
        cognate.remove_user_from_group(&pool_id, &username, &group).await?;
    }
    Ok(json!({}))
}

pub async fn list_users_in_group(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let (pool_id, group) = pool_and_group(input)?;
    let (limit, after) = paging(input)?;
    let page = ctx.state.cognate.list_users_in_group(&pool_id, &group, after.as_deref(), limit).await?;
    let users: Vec<_> = page.items.iter().map(|u| user::user_type_json(u, None)).collect();
    let mut out = json!({ "Users": users });
    if let Some(next) = page.next {
        out["NextToken"] = json!(encode_token(&next));
    }
    Ok(out)
}

pub async fn admin_list_groups_for_user(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let username = input.req_str("Username", &rules::USERNAME)?;
    let (limit, after) = paging(input)?;
    let page = ctx.state.cognate.list_groups_for_user(&pool_id, &username, after.as_deref(), limit).await?;
    let mut out = json!({ "Groups": page.items.iter().map(user::group_json).collect::<Vec<_>>() });
    if let Some(next) = page.next {
        out["NextToken"] = json!(encode_token(&next));
    }
    Ok(out)
}
