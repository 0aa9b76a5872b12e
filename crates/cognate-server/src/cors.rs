//! Cross-origin access for browser apps (Amplify, amazon-cognito-identity-js, OIDC clients
//! in the page): the JSON API, the token, userInfo and revocation endpoints and the
//! discovery documents answer any origin, as Cognito's do. The hosted pages do not: they
//! are navigated to, never fetched.

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Paths a page of another origin may call.
fn shared(path: &str) -> bool {
    path == "/"
        || path.starts_with("/oauth2/token")
        || path.starts_with("/oauth2/userInfo")
        || path.starts_with("/oauth2/revoke")
        || path.contains("/.well-known/")
}

pub async fn cors(request: Request, next: Next) -> Response {
    let has_origin = request.headers().contains_key(header::ORIGIN);
    if !has_origin || !shared(request.uri().path()) {
        return next.run(request).await;
    }
    if request.method() == Method::OPTIONS {
        // The preflight: what the SDKs send (x-amz-target, x-amz-user-agent, amz-sdk-*, …).
        let mut response = StatusCode::NO_CONTENT.into_response();
        let h = response.headers_mut();
        h.insert(header::ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static("GET, POST, OPTIONS"));
        let asked = request.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS).cloned();
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            asked.unwrap_or_else(|| HeaderValue::from_static("content-type, authorization, x-amz-target")),
        );
        h.insert(header::ACCESS_CONTROL_MAX_AGE, HeaderValue::from_static("600"));
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        h.insert(header::VARY, HeaderValue::from_static("Origin, Access-Control-Request-Headers"));
        return response;
    }
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("x-amzn-requestid, x-amzn-errortype, www-authenticate"),
    );
    response
}
