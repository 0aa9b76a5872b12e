//! SetUICustomization / GetUICustomization and the managed login branding operations.

use cognate_wire::{hosting, rules, Input};
use serde_json::json;

use super::{Ctx, OpResult};

/// Where cognate serves a client's logo (Cognito answers with its CDN's URL).
fn image_url(ctx: &Ctx<'_>, pool_id: &str, client_id: &str) -> String {
    format!("{}/ui/{pool_id}/{client_id}/logo", ctx.state.public_url)
}

pub async fn set_ui_customization(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let client_id = input.opt_str("ClientId", &rules::CLIENT_ID)?;
    let (css, image) = hosting::parse_ui_customization(input)?;
    let ui = ctx.state.cognate.set_ui_customization(&pool_id, client_id.as_deref(), css, image).await?;
    let stored = (ui.css.is_some() || ui.image.is_some()).then_some(&ui);
    Ok(hosting::ui_customization_json(&pool_id, &ui.client_id, stored, &image_url(ctx, &pool_id, &ui.client_id)))
}

pub async fn get_ui_customization(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let client_id = input.opt_str("ClientId", &rules::CLIENT_ID)?;
    let ui = ctx.state.cognate.ui_customization(&pool_id, client_id.as_deref()).await?;
    let asked = client_id.as_deref().unwrap_or(cognate_core::branding::ALL_CLIENTS);
    let shown = ui.as_ref().map_or(asked, |u| u.client_id.as_str());
    Ok(hosting::ui_customization_json(&pool_id, asked, ui.as_ref(), &image_url(ctx, &pool_id, shown)))
}

pub async fn create_managed_login_branding(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let client_id = input.req_str("ClientId", &rules::CLIENT_ID)?;
    let changes = hosting::parse_branding(input)?;
    let created = ctx.state.cognate.create_branding(&pool_id, &client_id, changes).await?;
    Ok(hosting::branding_json(&created))
}

pub async fn describe_managed_login_branding(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let id = input.req_str("ManagedLoginBrandingId", &rules::BRANDING_ID)?;
    input.opt_bool("ReturnMergedResources")?;
    Ok(hosting::branding_json(&ctx.state.cognate.branding(&pool_id, &id).await?))
}

pub async fn describe_managed_login_branding_by_client(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let client_id = input.req_str("ClientId", &rules::CLIENT_ID)?;
    input.opt_bool("ReturnMergedResources")?;
    Ok(hosting::branding_json(&ctx.state.cognate.client_branding(&pool_id, &client_id).await?))
}

pub async fn update_managed_login_branding(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    // Both are optional in the model; without them there is nothing to update.
    let pool_id = input.opt_str("UserPoolId", &rules::POOL_ID)?.unwrap_or_default();
    let id = input.opt_str("ManagedLoginBrandingId", &rules::BRANDING_ID)?.unwrap_or_default();
    if pool_id.is_empty() || id.is_empty() {
        return Err(cognate_core::DomainError::invalid("UserPoolId and ManagedLoginBrandingId are required.").into());
    }
    let changes = hosting::parse_branding(input)?;
    Ok(hosting::branding_json(&ctx.state.cognate.update_branding(&pool_id, &id, changes).await?))
}

pub async fn delete_managed_login_branding(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
    let id = input.req_str("ManagedLoginBrandingId", &rules::BRANDING_ID)?;
    ctx.state.cognate.delete_branding(&pool_id, &id).await?;
    Ok(json!({}))
}
