//! Devices: ConfirmDevice, GetDevice, ListDevices, UpdateDeviceStatus, ForgetDevice and their
//! Admin variants.

use cognate_core::flows::RememberedStatus;
use cognate_core::user::User;
use cognate_wire::{rules, user, ApiError, Input};
use serde_json::json;

use super::{decode_token, encode_token, Ctx, OpResult};

/// The user of the request: by `AccessToken`, or for the Admin variants by pool and name.
async fn owner(ctx: &Ctx<'_>, input: &Input, admin: bool) -> Result<User, ApiError> {
    if admin {
        let pool_id = input.req_str("UserPoolId", &rules::POOL_ID)?;
        let username = input.req_str("Username", &rules::USERNAME)?;
        Ok(ctx.state.cognate.device_owner(&pool_id, &username).await?)
    } else {
        super::access_user(ctx, input).await
    }
}

pub async fn confirm_device(ctx: &Ctx<'_>, input: &Input) -> OpResult {
    let key = input.req_str("DeviceKey", &rules::DEVICE_KEY)?;
    let name = input.opt_str("DeviceName", &rules::DEVICE_NAME)?;
    let secret = match input.opt_object("DeviceSecretVerifierConfig")? {
        Some(config) => Some((
            config.opt_str("PasswordVerifier", &rules::MAP_STRING)?.unwrap_or_default(),
            config.opt_str("Salt", &rules::MAP_STRING)?.unwrap_or_default(),
        )),
        None => None,
    };
    let user = super::access_user(ctx, input).await?;
    let secret = secret.as_ref().map(|(v, s)| (v.as_str(), s.as_str()));
    let necessary = ctx.state.cognate.confirm_device(&user, &key, secret, name).await?;
    Ok(json!({ "UserConfirmationNecessary": necessary }))
}

pub async fn get_device(ctx: &Ctx<'_>, input: &Input, admin: bool) -> OpResult {
    let key = input.req_str("DeviceKey", &rules::DEVICE_KEY)?;
    let user = owner(ctx, input, admin).await?;
    let device = ctx.state.cognate.get_device(&user, &key).await?;
    Ok(json!({ "Device": user::device_json(&device) }))
}

pub async fn list_devices(ctx: &Ctx<'_>, input: &Input, admin: bool) -> OpResult {
    let limit = input.opt_int("Limit", 0, 60)?.unwrap_or(60);
    let after = decode_token(input.opt_str("PaginationToken", &rules::PAGINATION_KEY)?, "PaginationToken")?;
    let user = owner(ctx, input, admin).await?;
    let limit = if limit == 0 { 60 } else { limit as usize };
    let page = ctx.state.cognate.list_devices(&user, after.as_deref(), limit).await?;
    let mut out = json!({ "Devices": page.devices.iter().map(user::device_json).collect::<Vec<_>>() });
    if let Some(next) = page.next {
        out["PaginationToken"] = json!(encode_token(&next));
    }
    Ok(out)
}

pub async fn update_device_status(ctx: &Ctx<'_>, input: &Input, admin: bool) -> OpResult {
    let key = input.req_str("DeviceKey", &rules::DEVICE_KEY)?;
    let status = match input.opt_enum("DeviceRememberedStatus", &["remembered", "not_remembered"])?.as_deref() {
        Some("remembered") => RememberedStatus::Remembered,
        _ => RememberedStatus::NotRemembered,
    };
    let user = owner(ctx, input, admin).await?;
    ctx.state.cognate.update_device_status(&user, &key, status).await?;
    Ok(json!({}))
}

pub async fn forget_device(ctx: &Ctx<'_>, input: &Input, admin: bool) -> OpResult {
    let key = input.req_str("DeviceKey", &rules::DEVICE_KEY)?;
    let user = owner(ctx, input, admin).await?;
    ctx.state.cognate.forget_device(&user, &key).await?;
    Ok(json!({}))
}
