//! The SQLite backend: the connections, their set-up and the shared SQL helpers here, one module
//! per storage trait of `cognate_core::ports` beside it (`pools.rs`, `users.rs`, …).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
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
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row};

mod branding;
mod codes;
mod devices;
mod groups;
mod limits;
mod oauth;
mod outbox;
mod passkeys;
mod pools;
mod sessions;
mod tokens;
mod users;

use self::users::insert_user;

type Conn = Arc<Mutex<Connection>>;

/// How hard a commit waits for the disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Every commit is on disk before it is acknowledged (fsync per transaction).
    Full,
    /// Commits survive a crash of cognate but the last ones may be lost on power failure
    /// (SQLite's WAL with `synchronous=NORMAL`); several times faster on slow disks.
    Normal,
}

pub struct SqliteStore {
    writer: Conn,
    readers: Vec<Conn>,
    next_reader: AtomicUsize,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// SQLite names the violated rule only in its message: the one place that reads it.
fn map_err(e: rusqlite::Error) -> StoreError {
    match &e {
        rusqlite::Error::SqliteFailure(f, msg) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
            let msg = msg.as_deref().unwrap_or_default();
            let conflict = if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY {
                Conflict::Missing
            } else if msg.contains("users.pool_id, users.username_key") {
                Conflict::Username
            } else if msg.contains("pools.id") {
                Conflict::Pool
            } else if msg.contains("clients.client_id") {
                Conflict::Client
            } else if msg.contains("user_groups.") {
                Conflict::Group
            } else if msg.contains("domains.domain") {
                Conflict::Domain
            } else if msg.contains("domains.pool_id, domains.kind") {
                Conflict::PoolDomain
            } else if msg.contains("resource_servers.pool_id, resource_servers.identifier") {
                Conflict::ResourceServer
            } else if msg.contains("brandings.") {
                Conflict::Branding
            } else {
                Conflict::Other
            };
            StoreError::Conflict(conflict)
        }
        _ => unavailable(e),
    }
}

/// A read that lost a race with the writer rather than failed: SQLite gives up beginning a
/// WAL read after about a hundred retries while the writer keeps moving the WAL index
/// (`SQLITE_PROTOCOL`, "locking protocol"), which the busy timeout does not cover; worth
/// another try. The suspected cause of rare `InternalErrorException`s under write-heavy load.
fn transient(e: &StoreError) -> bool {
    matches!(e, StoreError::Unavailable(m) if m.contains("locking protocol") || m.contains("database is locked"))
}

/// Attempts at a read before its error is reported.
const READ_ATTEMPTS: u32 = 4;

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(Duration::from_secs(5))?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    Ok(())
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and runs the migrations, with
    /// `synchronous=FULL`: an acknowledged write survives power loss, not only a crash.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, Durability::Full)
    }

    pub fn open_with(path: &Path, durability: Durability) -> Result<Self, StoreError> {
        let mut writer = Connection::open(path).map_err(unavailable)?;
        writer.pragma_update(None, "journal_mode", "WAL").map_err(unavailable)?;
        let synchronous = match durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        writer.pragma_update(None, "synchronous", synchronous).map_err(unavailable)?;
        configure(&writer).map_err(unavailable)?;
        crate::migrations::run(&mut writer)?;
        let readers = (0..4)
            .map(|_| {
                let c = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                configure(&c)?;
                Ok(Arc::new(Mutex::new(c)))
            })
            .collect::<rusqlite::Result<Vec<_>>>()
            .map_err(unavailable)?;
        Ok(Self { writer: Arc::new(Mutex::new(writer)), readers, next_reader: AtomicUsize::new(0) })
    }

    /// A private in-memory database: one connection serves reads and writes.
    pub fn in_memory() -> Result<Self, StoreError> {
        let mut conn = Connection::open_in_memory().map_err(unavailable)?;
        configure(&conn).map_err(unavailable)?;
        crate::migrations::run(&mut conn)?;
        Ok(Self { writer: Arc::new(Mutex::new(conn)), readers: Vec::new(), next_reader: AtomicUsize::new(0) })
    }

    /// Inserts many users (with their aliases) in one transaction: the bulk path for imports
    /// and benchmark fixtures. Fails whole on the first collision.
    pub async fn import_users(&self, users: Vec<NewUser>) -> Result<(), StoreError> {
        let rows =
            users.into_iter().map(|u| to_json(&u.user.attributes).map(|a| (u, a))).collect::<Result<Vec<_>, _>>()?;
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            for (new, attributes) in &rows {
                insert_user(&tx, new, attributes)?;
            }
            tx.commit().map_err(map_err)
        })
        .await
    }

    /// Checkpoints the WAL so the database file is complete on its own.
    pub fn close(&self) -> Result<(), StoreError> {
        let conn = self.writer.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);").map_err(map_err)
    }

    async fn run<T, F>(conn: Conn, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        tokio::task::spawn_blocking(move || {
            // A panic under the lock rolled its transaction back (rusqlite's Drop); the
            // connection is fine, so poisoning must not take the store down with it.
            let mut guard = conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut guard)
        })
        .await
        .map_err(unavailable)?
    }

    async fn write<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        Self::run(self.writer.clone(), f).await
    }

    /// A short read (a point lookup by key): done right here on an idle reader connection,
    /// since handing a few microseconds of work to another thread costs more than the work.
    /// Falls back to the blocking pool when every reader is busy.
    async fn point<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + Clone + 'static,
    {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for i in 0..self.readers.len() {
            let outcome = match self.readers[(start + i) % self.readers.len()].try_lock() {
                Ok(mut conn) => f.clone()(&mut conn),
                Err(std::sync::TryLockError::Poisoned(poisoned)) => f.clone()(&mut poisoned.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => continue,
            };
            match outcome {
                Err(e) if transient(&e) => break,
                outcome => return outcome,
            }
        }
        self.read(f).await
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + Clone + 'static,
    {
        let mut attempt = 1;
        loop {
            let conn = if self.readers.is_empty() {
                self.writer.clone()
            } else {
                let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
                self.readers[i].clone()
            };
            match Self::run(conn, f.clone()).await {
                Err(e) if transient(&e) && attempt < READ_ATTEMPTS => {
                    tracing::debug!(attempt, error = %e, "retrying a read that lost a race with the writer");
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(1 << attempt)).await;
                }
                outcome => return outcome,
            }
        }
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(unavailable)
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}
