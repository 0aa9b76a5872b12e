//! The `cognate` binary: command line, layered configuration, wiring and signals.

mod config;
mod outbox;

use std::io::Write;
use std::sync::Arc;

use anyhow::Context;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use clap::{Parser, Subcommand};
use cognate_core::flows::CoreConfig;
use cognate_core::ports::Store;
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
use cognate_store::{PgOptions, PgStore, SqliteStore};

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
    Serve(Box<config::ServeArgs>),
    /// Print the messages cognate sent or logged (sign-up codes, resends), oldest first.
    Outbox(outbox::OutboxArgs),
    /// Write a consistent copy of the database to a file; the server may keep running.
    Backup(BackupArgs),
    /// Replace the database by a backup (stop the server first).
    Restore(RestoreArgs),
    /// Bring a PostgreSQL database's schema up to this version and exit (`serve` also does it
    /// at start; run this alone where instances must not change the schema themselves).
    Migrate(MigrateArgs),
}

#[derive(clap::Args)]
struct MigrateArgs {
    /// The PostgreSQL database: postgres://USER[:PASSWORD]@HOST[:PORT]/DB
    #[arg(long, env = "COGNATE_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: String,
}

#[derive(clap::Args)]
struct BackupArgs {
    /// Data directory of the server. [default: ./.cognate]
    #[arg(long, env = "COGNATE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<std::path::PathBuf>,
    /// Refused for postgres://: back PostgreSQL up with its own tools (pg_dump).
    #[arg(long, env = "COGNATE_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: Option<String>,
    /// The backup file to write (must not exist).
    #[arg(long, value_name = "FILE")]
    to: std::path::PathBuf,
}

#[derive(clap::Args)]
struct RestoreArgs {
    /// Data directory of the (stopped) server. [default: ./.cognate]
    #[arg(long, env = "COGNATE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<std::path::PathBuf>,
    /// Refused for postgres://: restore PostgreSQL with its own tools (pg_restore).
    #[arg(long, env = "COGNATE_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    database_url: Option<String>,
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
            let settings = config::Settings::resolve(*args)?;
            init_logging();
            tokio::runtime::Builder::new_multi_thread().enable_all().build()?.block_on(serve(settings))
        }
        Command::Outbox(args) => outbox::run(args),
        Command::Migrate(args) => {
            let url = args.database_url;
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                anyhow::bail!(
                    "cognate migrate needs a postgres:// URL (SQLite data dirs migrate when the server starts)"
                );
            }
            tokio::runtime::Builder::new_current_thread().enable_all().build()?.block_on(async {
                let options =
                    PgOptions { max_connections: 1, application_name: "cognate migrate".into(), ..Default::default() };
                PgStore::connect(&url, options).await?;
                println!(
                    "the database at {} is at schema version {}",
                    cognate_store::redact(&url),
                    cognate_store::POSTGRES_VERSION
                );
                anyhow::Ok(())
            })
        }
        Command::Backup(args) => {
            refuse_postgres(args.database_url.as_deref(), "pg_dump --format=custom")?;
            let db = database(args.data_dir);
            cognate_store::backup::backup(&db, &args.to)
                .with_context(|| format!("cannot back up {} to {}", db.display(), args.to.display()))?;
            println!("backed up {} to {}", db.display(), args.to.display());
            println!("note: SRP verifiers in it are sealed with secrets.key, which is not in the backup");
            Ok(())
        }
        Command::Restore(args) => {
            refuse_postgres(args.database_url.as_deref(), "pg_restore")?;
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

/// `cognate backup` and `restore` copy a SQLite file; PostgreSQL has tools of its own that
/// do it better (consistent online dumps, point-in-time recovery).
fn refuse_postgres(url: Option<&str>, tool: &str) -> anyhow::Result<()> {
    match url {
        Some(url) if !url.starts_with("sqlite://") => anyhow::bail!(
            "cognate backup and restore work on SQLite data dirs; for PostgreSQL ({}) use {tool} \
             (docs/deploy.md), and keep the sealing key (COGNATE_SECRETS_KEY) with the dump",
            cognate_store::redact(url)
        ),
        _ => Ok(()),
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

/// The store a server runs on, and what its shutdown needs of it.
enum Backend {
    Sqlite(Arc<SqliteStore>),
    Postgres(Arc<PgStore>),
}

impl Backend {
    fn store(&self) -> Arc<dyn Store> {
        match self {
            Backend::Sqlite(s) => s.clone(),
            Backend::Postgres(s) => s.clone(),
        }
    }
}

async fn open_backend(settings: &config::Settings, address: &str) -> anyhow::Result<(Backend, Option<std::fs::File>)> {
    if let config::Database::Postgres { url, max_connections, timeout } = &settings.database {
        let options = PgOptions {
            max_connections: *max_connections,
            application_name: format!("cognate {address}"),
            timeout: *timeout,
        };
        let store = PgStore::connect(url, options)
            .await
            .with_context(|| format!("cannot use the PostgreSQL database at {}", cognate_store::redact(url)))?;
        return Ok((Backend::Postgres(Arc::new(store)), None));
    }
    Ok(match &settings.data_dir {
        None => (Backend::Sqlite(Arc::new(SqliteStore::in_memory()?)), None),
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create data dir {}", dir.display()))?;
            let lock = lock_data_dir(dir)?;
            let store = SqliteStore::open_with(&dir.join("cognate.db"), settings.durability)
                .with_context(|| format!("cannot open the database in {}", dir.display()))?;
            (Backend::Sqlite(Arc::new(store)), Some(lock))
        }
    })
}

/// Binds the HTTPS listener and loads (or, in development mode, makes) its certificate.
async fn tls_listener(
    tls: &config::TlsSettings,
) -> anyhow::Result<(tokio::net::TcpListener, Arc<cognate_server::tls::TlsConfig>)> {
    let (cert, key) = match &tls.source {
        config::TlsSource::Files { cert, key } => (
            std::fs::read(cert).with_context(|| format!("cannot read {}", cert.display()))?,
            std::fs::read(key).with_context(|| format!("cannot read {}", key.display()))?,
        ),
        config::TlsSource::Dev { dir } => {
            let made = cognate_server::tls::dev_certificate(dir, &[]).map_err(anyhow::Error::msg)?;
            let ca_path = std::fs::canonicalize(&made.ca_path).unwrap_or_else(|_| made.ca_path.clone());
            let ca = ca_path.display();
            if made.ca_created {
                tracing::info!(ca = %ca, "created a local certificate authority for --tls-dev");
            }
            tracing::info!(
                "--tls-dev: trust {ca} to use https without warnings: NODE_EXTRA_CA_CERTS={ca} (Node, Amplify, \
                 aws-jwt-verify), REQUESTS_CA_BUNDLE={ca} / AWS_CA_BUNDLE={ca} (Python, AWS SDKs and CLI), or \
                 system-wide: cp {ca} /usr/local/share/ca-certificates/cognate.crt && update-ca-certificates"
            );
            (made.cert_pem.into_bytes(), made.key_pem.into_bytes())
        }
    };
    let what = match &tls.source {
        config::TlsSource::Files { cert, key } => format!("TLS ({} and {})", cert.display(), key.display()),
        config::TlsSource::Dev { dir } => format!("TLS ({})", dir.display()),
    };
    let config = cognate_server::tls::server_config(&cert, &key).map_err(anyhow::Error::msg).context(what)?;
    let listener =
        tokio::net::TcpListener::bind(&tls.listen).await.with_context(|| format!("cannot listen on {}", tls.listen))?;
    Ok((listener, config))
}

async fn serve(settings: config::Settings) -> anyhow::Result<()> {
    let (backend, _lock) = open_backend(&settings, &settings.listen).await?;
    let store = backend.store();
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
    // COGNATE_SECRETS_KEY (base64) suits secret stores that hand out values, not files.
    let sealer = match (std::env::var("COGNATE_SECRETS_KEY").ok(), &settings.secrets_key_file) {
        (Some(value), _) => {
            KeySealer::new(&decode_key(value.trim()).context("COGNATE_SECRETS_KEY must be 32 bytes in base64")?)
        }
        (None, Some(path)) => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            }
            KeySealer::from_file(path).with_context(|| format!("cannot read or create {}", path.display()))?
        }
        (None, None) => KeySealer::ephemeral(),
    };
    check_sealing_key(store.as_ref(), &sealer, &settings).await?;
    let lifted = cognate_server::upgrade::lift_client_oauth(store.as_ref())
        .await
        .map_err(anyhow::Error::msg)
        .context("cannot upgrade the app clients' OAuth settings")?;
    if lifted > 0 {
        tracing::info!(clients = lifted, "app clients' OAuth settings now act (they were only echoed before)");
    }
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
    let tls = match &settings.tls {
        Some(tls) => Some(tls_listener(tls).await?),
        None => None,
    };
    let shutdown = shutdown_signal()?;
    // With HTTPS, issuers are https URLs (aws-jwt-verify fetches keys over https only).
    let public_url = match (&settings.public_url, &tls) {
        (Some(url), _) => url.clone(),
        (None, Some((listener, _))) => {
            let tls_address = listener.local_addr()?;
            let ip = tls_address.ip();
            let host = if ip.is_loopback() || ip.is_unspecified() { "localhost".to_string() } else { ip.to_string() };
            format!("https://{host}:{}", tls_address.port())
        }
        (None, None) => format!("http://{address}"),
    };
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
            passkeys: Arc::new(cognate_server::passkeys::WebAuthnPasskeys),
            dummy_hash: Default::default(),
            in_flight: Default::default(),
            config: CoreConfig {
                region: settings.region.clone(),
                signup_code_ttl: settings.signup_code_ttl,
                // Local development reads codes from the outbox; production keeps none.
                keep_message_text: settings.admin_keys.is_empty(),
                delivery_lease: settings.delivery_lease,
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
    let data = match (&settings.database, &settings.data_dir) {
        (config::Database::Postgres { url, .. }, _) => format!("database {}", cognate_store::redact(url)),
        (_, Some(dir)) => {
            format!("data-dir {}", std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone()).display())
        }
        (_, None) => "data-dir (in memory)".into(),
    };
    {
        // Test harnesses read this line to learn the port; it goes out whole and at once.
        let mut out = std::io::stdout().lock();
        writeln!(out, "cognate {} listening on http://{address} {data}", env!("CARGO_PKG_VERSION"))?;
        if let Some((listener, _)) = &tls {
            writeln!(out, "cognate {} listening on https://{}", env!("CARGO_PKG_VERSION"), listener.local_addr()?)?;
        }
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
    tokio::spawn(redeliver(state.cognate.clone(), settings.delivery_lease));
    match tls {
        None => cognate_server::serve(listener, state, shutdown).await?,
        Some((tls_listener, config)) => {
            // Both listeners stop on the same signal.
            let (stop, stopped) = tokio::sync::watch::channel(false);
            tokio::spawn(async move {
                shutdown.await;
                let _ = stop.send(true);
            });
            let wait = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
                let _ = rx.wait_for(|stopped| *stopped).await;
            };
            let https = cognate_server::serve_tls(tls_listener, state.clone(), config, wait(stopped.clone()));
            let http = cognate_server::serve(listener, state, wait(stopped));
            let (a, b) = tokio::join!(http, https);
            a?;
            b?;
        }
    }
    if let Backend::Sqlite(sqlite) = &backend {
        sqlite.close()?;
    }
    tracing::info!("stopped");
    Ok(())
}

/// Instances sharing a database must seal with the same key, or each would fail the SRP
/// sign-ins of users whose verifiers another sealed. The first instance records the key's
/// fingerprint (a keyed hash: it tells nothing of the key); the others must match it.
async fn check_sealing_key(store: &dyn Store, sealer: &KeySealer, settings: &config::Settings) -> anyhow::Result<()> {
    use cognate_core::ports::Sealer;
    let fingerprint = STANDARD_NO_PAD.encode(sealer.fingerprint(b"cognate sealing key check"));
    if settings.reset_sealing_key {
        store.set_meta("sealing_key_fingerprint", &fingerprint).await.context("cannot write to the database")?;
        tracing::warn!("--reset-sealing-key: SRP sign-ins of existing users fail until each signs in with a password");
        return Ok(());
    }
    let recorded =
        store.claim_meta("sealing_key_fingerprint", &fingerprint).await.context("cannot read the database")?;
    if recorded != fingerprint {
        let source = match (std::env::var("COGNATE_SECRETS_KEY").is_ok(), &settings.secrets_key_file) {
            (true, _) => "COGNATE_SECRETS_KEY".to_string(),
            (false, Some(path)) => path.display().to_string(),
            (false, None) => "a key made up for this process".to_string(),
        };
        anyhow::bail!(
            "the sealing key ({source}) is not the one this database's SRP verifiers were sealed with: \
             every instance sharing a database needs the same key (COGNATE_SECRETS_KEY or --secrets-key-file); \
             if that key is lost, start once with --reset-sealing-key"
        );
    }
    Ok(())
}

/// Delivers, now and then, the messages an instance queued but did not live to deliver.
async fn redeliver(cognate: cognate_core::Cognate, lease: std::time::Duration) {
    let every = (lease / 4).clamp(std::time::Duration::from_secs(1), std::time::Duration::from_secs(30));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match cognate.redeliver(16).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(messages = n, "delivered messages left undelivered by an instance that stopped"),
            Err(e) => tracing::warn!(error = %e, "cannot look for undelivered messages"),
        }
    }
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
