//! The Lambda Invoke API client.

use std::time::Duration;

use cognate_core::triggers::TriggerError;

pub struct Client {
    http: reqwest::Client,
}

impl Client {
    pub fn new() -> Self {
        Self { http: reqwest::Client::new() }
    }

    pub async fn invoke(
        &self,
        endpoint: &str,
        name: &str,
        event: &str,
        timeout: Duration,
    ) -> Result<Vec<u8>, TriggerError> {
        let url = format!("{}/2015-03-31/functions/{name}/invocations", endpoint.trim_end_matches('/'));
        let request = self
            .http
            .post(&url)
            .header("content-type", "application/json")
            .header("x-amz-invocation-type", "RequestResponse")
            .body(event.to_string())
            .timeout(timeout)
            .send();
        let response = match request.await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => return Err(TriggerError::Timeout),
            Err(e) => {
                tracing::warn!(%url, error = %e, "cannot reach the Lambda endpoint");
                return Err(TriggerError::Unavailable("Unable to reach the Lambda Invoke API".into()));
            }
        };
        let status = response.status();
        let function_error = response.headers().contains_key("x-amz-function-error");
        let body = match tokio::time::timeout(timeout, response.bytes()).await {
            Ok(Ok(b)) => b.to_vec(),
            Ok(Err(e)) if e.is_timeout() => return Err(TriggerError::Timeout),
            Ok(Err(_)) => return Err(TriggerError::Unavailable("Unable to read the Lambda response".into())),
            Err(_) => return Err(TriggerError::Timeout),
        };
        if function_error {
            let message = serde_json::from_slice::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v.get("errorMessage").and_then(|m| m.as_str()).map(str::to_string))
                .unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
            return Err(TriggerError::Failed(message));
        }
        match status.as_u16() {
            200..=299 => Ok(body),
            404 => Err(TriggerError::Unavailable("ResourceNotFoundException".into())),
            403 => Err(TriggerError::Unavailable("AccessDeniedException".into())),
            code => Err(TriggerError::Unavailable(format!("HTTP status {code} from the Lambda Invoke API"))),
        }
    }
}
