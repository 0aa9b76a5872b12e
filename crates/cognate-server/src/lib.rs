//! The HTTP server: the AWS JSON 1.1 endpoint (`POST /` with `X-Amz-Target`), the JWKS and
//! OpenID discovery documents, the health and readiness probes, and the adapters behind the domain's ports (argon2 passwords,
//! SMTP delivery, signing keys, system clock and randomness).
//!
//! It knows no SQL: storage is whatever `Store` it is given.

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

mod connections;
mod cors;
pub mod delivery;
mod hosted;
pub mod lambda;
mod oauth;
mod ops;
pub mod passkeys;
pub mod passwords;
mod probes;
mod protocol;
pub mod ratelimit;
pub mod sealing;
pub mod sigv4;
pub mod system;
pub mod tls;
pub mod tokens;
pub mod upgrade;
mod well_known;

use std::future::Future;
use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;
use cognate_core::Cognate;
use tokio::net::TcpListener;

/// What every request handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub cognate: Cognate,
    pub keys: Arc<tokens::KeyRing>,
    /// Base URL of token issuers: `iss` = `<public_url>/<pool id>`.
    pub public_url: String,
    /// The account id shown in ARNs.
    pub account_id: String,
    /// Keys allowed to call the signed operations; `None` leaves them open (local development
    /// on loopback).
    pub admin: Option<Arc<sigv4::AdminKeys>>,
    /// Request-rate limits; `None` for none (local development).
    pub limits: Option<Arc<ratelimit::RateLimits>>,
    /// Timeouts and caps on connections and requests.
    pub http: HttpLimits,
}

pub fn app(state: AppState) -> Router {
    Router::new()
        .route("/", post(protocol::handle))
        .route("/health", get(probes::health))
        .route("/ready", get(probes::ready))
        .route("/{pool_id}/.well-known/jwks.json", get(well_known::jwks))
        .route("/{pool_id}/.well-known/openid-configuration", get(well_known::openid_configuration))
        .merge(hosted::routes())
        .route("/oauth2/token", post(oauth::token::token))
        .route("/oauth2/revoke", post(oauth::revoke::revoke))
        .route("/oauth2/userInfo", get(oauth::userinfo::user_info).post(oauth::userinfo::user_info))
        .fallback(protocol::not_found)
        .layer(axum::middleware::from_fn(cors::cors))
        .layer(axum::middleware::from_fn(protocol::contain_panics))
        .layer(axum::middleware::from_fn(protocol::request_id))
        .with_state(state)
}

/// Serves until `shutdown` resolves, then finishes the requests in flight. Slow and idle
/// clients are cut off and connections are capped (`connections.rs`).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.http;
    connections::serve(listener, app(state), &limits, None, shutdown).await
}

/// [`serve`] over TLS with the given server configuration (see [`tls`]).
pub async fn serve_tls(
    listener: TcpListener,
    state: AppState,
    config: Arc<rustls::ServerConfig>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = state.http;
    connections::serve(listener, app(state), &limits, Some(config), shutdown).await
}

pub use connections::{HttpLimits, MAX_HEADERS, MAX_HEADER_BYTES};
pub use protocol::MAX_BODY_BYTES;
