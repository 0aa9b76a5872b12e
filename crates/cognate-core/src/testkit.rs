//! In-memory fakes of the ports, for the domain's unit tests.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use async_trait::async_trait;

use crate::client::AppClient;
use crate::error::{Conflict, StoreError};
use crate::filter::UserFilter;
use crate::group::Group;
use crate::ids::Timestamp;
use crate::pool::UserPool;
use crate::ports::*;
use crate::user::*;

/// Deterministic "random" bytes from a counter.
#[derive(Default)]
pub struct SeqRng(AtomicU64);

impl Rng for SeqRng {
    fn fill(&self, buf: &mut [u8]) {
        for b in buf {
            let n = self.0.fetch_add(1, Ordering::Relaxed);
            *b = (n.wrapping_mul(2654435761) >> 7) as u8;
        }
    }
}

#[derive(Default)]
pub struct FakeClock(pub AtomicI64);

impl FakeClock {
    pub fn advance(&self, d: Duration) {
        self.0.fetch_add(d.as_millis() as i64, Ordering::SeqCst);
    }
}

impl Clock for FakeClock {
    fn now(&self) -> Timestamp {
        Timestamp(1_700_000_000_000 + self.0.load(Ordering::SeqCst))
    }
}

/// Stores passwords as `plain:<password>`: fast, and obviously not for production.
pub struct PlainPasswords;

#[async_trait]
impl Passwords for PlainPasswords {
    async fn hash(&self, password: &str) -> Result<String, String> {
        Ok(format!("plain:{password}"))
    }
    async fn verify(&self, password: &str, hash: &str) -> Result<bool, String> {
        Ok(hash == format!("plain:{password}"))
    }
}

#[derive(Default)]
pub struct FakeMailer {
    pub sent: Mutex<Vec<OutboxMessage>>,
    pub fail: std::sync::atomic::AtomicBool,
}

#[async_trait]
impl Mailer for FakeMailer {
    async fn deliver(&self, message: &OutboxMessage) -> Result<Delivery, String> {
        if self.fail.load(Ordering::SeqCst) {
            return Err("smtp down".into());
        }
        self.sent.lock().unwrap().push(message.clone());
        Ok(Delivery::Sent)
    }
}

impl FakeMailer {
    pub fn last_code(&self) -> String {
        let sent = self.sent.lock().unwrap();
        let body = &sent.last().expect("a message was sent").body;
        body.split(|c: char| !c.is_ascii_digit()).find(|w| w.len() == 6).expect("a code").to_string()
    }
}

/// Seals by tagging (the fake keeps nothing secret).
pub struct PlainSealer;

impl Sealer for PlainSealer {
    fn seal(&self, plain: &[u8]) -> String {
        format!("plain:{}", String::from_utf8_lossy(plain))
    }
    fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        sealed.strip_prefix("plain:").map(|s| s.as_bytes().to_vec())
    }
    fn fingerprint(&self, data: &[u8]) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(data).into()
    }
}

/// Runs jobs inline.
pub struct InlineCpu;

#[async_trait]
impl Cpu for InlineCpu {
    async fn run(&self, job: Box<dyn FnOnce() + Send + 'static>) {
        job()
    }
}

/// A store in a few hash maps, honouring the same uniqueness rules as the SQL backends.
#[derive(Default)]
pub struct MemStore {
    inner: Mutex<Mem>,
}

#[derive(Default)]
struct Mem {
    pools: HashMap<String, UserPool>,
    clients: HashMap<String, AppClient>,
    users: HashMap<(String, String), (User, String)>,
    aliases: HashMap<(String, AliasKind, String), String>,
    codes: HashMap<(String, String, String), StoredCode>,
    attempts: HashMap<(String, String, String), (Timestamp, u32)>,
    refresh: HashMap<String, RefreshToken>,
    sessions: HashMap<String, AuthSession>,
    failures: HashMap<(String, String), SignInFailures>,
    groups: HashMap<(String, String), Group>,
    members: Vec<(String, String, String)>,
    outbox: Vec<(OutboxMessage, String)>,
    keys: Vec<SigningKey>,
}

#[async_trait]
impl PoolStore for MemStore {
    async fn insert_pool(&self, pool: &UserPool) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        if m.pools.contains_key(&pool.id) {
            return Err(StoreError::Conflict(Conflict::Pool));
        }
        m.pools.insert(pool.id.clone(), pool.clone());
        Ok(())
    }
    async fn get_pool(&self, pool_id: &str) -> Result<Option<UserPool>, StoreError> {
        Ok(self.inner.lock().unwrap().pools.get(pool_id).cloned())
    }
    async fn update_pool(&self, pool: &UserPool) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let stored = m.pools.get_mut(&pool.id).ok_or(StoreError::NotFound)?;
        *stored = UserPool { created: stored.created, ..pool.clone() };
        Ok(())
    }
    /// Everything of the pool goes, as the SQL backends' cascades take it; the outbox stays
    /// (a delivery log outlives what it delivered to).
    async fn delete_pool(&self, pool_id: &str) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        m.pools.remove(pool_id);
        m.clients.retain(|_, c| c.pool_id != pool_id);
        m.users.retain(|(p, _), _| p != pool_id);
        m.aliases.retain(|(p, _, _), _| p != pool_id);
        m.codes.retain(|(p, _, _), _| p != pool_id);
        m.attempts.retain(|(p, _, _), _| p != pool_id);
        m.refresh.retain(|_, t| t.pool_id != pool_id);
        m.sessions.retain(|_, s| s.pool_id != pool_id);
        m.failures.retain(|(p, _), _| p != pool_id);
        m.groups.retain(|(p, _), _| p != pool_id);
        m.members.retain(|(p, _, _)| p != pool_id);
        m.keys.retain(|k| k.pool_id != pool_id);
        Ok(())
    }
    async fn list_pools(&self, after: Option<&str>, limit: usize) -> Result<Vec<UserPool>, StoreError> {
        let m = self.inner.lock().unwrap();
        let mut v: Vec<_> = m.pools.values().filter(|p| after.is_none_or(|a| p.id.as_str() > a)).cloned().collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v.truncate(limit);
        Ok(v)
    }
    async fn insert_client(&self, client: &AppClient) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        if m.clients.contains_key(&client.client_id) {
            return Err(StoreError::Conflict(Conflict::Client));
        }
        m.clients.insert(client.client_id.clone(), client.clone());
        Ok(())
    }
    async fn get_client(&self, client_id: &str) -> Result<Option<AppClient>, StoreError> {
        Ok(self.inner.lock().unwrap().clients.get(client_id).cloned())
    }
    async fn update_client(&self, client: &AppClient) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let stored = m.clients.get_mut(&client.client_id).ok_or(StoreError::NotFound)?;
        *stored = AppClient { secret: stored.secret.clone(), created: stored.created, ..client.clone() };
        Ok(())
    }
    async fn delete_client(&self, _pool_id: &str, client_id: &str) -> Result<(), StoreError> {
        self.inner.lock().unwrap().clients.remove(client_id);
        Ok(())
    }
    async fn list_clients(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AppClient>, StoreError> {
        let m = self.inner.lock().unwrap();
        let mut v: Vec<_> = m
            .clients
            .values()
            .filter(|c| c.pool_id == pool_id && after.is_none_or(|a| c.client_id.as_str() > a))
            .cloned()
            .collect();
        v.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        v.truncate(limit);
        Ok(v)
    }
}

#[async_trait]
impl UserStore for MemStore {
    async fn count_users(&self, pool_id: &str) -> Result<u64, StoreError> {
        Ok(self.inner.lock().unwrap().users.keys().filter(|(p, _)| p == pool_id).count() as u64)
    }
    async fn create_user(
        &self,
        new: &NewUser,
        code: Option<&StoredCode>,
        message: Option<&OutboxMessage>,
    ) -> Result<Option<i64>, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let pool = new.user.pool_id.clone();
        if m.users.values().any(|(u, key)| u.pool_id == pool && *key == new.username_key) {
            return Err(StoreError::Conflict(Conflict::Username));
        }
        for a in &new.aliases {
            if !a.force && m.aliases.contains_key(&(pool.clone(), a.kind, a.value_key.clone())) {
                return Err(StoreError::Conflict(Conflict::Alias(a.kind)));
            }
        }
        for a in &new.aliases {
            let previous = m.aliases.insert((pool.clone(), a.kind, a.value_key.clone()), new.user.sub.clone());
            if let (Some(holder), Some(flag)) = (previous, a.kind.verified_attribute()) {
                if let Some((u, _)) = m.users.get_mut(&(pool.clone(), holder)) {
                    u.attributes.insert(flag.into(), "false".into());
                }
            }
        }
        m.users.insert((pool.clone(), new.user.sub.clone()), (new.user.clone(), new.username_key.clone()));
        if let Some(c) = code {
            m.codes.insert((pool.clone(), c.sub.clone(), c.purpose.clone()), c.clone());
        }
        Ok(message.map(|msg| {
            m.outbox.push((msg.kept(), "pending".into()));
            m.outbox.len() as i64
        }))
    }
    async fn get_user_by_username(&self, pool_id: &str, key: &str) -> Result<Option<User>, StoreError> {
        let m = self.inner.lock().unwrap();
        Ok(m.users.values().find(|(u, k)| u.pool_id == pool_id && k == key).map(|(u, _)| u.clone()))
    }
    async fn get_user_by_alias(&self, pool_id: &str, kind: AliasKind, key: &str) -> Result<Option<User>, StoreError> {
        let m = self.inner.lock().unwrap();
        let Some(sub) = m.aliases.get(&(pool_id.to_string(), kind, key.to_string())) else { return Ok(None) };
        Ok(m.users.get(&(pool_id.to_string(), sub.clone())).map(|(u, _)| u.clone()))
    }
    async fn get_user_by_sub(&self, pool_id: &str, sub: &str) -> Result<Option<User>, StoreError> {
        Ok(self.inner.lock().unwrap().users.get(&(pool_id.to_string(), sub.to_string())).map(|(u, _)| u.clone()))
    }
    async fn delete_user(&self, pool_id: &str, sub: &str) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        m.users.remove(&(pool_id.to_string(), sub.to_string()));
        m.aliases.retain(|_, s| s != sub);
        m.codes.retain(|(_, s, _), _| s != sub);
        m.members.retain(|(_, _, s)| s != sub);
        m.failures.remove(&(pool_id.to_string(), sub.to_string()));
        m.refresh.retain(|_, t| !(t.pool_id == pool_id && t.sub == sub));
        m.attempts.retain(|(p, who, _), _| !(p == pool_id && who == sub));
        Ok(())
    }
    async fn list_users(
        &self,
        pool_id: &str,
        filter: Option<&UserFilter>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<User>, StoreError> {
        let m = self.inner.lock().unwrap();
        let mut v: Vec<_> = m
            .users
            .values()
            .map(|(u, _)| u.clone())
            .filter(|u| u.pool_id == pool_id && after.is_none_or(|a| u.sub.as_str() > a))
            .filter(|u| filter.is_none_or(|f| f.matches(u)))
            .collect();
        v.sort_by(|a, b| a.sub.cmp(&b.sub));
        v.truncate(limit);
        Ok(v)
    }
    async fn confirm_user(&self, c: &Confirmation) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let key = (c.pool_id.clone(), c.sub.clone());
        let status = m.users.get(&key).map(|(u, _)| u.status).ok_or(StoreError::NotFound)?;
        if status != c.expected {
            return Err(StoreError::Conflict(Conflict::Status));
        }
        for claim in &c.claims {
            let akey = (c.pool_id.clone(), claim.kind, claim.value_key.clone());
            match m.aliases.get(&akey).cloned() {
                Some(holder) if holder != c.sub && !claim.force => {
                    return Err(StoreError::Conflict(Conflict::Alias(claim.kind)))
                }
                Some(holder) if holder != c.sub => {
                    if let (Some((prev, _)), Some(v)) =
                        (m.users.get_mut(&(c.pool_id.clone(), holder)), claim.kind.verified_attribute())
                    {
                        prev.attributes.insert(v.into(), "false".into());
                    }
                }
                _ => {}
            }
        }
        for claim in &c.claims {
            m.aliases.insert((c.pool_id.clone(), claim.kind, claim.value_key.clone()), c.sub.clone());
        }
        let (user, _) = m.users.get_mut(&key).ok_or(StoreError::NotFound)?;
        user.status = c.new_status;
        for (k, v) in &c.set_attributes {
            user.attributes.insert(k.clone(), v.clone());
        }
        m.codes.remove(&(c.pool_id.clone(), c.sub.clone(), "signup".into()));
        Ok(())
    }
    async fn update_user(&self, pool_id: &str, sub: &str, u: &UserUpdate, now: Timestamp) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let (user, _) = m.users.get_mut(&(pool_id.to_string(), sub.to_string())).ok_or(StoreError::NotFound)?;
        if u.expected_status.is_some_and(|s| s != user.status) {
            return Err(StoreError::Conflict(Conflict::Status));
        }
        if let Some(h) = &u.password_hash {
            user.password_hash = Some(h.clone());
            user.password_set = now;
        }
        if let Some(v) = &u.srp_verifier {
            user.srp_verifier = v.clone();
        }
        if let Some(s) = u.status {
            user.status = s;
        }
        if let Some(e) = u.enabled {
            user.enabled = e;
        }
        if u.password_hash.is_some() || u.status.is_some() || u.enabled.is_some() {
            user.modified = now;
        }
        Ok(())
    }
    async fn change_attributes(&self, ch: &AttributeChange) -> Result<Vec<i64>, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let key = (ch.pool_id.clone(), ch.sub.clone());
        if !m.users.contains_key(&key) {
            return Err(StoreError::NotFound);
        }
        let mut aliases = m.aliases.clone();
        aliases.retain(|(p, k, _), s| !(p == &ch.pool_id && s == &ch.sub && ch.releases.contains(k)));
        for claim in &ch.claims {
            let alias_key = (ch.pool_id.clone(), claim.kind, claim.value_key.clone());
            match aliases.get(&alias_key) {
                Some(holder) if holder != &ch.sub => return Err(StoreError::Conflict(Conflict::Alias(claim.kind))),
                _ => {
                    aliases.insert(alias_key, ch.sub.clone());
                }
            }
        }
        m.aliases = aliases;
        let (user, _) = m.users.get_mut(&key).unwrap();
        for name in &ch.remove {
            user.attributes.remove(name);
        }
        user.attributes.extend(ch.set.iter().cloned());
        user.modified = ch.now;
        for purpose in &ch.spend_codes {
            m.codes.remove(&(ch.pool_id.clone(), ch.sub.clone(), purpose.clone()));
        }
        for code in &ch.codes {
            m.codes.insert((code.pool_id.clone(), code.sub.clone(), code.purpose.clone()), code.clone());
        }
        let mut ids = Vec::new();
        for message in &ch.messages {
            m.outbox.push((message.kept(), "pending".into()));
            ids.push(m.outbox.len() as i64);
        }
        Ok(ids)
    }
}

#[async_trait]
impl GroupStore for MemStore {
    async fn insert_group(&self, group: &Group) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let key = (group.pool_id.clone(), group.name.clone());
        if m.groups.contains_key(&key) {
            return Err(StoreError::Conflict(Conflict::Group));
        }
        m.groups.insert(key, group.clone());
        Ok(())
    }
    async fn get_group(&self, pool_id: &str, name: &str) -> Result<Option<Group>, StoreError> {
        Ok(self.inner.lock().unwrap().groups.get(&(pool_id.to_string(), name.to_string())).cloned())
    }
    async fn update_group(&self, group: &Group) -> Result<(), StoreError> {
        self.inner.lock().unwrap().groups.insert((group.pool_id.clone(), group.name.clone()), group.clone());
        Ok(())
    }
    async fn delete_group(&self, pool_id: &str, name: &str) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        m.groups.remove(&(pool_id.to_string(), name.to_string()));
        m.members.retain(|(p, n, _)| !(p == pool_id && n == name));
        Ok(())
    }
    async fn list_groups(&self, pool_id: &str, after: Option<&str>, limit: usize) -> Result<Vec<Group>, StoreError> {
        let m = self.inner.lock().unwrap();
        let mut groups: Vec<Group> = m
            .groups
            .values()
            .filter(|g| g.pool_id == pool_id && g.name.as_str() > after.unwrap_or(""))
            .cloned()
            .collect();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        groups.truncate(limit);
        Ok(groups)
    }
    async fn add_to_group(&self, pool_id: &str, name: &str, sub: &str) -> Result<(), StoreError> {
        let mut m = self.inner.lock().unwrap();
        let row = (pool_id.to_string(), name.to_string(), sub.to_string());
        // The group and the user must exist (the SQL backends' foreign keys).
        if !m.groups.contains_key(&(row.0.clone(), row.1.clone()))
            || !m.users.contains_key(&(row.0.clone(), row.2.clone()))
        {
            return Err(StoreError::NotFound);
        }
        if !m.members.contains(&row) {
            m.members.push(row);
        }
        Ok(())
    }
    async fn remove_from_group(&self, pool_id: &str, name: &str, sub: &str) -> Result<(), StoreError> {
        self.inner.lock().unwrap().members.retain(|(p, n, s)| !(p == pool_id && n == name && s == sub));
        Ok(())
    }
    async fn list_group_members(
        &self,
        pool_id: &str,
        name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<User>, StoreError> {
        let m = self.inner.lock().unwrap();
        let mut users: Vec<User> = m
            .members
            .iter()
            .filter(|(p, n, s)| p == pool_id && n == name && s.as_str() > after.unwrap_or(""))
            .filter_map(|(p, _, s)| m.users.get(&(p.clone(), s.clone())).map(|(u, _)| u.clone()))
            .collect();
        users.sort_by(|a, b| a.sub.cmp(&b.sub));
        users.truncate(limit);
        Ok(users)
    }
    async fn list_user_groups(
        &self,
        pool_id: &str,
        sub: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Group>, StoreError> {
        let m = self.inner.lock().unwrap();
        let mut groups: Vec<Group> = m
            .members
            .iter()
            .filter(|(p, n, s)| p == pool_id && s == sub && n.as_str() > after.unwrap_or(""))
            .filter_map(|(p, n, _)| m.groups.get(&(p.clone(), n.clone())).cloned())
            .collect();
        groups.sort_by(|a, b| a.name.cmp(&b.name));
        groups.truncate(limit);
        Ok(groups)
    }
}

#[async_trait]
impl CodeStore for MemStore {
    async fn replace_code(
        &self,
        code: &StoredCode,
        message: Option<&OutboxMessage>,
    ) -> Result<Option<i64>, StoreError> {
        let mut m = self.inner.lock().unwrap();
        m.codes.insert((code.pool_id.clone(), code.sub.clone(), code.purpose.clone()), code.clone());
        Ok(message.map(|msg| {
            m.outbox.push((msg.kept(), "pending".into()));
            m.outbox.len() as i64
        }))
    }
    async fn get_code(&self, pool_id: &str, sub: &str, purpose: &str) -> Result<Option<StoredCode>, StoreError> {
        Ok(self.inner.lock().unwrap().codes.get(&(pool_id.into(), sub.into(), purpose.into())).cloned())
    }
    async fn delete_code(&self, pool_id: &str, sub: &str, purpose: &str, code_hash: &str) -> Result<bool, StoreError> {
        let key = (pool_id.to_string(), sub.to_string(), purpose.to_string());
        let mut m = self.inner.lock().unwrap();
        if m.codes.get(&key).is_some_and(|c| c.code_hash == code_hash) {
            m.codes.remove(&key);
            return Ok(true);
        }
        Ok(false)
    }
}

#[async_trait]
impl LimitStore for MemStore {
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
    async fn clear_signin_failures(&self, pool_id: &str, sub: &str) -> Result<(), StoreError> {
        self.inner.lock().unwrap().failures.remove(&(pool_id.to_string(), sub.to_string()));
        Ok(())
    }
}

#[async_trait]
impl TokenStore for MemStore {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), StoreError> {
        self.inner.lock().unwrap().refresh.insert(token.token_hash.clone(), token.clone());
        Ok(())
    }
    async fn get_refresh_token(&self, hash: &str) -> Result<Option<RefreshToken>, StoreError> {
        Ok(self.inner.lock().unwrap().refresh.get(hash).cloned())
    }
    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new: &RefreshToken,
        now: Timestamp,
        grace: Duration,
    ) -> Result<bool, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let Some(old) = m.refresh.get_mut(old_hash) else { return Ok(false) };
        if old.revoked || old.rotated.is_some_and(|r| r.plus(grace) <= now) {
            return Ok(false);
        }
        old.rotated.get_or_insert(now);
        m.refresh.insert(new.token_hash.clone(), new.clone());
        Ok(true)
    }
    async fn revoke_refresh_tokens(&self, pool_id: &str, which: &Revocation) -> Result<u64, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let mut n = 0;
        for t in m.refresh.values_mut().filter(|t| t.pool_id == pool_id && !t.revoked) {
            let covered = match which {
                Revocation::User { sub } => &t.sub == sub,
                Revocation::Origin { origin_jti } => &t.origin_jti == origin_jti,
            };
            if covered {
                t.revoked = true;
                n += 1;
            }
        }
        Ok(n)
    }
    async fn get_token_user(
        &self,
        pool_id: &str,
        sub: &str,
        origin_jti: &str,
    ) -> Result<Option<(User, bool)>, StoreError> {
        let revoked = {
            let m = self.inner.lock().unwrap();
            m.refresh.values().any(|t| t.pool_id == pool_id && t.origin_jti == origin_jti && t.revoked)
        };
        Ok(self.get_user_by_sub(pool_id, sub).await?.map(|u| (u, revoked)))
    }
    async fn get_signing_keys(&self, pool_id: &str) -> Result<Vec<SigningKey>, StoreError> {
        Ok(self.inner.lock().unwrap().keys.iter().filter(|k| k.pool_id == pool_id).cloned().collect())
    }
    async fn insert_signing_key(&self, key: &SigningKey) -> Result<bool, StoreError> {
        let mut m = self.inner.lock().unwrap();
        if m.keys.iter().any(|k| k.pool_id == key.pool_id && k.token_use == key.token_use) {
            return Ok(false);
        }
        m.keys.push(key.clone());
        Ok(true)
    }
}

#[async_trait]
impl SessionStore for MemStore {
    async fn insert_auth_session(&self, session: &AuthSession) -> Result<(), StoreError> {
        self.inner.lock().unwrap().sessions.insert(session.id_hash.clone(), session.clone());
        Ok(())
    }
    async fn get_auth_session(&self, id_hash: &str) -> Result<Option<AuthSession>, StoreError> {
        Ok(self.inner.lock().unwrap().sessions.get(id_hash).cloned())
    }
    async fn delete_auth_session(&self, id_hash: &str) -> Result<bool, StoreError> {
        Ok(self.inner.lock().unwrap().sessions.remove(id_hash).is_some())
    }
}

#[async_trait]
impl OutboxStore for MemStore {
    async fn queue_message(&self, message: &OutboxMessage) -> Result<i64, StoreError> {
        let mut m = self.inner.lock().unwrap();
        m.outbox.push((message.kept(), "pending".into()));
        Ok(m.outbox.len() as i64)
    }
    async fn set_outbox_status(&self, id: i64, status: &str) -> Result<(), StoreError> {
        if let Some(e) = self.inner.lock().unwrap().outbox.get_mut(id as usize - 1) {
            e.1 = status.into();
        }
        Ok(())
    }
    async fn forget_outbox_text(&self) -> Result<u64, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let mut n = 0;
        for (msg, _) in m.outbox.iter_mut().filter(|(msg, _)| msg.keep_text) {
            *msg = OutboxMessage { keep_text: false, ..msg.clone() }.kept();
            n += 1;
        }
        Ok(n)
    }
    async fn list_outbox(&self, q: &OutboxQuery) -> Result<Vec<OutboxEntry>, StoreError> {
        let m = self.inner.lock().unwrap();
        let matching: Vec<_> = m
            .outbox
            .iter()
            .enumerate()
            .filter(|(_, (msg, _))| q.pool_id.as_ref().is_none_or(|p| *p == msg.pool_id))
            .filter(|(_, (msg, _))| q.recipient.as_ref().is_none_or(|r| *r == msg.recipient))
            .map(|(i, (msg, st))| OutboxEntry { id: i as i64 + 1, message: msg.clone(), status: st.clone() })
            .collect();
        let skip = q.last.map_or(0, |n| matching.len().saturating_sub(n));
        Ok(matching.into_iter().skip(skip).collect())
    }
}

/// Scripted trigger answers, and a record of what was invoked.
#[derive(Default)]
pub struct FakeTriggers {
    pub answers: Mutex<HashMap<String, Result<crate::triggers::TriggerResponse, crate::triggers::TriggerError>>>,
    pub calls: Mutex<Vec<crate::triggers::Invocation>>,
}

impl FakeTriggers {
    pub fn answer(
        &self,
        trigger: &str,
        answer: Result<crate::triggers::TriggerResponse, crate::triggers::TriggerError>,
    ) {
        self.answers.lock().unwrap().insert(trigger.into(), answer);
    }

    pub fn sources(&self) -> Vec<String> {
        self.calls.lock().unwrap().iter().map(|c| c.source.clone()).collect()
    }
}

#[async_trait]
impl crate::triggers::Triggers for FakeTriggers {
    async fn invoke(
        &self,
        invocation: &crate::triggers::Invocation,
    ) -> Result<crate::triggers::TriggerResponse, crate::triggers::TriggerError> {
        self.calls.lock().unwrap().push(invocation.clone());
        self.answers.lock().unwrap().get(invocation.trigger.name()).cloned().unwrap_or_else(|| Ok(Default::default()))
    }
}

/// The two kinds of counter subject, behind `bump_attempts` and the sign-in failure methods.
impl MemStore {
    async fn bump_user_attempts(
        &self,
        pool_id: &str,
        sub: &str,
        action: &str,
        now: Timestamp,
        window: Duration,
    ) -> Result<u32, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let e = m.attempts.entry((pool_id.into(), sub.into(), action.into())).or_insert((now, 0));
        if now >= e.0.plus(window) {
            *e = (now, 0);
        }
        e.1 += 1;
        Ok(e.1)
    }

    async fn bump_name_attempts(
        &self,
        pool_id: &str,
        name_key: &str,
        action: &str,
        now: Timestamp,
        window: Duration,
    ) -> Result<u32, StoreError> {
        // Names and subs cannot meet: a sub is a UUID, the prefix keeps them apart anyway.
        self.bump_user_attempts(pool_id, &format!("name:{name_key}"), action, now, window).await
    }

    async fn get_user_signin_failures(&self, pool_id: &str, sub: &str) -> Result<Option<SignInFailures>, StoreError> {
        Ok(self.inner.lock().unwrap().failures.get(&(pool_id.to_string(), sub.to_string())).copied())
    }

    async fn record_user_signin_failure(
        &self,
        pool_id: &str,
        sub: &str,
        now: Timestamp,
        quiet: Duration,
    ) -> Result<u32, StoreError> {
        let mut m = self.inner.lock().unwrap();
        let e = m.failures.entry((pool_id.into(), sub.into())).or_insert(SignInFailures { count: 0, last: now });
        if now >= e.last.plus(quiet) {
            e.count = 0;
        }
        e.count += 1;
        e.last = now;
        Ok(e.count)
    }

    async fn get_name_signin_failures(
        &self,
        pool_id: &str,
        name_key: &str,
    ) -> Result<Option<SignInFailures>, StoreError> {
        self.get_user_signin_failures(pool_id, &format!("name:{name_key}")).await
    }

    async fn record_name_signin_failure(
        &self,
        pool_id: &str,
        name_key: &str,
        now: Timestamp,
        quiet: Duration,
    ) -> Result<u32, StoreError> {
        self.record_user_signin_failure(pool_id, &format!("name:{name_key}"), now, quiet).await
    }
}
