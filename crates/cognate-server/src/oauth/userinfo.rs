//! `GET|POST /oauth2/userInfo`: the signed-in user's attributes, as the access token's scopes
//! allow.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use super::json_response;
use crate::AppState;

fn refused(status: StatusCode, error: &str, description: &str) -> Response {
    let mut response = status.into_response();
    let challenge = format!("Bearer error=\"{error}\", error_description=\"{description}\"");
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

fn invalid_token() -> Response {
    refused(
        StatusCode::UNAUTHORIZED,
        "invalid_token",
        "Access token is expired, disabled, or deleted, or the user has globally signed out.",
    )
}

pub async fn user_info(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, token)| scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty())
        .map(|(_, token)| token.trim().to_string());
    let Some(token) = bearer else {
        return refused(StatusCode::BAD_REQUEST, "invalid_request", "Bad OAuth2 request at UserInfo Endpoint");
    };
    let Ok(verified) = crate::tokens::verify_access_token(&state, &token).await else { return invalid_token() };
    let scopes: Vec<&str> = verified.str("scope").unwrap_or_default().split_whitespace().collect();
    // Only tokens of the OAuth endpoints with `openid` may read the user here.
    if !scopes.contains(&"openid") || verified.str("username").is_none() {
        return invalid_token();
    }
    let sub = verified.str("sub").unwrap_or_default();
    let user = match state.cognate.token_user(&verified.pool_id, sub, verified.str("origin_jti")).await {
        Ok(user) => user,
        Err(cognate_core::DomainError::Internal(e)) => {
            tracing::error!(error = %e, "userInfo failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Err(_) => return invalid_token(),
    };
    // The client's ReadAttributes decide what it may read: no client, no answer.
    let client = match state.cognate.store.get_client(verified.str("client_id").unwrap_or_default()).await {
        Ok(Some(client)) => client,
        Ok(None) => return invalid_token(),
        Err(e) => {
            tracing::error!(error = %e, "userInfo failed");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let readable = |name: &str| client.settings.read_attributes.as_ref().is_none_or(|r| r.iter().any(|a| a == name));
    // `openid` alone shows every readable attribute; `email`, `phone` and `profile` narrow it.
    let narrowed = scopes.iter().any(|s| matches!(*s, "email" | "phone" | "profile"));
    let shown = |name: &str| {
        if !narrowed || scopes.contains(&"profile") {
            return true;
        }
        (scopes.contains(&"email") && matches!(name, "email" | "email_verified"))
            || (scopes.contains(&"phone") && matches!(name, "phone_number" | "phone_number_verified"))
    };
    let mut body = Map::new();
    for (name, value) in &user.attributes {
        if name != "sub" && readable(name) && shown(name) {
            body.insert(name.clone(), Value::String(value.clone()));
        }
    }
    body.insert("sub".into(), json!(user.sub));
    body.insert("username".into(), json!(user.username));
    json_response(StatusCode::OK, &Value::Object(body))
}
