//! `/<pool>/.well-known/jwks.json` and `/<pool>/.well-known/openid-configuration`.

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::AppState;

fn not_found(pool_id: &str) -> Response {
    (StatusCode::NOT_FOUND, axum::Json(json!({ "message": format!("User pool {pool_id} does not exist.") })))
        .into_response()
}

pub async fn jwks(State(state): State<AppState>, Path(pool_id): Path<String>) -> Response {
    match state.cognate.store.get_pool(&pool_id).await {
        Ok(Some(_)) => {}
        Ok(None) => return not_found(&pool_id),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
    match state.keys.for_pool(state.cognate.store.as_ref(), &pool_id, state.cognate.clock.now()).await {
        Ok(keys) => ([(header::CONTENT_TYPE, "application/json")], keys.jwks().to_string()).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "cannot load signing keys");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

pub async fn openid_configuration(State(state): State<AppState>, Path(pool_id): Path<String>) -> Response {
    match state.cognate.store.get_pool(&pool_id).await {
        Ok(Some(_)) => {}
        Ok(None) => return not_found(&pool_id),
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
    let issuer = format!("{}/{pool_id}", state.public_url);
    // The endpoints answer at the root of cognate's public URL (the pool found from the
    // client id), as on a pool's own domain; Cognito's document has exactly these keys.
    let base = &state.public_url;
    let doc = json!({
        "authorization_endpoint": format!("{base}/oauth2/authorize"),
        "end_session_endpoint": format!("{base}/logout"),
        "issuer": issuer,
        "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
        "revocation_endpoint": format!("{base}/oauth2/revoke"),
        "token_endpoint": format!("{base}/oauth2/token"),
        "userinfo_endpoint": format!("{base}/oauth2/userInfo"),
        "response_types_supported": ["code", "token"],
        "scopes_supported": ["openid", "email", "phone", "profile"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
    });
    ([(header::CONTENT_TYPE, "application/json")], doc.to_string()).into_response()
}
