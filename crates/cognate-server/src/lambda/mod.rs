//! Running trigger functions. Each function named in a pool's `LambdaConfig` resolves, by the
//! name at the end of its ARN, to one of two runners:
//! - the Lambda Invoke API (`POST <endpoint>/2015-03-31/functions/<name>/invocations`), as
//!   Cognito calls Lambda: SAM CLI, the Lambda Runtime Interface Emulator, LocalStack…;
//! - a local handler file run by a warm worker process (`python3` or `node`).

mod invoke_api;
mod local;

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use cognate_core::triggers::{Invocation, TriggerError, TriggerResponse, Triggers};
use cognate_wire::trigger::{event_json, parse_response};

pub use local::Runtime;

/// How one function runs.
#[derive(Debug, Clone)]
pub enum FunctionConfig {
    InvokeApi { endpoint: String, function_name: String },
    Local { runtime: Runtime, file: PathBuf, export: String },
}

pub struct LambdaRunner {
    functions: HashMap<String, FunctionConfig>,
    default_endpoint: Option<String>,
    timeout: Duration,
    http: invoke_api::Client,
    workers: local::Workers,
}

/// `arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]` → `name`.
pub fn function_name(arn: &str) -> &str {
    let parts: Vec<&str> = arn.split(':').collect();
    match parts.iter().position(|p| *p == "function") {
        Some(i) if i + 1 < parts.len() => parts[i + 1],
        _ => arn,
    }
}

impl LambdaRunner {
    pub fn new(
        functions: HashMap<String, FunctionConfig>,
        default_endpoint: Option<String>,
        timeout: Duration,
    ) -> Self {
        Self {
            functions,
            default_endpoint,
            timeout,
            http: invoke_api::Client::new(),
            workers: local::Workers::default(),
        }
    }

    async fn run(&self, name: &str, event: &str) -> Result<Vec<u8>, TriggerError> {
        match self.functions.get(name) {
            Some(FunctionConfig::InvokeApi { endpoint, function_name }) => {
                self.http.invoke(endpoint, function_name, event, self.timeout).await
            }
            Some(FunctionConfig::Local { runtime, file, export }) => {
                self.workers.invoke(name, *runtime, file, export, event, self.timeout).await
            }
            None => match &self.default_endpoint {
                Some(endpoint) => self.http.invoke(endpoint, name, event, self.timeout).await,
                None => Err(TriggerError::Unavailable("ResourceNotFoundException".into())),
            },
        }
    }
}

#[async_trait]
impl Triggers for LambdaRunner {
    async fn invoke(&self, invocation: &Invocation) -> Result<TriggerResponse, TriggerError> {
        let name = function_name(&invocation.arn);
        let event = event_json(invocation).to_string();
        let started = Instant::now();
        let outcome = self.run(name, &event).await;
        tracing::debug!(
            trigger = invocation.trigger.name(),
            source = %invocation.source,
            function = name,
            elapsed_ms = started.elapsed().as_secs_f64() * 1000.0,
            ok = outcome.is_ok(),
            "trigger invoked"
        );
        let output = outcome?;
        parse_response(invocation, &output).map_err(TriggerError::InvalidResponse)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn function_names_come_from_arns() {
        assert_eq!(super::function_name("arn:aws:lambda:us-east-1:123456789012:function:pre-signup"), "pre-signup");
        assert_eq!(super::function_name("arn:aws:lambda:us-east-1:123456789012:function:f:prod"), "f");
    }
}
