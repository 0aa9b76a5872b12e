//! `POST /oauth2/revoke`: ends the sign-in a refresh token belongs to.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use cognate_core::DomainError;
use serde_json::json;

use super::{basic_credentials, json_response, Form};
use crate::AppState;

fn error(status: StatusCode, code: &str) -> Response {
    json_response(status, &json!({ "error": code }))
}

pub async fn revoke(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let form = Form::parse(&body);
    let basic = basic_credentials(&headers);
    let (client_id, secret) = match (&basic, form.get("client_id")) {
        (Some((id, _)), Some(body_id)) if id != body_id => return error(StatusCode::UNAUTHORIZED, "invalid_client"),
        (Some((id, secret)), _) => (id.as_str(), Some(secret.as_str())),
        (None, Some(id)) => (id, form.get("client_secret")),
        (None, None) => return error(StatusCode::BAD_REQUEST, "invalid_request"),
    };
    let Some(token) = form.get("token") else { return error(StatusCode::BAD_REQUEST, "invalid_request") };
    match state.cognate.revoke_token(client_id, secret, token).await {
        // Unknown and already-revoked tokens are answered like revoked ones (RFC 7009 §2.2).
        Ok(()) => StatusCode::OK.into_response(),
        Err(DomainError::UnsupportedTokenType(_)) => error(StatusCode::BAD_REQUEST, "unsupported_token_type"),
        Err(DomainError::UnsupportedOperation(_)) => error(StatusCode::BAD_REQUEST, "invalid_request"),
        Err(DomainError::Internal(e)) => {
            tracing::error!(error = %e, "revocation failed");
            error(StatusCode::INTERNAL_SERVER_ERROR, "server_error")
        }
        Err(_) => error(StatusCode::UNAUTHORIZED, "invalid_client"),
    }
}
