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
    /// Several instances behind the load generator: calls go to each in turn.
    urls: Vec<String>,
    next: std::sync::atomic::AtomicUsize,
}

impl Idp {
    pub fn new(url: &str) -> Self {
        Self::spread(&[url.to_string()])
    }

    pub fn spread(urls: &[String]) -> Self {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(512)
            .tcp_nodelay(true)
            .build()
            .expect("an HTTP client without TLS always builds");
        let urls = urls.iter().map(|u| format!("{}/", u.trim_end_matches('/'))).collect();
        Self { http, urls, next: Default::default() }
    }

    pub async fn call(&self, operation: &str, body: Value) -> Result<Value, CallError> {
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.urls.len();
        let response = self
            .http
            .post(&self.urls[i])
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
