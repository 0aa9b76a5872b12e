//! `POST /oauth2/token`: the `authorization_code`, `refresh_token` and `client_credentials`
//! grants.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::Response;
use cognate_core::flows::{ClientAuth, TokenGrant};
use cognate_core::oauth::OAuthError;
use cognate_core::triggers::Metadata;
use serde_json::json;

use super::{basic_credentials, error_response, json_response, Form};
use crate::{tokens, AppState};

pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    match answer(&state, &headers, &body).await {
        Ok(body) => json_response(StatusCode::OK, &body),
        Err(e) => error_response(&e),
    }
}

async fn answer(state: &AppState, headers: &HeaderMap, body: &[u8]) -> Result<serde_json::Value, OAuthError> {
    let form_encoded = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/x-www-form-urlencoded"));
    if !form_encoded {
        return Err(OAuthError::InvalidRequest);
    }
    let form = Form::parse(body);
    if form.has_repeats() {
        return Err(OAuthError::InvalidRequest);
    }
    let basic = basic_credentials(headers);
    let (client_id, secret) = match (&basic, form.get("client_id")) {
        // Credentials in two places must agree, and a secret is sent one way only.
        (Some((id, _)), Some(body_id)) if id != body_id => return Err(OAuthError::InvalidClient),
        (Some(_), _) if form.get("client_secret").is_some() => return Err(OAuthError::InvalidRequest),
        (Some((id, secret)), _) => (id.as_str(), Some(secret.as_str())),
        (None, Some(id)) => (id, form.get("client_secret")),
        (None, None) => return Err(OAuthError::InvalidRequest),
    };
    if let Some(limits) = &state.limits {
        if !limits.allow_category("ClientAuthentication", Some(client_id)) {
            return Err(OAuthError::Domain(cognate_core::DomainError::LimitExceeded("Rate exceeded".into())));
        }
    }
    let auth = ClientAuth { client_id, secret };
    match form.get("grant_type") {
        None => Err(OAuthError::InvalidRequest),
        Some("client_credentials") => client_credentials(state, &auth, &form).await,
        Some("authorization_code") => {
            let code = form.get("code").ok_or(OAuthError::InvalidRequest)?;
            let grant =
                state.cognate.redeem_code(&auth, code, form.get("redirect_uri"), form.get("code_verifier")).await?;
            user_tokens(state, grant).await
        }
        Some("refresh_token") => {
            let token = form.get("refresh_token").ok_or(OAuthError::InvalidRequest)?;
            let grant = state.cognate.redeem_refresh_token(&auth, token).await?;
            user_tokens(state, grant).await
        }
        Some(_) => Err(OAuthError::UnsupportedGrantType),
    }
}

async fn client_credentials(
    state: &AppState,
    auth: &ClientAuth<'_>,
    form: &Form,
) -> Result<serde_json::Value, OAuthError> {
    let metadata = client_metadata(form)?;
    let grant = state.cognate.client_credentials(auth, form.get("scope"), metadata).await?;
    let keys = state.keys.for_pool(state.cognate.store.as_ref(), &grant.pool.id, grant.now).await?;
    let issuer = format!("{}/{}", state.public_url, grant.pool.id);
    let rng = state.cognate.rng.clone();
    let (token, expires_in) =
        tokio::task::spawn_blocking(move || tokens::mint_machine(&keys, &grant, &issuer, rng.as_ref()))
            .await
            .map_err(|e| cognate_core::DomainError::Internal(e.to_string()))??;
    Ok(json!({ "access_token": token, "expires_in": expires_in, "token_type": "Bearer" }))
}

/// The token response for a user: the refresh token only where one was issued.
async fn user_tokens(state: &AppState, grant: TokenGrant) -> Result<serde_json::Value, OAuthError> {
    let minted = mint_user_tokens(state, grant).await?;
    let mut body = serde_json::Map::new();
    if let Some(id) = minted.0.id_token {
        body.insert("id_token".into(), json!(id));
    }
    body.insert("access_token".into(), json!(minted.0.access_token));
    if let Some(refresh) = minted.1 {
        body.insert("refresh_token".into(), json!(refresh));
    }
    body.insert("expires_in".into(), json!(minted.0.expires_in));
    body.insert("token_type".into(), json!("Bearer"));
    Ok(serde_json::Value::Object(body))
}

/// Signs a user's tokens on the blocking pool; the refresh token comes back beside them.
pub(crate) async fn mint_user_tokens(
    state: &AppState,
    grant: TokenGrant,
) -> Result<(tokens::Minted, Option<String>), cognate_core::DomainError> {
    let keys = state.keys.for_pool(state.cognate.store.as_ref(), &grant.pool.id, grant.now).await?;
    let issuer = format!("{}/{}", state.public_url, grant.pool.id);
    let rng = state.cognate.rng.clone();
    let refresh = grant.refresh_token.clone();
    let minted = tokio::task::spawn_blocking(move || tokens::mint(&keys, &grant, &issuer, rng.as_ref()))
        .await
        .map_err(|e| cognate_core::DomainError::Internal(e.to_string()))??;
    Ok((minted, refresh))
}

/// `aws_client_metadata`: a JSON object of strings for the PreTokenGeneration function.
fn client_metadata(form: &Form) -> Result<Metadata, OAuthError> {
    let Some(text) = form.get("aws_client_metadata") else { return Ok(None) };
    let value: serde_json::Value = serde_json::from_str(text).map_err(|_| OAuthError::InvalidRequest)?;
    let object = value.as_object().ok_or(OAuthError::InvalidRequest)?;
    object
        .iter()
        .map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())).ok_or(OAuthError::InvalidRequest))
        .collect::<Result<_, _>>()
        .map(Some)
}
