//! The `cognate` binary: command line, layered configuration, wiring and signals.

mod config;
mod outbox;

use std::io::Write;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use cognate_core::flows::CoreConfig;
use cognate_core::ports::OutboxStore;
use cognate_core::Cognate;
use cognate_server::delivery::Courier;
use cognate_server::lambda::LambdaRunner;
use cognate_server::passwords::Argon2Passwords;
use cognate_server::ratelimit::{LocalBuckets, RateLimits};
use cognate_server::sealing::{decode_key, BlockingCpu, KeySealer};
use cognate_server::sigv4::AdminKeys;
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
    /// Write a consistent copy of the database to a file; the server may keep running.
    Backup(BackupArgs),
    /// Replace the database by a backup (stop the server first).
    Restore(RestoreArgs),
}

#[derive(clap::Args)]
struct BackupArgs {
    /// Data directory of the server. [default: ./.cognate]
    #[arg(long, env = "COGNATE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<std::path::PathBuf>,
    /// The backup file to write (must not exist).
    #[arg(long, value_name = "FILE")]
    to: std::path::PathBuf,
}

#[derive(clap::Args)]
struct RestoreArgs {
    /// Data directory of the (stopped) server. [default: ./.cognate]
    #[arg(long, env = "COGNATE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<std::path::PathBuf>,
    /// The backup file to restore.
    #[arg(long, value_name = "FILE")]
    from: std::path::PathBuf,
}

fn database(data_dir: Option<std::path::PathBuf>) -> std::path::PathBuf {
    data_dir.unwrap_or_else(|| std::path::PathBuf::from("./.cognate")).join("cognate.db")
}

fn main() -> std::process::ExitCode {
    // One line, with its causes, whatever RUST_BACKTRACE says: returning the error from main
    // would print anyhow's Debug form, a stack backtrace when RUST_BACKTRACE is set.
    match run(Cli::parse()) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => {
            let settings = config::Settings::resolve(args)?;
            init_logging();
            tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(serve(settings))
        }
        Command::Outbox(args) => outbox::run(args),
        Command::Backup(args) => {
            let db = database(args.data_dir);
            cognate_store::backup::backup(&db, &args.to)
                .with_context(|| format!("cannot back up {} to {}", db.display(), args.to.display()))?;
            println!("backed up {} to {}", db.display(), args.to.display());
            println!("note: SRP verifiers in it are sealed with secrets.key, which is not in the backup");
            Ok(())
        }
        Command::Restore(args) => {
            let dir = args.data_dir.clone().unwrap_or_else(|| std::path::PathBuf::from("./.cognate"));
            std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
            let _lock = lock_data_dir(&dir).context("stop the server before restoring")?;
            let db = database(args.data_dir);
            cognate_store::backup::restore(&args.from, &db)
                .with_context(|| format!("cannot restore {} from {}", db.display(), args.from.display()))?;
            println!("restored {} from {}", db.display(), args.from.display());
            Ok(())
        }
    }
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("COGNATE_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    use std::io::IsTerminal;
    let ansi = std::io::stderr().is_terminal();
    tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(ansi).init();
}

/// Held for the server's lifetime: one server per data directory, and `cognate restore`
/// refuses to run under a live server.
fn lock_data_dir(dir: &std::path::Path) -> anyhow::Result<std::fs::File> {
    let path = dir.join("cognate.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    if file.try_lock().is_err() {
        anyhow::bail!("another cognate is using the data dir {} (it holds {})", dir.display(), path.display());
    }
    Ok(file)
}

async fn serve(settings: config::Settings) -> anyhow::Result<()> {
    let mut _lock = None;
    let store = match &settings.data_dir {
        None => SqliteStore::in_memory()?,
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create data dir {}", dir.display()))?;
            _lock = Some(lock_data_dir(dir)?);
            SqliteStore::open_with(&dir.join("cognate.db"), settings.durability)
                .with_context(|| format!("cannot open the database in {}", dir.display()))?
        }
    };
    if !settings.admin_keys.is_empty() {
        // Production keeps no codes: not even those a local-development run left behind.
        let forgotten = store.forget_outbox_text().await.context("cannot clear the outbox text")?;
        if forgotten > 0 {
            tracing::info!(
                messages = forgotten,
                "admin keys are configured: dropped the text of earlier outbox messages"
            );
        }
    }
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
    let courier = Courier::new(
        settings.smtp_url.as_deref(),
        &settings.email_from,
        settings.sms_url.as_deref(),
        settings.admin_keys.is_empty(),
    )
    .map_err(anyhow::Error::msg)?;
    let listener = tokio::net::TcpListener::bind(&settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let address = listener.local_addr()?;
    if settings.admin_keys.is_empty() && !address.ip().is_loopback() && !settings.allow_unauthenticated_admin {
        anyhow::bail!(
            "refusing to serve the admin operations unauthenticated on {address}: configure access keys \
             (--admin-credentials-file) or pass --allow-unauthenticated-admin"
        );
    }
    let admin = (!settings.admin_keys.is_empty()).then(|| Arc::new(AdminKeys::new(settings.admin_keys.clone())));
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
                // Local development reads codes from the outbox; production keeps none.
                keep_message_text: settings.admin_keys.is_empty(),
                ..CoreConfig::default()
            },
        },
        keys: Arc::new(KeyRing::default()),
        public_url,
        account_id: "000000000000".into(),
        admin: admin.clone(),
        limits: settings.rate_limits.as_ref().map(|r| {
            Arc::new(RateLimits {
                defaults: r.categories.clone(),
                pools: r.pools.clone(),
                per_ip: r.per_ip,
                counter: Box::new(LocalBuckets::default()),
            })
        }),
        http: settings.http,
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
    match &admin {
        Some(_) => tracing::info!(keys = settings.admin_keys.len(), "admin operations need SigV4 signatures"),
        None if address.ip().is_loopback() => tracing::info!(
            "admin operations are unauthenticated (no --admin-credentials-file): loopback only, for local development"
        ),
        None => tracing::warn!("admin operations are UNAUTHENTICATED on {address} (--allow-unauthenticated-admin)"),
    }
    match (settings.smtp_url.is_none(), settings.admin_keys.is_empty()) {
        (true, true) => {
            tracing::info!("no --smtp-url: messages are logged here and kept in the outbox (`cognate outbox`)")
        }
        (true, false) => tracing::warn!(
            "no --smtp-url: emails (codes, temporary passwords) cannot be delivered, and with admin keys \
             they are neither logged nor kept in the outbox"
        ),
        (false, _) => {}
    }
    if let Some(endpoint) = &settings.lambda_endpoint {
        tracing::info!(%endpoint, "triggers without a [functions] entry are invoked through this Lambda Invoke API");
    }
    // Off the request path and after the start-up line: the first sign-up need not build it.
    tokio::task::spawn_blocking(cognate_core::srp::prepare);
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
