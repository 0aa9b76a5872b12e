//! One function per operation: wire input → domain call → wire output.

mod auth;
mod pools;
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
    }
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
