//! One function per operation: wire input → domain call → wire output.

mod admin;
mod auth;
mod branding;
mod devices;
mod groups;
pub(crate) mod hosting;
mod mfa;
mod passkeys;
mod passwords;
mod pools;
mod profile;
mod signup;
mod users;

use cognate_wire::{ApiError, Input, Operation};
use serde_json::Value;

use crate::AppState;

pub struct Ctx<'a> {
    pub state: &'a AppState,
    /// The region named by the request's SigV4 credential scope, if signed.
    pub region: Option<String>,
}

pub type OpResult = Result<Value, ApiError>;

pub async fn dispatch(op: Operation, ctx: &Ctx<'_>, input: &Input) -> OpResult {
    match op {
        Operation::CreateUserPool => pools::create_user_pool(ctx, input).await,
        Operation::DescribeUserPool => pools::describe_user_pool(ctx, input).await,
        Operation::ListUserPools => pools::list_user_pools(ctx, input).await,
        Operation::UpdateUserPool => pools::update_user_pool(ctx, input).await,
        Operation::DeleteUserPool => pools::delete_user_pool(ctx, input).await,
        Operation::CreateUserPoolClient => pools::create_user_pool_client(ctx, input).await,
        Operation::DescribeUserPoolClient => pools::describe_user_pool_client(ctx, input).await,
        Operation::ListUserPoolClients => pools::list_user_pool_clients(ctx, input).await,
        Operation::UpdateUserPoolClient => pools::update_user_pool_client(ctx, input).await,
        Operation::DeleteUserPoolClient => pools::delete_user_pool_client(ctx, input).await,
        Operation::SignUp => signup::sign_up(ctx, input).await,
        Operation::ConfirmSignUp => signup::confirm_sign_up(ctx, input).await,
        Operation::ResendConfirmationCode => signup::resend_confirmation_code(ctx, input).await,
        Operation::AdminConfirmSignUp => signup::admin_confirm_sign_up(ctx, input).await,
        Operation::InitiateAuth => auth::initiate_auth(ctx, input, false).await,
        Operation::AdminInitiateAuth => auth::initiate_auth(ctx, input, true).await,
        Operation::AdminGetUser => users::admin_get_user(ctx, input).await,
        Operation::GetUser => users::get_user(ctx, input).await,
        Operation::ListUsers => users::list_users(ctx, input).await,
        Operation::AdminDeleteUser => users::admin_delete_user(ctx, input).await,
        Operation::DeleteUser => users::delete_user(ctx, input).await,
        Operation::RespondToAuthChallenge => auth::respond_to_auth_challenge(ctx, input, false).await,
        Operation::AdminRespondToAuthChallenge => auth::respond_to_auth_challenge(ctx, input, true).await,
        Operation::AdminCreateUser => admin::admin_create_user(ctx, input).await,
        Operation::AdminSetUserPassword => admin::admin_set_user_password(ctx, input).await,
        Operation::AdminResetUserPassword => admin::admin_reset_user_password(ctx, input).await,
        Operation::AdminDisableUser => admin::admin_set_enabled(ctx, input, false).await,
        Operation::AdminEnableUser => admin::admin_set_enabled(ctx, input, true).await,
        Operation::AdminUserGlobalSignOut => admin::admin_user_global_sign_out(ctx, input).await,
        Operation::ForgotPassword => passwords::forgot_password(ctx, input).await,
        Operation::ConfirmForgotPassword => passwords::confirm_forgot_password(ctx, input).await,
        Operation::ChangePassword => passwords::change_password(ctx, input).await,
        Operation::GlobalSignOut => passwords::global_sign_out(ctx, input).await,
        Operation::RevokeToken => passwords::revoke_token(ctx, input).await,
        Operation::UpdateUserAttributes => profile::update_user_attributes(ctx, input).await,
        Operation::AdminUpdateUserAttributes => profile::admin_update_user_attributes(ctx, input).await,
        Operation::DeleteUserAttributes => profile::delete_user_attributes(ctx, input).await,
        Operation::AdminDeleteUserAttributes => profile::admin_delete_user_attributes(ctx, input).await,
        Operation::GetUserAttributeVerificationCode => profile::get_user_attribute_verification_code(ctx, input).await,
        Operation::VerifyUserAttribute => profile::verify_user_attribute(ctx, input).await,
        Operation::GetTokensFromRefreshToken => auth::get_tokens_from_refresh_token(ctx, input).await,
        Operation::CreateGroup => groups::create_group(ctx, input).await,
        Operation::GetGroup => groups::get_group(ctx, input).await,
        Operation::ListGroups => groups::list_groups(ctx, input).await,
        Operation::UpdateGroup => groups::update_group(ctx, input).await,
        Operation::DeleteGroup => groups::delete_group(ctx, input).await,
        Operation::AdminAddUserToGroup => groups::admin_add_user_to_group(ctx, input, true).await,
        Operation::AdminRemoveUserFromGroup => groups::admin_add_user_to_group(ctx, input, false).await,
        Operation::ListUsersInGroup => groups::list_users_in_group(ctx, input).await,
        Operation::AdminListGroupsForUser => groups::admin_list_groups_for_user(ctx, input).await,
        Operation::SetUserPoolMfaConfig => mfa::set_user_pool_mfa_config(ctx, input).await,
        Operation::GetUserPoolMfaConfig => mfa::get_user_pool_mfa_config(ctx, input).await,
        Operation::AssociateSoftwareToken => mfa::associate_software_token(ctx, input).await,
        Operation::VerifySoftwareToken => mfa::verify_software_token(ctx, input).await,
        Operation::SetUserMFAPreference => mfa::set_user_mfa_preference(ctx, input).await,
        Operation::AdminSetUserMFAPreference => mfa::admin_set_user_mfa_preference(ctx, input).await,
        Operation::AdminDeleteSoftwareToken => mfa::admin_delete_software_token(ctx, input).await,
        Operation::GetUserAuthFactors => auth::get_user_auth_factors(ctx, input).await,
        Operation::AdminGetUserAuthFactors => auth::admin_get_user_auth_factors(ctx, input).await,
        Operation::ConfirmDevice => devices::confirm_device(ctx, input).await,
        Operation::GetDevice => devices::get_device(ctx, input, false).await,
        Operation::AdminGetDevice => devices::get_device(ctx, input, true).await,
        Operation::ListDevices => devices::list_devices(ctx, input, false).await,
        Operation::AdminListDevices => devices::list_devices(ctx, input, true).await,
        Operation::UpdateDeviceStatus => devices::update_device_status(ctx, input, false).await,
        Operation::AdminUpdateDeviceStatus => devices::update_device_status(ctx, input, true).await,
        Operation::ForgetDevice => devices::forget_device(ctx, input, false).await,
        Operation::AdminForgetDevice => devices::forget_device(ctx, input, true).await,
        Operation::StartWebAuthnRegistration => passkeys::start_web_authn_registration(ctx, input).await,
        Operation::CompleteWebAuthnRegistration => passkeys::complete_web_authn_registration(ctx, input).await,
        Operation::ListWebAuthnCredentials => passkeys::list_web_authn_credentials(ctx, input).await,
        Operation::DeleteWebAuthnCredential => passkeys::delete_web_authn_credential(ctx, input).await,
        Operation::CreateUserPoolDomain => hosting::create_user_pool_domain(ctx, input).await,
        Operation::DescribeUserPoolDomain => hosting::describe_user_pool_domain(ctx, input).await,
        Operation::UpdateUserPoolDomain => hosting::update_user_pool_domain(ctx, input).await,
        Operation::DeleteUserPoolDomain => hosting::delete_user_pool_domain(ctx, input).await,
        Operation::CreateResourceServer => hosting::create_resource_server(ctx, input).await,
        Operation::DescribeResourceServer => hosting::describe_resource_server(ctx, input).await,
        Operation::ListResourceServers => hosting::list_resource_servers(ctx, input).await,
        Operation::UpdateResourceServer => hosting::update_resource_server(ctx, input).await,
        Operation::DeleteResourceServer => hosting::delete_resource_server(ctx, input).await,
        Operation::GetClientToken => auth::get_client_token(ctx, input).await,
        Operation::SetUICustomization => branding::set_ui_customization(ctx, input).await,
        Operation::GetUICustomization => branding::get_ui_customization(ctx, input).await,
        Operation::CreateManagedLoginBranding => branding::create_managed_login_branding(ctx, input).await,
        Operation::DescribeManagedLoginBranding => branding::describe_managed_login_branding(ctx, input).await,
        Operation::DescribeManagedLoginBrandingByClient => {
            branding::describe_managed_login_branding_by_client(ctx, input).await
        }
        Operation::UpdateManagedLoginBranding => branding::update_managed_login_branding(ctx, input).await,
        Operation::DeleteManagedLoginBranding => branding::delete_managed_login_branding(ctx, input).await,
    }
}

/// The user an `AccessToken` member names: signature and expiry checked, and the sign-in
/// it came from not revoked.
pub async fn access_user(ctx: &Ctx<'_>, input: &Input) -> Result<cognate_core::user::User, ApiError> {
    Ok(access(ctx, input).await?.0)
}

/// [`access_user`] and the app client the token was issued to.
pub async fn access(ctx: &Ctx<'_>, input: &Input) -> Result<(cognate_core::user::User, Option<String>), ApiError> {
    let token = input.req_str("AccessToken", &cognate_wire::rules::TOKEN)?;
    let verified = crate::tokens::verify_access_token(ctx.state, &token).await?;
    let sub = verified.str("sub").unwrap_or_default();
    let user = ctx.state.cognate.token_user(&verified.pool_id, sub, verified.str("origin_jti")).await?;
    Ok((user, verified.str("client_id").map(str::to_string)))
}

/// Pagination tokens are opaque to clients: the last key, base64url-encoded.
pub fn encode_token(key: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

pub fn decode_token(token: Option<String>, member: &str) -> Result<Option<String>, ApiError> {
    use base64::Engine;
    token
        .map(|t| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(t.as_bytes())
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| cognate_core::DomainError::invalid(format!("Invalid {member}")).into())
        })
        .transpose()
}
