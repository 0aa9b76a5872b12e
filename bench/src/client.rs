//! A minimal Cognito client: POST / with X-Amz-Target, as every SDK does.

use serde_json::Value;

#[derive(Debug, Clone)]
pub struct CallError {
    pub kind: String,
    pub message: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

pub struct Idp {
    http: reqwest::Client,
    url: String,
}

impl Idp {
    pub fn new(url: &str) -> Self {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(512)
            .tcp_nodelay(true)
            .build()
            .expect("an HTTP client without TLS always builds");
        Self { http, url: format!("{}/", url.trim_end_matches('/')) }
    }

    pub async fn call(&self, operation: &str, body: Value) -> Result<Value, CallError> {
        let response = self
            .http
            .post(&self.url)
            .header("x-amz-target", format!("AWSCognitoIdentityProviderService.{operation}"))
            .header("content-type", "application/x-amz-json-1.1")
            // Servers that read the region from the SigV4 scope find it here; none verify it.
            .header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIDBENCH/20260101/us-east-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=00",
            )
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| CallError { kind: "transport".into(), message: e.to_string() })?;
        let status = response.status();
        let bytes =
            response.bytes().await.map_err(|e| CallError { kind: "transport".into(), message: e.to_string() })?;
        let value: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(value);
        }
        let kind = value
            .get("__type")
            .and_then(Value::as_str)
            .map(|t| t.rsplit('#').next().unwrap_or(t).to_string())
            .unwrap_or_else(|| status.as_u16().to_string());
        let message = value.get("message").and_then(Value::as_str).unwrap_or("").to_string();
        Err(CallError { kind, message })
    }
}
