//! Local handler files, run by warm worker processes: one per function, started on first
//! use and kept for the next call, so only the first invocation pays the interpreter's
//! start-up. A worker that times out or dies is discarded and started afresh next time.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use cognate_core::triggers::TriggerError;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

const PYTHON_RUNNER: &str = include_str!("runner.py");
const NODE_RUNNER: &str = include_str!("runner.js");

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Runtime {
    Python,
    Node,
}

impl Runtime {
    /// `python3*` and `nodejs*` as in Lambda's runtime names.
    pub fn parse(s: &str) -> Option<Self> {
        if s.starts_with("python") {
            Some(Self::Python)
        } else if s.starts_with("node") {
            Some(Self::Node)
        } else {
            None
        }
    }

    /// The source file of a handler `dir/file.export`.
    pub fn handler_file(self, base: &Path) -> PathBuf {
        let candidates: &[&str] = match self {
            Self::Python => &["py"],
            Self::Node => &["js", "mjs", "cjs"],
        };
        candidates
            .iter()
            .map(|ext| base.with_extension(ext))
            .find(|p| p.exists())
            .unwrap_or_else(|| base.with_extension(candidates[0]))
    }
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

type Slot = Arc<tokio::sync::Mutex<Option<Worker>>>;

#[derive(Default)]
pub struct Workers {
    slots: Mutex<HashMap<String, Slot>>,
}

fn spawn(runtime: Runtime, file: &Path, export: &str, name: &str) -> Result<Worker, TriggerError> {
    let mut command = match runtime {
        Runtime::Python => {
            let mut c = Command::new("python3");
            c.arg("-u").arg("-c").arg(PYTHON_RUNNER);
            c
        }
        Runtime::Node => {
            let mut c = Command::new("node");
            c.arg("-e").arg(NODE_RUNNER);
            c
        }
    };
    // Absolute, because the worker's working directory is the handler's own directory.
    let file = std::path::absolute(file).map_err(|e| {
        tracing::warn!(function = name, error = %e, "cannot resolve the handler file");
        TriggerError::Unavailable("Unable to resolve the handler file".into())
    })?;
    command.arg(&file).arg(export).arg(name);
    if let Some(dir) = file.parent() {
        command.current_dir(dir);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            tracing::warn!(function = name, error = %e, "cannot start the local runtime");
            TriggerError::Unavailable(format!("Unable to start the {runtime:?} runtime"))
        })?;
    let stdin = child.stdin.take().ok_or_else(|| TriggerError::Unavailable("runtime has no stdin".into()))?;
    let stdout = child.stdout.take().ok_or_else(|| TriggerError::Unavailable("runtime has no stdout".into()))?;
    Ok(Worker { child, stdin, stdout: BufReader::new(stdout) })
}

async fn exchange(worker: &mut Worker, request: &str) -> std::io::Result<String> {
    worker.stdin.write_all(request.as_bytes()).await?;
    worker.stdin.flush().await?;
    let mut line = String::new();
    if worker.stdout.read_line(&mut line).await? == 0 {
        return Err(std::io::Error::new(std::io::ErrorKind::UnexpectedEof, "the runtime exited"));
    }
    Ok(line)
}

impl Workers {
    pub async fn invoke(
        &self,
        name: &str,
        runtime: Runtime,
        file: &Path,
        export: &str,
        event: &str,
        timeout: Duration,
    ) -> Result<Vec<u8>, TriggerError> {
        let slot = {
            let mut slots = self.slots.lock().map_err(|_| TriggerError::Unavailable("worker table poisoned".into()))?;
            slots.entry(name.to_string()).or_default().clone()
        };
        // One call at a time per worker: handlers are free to keep state between calls.
        let mut guard = slot.lock().await;
        if guard.is_none() {
            *guard = Some(spawn(runtime, file, export, name)?);
        }
        let request = format!("{{\"event\":{event},\"timeout_ms\":{}}}\n", timeout.as_millis());
        let Some(worker) = guard.as_mut() else { return Err(TriggerError::Unavailable("no worker".into())) };
        let outcome = tokio::time::timeout(timeout, exchange(worker, &request)).await;
        let line = match outcome {
            Ok(Ok(line)) => line,
            Ok(Err(e)) => {
                tracing::warn!(function = name, error = %e, "local runtime failed");
                if let Some(mut w) = guard.take() {
                    let _ = w.child.start_kill();
                }
                return Err(TriggerError::Unavailable("Runtime exited unexpectedly".into()));
            }
            Err(_) => {
                if let Some(mut w) = guard.take() {
                    let _ = w.child.start_kill();
                }
                return Err(TriggerError::Timeout);
            }
        };
        let answer: Value = serde_json::from_str(&line)
            .map_err(|_| TriggerError::InvalidResponse("Invalid lambda function output : Invalid JSON".into()))?;
        if let Some(result) = answer.get("result") {
            return Ok(result.to_string().into_bytes());
        }
        if let Some(error) = answer.get("error") {
            let message = error.get("errorMessage").and_then(Value::as_str).unwrap_or("Unknown error").to_string();
            return Err(TriggerError::Failed(message));
        }
        Err(TriggerError::InvalidResponse("Invalid lambda function output : Invalid JSON".into()))
    }
}
