//! `GET /health` and `GET /ready`, for load balancers and orchestrators. Neither needs a
//! signature: they say nothing about users or pools.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::AppState;

/// How long the readiness probe waits for the database before calling it unavailable: a
/// probe that hangs is worse than one that fails.
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// The process is up and answering.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can serve requests: its database answers a read (the schema is migrated
/// before the server listens, so a listening server's schema is current).
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    match tokio::time::timeout(READY_TIMEOUT, state.cognate.store.list_pools(None, 1)).await {
        Ok(Ok(_)) => (StatusCode::OK, Json(json!({ "status": "ready" }))),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness probe: the database did not answer");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "reason": "database" })))
        }
        Err(_) => {
            tracing::warn!("readiness probe: the database did not answer in time");
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unavailable", "reason": "database timeout" })))
        }
    }
}
