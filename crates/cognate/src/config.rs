//! Layered configuration: defaults, then the TOML file, then `COGNATE_*` environment
//! variables, then flags (clap reads a flag and its variable together; flags win).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use cognate_server::lambda::{FunctionConfig, Runtime};
use cognate_server::sigv4::AdminKey;
use cognate_server::HttpLimits;
use cognate_store::Durability;
use serde::Deserialize;

#[derive(Args, Debug, Default)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the start-up line shows the real one).
    /// [default: 127.0.0.1:9229]
    #[arg(long, env = "COGNATE_LISTEN", value_name = "ADDR:PORT")]
    pub listen: Option<String>,
    /// Directory of the SQLite database, created on first start. [default: ./.cognate]
    #[arg(long, env = "COGNATE_DATA_DIR", value_name = "DIR", conflicts_with = "in_memory")]
    pub data_dir: Option<PathBuf>,
    /// Keep everything in memory; nothing survives a restart.
    #[arg(long, env = "COGNATE_IN_MEMORY")]
    pub in_memory: bool,
    /// Keep the data in PostgreSQL, shared by every instance given the same URL:
    /// postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=require|verify-full&sslrootcert=FILE].
    /// sqlite://DIR is the same as --data-dir DIR. [default: SQLite in --data-dir]
    #[arg(
        long,
        env = "COGNATE_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true,
        conflicts_with = "in_memory"
    )]
    pub database_url: Option<String>,
    /// Send codes by email through this SMTP server: smtp://[user:pass@]host:port, or smtps://
    /// for TLS (add ?tls=required to smtp:// for STARTTLS). Without it messages are logged and
    /// kept in the outbox.
    #[arg(long, env = "COGNATE_SMTP_URL", value_name = "URL")]
    pub smtp_url: Option<String>,
    /// Send SMS through this endpoint: http(s)://… receives JSON {to, message, pool_id, username,
    /// kind}; sns+http(s)://… receives an SNS Publish call. Without it SMS are logged and kept in
    /// the outbox.
    #[arg(long, env = "COGNATE_SMS_URL", value_name = "URL")]
    pub sms_url: Option<String>,
    /// Sender address of emails. [default: no-reply@cognate.local]
    #[arg(long, env = "COGNATE_EMAIL_FROM", value_name = "ADDR")]
    pub email_from: Option<String>,
    /// Lambda Invoke API endpoint (e.g. `sam local start-lambda`) for trigger functions that have
    /// no `[functions.NAME]` entry in the config file.
    #[arg(long, env = "COGNATE_LAMBDA_ENDPOINT", value_name = "URL")]
    pub lambda_endpoint: Option<String>,
    /// Region in new pool ids when a request is not signed for one. [default: us-east-1]
    #[arg(long, env = "COGNATE_REGION", value_name = "REGION")]
    pub region: Option<String>,
    /// Base URL in token issuers (`iss` = URL/poolId). [default: http://<listen address>]
    #[arg(long, env = "COGNATE_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Also serve HTTPS on this address (with --tls-cert/--tls-key or --tls-dev).
    /// [default: the --listen host, port 9230; port 0 when --listen has port 0]
    #[arg(long, env = "COGNATE_TLS_LISTEN", value_name = "ADDR:PORT")]
    pub tls_listen: Option<String>,
    /// PEM certificate chain of the HTTPS listener.
    #[arg(long, env = "COGNATE_TLS_CERT", value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of the HTTPS listener.
    #[arg(long, env = "COGNATE_TLS_KEY", value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Development HTTPS: a local certificate authority (created once in <data-dir>/tls, or
    /// ./.cognate/tls in memory) signs a certificate for localhost and *.auth.localhost; the
    /// start-up log says how to trust it.
    #[arg(long, env = "COGNATE_TLS_DEV", conflicts_with_all = ["tls_cert", "tls_key"])]
    pub tls_dev: bool,
    /// File holding the key that seals SRP verifiers (32 bytes, base64), created if missing.
    /// Instances sharing one database must share it. [default: <data-dir>/secrets.key]
    #[arg(long, env = "COGNATE_SECRETS_KEY_FILE", value_name = "FILE")]
    pub secrets_key_file: Option<PathBuf>,
    /// Record this instance's sealing key as the database's, after the old key was lost: SRP
    /// sign-ins of existing users then fail until each signs in once with a password.
    #[arg(long, env = "COGNATE_RESET_SEALING_KEY")]
    pub reset_sealing_key: bool,
    /// TOML file of access keys allowed to call the signed (admin) operations: [[credentials]]
    /// with access_key_id, secret_access_key, optional label and pools.
    #[arg(long, env = "COGNATE_ADMIN_CREDENTIALS_FILE", value_name = "FILE")]
    pub admin_credentials_file: Option<PathBuf>,
    /// Serve the signed operations without checking signatures on a non-loopback address
    /// (without keys, cognate otherwise refuses to listen beyond loopback).
    #[arg(long, env = "COGNATE_ALLOW_UNAUTHENTICATED_ADMIN")]
    pub allow_unauthenticated_admin: bool,
    /// TOML configuration file (see docs/configuration.md).
    #[arg(long, env = "COGNATE_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    listen: Option<String>,
    data_dir: Option<PathBuf>,
    in_memory: Option<bool>,
    database_url: Option<String>,
    smtp_url: Option<String>,
    sms_url: Option<String>,
    secrets_key_file: Option<PathBuf>,
    admin_credentials_file: Option<PathBuf>,
    allow_unauthenticated_admin: Option<bool>,
    #[serde(default)]
    admin_credentials: Vec<CredentialFile>,
    email_from: Option<String>,
    lambda_endpoint: Option<String>,
    region: Option<String>,
    public_url: Option<String>,
    tls_listen: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    tls_dev: Option<bool>,
    #[serde(default)]
    codes: CodesConfig,
    #[serde(default)]
    triggers: TriggersConfig,
    #[serde(default)]
    passwords: PasswordsConfig,
    #[serde(default)]
    storage: StorageConfig,
    #[serde(default)]
    functions: BTreeMap<String, FunctionFile>,
    #[serde(default)]
    rate_limits: RateLimitsFile,
    #[serde(default)]
    http: HttpFile,
    #[serde(default)]
    delivery: DeliveryFile,
}

/// `[delivery]`: how long an instance has to deliver a message it queued before another
/// instance (or this one, after a restart) delivers it.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct DeliveryFile {
    lease: Option<DurationValue>,
}

/// `[http]`: how long clients may take and how many may be connected.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct HttpFile {
    header_timeout: Option<DurationValue>,
    body_timeout: Option<DurationValue>,
    max_connections: Option<usize>,
}

fn http_limits(f: &HttpFile) -> anyhow::Result<HttpLimits> {
    let defaults = HttpLimits::default();
    let timeout = |name: &str, value: &Option<DurationValue>, default: Duration| -> anyhow::Result<Duration> {
        let d = value.as_ref().map(DurationValue::to_duration).transpose()?.unwrap_or(default);
        if d.is_zero() {
            bail!("http.{name} must be at least 1s");
        }
        Ok(d)
    };
    let max_connections = f.max_connections.unwrap_or(defaults.max_connections);
    if max_connections == 0 {
        bail!("http.max_connections must be at least 1");
    }
    Ok(HttpLimits {
        header_timeout: timeout("header_timeout", &f.header_timeout, defaults.header_timeout)?,
        body_timeout: timeout("body_timeout", &f.body_timeout, defaults.body_timeout)?,
        max_connections,
    })
}

/// `[rate_limits]`: on by default when admin keys are configured.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct RateLimitsFile {
    enabled: Option<bool>,
    per_ip: Option<u32>,
    #[serde(default)]
    categories: BTreeMap<String, u32>,
    #[serde(default)]
    pools: BTreeMap<String, BTreeMap<String, u32>>,
}

/// The limits in force, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimitSettings {
    pub per_ip: u32,
    pub categories: HashMap<String, u32>,
    pub pools: HashMap<String, HashMap<String, u32>>,
}

fn rate_limits(f: &RateLimitsFile, authenticated: bool) -> anyhow::Result<Option<RateLimitSettings>> {
    if !f.enabled.unwrap_or(authenticated) {
        return Ok(None);
    }
    let known = |name: &String| cognate_server::ratelimit::CATEGORIES.iter().any(|(c, _)| c == name);
    for name in f.categories.keys().chain(f.pools.values().flat_map(|p| p.keys())) {
        if !known(name) {
            bail!("rate_limits: unknown category {name:?}");
        }
    }
    let mut categories: HashMap<String, u32> =
        cognate_server::ratelimit::CATEGORIES.iter().map(|(c, n)| (c.to_string(), *n)).collect();
    categories.extend(f.categories.iter().map(|(k, v)| (k.clone(), *v)));
    let pools = f
        .pools
        .iter()
        .map(|(pool, limits)| (pool.clone(), limits.iter().map(|(k, v)| (k.clone(), *v)).collect()))
        .collect();
    Ok(Some(RateLimitSettings { per_ip: f.per_ip.unwrap_or(50), categories, pools }))
}

/// One access key for the signed operations.
#[derive(Deserialize, Debug, Clone)]
#[serde(deny_unknown_fields)]
struct CredentialFile {
    access_key_id: String,
    secret_access_key: String,
    label: Option<String>,
    pools: Option<Vec<String>>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct CredentialsFile {
    #[serde(default)]
    credentials: Vec<CredentialFile>,
}

fn admin_keys(files: Vec<CredentialFile>) -> anyhow::Result<Vec<AdminKey>> {
    let mut seen = std::collections::HashSet::new();
    files
        .into_iter()
        .map(|c| {
            if c.access_key_id.len() < 16 || c.secret_access_key.len() < 16 {
                bail!("admin credentials: access_key_id and secret_access_key need at least 16 characters");
            }
            if !seen.insert(c.access_key_id.clone()) {
                bail!("admin credentials: access key {} is listed twice", c.access_key_id);
            }
            Ok(AdminKey {
                access_key_id: c.access_key_id,
                secret_access_key: c.secret_access_key,
                label: c.label,
                pools: c.pools,
            })
        })
        .collect()
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct TriggersConfig {
    timeout: Option<DurationValue>,
}

/// `[storage]`: `synchronous = "full"` (default) or `"normal"` (SQLite); `max_connections`
/// and `timeout` (PostgreSQL).
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct StorageConfig {
    synchronous: Option<String>,
    max_connections: Option<usize>,
    timeout: Option<DurationValue>,
}

/// Where the data lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// SQLite in the data directory (`Settings::data_dir`), or in memory when that is `None`.
    Sqlite,
    Postgres {
        url: String,
        max_connections: usize,
        timeout: Duration,
    },
}

fn database(url: Option<String>, file: &FileConfig, data_dir: &mut Option<PathBuf>) -> anyhow::Result<Database> {
    let Some(url) = url else {
        if file.storage.max_connections.is_some() || file.storage.timeout.is_some() {
            bail!("storage.max_connections and storage.timeout apply to PostgreSQL (--database-url) only");
        }
        return Ok(Database::Sqlite);
    };
    if let Some(dir) = url.strip_prefix("sqlite://") {
        if dir.is_empty() {
            bail!("--database-url sqlite://DIR needs the data directory");
        }
        *data_dir = Some(PathBuf::from(dir));
        return Ok(Database::Sqlite);
    }
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        bail!(
            "--database-url must start with postgres://, postgresql:// or sqlite://, not {}",
            cognate_store::redact(&url)
        );
    }
    if data_dir.is_none() {
        bail!("--in-memory keeps the data in SQLite in memory: it cannot be combined with a PostgreSQL --database-url");
    }
    if file.storage.synchronous.is_some() || std::env::var("COGNATE_STORAGE_SYNCHRONOUS").is_ok() {
        bail!("storage.synchronous is a SQLite setting: PostgreSQL's durability is its own (synchronous_commit)");
    }
    let max_connections = file.storage.max_connections.unwrap_or(8);
    if max_connections == 0 {
        bail!("storage.max_connections must be at least 1");
    }
    let timeout =
        file.storage.timeout.as_ref().map(DurationValue::to_duration).transpose()?.unwrap_or(Duration::from_secs(5));
    if timeout.is_zero() {
        bail!("storage.timeout must be at least 1s");
    }
    Ok(Database::Postgres { url, max_connections, timeout })
}

fn durability(c: &StorageConfig) -> anyhow::Result<Durability> {
    let env = std::env::var("COGNATE_STORAGE_SYNCHRONOUS").ok();
    match env.as_deref().or(c.synchronous.as_deref()).map(str::to_ascii_lowercase).as_deref() {
        None | Some("full") => Ok(Durability::Full),
        Some("normal") => Ok(Durability::Normal),
        Some(other) => bail!("storage.synchronous: use \"full\" or \"normal\", not {other:?}"),
    }
}

/// `[passwords]`: the argon2id cost. `preset = "fast-insecure"` makes hashing nearly free,
/// for test suites that create thousands of users; never use it in production.
#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct PasswordsConfig {
    algorithm: Option<String>,
    preset: Option<String>,
    memory_kib: Option<u32>,
    iterations: Option<u32>,
    parallelism: Option<u32>,
}

/// The argon2id cost in effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordCost {
    pub memory_kib: u32,
    pub iterations: u32,
    pub parallelism: u32,
}

fn password_cost(c: &PasswordsConfig) -> anyhow::Result<PasswordCost> {
    if let Some(algorithm) = &c.algorithm {
        if algorithm != "argon2id" {
            bail!("passwords.algorithm: only argon2id is supported, not {algorithm:?}");
        }
    }
    let env_preset = std::env::var("COGNATE_PASSWORDS_PRESET").ok();
    let base = match env_preset.as_deref().or(c.preset.as_deref()) {
        None | Some("owasp") => PasswordCost { memory_kib: 19_456, iterations: 2, parallelism: 1 },
        Some("fast-insecure") => PasswordCost { memory_kib: 8, iterations: 1, parallelism: 1 },
        Some(other) => bail!("passwords.preset: use \"owasp\" or \"fast-insecure\", not {other:?}"),
    };
    Ok(PasswordCost {
        memory_kib: c.memory_kib.unwrap_or(base.memory_kib),
        iterations: c.iterations.unwrap_or(base.iterations),
        parallelism: c.parallelism.unwrap_or(base.parallelism),
    })
}

/// `[functions.<name>]`: a local handler file, or an Invoke API endpoint of its own.
#[derive(Deserialize, Debug)]
#[serde(deny_unknown_fields)]
struct FunctionFile {
    runtime: Option<String>,
    handler: Option<String>,
    endpoint: Option<String>,
    function_name: Option<String>,
}

#[derive(Deserialize, Default, Debug)]
#[serde(deny_unknown_fields)]
struct CodesConfig {
    signup_ttl: Option<DurationValue>,
}

#[derive(Deserialize, Debug, Clone)]
#[serde(untagged)]
enum DurationValue {
    Seconds(u64),
    Text(String),
}

/// `"90s"`, `"10m"`, `"24h"`, `"7d"` or a plain number of seconds.
pub fn parse_duration(s: &str) -> anyhow::Result<Duration> {
    let s = s.trim();
    let (digits, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = digits.parse().with_context(|| format!("invalid duration {s:?}"))?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        other => bail!("invalid duration unit {other:?} in {s:?} (use s, m, h or d)"),
    };
    Ok(Duration::from_secs(secs))
}

impl DurationValue {
    fn to_duration(&self) -> anyhow::Result<Duration> {
        match self {
            DurationValue::Seconds(n) => Ok(Duration::from_secs(*n)),
            DurationValue::Text(s) => parse_duration(s),
        }
    }
}

#[derive(Debug)]
pub struct Settings {
    pub listen: String,
    /// `None` for an in-memory database.
    pub data_dir: Option<PathBuf>,
    pub smtp_url: Option<String>,
    pub sms_url: Option<String>,
    /// Where the sealing key lives; `None` with an in-memory database means a per-process key.
    pub secrets_key_file: Option<PathBuf>,
    /// Keys for the signed operations; empty leaves them open (loopback only, unless allowed).
    pub admin_keys: Vec<AdminKey>,
    pub allow_unauthenticated_admin: bool,
    pub rate_limits: Option<RateLimitSettings>,
    pub email_from: String,
    pub lambda_endpoint: Option<String>,
    pub region: String,
    pub public_url: Option<String>,
    pub signup_code_ttl: Duration,
    pub trigger_timeout: Duration,
    pub functions: HashMap<String, FunctionConfig>,
    pub password_cost: PasswordCost,
    pub durability: Durability,
    pub reset_sealing_key: bool,
    pub database: Database,
    pub http: HttpLimits,
    pub delivery_lease: Duration,
    /// The HTTPS listener, when configured.
    pub tls: Option<TlsSettings>,
}

#[derive(Debug, Clone)]
pub struct TlsSettings {
    pub listen: String,
    pub source: TlsSource,
}

#[derive(Debug, Clone)]
pub enum TlsSource {
    Files {
        cert: PathBuf,
        key: PathBuf,
    },
    /// The development CA's directory.
    Dev {
        dir: PathBuf,
    },
}

/// A TOML error on one line ("line L, column C: message"): the parser's own text is a
/// multi-line excerpt, and a start-up error is one line.
fn toml_error(text: &str, e: &toml::de::Error) -> anyhow::Error {
    let message = e.message().trim().replace('\n', " ");
    match e.span() {
        Some(span) => {
            let before = text.get(..span.start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            anyhow::anyhow!("line {line}, column {column}: {message}")
        }
        None => anyhow::anyhow!("{message}"),
    }
}

fn function_config(name: &str, f: &FunctionFile, base: &Path) -> anyhow::Result<FunctionConfig> {
    match (&f.runtime, &f.handler, &f.endpoint) {
        (Some(runtime), Some(handler), None) => {
            let runtime = Runtime::parse(runtime)
                .with_context(|| format!("functions.{name}: runtime must be python3 or nodejs, not {runtime:?}"))?;
            let (module, export) = handler
                .rsplit_once('.')
                .with_context(|| format!("functions.{name}: handler must look like path/to/file.function"))?;
            let file = runtime.handler_file(&base.join(module));
            if !file.exists() {
                bail!("functions.{name}: handler file {} does not exist", file.display());
            }
            // The worker runs in the handler's own directory, so a relative path would be
            // looked up a second time from there.
            let file = std::fs::canonicalize(&file)
                .with_context(|| format!("functions.{name}: cannot resolve {}", file.display()))?;
            Ok(FunctionConfig::Local { runtime, file, export: export.to_string() })
        }
        (None, None, Some(endpoint)) => Ok(FunctionConfig::InvokeApi {
            endpoint: endpoint.clone(),
            function_name: f.function_name.clone().unwrap_or_else(|| name.to_string()),
        }),
        _ => bail!("functions.{name}: give either runtime and handler, or endpoint"),
    }
}

impl Settings {
    pub fn resolve(args: ServeArgs) -> anyhow::Result<Settings> {
        let file = match &args.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
                toml::from_str::<FileConfig>(&text)
                    .map_err(|e| toml_error(&text, &e))
                    .with_context(|| format!("invalid configuration in {}", path.display()))?
            }
            None => FileConfig::default(),
        };
        let in_memory = args.in_memory || (args.data_dir.is_none() && file.in_memory.unwrap_or(false));
        let mut data_dir = (!in_memory)
            .then(|| args.data_dir.or(file.data_dir.clone()).unwrap_or_else(|| PathBuf::from("./.cognate")));
        let database = database(args.database_url.or(file.database_url.clone()), &file, &mut data_dir)?;
        let delivery_lease = file.delivery.lease.as_ref().map(DurationValue::to_duration).transpose()?;
        let delivery_lease = match std::env::var("COGNATE_DELIVERY_LEASE").ok() {
            Some(v) => parse_duration(&v)?,
            None => delivery_lease.unwrap_or(cognate_core::ports::DELIVERY_LEASE),
        };
        if delivery_lease.is_zero() {
            bail!("delivery.lease must be at least 1s");
        }
        let env_ttl = std::env::var("COGNATE_CODES_SIGNUP_TTL").ok();
        let signup_code_ttl = match (env_ttl, &file.codes.signup_ttl) {
            (Some(v), _) => parse_duration(&v)?,
            (None, Some(v)) => v.to_duration()?,
            (None, None) => Duration::from_secs(24 * 3600),
        };
        let public_url = args.public_url.or(file.public_url).map(|u| u.trim_end_matches('/').to_string());
        let trigger_timeout = match (std::env::var("COGNATE_TRIGGERS_TIMEOUT").ok(), &file.triggers.timeout) {
            (Some(v), _) => parse_duration(&v)?,
            (None, Some(v)) => v.to_duration()?,
            (None, None) => Duration::from_secs(5),
        };
        let base =
            args.config.as_deref().and_then(Path::parent).map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("."));
        let functions = file
            .functions
            .iter()
            .map(|(name, f)| Ok((name.clone(), function_config(name, f, &base)?)))
            .collect::<anyhow::Result<HashMap<_, _>>>()?;
        let secrets_key_file = args
            .secrets_key_file
            .or(file.secrets_key_file)
            .or_else(|| data_dir.as_ref().map(|d| d.join("secrets.key")));
        let mut credentials = file.admin_credentials;
        if let Some(path) = args.admin_credentials_file.or(file.admin_credentials_file) {
            let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
            let listed: CredentialsFile = toml::from_str(&text)
                .map_err(|e| toml_error(&text, &e))
                .with_context(|| format!("invalid credentials file {}", path.display()))?;
            credentials.extend(listed.credentials);
        }
        let admin_keys = admin_keys(credentials)?;
        let allow_unauthenticated_admin =
            args.allow_unauthenticated_admin || file.allow_unauthenticated_admin.unwrap_or(false);
        let rate_limits = rate_limits(&file.rate_limits, !admin_keys.is_empty())?;
        let listen = args.listen.or(file.listen).unwrap_or_else(|| "127.0.0.1:9229".into());
        let source = match (args.tls_cert.or(file.tls_cert), args.tls_key.or(file.tls_key)) {
            (Some(cert), Some(key)) => Some(TlsSource::Files { cert, key }),
            (Some(_), None) | (None, Some(_)) => bail!("tls_cert and tls_key go together"),
            (None, None) if args.tls_dev || file.tls_dev.unwrap_or(false) => {
                let base = data_dir.clone().unwrap_or_else(|| PathBuf::from(".cognate"));
                Some(TlsSource::Dev { dir: base.join("tls") })
            }
            (None, None) => None,
        };
        let tls = source.map(|source| {
            let listen =
                args.tls_listen.clone().or(file.tls_listen.clone()).unwrap_or_else(|| match listen.rsplit_once(':') {
                    Some((host, "0")) => format!("{host}:0"),
                    Some((host, _)) => format!("{host}:9230"),
                    None => "127.0.0.1:9230".into(),
                });
            TlsSettings { listen, source }
        });
        Ok(Settings {
            tls,
            rate_limits,
            admin_keys,
            allow_unauthenticated_admin,
            listen,
            data_dir,
            smtp_url: args.smtp_url.or(file.smtp_url),
            sms_url: args.sms_url.or(file.sms_url),
            secrets_key_file,
            email_from: args.email_from.or(file.email_from).unwrap_or_else(|| "no-reply@cognate.local".into()),
            lambda_endpoint: args.lambda_endpoint.or(file.lambda_endpoint),
            region: args.region.or(file.region).unwrap_or_else(|| "us-east-1".into()),
            public_url,
            signup_code_ttl,
            trigger_timeout,
            functions,
            password_cost: password_cost(&file.passwords)?,
            durability: durability(&file.storage)?,
            reset_sealing_key: args.reset_sealing_key,
            database,
            http: http_limits(&file.http)?,
            delivery_lease,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_errors_are_one_line_with_their_place() {
        let text = "listen = \"x\"\n\n[http]\nidle = 1\n";
        let e = toml::from_str::<FileConfig>(text).unwrap_err();
        let shown = super::toml_error(text, &e).to_string();
        assert!(!shown.contains('\n'), "{shown}");
        assert!(shown.starts_with("line 4, column 1: unknown field `idle`"), "{shown}");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2s").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("24h").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_duration("45").unwrap(), Duration::from_secs(45));
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("5y").is_err());
    }

    #[test]
    fn flags_win_over_the_file_and_defaults_fill_the_rest() {
        let dir = std::env::temp_dir().join(format!("cognate-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.toml");
        std::fs::write(&path, "listen = \"127.0.0.1:1\"\nregion = \"eu-west-1\"\n[codes]\nsignup_ttl = \"2s\"\n")
            .unwrap();
        let args = ServeArgs { listen: Some("127.0.0.1:2".into()), config: Some(path), ..Default::default() };
        let s = Settings::resolve(args).unwrap();
        assert_eq!(s.listen, "127.0.0.1:2");
        assert_eq!(s.region, "eu-west-1");
        assert_eq!(s.email_from, "no-reply@cognate.local");
        assert_eq!(s.data_dir, Some(PathBuf::from("./.cognate")));
        assert_eq!(s.signup_code_ttl, Duration::from_secs(2));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn http_limits_default_and_refuse_zero() {
        let parse = |text: &str| http_limits(&toml::from_str::<FileConfig>(text).unwrap().http);
        assert_eq!(parse("").unwrap(), HttpLimits::default());
        let tuned = parse("[http]\nheader_timeout = \"2s\"\nbody_timeout = 3\nmax_connections = 8\n").unwrap();
        assert_eq!(
            tuned,
            HttpLimits {
                header_timeout: Duration::from_secs(2),
                body_timeout: Duration::from_secs(3),
                max_connections: 8
            }
        );
        assert!(parse("[http]\nheader_timeout = 0\n").is_err());
        assert!(parse("[http]\nmax_connections = 0\n").is_err());
        assert!(toml::from_str::<FileConfig>("[http]\nidle = 1\n").is_err(), "unknown keys are refused");
    }
}
