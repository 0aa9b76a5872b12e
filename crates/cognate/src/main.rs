//! The `cognate` binary: command line, layered configuration, wiring and signals.

mod config;
mod outbox;

use std::io::Write;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use cognate_core::flows::CoreConfig;
use cognate_core::Cognate;
use cognate_server::delivery::Courier;
use cognate_server::lambda::LambdaRunner;
use cognate_server::passwords::Argon2Passwords;
use cognate_server::sealing::{decode_key, BlockingCpu, KeySealer};
use cognate_server::system::{OsRng, SystemClock};
use cognate_server::tokens::KeyRing;
use cognate_server::AppState;
use cognate_store::SqliteStore;

/// A self-hosted, Amazon Cognito-compatible user pool server.
#[derive(Parser)]
#[command(name = "cognate", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the Cognito Identity Provider API (AWS JSON 1.1 on POST /).
    Serve(config::ServeArgs),
    /// Print the messages cognate sent or logged (sign-up codes, resends), oldest first.
    Outbox(outbox::OutboxArgs),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve(args) => {
            let settings = config::Settings::resolve(args)?;
            init_logging();
            tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(serve(settings))
        }
        Command::Outbox(args) => outbox::run(args),
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("COGNATE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    use std::io::IsTerminal;
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).init();
}

async fn serve(settings: config::Settings) -> anyhow::Result<()> {
    let store = match &settings.data_dir {
        None => SqliteStore::in_memory()?,
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create data dir {}", dir.display()))?;
            SqliteStore::open_with(&dir.join("cognate.db"), settings.durability)
                .with_context(|| format!("cannot open the database in {}", dir.display()))?
        }
    };
    let store = Arc::new(store);
    // COGNATE_SECRETS_KEY (base64) suits secret stores that hand out values, not files.
    let sealer = match (std::env::var("COGNATE_SECRETS_KEY").ok(), &settings.secrets_key_file) {
        (Some(value), _) => {
            KeySealer::new(&decode_key(value.trim()).context("COGNATE_SECRETS_KEY must be 32 bytes in base64")?)
        }
        (None, Some(path)) => {
            KeySealer::from_file(path).with_context(|| format!("cannot read or create {}", path.display()))?
        }
        (None, None) => KeySealer::ephemeral(),
    };
    let cost = settings.password_cost;
    let passwords = Argon2Passwords::new(cost.memory_kib, cost.iterations, cost.parallelism)
        .map_err(|e| anyhow::anyhow!("invalid [passwords] cost: {e}"))?;
    if cost.memory_kib < 19_456 || cost.iterations < 2 {
        tracing::warn!(?cost, "password hashing is below OWASP's minimum: fine for tests, not for production");
    }
    let courier = Courier::new(settings.smtp_url.as_deref(), &settings.email_from, settings.sms_url.as_deref())
        .map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let address = listener.local_addr()?;
    let shutdown = shutdown_signal()?;
    let public_url = settings.public_url.clone().unwrap_or_else(|| format!("http://{address}"));
    let state = AppState {
        cognate: Cognate {
            store: store.clone(),
            clock: Arc::new(SystemClock),
            rng: Arc::new(OsRng),
            passwords: Arc::new(passwords),
            mailer: Arc::new(courier),
            triggers: Arc::new(LambdaRunner::new(
                settings.functions.clone(),
                settings.lambda_endpoint.clone(),
                settings.trigger_timeout,
            )),
            sealer: Arc::new(sealer),
            cpu: Arc::new(BlockingCpu),
            dummy_hash: Default::default(),
            in_flight: Default::default(),
            config: CoreConfig {
                region: settings.region.clone(),
                signup_code_ttl: settings.signup_code_ttl,
                ..CoreConfig::default()
            },
        },
        keys: Arc::new(KeyRing::default()),
        public_url,
        account_id: "000000000000".into(),
    };
    let data = match &settings.data_dir {
        Some(dir) => std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone()).display().to_string(),
        None => "(in memory)".into(),
    };
    {
        // Test harnesses read this line to learn the port; it goes out whole and at once.
        let mut out = std::io::stdout().lock();
        writeln!(out, "cognate {} listening on http://{address} data-dir {data}", env!("CARGO_PKG_VERSION"))?;
        out.flush()?;
    }
    if settings.smtp_url.is_none() {
        tracing::info!("no --smtp-url: messages are logged here and kept in the outbox (`cognate outbox`)");
    }
    if let Some(endpoint) = &settings.lambda_endpoint {
        tracing::info!(%endpoint, "triggers without a [functions] entry are invoked through this Lambda Invoke API");
    }
    cognate_server::serve(listener, state, shutdown).await?;
    store.close()?;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGTERM or SIGINT. The handlers are installed when this is called, not when
/// it is first polled, so a signal that arrives right after the start-up line is not lost.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {},
            _ = int.recv() => {},
        }
        tracing::info!("shutting down: finishing requests in flight");
    })
}
