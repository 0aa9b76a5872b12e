//! The AWS JSON 1.1 endpoint: target dispatch, body limit, success and error responses.

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use cognate_wire::error::ProtocolError;
use cognate_wire::operation::{parse_target, Operation, Target};
use cognate_wire::{ApiError, Input};
use serde_json::{json, Value};

use crate::ops::{self, Ctx};
use crate::sigv4;
use crate::AppState;

/// Request bodies above this are refused (Cognito's largest members are far smaller).
pub const MAX_BODY_BYTES: usize = 1 << 20;
const CONTENT_TYPE: &str = "application/x-amz-json-1.1";

/// The region a signed request names in its SigV4 credential scope
/// (`Credential=AKID/20240101/eu-west-1/cognito-idp/aws4_request`).
fn signed_region(headers: &HeaderMap) -> Option<String> {
    let auth = headers.get("authorization")?.to_str().ok()?;
    let credential = auth.split("Credential=").nth(1)?;
    let scope: Vec<&str> = credential.split([',', ' ']).next()?.split('/').collect();
    let region = scope.get(2)?;
    (!region.is_empty() && region.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')).then(|| region.to_string())
}

/// The key that signed a signed operation (checked before the body is even parsed);
/// `None` for unsigned operations and when no keys are configured.
fn authenticate<'s>(
    state: &'s AppState,
    op: Operation,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Option<&'s sigv4::AdminKey>, ApiError> {
    let Some(keys) = &state.admin else { return Ok(None) };
    if !op.is_signed() {
        return Ok(None);
    }
    let now = UNIX_EPOCH + Duration::from_millis(u64::try_from(state.cognate.clock.now().millis()).unwrap_or(0));
    let path = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    Ok(Some(sigv4::verify(keys, "POST", path, headers, body, now)?))
}

/// A key limited to some pools may only name one of them.
fn authorize(key: Option<&sigv4::AdminKey>, op: Operation, input: &Input) -> Result<(), ApiError> {
    let Some(key) = key else { return Ok(()) };
    if let Some(pools) = &key.pools {
        let pool = input.raw().get("UserPoolId").and_then(Value::as_str);
        if !pool.is_some_and(|p| pools.iter().any(|allowed| allowed == p)) {
            let who = key.label.as_deref().unwrap_or(&key.access_key_id);
            let resource = pool.map_or_else(|| "*".to_string(), |p| format!("userpool/{p}"));
            return Err(ProtocolError::AccessDenied(format!(
                "User: {who} is not authorized to perform: cognito-idp:{} on resource: {resource}",
                op.name()
            ))
            .into());
        }
    }
    Ok(())
}

/// Counts the request against the rate limits; the scope is the pool or app client it names.
fn throttle(state: &AppState, op: Operation, input: &Input, source: IpAddr) -> Result<(), ApiError> {
    let Some(limits) = &state.limits else { return Ok(()) };
    let member = |name: &str| input.raw().get(name).and_then(Value::as_str);
    let scope = member("UserPoolId").or_else(|| member("ClientId"));
    if limits.allow(op, scope, Some(source)) {
        Ok(())
    } else {
        Err(ProtocolError::TooManyRequests("Rate exceeded".into()).into())
    }
}

pub async fn handle(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or("");
    let result = async {
        let op = match parse_target(target) {
            Target::Known(op) => op,
            Target::NotImplemented(name) => {
                return Err(ApiError::from(ProtocolError::NotImplemented(format!(
                    "{name} is not implemented by cognate yet."
                ))))
            }
            Target::Unknown(_) if target.is_empty() => {
                return Err(ProtocolError::UnknownOperation("Missing X-Amz-Target header".into()).into())
            }
            Target::Unknown(name) => {
                return Err(ProtocolError::UnknownOperation(format!("Unknown operation {name}")).into())
            }
        };
        let bytes = tokio::time::timeout(state.http.body_timeout, axum::body::to_bytes(body, MAX_BODY_BYTES))
            .await
            .map_err(|_| ProtocolError::RequestTimeout("The request body did not arrive in time".into()))?
            .map_err(|e| {
                if e.into_inner().is::<http_body_util::LengthLimitError>() {
                    ProtocolError::RequestTooLarge(format!("The request body is larger than {MAX_BODY_BYTES} bytes"))
                } else {
                    ProtocolError::Serialization("The request body could not be read".into())
                }
            })?;
        let key = authenticate(&state, op, &uri, &headers, &bytes)?;
        let input = Input::parse(&bytes)?;
        authorize(key, op, &input)?;
        throttle(&state, op, &input, peer.ip())?;
        let ctx = Ctx { state: &state, region: signed_region(&headers) };
        let started = std::time::Instant::now();
        let result = ops::dispatch(op, &ctx, &input).await;
        tracing::debug!(
            operation = op.name(),
            elapsed_us = started.elapsed().as_micros() as u64,
            ok = result.is_ok(),
            "request"
        );
        result
    }
    .await;
    match result {
        Ok(value) => success(value),
        Err(e) => error_response(&e),
    }
}

fn success(value: Value) -> Response {
    let mut response = (StatusCode::OK, value.to_string()).into_response();
    response.headers_mut().insert("content-type", HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// A header-safe copy of a message: visible ASCII only, at most 1 KiB (HTTP clients refuse
/// very long header lines).
fn header_text(s: &str) -> HeaderValue {
    let clean: String = s.chars().take(1024).map(|c| if c.is_ascii_graphic() || c == ' ' { c } else { '?' }).collect();
    HeaderValue::from_str(&clean).unwrap_or_else(|_| HeaderValue::from_static(""))
}

pub fn error_response(e: &ApiError) -> Response {
    let (aws_type, status, message) = e.parts();
    if let ApiError::Domain(cognate_core::DomainError::Internal(detail)) = e {
        tracing::error!(error = %detail, "internal error");
    }
    let body = json!({ "__type": aws_type, "message": message });
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
    let mut response = (status, body.to_string()).into_response();
    let h = response.headers_mut();
    h.insert("content-type", HeaderValue::from_static(CONTENT_TYPE));
    h.insert("x-amzn-errortype", HeaderValue::from_static(aws_type));
    h.insert("x-amzn-errormessage", header_text(&message));
    response
}

pub async fn not_found() -> Response {
    error_response(
        &ProtocolError::UnknownOperation("Only POST / and the .well-known documents are served".into()).into(),
    )
}

/// A bug must not cost the client its connection or an answer: a handler that panics answers
/// `InternalErrorException` like any other internal error, and the panic is logged.
pub async fn contain_panics(request: Request, next: Next) -> Response {
    use futures_util::FutureExt;
    match std::panic::AssertUnwindSafe(next.run(request)).catch_unwind().await {
        Ok(response) => response,
        Err(panic) => {
            let what = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".into());
            error_response(&cognate_core::DomainError::Internal(format!("request handler panicked: {what}")).into())
        }
    }
}

/// Every response carries `x-amzn-RequestId`, which the SDKs report with errors.
pub async fn request_id(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let id = uuid::Uuid::new_v4().to_string();
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-amzn-requestid", v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_answers_internal_error() {
        use tower::ServiceExt;
        let app = axum::Router::new()
            .route("/", axum::routing::post(|| async { panic!("boom") as &'static str }))
            .layer(axum::middleware::from_fn(contain_panics));
        let request = axum::http::Request::post("/").body(Body::empty()).unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(response.headers()["x-amzn-errortype"], "InternalErrorException");
        let body = axum::body::to_bytes(response.into_body(), 1024).await.unwrap();
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["__type"], "InternalErrorException");
        assert!(!value["message"].as_str().unwrap().contains("boom"), "details stay in the log");
    }

    #[test]
    fn region_comes_from_the_credential_scope() {
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            HeaderValue::from_static("AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=abc"),
        );
        assert_eq!(signed_region(&h).as_deref(), Some("eu-west-1"));
        assert_eq!(signed_region(&HeaderMap::new()), None);
    }
}
