//! The PostgreSQL backend, for several cognate instances on one database: a small connection
//! pool (deadpool over tokio-postgres), the error mapping and the retry of transient failures
//! here, one module per storage trait of `cognate_core::ports` beside it, twins of the SQLite
//! ones (`sqlite/users.rs` ↔ `postgres/users.rs`).
//!
//! Every method runs at READ COMMITTED; uniqueness is the unique indexes (`ON CONFLICT`, or a
//! unique violation mapped to its [`Conflict`]), state changes are conditional updates, and a
//! read-modify-write locks its row (`FOR UPDATE`) first. Serialization failures, deadlocks and
//! connections the server dropped are retried on a fresh connection.

use std::time::Duration;

use async_trait::async_trait;
use cognate_core::branding::{Branding, UiCustomization};
use cognate_core::client::{AppClient, ClientSettings};
use cognate_core::error::{Conflict, StoreError};
use cognate_core::filter::{FilterOp, UserFilter};
use cognate_core::group::Group;
use cognate_core::ids::Timestamp;
use cognate_core::pool::{PoolSettings, UserPool};
use cognate_core::pool_domain::{CustomDomain, PoolDomain};
use cognate_core::ports::{
    AttributeChange, BrandingStore, CodeStore, Confirmation, DeviceStore, DomainStore, GroupStore, LimitStore,
    MetaStore, OutboxEntry, OutboxQuery, OutboxStore, PasskeyStore, PoolStore, ResourceServerStore, Revocation,
    SessionStore, SigningKey, Subject, TokenStore, UserStore,
};
use cognate_core::resource_server::ResourceServer;
use cognate_core::user::{
    AliasClaim, AliasKind, Attributes, AuthSession, Device, Medium, MfaChoice, NewUser, OutboxMessage, Passkey,
    RefreshToken, SignInFailures, StoredCode, TotpToken, User, UserMfa, UserStatus, UserUpdate,
};
use deadpool_postgres::{Manager, ManagerConfig, Object, Pool, RecyclingMethod, Runtime};
use tokio_postgres::error::SqlState;
use tokio_postgres::Row;

mod branding;
mod cache;
mod codes;
mod devices;
mod groups;
mod import;
mod limits;
pub(crate) mod migrate;
mod oauth;
mod outbox;
mod passkeys;
mod pools;
mod sessions;
mod tls;
mod tokens;
mod users;

pub use migrate::POSTGRES_VERSION;

/// How a store's connections are made.
#[derive(Debug, Clone)]
pub struct PgOptions {
    /// Connections kept at most (cognate is CPU-bound: about twice the cores is plenty).
    pub max_connections: usize,
    /// Shown in `pg_stat_activity`, to tell instances apart.
    pub application_name: String,
    /// Longest wait for a connection, and for one statement's answer: a lost database makes
    /// requests fail after this, never hang.
    pub timeout: Duration,
}

impl Default for PgOptions {
    fn default() -> Self {
        Self { max_connections: 8, application_name: "cognate".into(), timeout: Duration::from_secs(5) }
    }
}

pub struct PgStore {
    pool: Pool,
    timeout: Duration,
    pools: cache::Recent<UserPool>,
    clients: cache::Recent<AppClient>,
}

/// Why one attempt failed: worth another attempt on a fresh connection, or final.
enum Fail {
    Retry(String),
    Store(StoreError),
}

impl From<StoreError> for Fail {
    fn from(e: StoreError) -> Self {
        Fail::Store(e)
    }
}

impl From<tokio_postgres::Error> for Fail {
    fn from(e: tokio_postgres::Error) -> Self {
        let transient = e.is_closed()
            || matches!(
                e.code(),
                Some(c) if *c == SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == SqlState::T_R_DEADLOCK_DETECTED
                    || *c == SqlState::ADMIN_SHUTDOWN
                    || *c == SqlState::CRASH_SHUTDOWN
                    || *c == SqlState::CANNOT_CONNECT_NOW
            )
            // The server went away between two statements of this connection.
            || (e.code().is_none() && e.as_db_error().is_none() && e.to_string().contains("connection"));
        if transient {
            Fail::Retry(describe(&e))
        } else {
            Fail::Store(map_err(e))
        }
    }
}

impl From<deadpool_postgres::PoolError> for Fail {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        match e {
            deadpool_postgres::PoolError::Backend(e) => e.into(),
            // No connection within the timeout: the database is away or overloaded; failing
            // now is better than holding the request.
            other => Fail::Store(StoreError::Unavailable(format!("no database connection: {other}"))),
        }
    }
}

/// The error with its causes ("error connecting to server: Connection refused"): the driver's
/// own text leaves the cause out.
fn describe(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
        source = source.and_then(std::error::Error::source);
    }
    text
}

/// PostgreSQL names the violated constraint: the one place that reads it.
fn map_err(e: tokio_postgres::Error) -> StoreError {
    let Some(db) = e.as_db_error() else { return StoreError::Unavailable(describe(&e)) };
    let code = db.code();
    if *code == SqlState::FOREIGN_KEY_VIOLATION {
        return StoreError::Conflict(Conflict::Missing);
    }
    if *code != SqlState::UNIQUE_VIOLATION {
        return StoreError::Unavailable(db.to_string());
    }
    StoreError::Conflict(match db.constraint() {
        Some("users_username") => Conflict::Username,
        Some("pools_pkey") => Conflict::Pool,
        Some("clients_pkey") => Conflict::Client,
        Some("user_groups_pkey") => Conflict::Group,
        Some("domains_pkey") => Conflict::Domain,
        Some("domains_one_per_kind") => Conflict::PoolDomain,
        Some("resource_servers_pkey") => Conflict::ResourceServer,
        Some("brandings_pkey" | "brandings_one_per_client") => Conflict::Branding,
        _ => Conflict::Other,
    })
}

/// Runs `$body` (which uses the pooled connection `$c` and returns `Result<T, Fail>`) with the
/// store's timeout, again on a fresh connection after a transient failure.
macro_rules! retrying {
    ($self:ident, |$c:ident| $body:block) => {{
        let mut attempt = 0u32;
        loop {
            let once = $crate::postgres::attempt(async {
                #[allow(unused_mut)]
                let mut $c = $self.pool.get().await?;
                $body
            });
            let outcome = match tokio::time::timeout($self.timeout, once).await {
                Ok(outcome) => outcome,
                Err(_) => Err(Fail::Store(StoreError::Unavailable(format!(
                    "the database did not answer within {:?}",
                    $self.timeout
                )))),
            };
            match outcome {
                Ok(value) => break Ok(value),
                Err(Fail::Retry(why)) if attempt < 4 => {
                    attempt += 1;
                    tracing::debug!(attempt, %why, "retrying a database transaction");
                    tokio::time::sleep(Duration::from_millis(5 << attempt)).await;
                }
                Err(Fail::Retry(why)) => break Err(StoreError::Unavailable(why)),
                Err(Fail::Store(e)) => break Err(e),
            }
        }
    }};
}
pub(crate) use retrying;

/// Names the error type of one attempt, so that `?` in a `retrying!` body knows its target.
fn attempt<T>(
    f: impl std::future::Future<Output = Result<T, Fail>>,
) -> impl std::future::Future<Output = Result<T, Fail>> {
    f
}

impl PgStore {
    /// Connects, applies the migrations this database lacks (under an advisory lock, so that
    /// instances starting together migrate once) and refuses a schema newer than this build.
    pub async fn connect(url: &str, options: PgOptions) -> Result<Self, StoreError> {
        let store = Self::open(url, options)?;
        let mut conn = store.first_connection().await?;
        migrate::run(&mut conn).await?;
        Ok(store)
    }

    /// Connects without migrating; fails unless the schema is exactly this build's.
    pub async fn connect_current(url: &str, options: PgOptions) -> Result<Self, StoreError> {
        let store = Self::open(url, options)?;
        let conn = store.first_connection().await?;
        migrate::check(&conn).await?;
        Ok(store)
    }

    fn open(url: &str, options: PgOptions) -> Result<Self, StoreError> {
        let target = tls::Target::parse(url)?;
        let mut config = target.config;
        if config.get_application_name().is_none() {
            config.application_name(&options.application_name);
        }
        config.connect_timeout(options.timeout);
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        let manager =
            Manager::from_config(config, target.tls, ManagerConfig { recycling_method: RecyclingMethod::Fast });
        let pool = Pool::builder(manager)
            .max_size(options.max_connections.max(1))
            .runtime(Runtime::Tokio1)
            .wait_timeout(Some(options.timeout))
            .create_timeout(Some(options.timeout))
            .recycle_timeout(Some(options.timeout))
            .build()
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        Ok(Self { pool, timeout: options.timeout, pools: cache::Recent::new(), clients: cache::Recent::new() })
    }

    async fn first_connection(&self) -> Result<Object, StoreError> {
        self.pool.get().await.map_err(|e| {
            let why = match e {
                deadpool_postgres::PoolError::Backend(e) => describe(&e),
                other => describe(&other),
            };
            StoreError::Unavailable(format!("cannot connect: {why}"))
        })
    }

    /// A cheap round trip, for readiness probes.
    pub async fn ping(&self) -> Result<(), StoreError> {
        retrying!(self, |c| {
            c.simple_query("SELECT 1").await?;
            Ok(())
        })
    }
}

/// The URL with its password, if any, replaced by `***`: the only form that is ever shown.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_string() };
    let (authority, tail) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((credentials, host)) => match credentials.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:***@{host}{tail}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Unavailable(e.to_string()))
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Unavailable(format!("a stored value is not valid JSON: {e}")))
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

fn count(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_leave_the_url() {
        assert_eq!(
            redact("postgres://u:s3cret@db:5432/x?sslmode=require"),
            "postgres://u:***@db:5432/x?sslmode=require"
        );
        assert_eq!(redact("postgres://u:p@ss@db/x"), "postgres://u:***@db/x");
        assert_eq!(redact("postgres://u@db/x"), "postgres://u@db/x");
        assert_eq!(redact("postgres://db/x"), "postgres://db/x");
    }
}
