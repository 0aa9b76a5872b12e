//! The OAuth 2.0 authorization server of a user pool: `/oauth2/token` today; the authorize,
//! userInfo, revoke and logout endpoints and the hosted pages build on the same helpers.

pub mod revoke;
pub mod token;
pub mod userinfo;

use std::collections::HashMap;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use cognate_core::oauth::OAuthError;
use serde_json::{json, Value};

/// Cognito's content type for the JSON answers of its OAuth endpoints.
const JSON_UTF8: &str = "application/json;charset=UTF-8";

/// A form body or query string, first value of each name kept (a repeated parameter is an
/// error the endpoints check where it matters).
pub struct Form {
    values: HashMap<String, String>,
    repeated: Vec<String>,
}

impl Form {
    pub fn parse(bytes: &[u8]) -> Form {
        let mut values = HashMap::new();
        let mut repeated = Vec::new();
        for (k, v) in form_urlencoded::parse(bytes) {
            if values.contains_key(k.as_ref()) {
                repeated.push(k.into_owned());
            } else {
                values.insert(k.into_owned(), v.into_owned());
            }
        }
        Form { values, repeated }
    }

    /// A parameter with a non-empty value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// RFC 6749 §3.1: parameters must not be sent more than once.
    pub fn has_repeats(&self) -> bool {
        !self.repeated.is_empty()
    }
}

/// `client_secret_basic`: `Authorization: Basic base64(client_id:client_secret)`.
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded.trim()).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    Some((id.to_string(), secret.to_string()))
}

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(JSON_UTF8));
    // RFC 6749 §5.1: token responses must not be cached.
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// An error of the token or revocation endpoint: 400 with `{"error": …}`, as Cognito answers
/// (it documents `invalid_client` as a 400 too). Failures that are not the request's are 500.
pub fn error_response(e: &OAuthError) -> Response {
    match (e, e.code()) {
        (OAuthError::InvalidRedirect, Some(code)) => {
            json_response(StatusCode::BAD_REQUEST, &json!({ "error": code, "error_description": "invalid_redirect" }))
        }
        (_, Some(code)) => json_response(StatusCode::BAD_REQUEST, &json!({ "error": code })),
        (OAuthError::Domain(inner), None) => {
            let (kind, status, message) = cognate_wire::ApiError::Domain(inner.clone()).parts();
            if status >= 500 {
                tracing::error!(error = %inner, "token endpoint failed");
                return json_response(StatusCode::INTERNAL_SERVER_ERROR, &json!({ "error": "server_error" }));
            }
            // A trigger refused or failed: reported as the request's fault, with its words.
            tracing::info!(kind, message, "token endpoint refused by a trigger");
            json_response(StatusCode::BAD_REQUEST, &json!({ "error": "invalid_request", "error_description": message }))
        }
        (_, None) => json_response(StatusCode::INTERNAL_SERVER_ERROR, &json!({ "error": "server_error" })),
    }
}
