//! Accepting connections, with the limits a server open to the internet needs.
//!
//! `axum::serve` gives hyper no timer, so a client that sends its headers one byte at a time,
//! or never, holds its connection forever (slowloris). Here every connection gets a deadline
//! for its request headers (which also closes idle keep-alive connections), caps on header
//! count and size, and the number of open connections is bounded; the body has its own
//! deadline in `protocol.rs`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// How long a stopping server waits for the requests in flight.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// Headers per request; the AWS SDKs send about ten.
pub const MAX_HEADERS: usize = 64;
/// The request line and headers together, in bytes (hyper answers 431 above it).
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// The limits an operator may tune (`[http]` in the configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// How long a client has to send a request's headers, counted from the connection being
    /// ready for a request (so an idle keep-alive connection is closed after this long too).
    pub header_timeout: Duration,
    /// How long a client has to send the body once the headers are in.
    pub body_timeout: Duration,
    /// Connections open at once; further clients wait in the listen backlog.
    pub max_connections: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        Self {
            // hyper's own default. It is also how long an idle keep-alive connection lives;
            // SDK connection pools reuse theirs within seconds and reconnect when one closed.
            header_timeout: Duration::from_secs(30),
            // 1 MiB (the body cap) at 35 KB/s.
            body_timeout: Duration::from_secs(30),
            max_connections: 4096,
        }
    }
}

/// HTTP/1.1 only, as before: the AWS SDKs speak it to a plain-HTTP endpoint, and HTTP/2
/// would add the h2 crate to the build for no client.
fn builder(limits: &HttpLimits) -> http1::Builder {
    let mut builder = http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .max_headers(MAX_HEADERS)
        .max_header_size(MAX_HEADER_BYTES);
    builder
}

/// Serves `router` until `shutdown` resolves, then lets the requests in flight finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: &HttpLimits,
    tls: Option<Arc<rustls::ServerConfig>>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let handshake_timeout = limits.header_timeout;
    let builder = builder(limits);
    let graceful = GracefulShutdown::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            permit = slots.clone().acquire_owned() => permit.map_err(std::io::Error::other)?,
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
            router.clone().oneshot(request.map(Body::new))
        });
        match &acceptor {
            None => {
                let connection = graceful.watch(builder.serve_connection(TokioIo::new(stream), service));
                tokio::spawn(async move {
                    if let Err(e) = connection.await {
                        tracing::debug!(%peer, error = %e, "connection closed with an error");
                    }
                    drop(permit);
                });
            }
            Some(acceptor) => {
                // The handshake runs in the connection's task, bounded like the header read.
                let (acceptor, builder) = (acceptor.clone(), builder.clone());
                let watcher = graceful.watcher();
                tokio::spawn(async move {
                    match tokio::time::timeout(handshake_timeout, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let connection = watcher.watch(builder.serve_connection(TokioIo::new(tls), service));
                            if let Err(e) = connection.await {
                                tracing::debug!(%peer, error = %e, "connection closed with an error");
                            }
                        }
                        Ok(Err(e)) => tracing::debug!(%peer, error = %e, "TLS handshake failed"),
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                    drop(permit);
                });
            }
        }
    }
    drop(listener);
    // Requests in flight finish; a connection that is still silent (or a client that stopped
    // reading) is not waited for beyond the grace period.
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown()).await.is_err() {
        tracing::warn!(grace_s = SHUTDOWN_GRACE.as_secs(), "closed the connections still open after the grace period");
    }
    Ok(())
}
