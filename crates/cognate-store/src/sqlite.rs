//! The SQLite implementation of [`Store`].

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use cognate_core::client::{AppClient, ClientSettings};
use cognate_core::error::{Conflict, StoreError};
use cognate_core::filter::{FilterOp, UserFilter};
use cognate_core::group::Group;
use cognate_core::ids::Timestamp;
use cognate_core::pool::{PoolSettings, UserPool};
use cognate_core::ports::{
    AttributeChange, Confirmation, OutboxEntry, OutboxQuery, Revocation, SigningKey, Store, Subject,
};
use cognate_core::user::{
    AliasClaim, AliasKind, Attributes, AuthSession, Medium, NewUser, OutboxMessage, RefreshToken, SignInFailures,
    StoredCode, User, UserStatus, UserUpdate,
};
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Row};

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
            } else {
                Conflict::Other
            };
            StoreError::Conflict(conflict)
        }
        _ => unavailable(e),
    }
}

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
        crate::migrations::run(&mut writer).map_err(unavailable)?;
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
        crate::migrations::run(&mut conn).map_err(unavailable)?;
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
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for i in 0..self.readers.len() {
            match self.readers[(start + i) % self.readers.len()].try_lock() {
                Ok(mut conn) => return f(&mut conn),
                Err(std::sync::TryLockError::Poisoned(poisoned)) => return f(&mut poisoned.into_inner()),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        self.read(f).await
    }

    async fn read<T, F>(&self, f: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, StoreError> + Send + 'static,
    {
        let conn = if self.readers.is_empty() {
            self.writer.clone()
        } else {
            let i = self.next_reader.fetch_add(1, Ordering::Relaxed) % self.readers.len();
            self.readers[i].clone()
        };
        Self::run(conn, f).await
    }
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(unavailable)
}

fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e)))
}

fn pool_row(r: &Row<'_>) -> rusqlite::Result<UserPool> {
    let settings: String = r.get(4)?;
    Ok(UserPool {
        id: r.get(0)?,
        name: r.get(1)?,
        created: Timestamp(r.get(2)?),
        modified: Timestamp(r.get(3)?),
        settings: from_json::<PoolSettings>(&settings)?,
    })
}

fn client_row(r: &Row<'_>) -> rusqlite::Result<AppClient> {
    let settings: String = r.get(6)?;
    Ok(AppClient {
        client_id: r.get(0)?,
        pool_id: r.get(1)?,
        name: r.get(2)?,
        secret: r.get(3)?,
        created: Timestamp(r.get(4)?),
        modified: Timestamp(r.get(5)?),
        settings: from_json::<ClientSettings>(&settings)?,
    })
}

const USER_COLUMNS: &str =
    "pool_id, sub, username, status, enabled, attributes, password_hash, created, modified, srp_verifier, password_set";

fn user_row(r: &Row<'_>) -> rusqlite::Result<User> {
    let status: String = r.get(3)?;
    let attributes: String = r.get(5)?;
    Ok(User {
        pool_id: r.get(0)?,
        sub: r.get(1)?,
        username: r.get(2)?,
        status: UserStatus::parse(&status).unwrap_or(UserStatus::Unconfirmed),
        enabled: r.get(4)?,
        attributes: from_json::<Attributes>(&attributes)?,
        password_hash: r.get(6)?,
        created: Timestamp(r.get(7)?),
        modified: Timestamp(r.get(8)?),
        srp_verifier: r.get(9)?,
        password_set: Timestamp(r.get(10)?),
    })
}

fn code_row(r: &Row<'_>) -> rusqlite::Result<StoredCode> {
    Ok(StoredCode {
        pool_id: r.get(0)?,
        sub: r.get(1)?,
        purpose: r.get(2)?,
        code_hash: r.get(3)?,
        salt: r.get(4)?,
        attribute: r.get(5)?,
        created: Timestamp(r.get(6)?),
        expires: Timestamp(r.get(7)?),
        pending: r.get(8)?,
    })
}

const GROUP_COLUMNS: &str = "pool_id, name, description, role_arn, precedence, created, modified";

fn group_row(r: &Row<'_>) -> rusqlite::Result<Group> {
    Ok(Group {
        pool_id: r.get(0)?,
        name: r.get(1)?,
        description: r.get(2)?,
        role_arn: r.get(3)?,
        precedence: r.get(4)?,
        created: Timestamp(r.get(5)?),
        modified: Timestamp(r.get(6)?),
    })
}

fn kind_str(kind: AliasKind) -> &'static str {
    kind.attribute()
}

/// Gives `sub` the alias in `claim`. A forced claim takes it from its holder, whose
/// attribute stops being verified; an unforced one collides.
fn claim_alias(
    tx: &Connection,
    pool_id: &str,
    sub: &str,
    claim: &AliasClaim,
    now: Timestamp,
) -> Result<(), StoreError> {
    let holder: Option<String> = tx
        .query_row(
            "SELECT sub FROM aliases WHERE pool_id = ?1 AND kind = ?2 AND value_key = ?3",
            params![pool_id, kind_str(claim.kind), claim.value_key],
            |r| r.get(0),
        )
        .optional()
        .map_err(map_err)?;
    match holder {
        Some(holder) if holder == sub => return Ok(()),
        Some(_) if !claim.force => return Err(StoreError::Conflict(Conflict::Alias(claim.kind))),
        Some(holder) => {
            tx.execute(
                "DELETE FROM aliases WHERE pool_id = ?1 AND kind = ?2 AND value_key = ?3",
                params![pool_id, kind_str(claim.kind), claim.value_key],
            )
            .map_err(map_err)?;
            if let Some(flag) = claim.kind.verified_attribute() {
                tx.execute(
                    &format!(
                        "UPDATE users SET attributes = json_set(attributes, '$.{flag}', 'false'), modified = ?3
                         WHERE pool_id = ?1 AND sub = ?2"
                    ),
                    params![pool_id, holder, now.0],
                )
                .map_err(map_err)?;
            }
        }
        None => {}
    }
    tx.execute(
        "INSERT INTO aliases (pool_id, kind, value_key, sub) VALUES (?1, ?2, ?3, ?4)",
        params![pool_id, kind_str(claim.kind), claim.value_key, sub],
    )
    .map_err(|e| match map_err(e) {
        StoreError::Conflict(_) => StoreError::Conflict(Conflict::Alias(claim.kind)),
        other => other,
    })?;
    Ok(())
}

/// Inserts a user row and claims its aliases (inside the caller's transaction).
fn insert_user(tx: &Connection, new: &NewUser, attributes: &str) -> Result<(), StoreError> {
    let u = &new.user;
    let sql = format!(
        "INSERT INTO users ({USER_COLUMNS}, username_key) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
    );
    tx.prepare_cached(&sql)
        .and_then(|mut insert| {
            insert.execute(params![
                u.pool_id,
                u.sub,
                u.username,
                u.status.as_str(),
                u.enabled,
                attributes,
                u.password_hash,
                u.created.0,
                u.modified.0,
                u.srp_verifier,
                u.password_set.0,
                new.username_key
            ])
        })
        .map_err(map_err)?;
    for alias in &new.aliases {
        claim_alias(tx, &u.pool_id, &u.sub, alias, u.created)?;
    }
    Ok(())
}

fn insert_refresh(conn: &Connection, t: &RefreshToken) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO refresh_tokens
           (token_hash, pool_id, client_id, sub, origin_jti, auth_time, created, expires, revoked, rotated)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            t.token_hash,
            t.pool_id,
            t.client_id,
            t.sub,
            t.origin_jti,
            t.auth_time.0,
            t.created.0,
            t.expires.0,
            t.revoked,
            t.rotated.map(|r| r.0)
        ],
    )
    .map_err(map_err)?;
    Ok(())
}

/// Sign-in failures of made-up names are dropped a day after the last one (the lockout's
/// quiet period forgets them long before).
const NAME_FAILURES_KEPT_MS: i64 = 24 * 3600 * 1000;

/// Anyone can make up names: every new count takes a few rows older than `before` with it,
/// so these tables hold about one retention period's worth.
fn prune_names(c: &Connection, table: &'static str, time: &'static str, before: i64) -> Result<(), StoreError> {
    c.prepare_cached(&format!(
        "DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {time} <= ?1 LIMIT 8)"
    ))
    .and_then(|mut s| s.execute(params![before]))
    .map(|_| ())
    .map_err(map_err)
}

fn failures(
    c: &Connection,
    table: &'static str,
    key: &'static str,
    pool: &str,
    who: &str,
) -> Result<Option<SignInFailures>, StoreError> {
    c.prepare_cached(&format!("SELECT count, last FROM {table} WHERE pool_id = ?1 AND {key} = ?2"))
        .and_then(|mut s| {
            s.query_row(params![pool, who], |r| Ok(SignInFailures { count: r.get(0)?, last: Timestamp(r.get(1)?) }))
                .optional()
        })
        .map_err(map_err)
}

/// Counts one failed sign-in; a count whose last failure is older than `quiet` restarts at 1.
fn record_failure(
    c: &Connection,
    table: &'static str,
    key: &'static str,
    pool: &str,
    who: &str,
    now: Timestamp,
    quiet: Duration,
) -> Result<u32, StoreError> {
    let quiet_ms = i64::try_from(quiet.as_millis()).unwrap_or(i64::MAX);
    c.prepare_cached(&format!(
        "INSERT INTO {table} (pool_id, {key}, count, last) VALUES (?1, ?2, 1, ?3)
         ON CONFLICT (pool_id, {key}) DO UPDATE SET
           count = CASE WHEN last + ?4 <= ?3 THEN 1 ELSE count + 1 END,
           last = ?3
         RETURNING count"
    ))
    .and_then(|mut s| s.query_row(params![pool, who, now.0, quiet_ms], |r| r.get::<_, u32>(0)))
    .map_err(map_err)
}

/// Counts one attempt in a fixed window that restarts when it has passed.
#[allow(clippy::too_many_arguments)]
fn bump(
    c: &Connection,
    table: &'static str,
    key: &'static str,
    pool: &str,
    who: &str,
    action: &str,
    now: Timestamp,
    window: Duration,
) -> Result<u32, StoreError> {
    let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
    c.prepare_cached(&format!(
        "INSERT INTO {table} (pool_id, {key}, action, window_start, count) VALUES (?1, ?2, ?3, ?4, 1)
         ON CONFLICT (pool_id, {key}, action) DO UPDATE SET
           count = CASE WHEN window_start + ?5 <= ?4 THEN 1 ELSE count + 1 END,
           window_start = CASE WHEN window_start + ?5 <= ?4 THEN ?4 ELSE window_start END
         RETURNING count"
    ))
    .and_then(|mut s| s.query_row(params![pool, who, action, now.0, window_ms], |r| r.get::<_, u32>(0)))
    .map_err(map_err)
}

fn insert_outbox(conn: &Connection, m: &OutboxMessage) -> Result<i64, StoreError> {
    let m = &m.kept();
    conn.execute(
        "INSERT INTO outbox (pool_id, username, recipient, medium, kind, subject, body, code, created, status)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending')",
        params![m.pool_id, m.username, m.recipient, m.medium.as_str(), m.kind, m.subject, m.body, m.code, m.created.0],
    )
    .map_err(map_err)?;
    Ok(conn.last_insert_rowid())
}

fn upsert_code(conn: &Connection, c: &StoredCode) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO codes (pool_id, sub, purpose, code_hash, salt, attribute, created, expires, pending)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT (pool_id, sub, purpose) DO UPDATE SET
           code_hash = excluded.code_hash, salt = excluded.salt, attribute = excluded.attribute,
           created = excluded.created, expires = excluded.expires, pending = excluded.pending",
        params![c.pool_id, c.sub, c.purpose, c.code_hash, c.salt, c.attribute, c.created.0, c.expires.0, c.pending],
    )
    .map_err(map_err)?;
    Ok(())
}

#[async_trait]
impl Store for SqliteStore {
    async fn bump_attempts(
        &self,
        pool_id: &str,
        who: Subject<'_>,
        action: &str,
        now: Timestamp,
        window: Duration,
    ) -> Result<u32, StoreError> {
        match who {
            Subject::User(sub) => self.bump_user_attempts(pool_id, sub, action, now, window).await,
            Subject::Name(name_key) => self.bump_name_attempts(pool_id, name_key, action, now, window).await,
        }
    }
    async fn get_signin_failures(&self, pool_id: &str, who: Subject<'_>) -> Result<Option<SignInFailures>, StoreError> {
        match who {
            Subject::User(sub) => self.get_user_signin_failures(pool_id, sub).await,
            Subject::Name(name_key) => self.get_name_signin_failures(pool_id, name_key).await,
        }
    }
    async fn record_signin_failure(
        &self,
        pool_id: &str,
        who: Subject<'_>,
        now: Timestamp,
        quiet: Duration,
    ) -> Result<u32, StoreError> {
        match who {
            Subject::User(sub) => self.record_user_signin_failure(pool_id, sub, now, quiet).await,
            Subject::Name(name_key) => self.record_name_signin_failure(pool_id, name_key, now, quiet).await,
        }
    }
    async fn insert_pool(&self, pool: &UserPool) -> Result<(), StoreError> {
        let pool = pool.clone();
        let settings = to_json(&pool.settings)?;
        self.write(move |c| {
            c.execute(
                "INSERT INTO pools (id, name, created, modified, settings) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![pool.id, pool.name, pool.created.0, pool.modified.0, settings],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn get_pool(&self, pool_id: &str) -> Result<Option<UserPool>, StoreError> {
        let id = pool_id.to_string();
        self.point(move |c| {
            c.prepare_cached("SELECT id, name, created, modified, settings FROM pools WHERE id = ?1")
                .and_then(|mut s| s.query_row([id], pool_row).optional())
                .map_err(map_err)
        })
        .await
    }

    async fn update_pool(&self, pool: &UserPool) -> Result<(), StoreError> {
        let pool = pool.clone();
        let settings = to_json(&pool.settings)?;
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE pools SET name = ?2, modified = ?3, settings = ?4 WHERE id = ?1",
                    params![pool.id, pool.name, pool.modified.0, settings],
                )
                .map_err(map_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }

    async fn delete_pool(&self, pool_id: &str) -> Result<(), StoreError> {
        let id = pool_id.to_string();
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            // Children first: the alias / code foreign keys point at users, users at pools.
            for sql in [
                "DELETE FROM aliases WHERE pool_id = ?1",
                "DELETE FROM group_members WHERE pool_id = ?1",
                "DELETE FROM user_groups WHERE pool_id = ?1",
                "DELETE FROM codes WHERE pool_id = ?1",
                "DELETE FROM attempts WHERE pool_id = ?1",
                "DELETE FROM refresh_tokens WHERE pool_id = ?1",
                "DELETE FROM auth_sessions WHERE pool_id = ?1",
                "DELETE FROM signin_failures WHERE pool_id = ?1",
                "DELETE FROM users WHERE pool_id = ?1",
                "DELETE FROM clients WHERE pool_id = ?1",
                "DELETE FROM signing_keys WHERE pool_id = ?1",
                "DELETE FROM pools WHERE id = ?1",
            ] {
                tx.execute(sql, [&id]).map_err(map_err)?;
            }
            tx.commit().map_err(map_err)
        })
        .await
    }

    async fn list_pools(&self, after: Option<&str>, limit: usize) -> Result<Vec<UserPool>, StoreError> {
        let after = after.unwrap_or("").to_string();
        self.read(move |c| {
            let mut s = c
                .prepare_cached(
                    "SELECT id, name, created, modified, settings FROM pools WHERE id > ?1 ORDER BY id LIMIT ?2",
                )
                .map_err(map_err)?;
            let rows = s.query_map(params![after, limit as i64], pool_row).map_err(map_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
        })
        .await
    }

    async fn count_users(&self, pool_id: &str) -> Result<u64, StoreError> {
        let id = pool_id.to_string();
        self.read(move |c| {
            c.query_row("SELECT COUNT(*) FROM users WHERE pool_id = ?1", [id], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(map_err)
        })
        .await
    }

    async fn insert_client(&self, client: &AppClient) -> Result<(), StoreError> {
        let cl = client.clone();
        let settings = to_json(&cl.settings)?;
        self.write(move |c| {
            c.execute(
                "INSERT INTO clients (client_id, pool_id, name, secret, created, modified, settings)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![cl.client_id, cl.pool_id, cl.name, cl.secret, cl.created.0, cl.modified.0, settings],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn get_client(&self, client_id: &str) -> Result<Option<AppClient>, StoreError> {
        let id = client_id.to_string();
        self.point(move |c| {
            c.prepare_cached(
                "SELECT client_id, pool_id, name, secret, created, modified, settings FROM clients WHERE client_id = ?1",
            )
            .and_then(|mut s| s.query_row([id], client_row).optional())
            .map_err(map_err)
        })
        .await
    }

    async fn update_client(&self, client: &AppClient) -> Result<(), StoreError> {
        let cl = client.clone();
        let settings = to_json(&cl.settings)?;
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE clients SET name = ?2, modified = ?3, settings = ?4 WHERE client_id = ?1",
                    params![cl.client_id, cl.name, cl.modified.0, settings],
                )
                .map_err(map_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }

    async fn delete_client(&self, pool_id: &str, client_id: &str) -> Result<(), StoreError> {
        let (pool, id) = (pool_id.to_string(), client_id.to_string());
        self.write(move |c| {
            c.execute("DELETE FROM clients WHERE pool_id = ?1 AND client_id = ?2", params![pool, id])
                .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn list_clients(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AppClient>, StoreError> {
        let (pool, after) = (pool_id.to_string(), after.unwrap_or("").to_string());
        self.read(move |c| {
            let mut s = c
                .prepare_cached(
                    "SELECT client_id, pool_id, name, secret, created, modified, settings FROM clients
                     WHERE pool_id = ?1 AND client_id > ?2 ORDER BY client_id LIMIT ?3",
                )
                .map_err(map_err)?;
            let rows = s.query_map(params![pool, after, limit as i64], client_row).map_err(map_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
        })
        .await
    }

    async fn create_user(
        &self,
        new: &NewUser,
        code: Option<&StoredCode>,
        message: Option<&OutboxMessage>,
    ) -> Result<Option<i64>, StoreError> {
        let new = new.clone();
        let code = code.cloned();
        let message = message.cloned();
        let attributes = to_json(&new.user.attributes)?;
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            insert_user(&tx, &new, &attributes)?;
            if let Some(code) = &code {
                upsert_code(&tx, code)?;
            }
            let id = message.as_ref().map(|m| insert_outbox(&tx, m)).transpose()?;
            tx.commit().map_err(map_err)?;
            Ok(id)
        })
        .await
    }

    async fn get_user_by_username(&self, pool_id: &str, username_key: &str) -> Result<Option<User>, StoreError> {
        let (pool, key) = (pool_id.to_string(), username_key.to_string());
        self.point(move |c| {
            c.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE pool_id = ?1 AND username_key = ?2"))
                .and_then(|mut s| s.query_row(params![pool, key], user_row).optional())
                .map_err(map_err)
        })
        .await
    }

    async fn get_user_by_alias(
        &self,
        pool_id: &str,
        kind: AliasKind,
        value_key: &str,
    ) -> Result<Option<User>, StoreError> {
        let (pool, key) = (pool_id.to_string(), value_key.to_string());
        self.point(move |c| {
            c.prepare_cached(&format!(
                "SELECT {} FROM users u JOIN aliases a ON a.pool_id = u.pool_id AND a.sub = u.sub
                 WHERE a.pool_id = ?1 AND a.kind = ?2 AND a.value_key = ?3",
                USER_COLUMNS.split(", ").map(|col| format!("u.{col}")).collect::<Vec<_>>().join(", ")
            ))
            .and_then(|mut s| s.query_row(params![pool, kind_str(kind), key], user_row).optional())
            .map_err(map_err)
        })
        .await
    }

    async fn get_user_by_sub(&self, pool_id: &str, sub: &str) -> Result<Option<User>, StoreError> {
        let (pool, sub) = (pool_id.to_string(), sub.to_string());
        self.point(move |c| {
            c.prepare_cached(&format!("SELECT {USER_COLUMNS} FROM users WHERE pool_id = ?1 AND sub = ?2"))
                .and_then(|mut s| s.query_row(params![pool, sub], user_row).optional())
                .map_err(map_err)
        })
        .await
    }

    async fn delete_user(&self, pool_id: &str, sub: &str) -> Result<(), StoreError> {
        let (pool, sub) = (pool_id.to_string(), sub.to_string());
        self.write(move |c| {
            c.execute("DELETE FROM users WHERE pool_id = ?1 AND sub = ?2", params![pool, sub]).map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn list_users(
        &self,
        pool_id: &str,
        filter: Option<&UserFilter>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<User>, StoreError> {
        let (pool, after) = (pool_id.to_string(), after.unwrap_or("").to_string());
        let filter = filter.cloned();
        self.read(move |c| {
            let mut sql = format!("SELECT {USER_COLUMNS} FROM users WHERE pool_id = ?1 AND sub > ?2");
            let mut value = None;
            if let Some(f) = &filter {
                let (column, index) = match f.attribute.as_str() {
                    "username" => ("username".to_string(), Some("users_by_username")),
                    "sub" => ("sub".to_string(), None),
                    "cognito:user_status" => ("upper(status)".to_string(), None),
                    "status" => ("(CASE enabled WHEN 1 THEN 'Enabled' ELSE 'Disabled' END)".to_string(), None),
                    "email" => ("json_extract(attributes, '$.\"email\"')".to_string(), Some("users_by_email")),
                    "phone_number" => {
                        ("json_extract(attributes, '$.\"phone_number\"')".to_string(), Some("users_by_phone"))
                    }
                    name => (format!("json_extract(attributes, '$.\"{name}\"')"), None),
                };
                let v = if f.case_insensitive() { f.value.to_uppercase() } else { f.value.clone() };
                // A prefix is a range, so an index on the column serves it.
                let condition = match f.op {
                    FilterOp::Equals => {
                        value = Some((v, None));
                        format!("{column} = ?4")
                    }
                    FilterOp::StartsWith => {
                        let upper = format!("{v}\u{10FFFF}");
                        value = Some((v, Some(upper)));
                        format!("{column} >= ?4 AND {column} < ?5")
                    }
                };
                match index {
                    // Left alone, the planner walks the primary key to return rows in `sub`
                    // order and tests every user (0.6 s at a million users); finding the
                    // matches through the index and sorting only them takes a millisecond.
                    Some(index) => {
                        sql = format!(
                            "SELECT {USER_COLUMNS} FROM (SELECT * FROM users INDEXED BY {index} \
                             WHERE pool_id = ?1 AND {condition}) WHERE sub > ?2"
                        )
                    }
                    None => sql.push_str(&format!(" AND {condition}")),
                }
            }
            sql.push_str(" ORDER BY sub LIMIT ?3");
            let mut s = c.prepare_cached(&sql).map_err(map_err)?;
            let rows = match &value {
                Some((v, Some(upper))) => s.query_map(params![pool, after, limit as i64, v, upper], user_row),
                Some((v, None)) => s.query_map(params![pool, after, limit as i64, v], user_row),
                None => s.query_map(params![pool, after, limit as i64], user_row),
            }
            .map_err(map_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
        })
        .await
    }

    async fn confirm_user(&self, confirmation: &Confirmation) -> Result<(), StoreError> {
        let cf = confirmation.clone();
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            let attributes: Option<String> = tx
                .query_row(
                    "SELECT attributes FROM users WHERE pool_id = ?1 AND sub = ?2 AND status = ?3",
                    params![cf.pool_id, cf.sub, cf.expected.as_str()],
                    |r| r.get(0),
                )
                .optional()
                .map_err(map_err)?;
            let Some(attributes) = attributes else {
                return Err(StoreError::Conflict(Conflict::Status));
            };
            for claim in &cf.claims {
                claim_alias(&tx, &cf.pool_id, &cf.sub, claim, cf.now)?;
            }
            let mut attrs: Attributes = from_json(&attributes).map_err(map_err)?;
            attrs.extend(cf.set_attributes.iter().cloned());
            let n = tx
                .execute(
                    "UPDATE users SET status = ?4, attributes = ?5, modified = ?6
                     WHERE pool_id = ?1 AND sub = ?2 AND status = ?3",
                    params![
                        cf.pool_id,
                        cf.sub,
                        cf.expected.as_str(),
                        cf.new_status.as_str(),
                        to_json(&attrs)?,
                        cf.now.0
                    ],
                )
                .map_err(map_err)?;
            if n == 0 {
                return Err(StoreError::Conflict(Conflict::Status));
            }
            tx.execute(
                "DELETE FROM codes WHERE pool_id = ?1 AND sub = ?2 AND purpose = 'signup'",
                params![cf.pool_id, cf.sub],
            )
            .map_err(map_err)?;
            tx.commit().map_err(map_err)
        })
        .await
    }

    async fn insert_group(&self, group: &Group) -> Result<(), StoreError> {
        let g = group.clone();
        self.write(move |c| {
            c.execute(
                &format!("INSERT INTO user_groups ({GROUP_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"),
                params![g.pool_id, g.name, g.description, g.role_arn, g.precedence, g.created.0, g.modified.0],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn get_group(&self, pool_id: &str, name: &str) -> Result<Option<Group>, StoreError> {
        let (pool, name) = (pool_id.to_string(), name.to_string());
        self.point(move |c| {
            c.prepare_cached(&format!("SELECT {GROUP_COLUMNS} FROM user_groups WHERE pool_id = ?1 AND name = ?2"))
                .and_then(|mut s| s.query_row(params![pool, name], group_row).optional())
                .map_err(map_err)
        })
        .await
    }

    async fn update_group(&self, group: &Group) -> Result<(), StoreError> {
        let g = group.clone();
        self.write(move |c| {
            let n = c
                .execute(
                    "UPDATE user_groups SET description = ?3, role_arn = ?4, precedence = ?5, modified = ?6
                     WHERE pool_id = ?1 AND name = ?2",
                    params![g.pool_id, g.name, g.description, g.role_arn, g.precedence, g.modified.0],
                )
                .map_err(map_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }

    async fn delete_group(&self, pool_id: &str, name: &str) -> Result<(), StoreError> {
        let (pool, name) = (pool_id.to_string(), name.to_string());
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            tx.execute("DELETE FROM group_members WHERE pool_id = ?1 AND name = ?2", params![pool, name])
                .map_err(map_err)?;
            tx.execute("DELETE FROM user_groups WHERE pool_id = ?1 AND name = ?2", params![pool, name])
                .map_err(map_err)?;
            tx.commit().map_err(map_err)
        })
        .await
    }

    async fn list_groups(&self, pool_id: &str, after: Option<&str>, limit: usize) -> Result<Vec<Group>, StoreError> {
        let (pool, after) = (pool_id.to_string(), after.unwrap_or("").to_string());
        self.read(move |c| {
            let mut s = c
                .prepare_cached(&format!(
                    "SELECT {GROUP_COLUMNS} FROM user_groups WHERE pool_id = ?1 AND name > ?2 ORDER BY name LIMIT ?3"
                ))
                .map_err(map_err)?;
            let rows = s.query_map(params![pool, after, limit as i64], group_row).map_err(map_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
        })
        .await
    }

    async fn add_to_group(&self, pool_id: &str, name: &str, sub: &str) -> Result<(), StoreError> {
        let (pool, name, sub) = (pool_id.to_string(), name.to_string(), sub.to_string());
        self.write(move |c| {
            c.execute(
                "INSERT INTO group_members (pool_id, name, sub) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
                params![pool, name, sub],
            )
            .map_err(|e| match map_err(e) {
                // The group or the user went away meanwhile (foreign keys).
                StoreError::Conflict(_) => StoreError::NotFound,
                other => other,
            })?;
            Ok(())
        })
        .await
    }

    async fn remove_from_group(&self, pool_id: &str, name: &str, sub: &str) -> Result<(), StoreError> {
        let (pool, name, sub) = (pool_id.to_string(), name.to_string(), sub.to_string());
        self.write(move |c| {
            c.execute(
                "DELETE FROM group_members WHERE pool_id = ?1 AND name = ?2 AND sub = ?3",
                params![pool, name, sub],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn list_group_members(
        &self,
        pool_id: &str,
        name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<User>, StoreError> {
        let (pool, name, after) = (pool_id.to_string(), name.to_string(), after.unwrap_or("").to_string());
        self.read(move |c| {
            let columns = USER_COLUMNS.split(", ").map(|col| format!("u.{col}")).collect::<Vec<_>>().join(", ");
            let mut s = c
                .prepare_cached(&format!(
                    "SELECT {columns} FROM group_members m JOIN users u ON u.pool_id = m.pool_id AND u.sub = m.sub
                     WHERE m.pool_id = ?1 AND m.name = ?2 AND m.sub > ?3 ORDER BY m.sub LIMIT ?4"
                ))
                .map_err(map_err)?;
            let rows = s.query_map(params![pool, name, after, limit as i64], user_row).map_err(map_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
        })
        .await
    }

    async fn list_user_groups(
        &self,
        pool_id: &str,
        sub: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Group>, StoreError> {
        let (pool, sub, after) = (pool_id.to_string(), sub.to_string(), after.unwrap_or("").to_string());
        self.point(move |c| {
            let columns = GROUP_COLUMNS.split(", ").map(|col| format!("g.{col}")).collect::<Vec<_>>().join(", ");
            let mut s = c
                .prepare_cached(&format!(
                    "SELECT {columns} FROM group_members m JOIN user_groups g ON g.pool_id = m.pool_id AND g.name = m.name
                     WHERE m.pool_id = ?1 AND m.sub = ?2 AND m.name > ?3 ORDER BY m.name LIMIT ?4"
                ))
                .map_err(map_err)?;
            let rows = s.query_map(params![pool, sub, after, limit as i64], group_row).map_err(map_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
        })
        .await
    }

    async fn change_attributes(&self, change: &AttributeChange) -> Result<Vec<i64>, StoreError> {
        let ch = change.clone();
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            let attributes: Option<String> = tx
                .query_row(
                    "SELECT attributes FROM users WHERE pool_id = ?1 AND sub = ?2",
                    params![ch.pool_id, ch.sub],
                    |r| r.get(0),
                )
                .optional()
                .map_err(map_err)?;
            let Some(attributes) = attributes else { return Err(StoreError::NotFound) };
            let mut attrs: Attributes = from_json(&attributes).map_err(map_err)?;
            for name in &ch.remove {
                attrs.remove(name);
            }
            attrs.extend(ch.set.iter().cloned());
            for kind in &ch.releases {
                tx.execute(
                    "DELETE FROM aliases WHERE pool_id = ?1 AND sub = ?2 AND kind = ?3",
                    params![ch.pool_id, ch.sub, kind_str(*kind)],
                )
                .map_err(map_err)?;
            }
            for claim in &ch.claims {
                claim_alias(&tx, &ch.pool_id, &ch.sub, claim, ch.now)?;
            }
            tx.execute(
                "UPDATE users SET attributes = ?3, modified = ?4 WHERE pool_id = ?1 AND sub = ?2",
                params![ch.pool_id, ch.sub, to_json(&attrs)?, ch.now.0],
            )
            .map_err(map_err)?;
            for purpose in &ch.spend_codes {
                tx.execute(
                    "DELETE FROM codes WHERE pool_id = ?1 AND sub = ?2 AND purpose = ?3",
                    params![ch.pool_id, ch.sub, purpose],
                )
                .map_err(map_err)?;
            }
            for code in &ch.codes {
                upsert_code(&tx, code)?;
            }
            let ids = ch.messages.iter().map(|m| insert_outbox(&tx, m)).collect::<Result<Vec<_>, _>>()?;
            tx.commit().map_err(map_err)?;
            Ok(ids)
        })
        .await
    }

    async fn replace_code(
        &self,
        code: &StoredCode,
        message: Option<&OutboxMessage>,
    ) -> Result<Option<i64>, StoreError> {
        let code = code.clone();
        let message = message.cloned();
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            upsert_code(&tx, &code)?;
            let id = message.as_ref().map(|m| insert_outbox(&tx, m)).transpose()?;
            tx.commit().map_err(map_err)?;
            Ok(id)
        })
        .await
    }

    async fn get_code(&self, pool_id: &str, sub: &str, purpose: &str) -> Result<Option<StoredCode>, StoreError> {
        let (pool, sub, purpose) = (pool_id.to_string(), sub.to_string(), purpose.to_string());
        self.point(move |c| {
            c.prepare_cached(
                "SELECT pool_id, sub, purpose, code_hash, salt, attribute, created, expires, pending FROM codes
                 WHERE pool_id = ?1 AND sub = ?2 AND purpose = ?3",
            )
            .and_then(|mut s| s.query_row(params![pool, sub, purpose], code_row).optional())
            .map_err(map_err)
        })
        .await
    }

    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), StoreError> {
        let t = token.clone();
        self.write(move |c| insert_refresh(c, &t)).await
    }

    async fn get_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshToken>, StoreError> {
        let hash = token_hash.to_string();
        self.point(move |c| {
            c.prepare_cached(
                "SELECT token_hash, pool_id, client_id, sub, origin_jti, auth_time, created, expires, revoked, rotated
                 FROM refresh_tokens WHERE token_hash = ?1",
            )
            .and_then(|mut s| {
                s.query_row([hash], |r| {
                    Ok(RefreshToken {
                        token_hash: r.get(0)?,
                        pool_id: r.get(1)?,
                        client_id: r.get(2)?,
                        sub: r.get(3)?,
                        origin_jti: r.get(4)?,
                        auth_time: Timestamp(r.get(5)?),
                        created: Timestamp(r.get(6)?),
                        expires: Timestamp(r.get(7)?),
                        revoked: r.get(8)?,
                        rotated: r.get::<_, Option<i64>>(9)?.map(Timestamp),
                    })
                })
                .optional()
            })
            .map_err(map_err)
        })
        .await
    }

    async fn update_user(
        &self,
        pool_id: &str,
        sub: &str,
        update: &UserUpdate,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (pool, sub, u) = (pool_id.to_string(), sub.to_string(), update.clone());
        self.write(move |c| {
            // One statement: unchanged columns keep their value, so concurrent updates of
            // different columns do not undo each other.
            let n = c
                .execute(
                    "UPDATE users SET
                       password_hash = CASE WHEN ?3 THEN ?4 ELSE password_hash END,
                       srp_verifier = CASE WHEN ?5 THEN ?6 ELSE srp_verifier END,
                       password_set = CASE WHEN ?3 THEN ?10 ELSE password_set END,
                       status = COALESCE(?7, status),
                       enabled = COALESCE(?8, enabled),
                       modified = CASE WHEN ?3 OR ?7 IS NOT NULL OR ?8 IS NOT NULL THEN ?10 ELSE modified END
                     WHERE pool_id = ?1 AND sub = ?2 AND (?9 IS NULL OR status = ?9)",
                    params![
                        pool,
                        sub,
                        u.password_hash.is_some(),
                        u.password_hash,
                        u.srp_verifier.is_some(),
                        u.srp_verifier.clone().flatten(),
                        u.status.map(UserStatus::as_str),
                        u.enabled,
                        u.expected_status.map(UserStatus::as_str),
                        now.0
                    ],
                )
                .map_err(map_err)?;
            if n == 0 {
                let exists: bool = c
                    .query_row("SELECT 1 FROM users WHERE pool_id = ?1 AND sub = ?2", params![pool, sub], |_| Ok(true))
                    .optional()
                    .map_err(map_err)?
                    .unwrap_or(false);
                return Err(if exists { StoreError::Conflict(Conflict::Status) } else { StoreError::NotFound });
            }
            Ok(())
        })
        .await
    }

    async fn delete_code(&self, pool_id: &str, sub: &str, purpose: &str, code_hash: &str) -> Result<bool, StoreError> {
        let (pool, sub, purpose, hash) =
            (pool_id.to_string(), sub.to_string(), purpose.to_string(), code_hash.to_string());
        self.write(move |c| {
            let n = c
                .execute(
                    "DELETE FROM codes WHERE pool_id = ?1 AND sub = ?2 AND purpose = ?3 AND code_hash = ?4",
                    params![pool, sub, purpose, hash],
                )
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }

    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new: &RefreshToken,
        now: Timestamp,
        grace: Duration,
    ) -> Result<bool, StoreError> {
        let (old, t) = (old_hash.to_string(), new.clone());
        let grace_ms = i64::try_from(grace.as_millis()).unwrap_or(i64::MAX);
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            let n = tx
                .execute(
                    "UPDATE refresh_tokens SET rotated = COALESCE(rotated, ?2)
                     WHERE token_hash = ?1 AND revoked = 0 AND (rotated IS NULL OR rotated + ?3 > ?2)",
                    params![old, now.0, grace_ms],
                )
                .map_err(map_err)?;
            if n != 1 {
                return Ok(false);
            }
            insert_refresh(&tx, &t)?;
            tx.commit().map_err(map_err)?;
            Ok(true)
        })
        .await
    }

    async fn revoke_refresh_tokens(&self, pool_id: &str, which: &Revocation) -> Result<u64, StoreError> {
        let (pool, which) = (pool_id.to_string(), which.clone());
        self.write(move |c| {
            let n = match &which {
                Revocation::User { sub } => c.execute(
                    "UPDATE refresh_tokens SET revoked = 1 WHERE pool_id = ?1 AND sub = ?2 AND revoked = 0",
                    params![pool, sub],
                ),
                Revocation::Origin { origin_jti } => c.execute(
                    "UPDATE refresh_tokens SET revoked = 1 WHERE pool_id = ?1 AND origin_jti = ?2 AND revoked = 0",
                    params![pool, origin_jti],
                ),
            }
            .map_err(map_err)?;
            Ok(n as u64)
        })
        .await
    }

    async fn get_token_user(
        &self,
        pool_id: &str,
        sub: &str,
        origin_jti: &str,
    ) -> Result<Option<(User, bool)>, StoreError> {
        let (pool, sub, origin) = (pool_id.to_string(), sub.to_string(), origin_jti.to_string());
        self.point(move |c| {
            c.prepare_cached(&format!(
                "SELECT {USER_COLUMNS}, EXISTS(SELECT 1 FROM refresh_tokens
                   WHERE pool_id = ?1 AND origin_jti = ?3 AND revoked = 1)
                 FROM users WHERE pool_id = ?1 AND sub = ?2"
            ))
            .and_then(|mut s| {
                s.query_row(params![pool, sub, origin], |r| Ok((user_row(r)?, r.get::<_, bool>(11)?))).optional()
            })
            .map_err(map_err)
        })
        .await
    }

    async fn insert_auth_session(&self, session: &AuthSession) -> Result<(), StoreError> {
        let s = session.clone();
        self.write(move |c| {
            // Expired sessions are swept as new ones arrive; the index keeps this cheap.
            c.prepare_cached("DELETE FROM auth_sessions WHERE expires < ?1")
                .and_then(|mut st| st.execute([s.expires.0 - 3_600_000]))
                .map_err(map_err)?;
            c.prepare_cached(
                "INSERT INTO auth_sessions (id_hash, pool_id, client_id, sub, username, challenge, state, expires)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )
            .and_then(|mut st| {
                st.execute(params![
                    s.id_hash,
                    s.pool_id,
                    s.client_id,
                    s.sub,
                    s.username,
                    s.challenge,
                    s.state,
                    s.expires.0
                ])
            })
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn get_auth_session(&self, id_hash: &str) -> Result<Option<AuthSession>, StoreError> {
        let id = id_hash.to_string();
        self.point(move |c| {
            c.prepare_cached(
                "SELECT id_hash, pool_id, client_id, sub, username, challenge, state, expires
                 FROM auth_sessions WHERE id_hash = ?1",
            )
            .and_then(|mut s| {
                s.query_row([id], |r| {
                    Ok(AuthSession {
                        id_hash: r.get(0)?,
                        pool_id: r.get(1)?,
                        client_id: r.get(2)?,
                        sub: r.get(3)?,
                        username: r.get(4)?,
                        challenge: r.get(5)?,
                        state: r.get(6)?,
                        expires: Timestamp(r.get(7)?),
                    })
                })
                .optional()
            })
            .map_err(map_err)
        })
        .await
    }

    async fn delete_auth_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        let id = id_hash.to_string();
        self.write(move |c| {
            let n = c.execute("DELETE FROM auth_sessions WHERE id_hash = ?1", [id]).map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }

    async fn clear_signin_failures(&self, pool_id: &str, sub: &str) -> Result<(), StoreError> {
        let (pool, sub) = (pool_id.to_string(), sub.to_string());
        self.write(move |c| {
            c.execute("DELETE FROM signin_failures WHERE pool_id = ?1 AND sub = ?2", params![pool, sub])
                .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn queue_message(&self, message: &OutboxMessage) -> Result<i64, StoreError> {
        let m = message.clone();
        self.write(move |c| insert_outbox(c, &m)).await
    }

    async fn set_outbox_status(&self, id: i64, status: &str) -> Result<(), StoreError> {
        let status = status.to_string();
        self.write(move |c| {
            c.execute("UPDATE outbox SET status = ?2 WHERE id = ?1", params![id, status]).map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn forget_outbox_text(&self) -> Result<u64, StoreError> {
        self.write(|c| {
            let n = c
                .execute(
                    "UPDATE outbox SET subject = NULL, body = '', code = NULL
                     WHERE body <> '' OR subject IS NOT NULL OR code IS NOT NULL",
                    [],
                )
                .map_err(map_err)?;
            Ok(n as u64)
        })
        .await
    }

    async fn list_outbox(&self, query: &OutboxQuery) -> Result<Vec<OutboxEntry>, StoreError> {
        let q = query.clone();
        self.read(move |c| {
            let mut s = c
                .prepare_cached(
                    "SELECT id, pool_id, username, recipient, medium, kind, subject, body, created, status, code FROM outbox
                     WHERE (?1 IS NULL OR pool_id = ?1) AND (?2 IS NULL OR recipient = ?2)
                     ORDER BY id DESC LIMIT ?3",
                )
                .map_err(map_err)?;
            let limit = q.last.map(|n| n as i64).unwrap_or(-1);
            let rows = s
                .query_map(params![q.pool_id, q.recipient, limit], |r| {
                    let medium: String = r.get(4)?;
                    Ok(OutboxEntry {
                        id: r.get(0)?,
                        message: OutboxMessage {
                            pool_id: r.get(1)?,
                            username: r.get(2)?,
                            recipient: r.get(3)?,
                            medium: Medium::parse(&medium).unwrap_or(Medium::Email),
                            kind: r.get(5)?,
                            subject: r.get(6)?,
                            body: r.get(7)?,
                            code: r.get(10)?,
                            created: Timestamp(r.get(8)?),
                            keep_text: r.get_ref(7)?.as_str().is_ok_and(|b| !b.is_empty()),
                        },
                        status: r.get(9)?,
                    })
                })
                .map_err(map_err)?;
            let mut entries = rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)?;
            entries.reverse();
            Ok(entries)
        })
        .await
    }

    async fn get_signing_keys(&self, pool_id: &str) -> Result<Vec<SigningKey>, StoreError> {
        let pool = pool_id.to_string();
        self.point(move |c| {
            let mut s = c
                .prepare_cached(
                    "SELECT pool_id, kid, token_use, private_der, created FROM signing_keys WHERE pool_id = ?1",
                )
                .map_err(map_err)?;
            let rows = s
                .query_map([pool], |r| {
                    Ok(SigningKey {
                        pool_id: r.get(0)?,
                        kid: r.get(1)?,
                        token_use: r.get(2)?,
                        private_der: r.get(3)?,
                        created: Timestamp(r.get(4)?),
                    })
                })
                .map_err(map_err)?;
            rows.collect::<rusqlite::Result<Vec<_>>>().map_err(map_err)
        })
        .await
    }

    async fn insert_signing_key(&self, key: &SigningKey) -> Result<bool, StoreError> {
        let k = key.clone();
        self.write(move |c| {
            let n = c
                .execute(
                    "INSERT INTO signing_keys (pool_id, token_use, kid, private_der, created) VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (pool_id, token_use) DO NOTHING",
                    params![k.pool_id, k.token_use, k.kid, k.private_der, k.created.0],
                )
                .map_err(map_err)?;
            Ok(n == 1)
        })
        .await
    }
}

/// The two kinds of counter subject, behind `bump_attempts` and the sign-in failure methods.
impl SqliteStore {
    async fn bump_user_attempts(
        &self,
        pool_id: &str,
        sub: &str,
        action: &str,
        now: Timestamp,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let (pool, sub, action) = (pool_id.to_string(), sub.to_string(), action.to_string());
        self.write(move |c| bump(c, "attempts", "sub", &pool, &sub, &action, now, window)).await
    }

    async fn bump_name_attempts(
        &self,
        pool_id: &str,
        name_key: &str,
        action: &str,
        now: Timestamp,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let (pool, name, action) = (pool_id.to_string(), name_key.to_string(), action.to_string());
        self.write(move |c| {
            // Anyone can make up names: a few expired counters go with every new count, so
            // the table holds about one window's worth.
            let expired = now.0.saturating_sub(i64::try_from(window.as_millis()).unwrap_or(i64::MAX));
            let tx = c.transaction().map_err(map_err)?;
            // Rows whose window has passed count from 1 again anyway.
            prune_names(&tx, "name_attempts", "window_start", expired)?;
            let n = bump(&tx, "name_attempts", "name_key", &pool, &name, &action, now, window)?;
            tx.commit().map_err(map_err)?;
            Ok(n)
        })
        .await
    }

    async fn get_user_signin_failures(&self, pool_id: &str, sub: &str) -> Result<Option<SignInFailures>, StoreError> {
        let (pool, sub) = (pool_id.to_string(), sub.to_string());
        self.point(move |c| failures(c, "signin_failures", "sub", &pool, &sub)).await
    }

    async fn record_user_signin_failure(
        &self,
        pool_id: &str,
        sub: &str,
        now: Timestamp,
        quiet: Duration,
    ) -> Result<u32, StoreError> {
        let (pool, sub) = (pool_id.to_string(), sub.to_string());
        self.write(move |c| record_failure(c, "signin_failures", "sub", &pool, &sub, now, quiet)).await
    }

    async fn get_name_signin_failures(
        &self,
        pool_id: &str,
        name_key: &str,
    ) -> Result<Option<SignInFailures>, StoreError> {
        let (pool, name) = (pool_id.to_string(), name_key.to_string());
        self.point(move |c| failures(c, "name_signin_failures", "name_key", &pool, &name)).await
    }

    async fn record_name_signin_failure(
        &self,
        pool_id: &str,
        name_key: &str,
        now: Timestamp,
        quiet: Duration,
    ) -> Result<u32, StoreError> {
        let (pool, name) = (pool_id.to_string(), name_key.to_string());
        self.write(move |c| {
            let tx = c.transaction().map_err(map_err)?;
            prune_names(&tx, "name_signin_failures", "last", now.0.saturating_sub(NAME_FAILURES_KEPT_MS))?;
            let n = record_failure(&tx, "name_signin_failures", "name_key", &pool, &name, now, quiet)?;
            tx.commit().map_err(map_err)?;
            Ok(n)
        })
        .await
    }
}
