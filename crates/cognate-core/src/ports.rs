//! The traits through which the domain reaches the outside world.

use std::time::Duration;

use async_trait::async_trait;

use crate::branding::{Branding, UiCustomization};
use crate::client::AppClient;
use crate::error::StoreError;
use crate::filter::UserFilter;
use crate::group::Group;
use crate::ids::Timestamp;
use crate::pool::UserPool;
use crate::pool_domain::PoolDomain;
use crate::resource_server::ResourceServer;
use crate::user::{
    AliasClaim, AliasKind, AuthSession, Device, NewUser, OutboxMessage, Passkey, RefreshToken, SignInFailures,
    StoredCode, User, UserStatus, UserUpdate,
};

pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// Cryptographically secure random bytes.
pub trait Rng: Send + Sync {
    fn fill(&self, buf: &mut [u8]);
}

/// Password hashing is slow on purpose; implementations run it off the async workers.
#[async_trait]
pub trait Passwords: Send + Sync {
    async fn hash(&self, password: &str) -> Result<String, String>;
    /// `Ok(false)` for a wrong password or a hash this implementation cannot read.
    async fn verify(&self, password: &str, hash: &str) -> Result<bool, String>;
}

/// Secrets that must not be readable from the database alone (SRP verifiers) are sealed
/// with a key kept outside it.
pub trait Sealer: Send + Sync {
    fn seal(&self, plain: &[u8]) -> String;
    /// `None` when the value was not sealed with this key or was altered.
    fn open(&self, sealed: &str) -> Option<Vec<u8>>;
    /// A keyed hash: stable per key, unpredictable without it (decoy SRP salts).
    fn fingerprint(&self, data: &[u8]) -> [u8; 32];
}

/// Runs CPU-heavy work (big-number arithmetic) away from the threads serving requests.
#[async_trait]
pub trait Cpu: Send + Sync {
    async fn run(&self, job: Box<dyn FnOnce() + Send + 'static>);
}

/// The relying party a pool's passkeys belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// The RP ID, a domain: `WebAuthnConfiguration.RelyingPartyId`. User verification is
    /// always required (webauthn-rs's passkey ceremony), whatever the pool's setting says.
    pub id: String,
}

/// Who a passkey is registered for.
#[derive(Debug, Clone)]
pub struct PasskeyUser {
    /// The user handle: the user's `sub`.
    pub sub: String,
    pub name: String,
}

/// A passkey a registration ceremony produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPasskey {
    /// base64url, as clients name it.
    pub credential_id: String,
    /// The credential as the implementation keeps it (public key, counter): opaque here.
    pub record: String,
    pub attachment: Option<String>,
    pub transports: Vec<String>,
}

/// Why a ceremony failed, as Cognito's WebAuthn exceptions tell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasskeyError {
    ChallengeNotFound(String),
    RelyingPartyMismatch(String),
    OriginNotAllowed(String),
    CredentialNotSupported(String),
    /// The response is not a credential of this ceremony (bad signature, wrong user, …).
    Rejected(String),
}

/// The WebAuthn ceremonies (attestation and assertion checks), done by a WebAuthn library in
/// the server. Options and responses are the JSON documents clients exchange; ceremony state
/// and credential records are opaque strings the domain stores sealed.
pub trait Passkeys: Send + Sync {
    /// Creation options and the state to keep until the response.
    fn start_registration(
        &self,
        rp: &RelyingParty,
        user: &PasskeyUser,
        existing: &[String],
    ) -> Result<(String, String), PasskeyError>;
    fn finish_registration(&self, rp: &RelyingParty, response: &str, state: &str) -> Result<NewPasskey, PasskeyError>;
    /// Request options (JSON) for the user's passkeys and the state to keep until the answer.
    fn start_authentication(&self, rp: &RelyingParty, records: &[String]) -> Result<(String, String), PasskeyError>;
    /// The credential that answered, and its record again if its counter moved.
    fn finish_authentication(
        &self,
        rp: &RelyingParty,
        response: &str,
        state: &str,
        records: &[String],
    ) -> Result<(String, Option<String>), PasskeyError>;
}

/// Which refresh tokens a revocation covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Revocation {
    /// Every sign-in of the user (GlobalSignOut).
    User { sub: String },
    /// One sign-in and its refreshes (RevokeToken).
    Origin { origin_jti: String },
}

/// The result of handing one message to a delivery channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// No channel is configured for the medium: the message stays readable in the outbox.
    Logged,
}

#[async_trait]
pub trait Mailer: Send + Sync {
    /// Delivers one message, retrying as the channel sees fit. `Err` means it was not
    /// delivered and will not be.
    async fn deliver(&self, message: &OutboxMessage) -> Result<Delivery, String>;
}

/// The changes applied atomically when a user is confirmed.
#[derive(Debug, Clone)]
pub struct Confirmation {
    pub pool_id: String,
    pub sub: String,
    pub expected: UserStatus,
    pub new_status: UserStatus,
    /// Attributes to set (e.g. `email_verified = "true"`).
    pub set_attributes: Vec<(String, String)>,
    pub claims: Vec<AliasClaim>,
    pub now: Timestamp,
}

/// A change to a user's attributes with the alias rows, codes and messages it brings,
/// applied in one transaction.
#[derive(Debug, Clone, Default)]
pub struct AttributeChange {
    pub pool_id: String,
    pub sub: String,
    pub set: Vec<(String, String)>,
    pub remove: Vec<String>,
    /// Aliases of these kinds the user holds are dropped (before `claims` are made).
    pub releases: Vec<AliasKind>,
    pub claims: Vec<AliasClaim>,
    pub codes: Vec<StoredCode>,
    /// Purposes of codes spent by this change.
    pub spend_codes: Vec<String>,
    pub messages: Vec<OutboxMessage>,
    pub now: Timestamp,
}

/// Whom an attempt counter or a sign-in failure count belongs to: a user, or a name that
/// matches no user, counted alike so that hiding users (`PreventUserExistenceErrors`) does not
/// show in limits and lockout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject<'a> {
    /// A user, by `sub`.
    User(&'a str),
    /// A made-up name, by its key (the pool's case rule applied).
    Name(&'a str),
}

/// How long the instance that queued a message has to deliver it before another one may
/// (the default of `CoreConfig::delivery_lease`).
pub const DELIVERY_LEASE: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Default)]
pub struct OutboxQuery {
    pub pool_id: Option<String>,
    pub recipient: Option<String>,
    pub last: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct OutboxEntry {
    pub id: i64,
    pub message: OutboxMessage,
    pub status: String,
}

#[derive(Debug, Clone)]
pub struct SigningKey {
    pub pool_id: String,
    pub kid: String,
    /// `id` or `access`.
    pub token_use: String,
    /// PKCS#8 DER of the RSA private key.
    pub private_der: Vec<u8>,
    pub created: Timestamp,
}

/// Storage: one trait per aggregate, each backend with one module per trait. Every method is
/// one transaction; uniqueness of usernames and aliases is the backend's unique indexes,
/// reported as [`StoreError::Conflict`].
pub trait Store:
    PoolStore
    + UserStore
    + GroupStore
    + CodeStore
    + LimitStore
    + TokenStore
    + SessionStore
    + OutboxStore
    + MetaStore
    + DeviceStore
    + PasskeyStore
    + DomainStore
    + ResourceServerStore
    + BrandingStore
{
}

impl<T> Store for T where
    T: PoolStore
        + UserStore
        + GroupStore
        + CodeStore
        + LimitStore
        + TokenStore
        + SessionStore
        + OutboxStore
        + MetaStore
        + DeviceStore
        + PasskeyStore
        + DomainStore
        + ResourceServerStore
        + BrandingStore
{
}

/// The storage traits, to bring into scope where a `dyn Store` is called.
pub mod stores {
    pub use super::{
        BrandingStore, CodeStore, DeviceStore, DomainStore, GroupStore, LimitStore, MetaStore, OutboxStore,
        PasskeyStore, PoolStore, ResourceServerStore, SessionStore, Store, TokenStore, UserStore,
    };
}

/// Pools and their app clients.
#[async_trait]
pub trait PoolStore: Send + Sync {
    async fn insert_pool(&self, pool: &UserPool) -> Result<(), StoreError>;
    async fn get_pool(&self, pool_id: &str) -> Result<Option<UserPool>, StoreError>;
    async fn update_pool(&self, pool: &UserPool) -> Result<(), StoreError>;
    /// Deletes the pool with its clients, users, codes, tokens and keys.
    async fn delete_pool(&self, pool_id: &str) -> Result<(), StoreError>;
    /// Pools ordered by id, strictly after `after`.
    async fn list_pools(&self, after: Option<&str>, limit: usize) -> Result<Vec<UserPool>, StoreError>;
    async fn insert_client(&self, client: &AppClient) -> Result<(), StoreError>;
    async fn get_client(&self, client_id: &str) -> Result<Option<AppClient>, StoreError>;
    async fn update_client(&self, client: &AppClient) -> Result<(), StoreError>;
    async fn delete_client(&self, pool_id: &str, client_id: &str) -> Result<(), StoreError>;
    /// Clients of a pool ordered by id, strictly after `after`.
    async fn list_clients(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<AppClient>, StoreError>;
}

/// Users, their aliases, confirmation and attribute changes.
#[async_trait]
pub trait UserStore: Send + Sync {
    async fn count_users(&self, pool_id: &str) -> Result<u64, StoreError>;
    /// Creates the user, its aliases, its pending code and the outbox message in one
    /// transaction. Returns the outbox id of the message, if any.
    async fn create_user(
        &self,
        user: &NewUser,
        code: Option<&StoredCode>,
        message: Option<&OutboxMessage>,
    ) -> Result<Option<i64>, StoreError>;
    async fn get_user_by_username(&self, pool_id: &str, username_key: &str) -> Result<Option<User>, StoreError>;
    async fn get_user_by_alias(
        &self,
        pool_id: &str,
        kind: AliasKind,
        value_key: &str,
    ) -> Result<Option<User>, StoreError>;
    async fn get_user_by_sub(&self, pool_id: &str, sub: &str) -> Result<Option<User>, StoreError>;
    async fn delete_user(&self, pool_id: &str, sub: &str) -> Result<(), StoreError>;
    async fn list_users(
        &self,
        pool_id: &str,
        filter: Option<&UserFilter>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<User>, StoreError>;
    /// Applies a confirmation if the user is still in `expected` status; `Conflict{status}`
    /// otherwise, `Conflict{alias:..}` when a non-forced alias claim collides.
    async fn confirm_user(&self, confirmation: &Confirmation) -> Result<(), StoreError>;
    /// Applies an attribute change atomically; `Conflict{alias:..}` when a claim collides.
    /// Returns the outbox ids of the queued messages, in order.
    async fn change_attributes(&self, change: &AttributeChange) -> Result<Vec<i64>, StoreError>;
    /// Changes password, status, enabled flag or second factors in one conditional update.
    async fn update_user(
        &self,
        pool_id: &str,
        sub: &str,
        update: &UserUpdate,
        now: Timestamp,
    ) -> Result<(), StoreError>;
    /// Records that the code of 30-second `step` of the user's authenticator app was accepted,
    /// if no code of that step or a later one was; returns whether it did. A code is used once.
    async fn spend_totp_step(&self, pool_id: &str, sub: &str, step: u64) -> Result<bool, StoreError>;
}

/// Groups and memberships.
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Creates a group; `Conflict{group}` when the name is taken in the pool.
    async fn insert_group(&self, group: &Group) -> Result<(), StoreError>;
    async fn get_group(&self, pool_id: &str, name: &str) -> Result<Option<Group>, StoreError>;
    async fn update_group(&self, group: &Group) -> Result<(), StoreError>;
    /// Deletes the group and its memberships.
    async fn delete_group(&self, pool_id: &str, name: &str) -> Result<(), StoreError>;
    /// Groups of a pool ordered by name, strictly after `after`.
    async fn list_groups(&self, pool_id: &str, after: Option<&str>, limit: usize) -> Result<Vec<Group>, StoreError>;
    /// Adds a membership (already a member is fine).
    async fn add_to_group(&self, pool_id: &str, name: &str, sub: &str) -> Result<(), StoreError>;
    async fn remove_from_group(&self, pool_id: &str, name: &str, sub: &str) -> Result<(), StoreError>;
    /// Members ordered by sub, strictly after `after`.
    async fn list_group_members(
        &self,
        pool_id: &str,
        name: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<User>, StoreError>;
    /// The user's groups ordered by name, strictly after `after`.
    async fn list_user_groups(
        &self,
        pool_id: &str,
        sub: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Group>, StoreError>;
}

/// Pending codes (sign-up, recovery, verification).
#[async_trait]
pub trait CodeStore: Send + Sync {
    /// Replaces the user's pending code for `code.purpose` and queues its message.
    async fn replace_code(&self, code: &StoredCode, message: Option<&OutboxMessage>)
        -> Result<Option<i64>, StoreError>;
    async fn get_code(&self, pool_id: &str, sub: &str, purpose: &str) -> Result<Option<StoredCode>, StoreError>;
    /// Deletes the pending code if it is still the one with `code_hash`; returns whether it
    /// did (a code is spent once, and not after it was replaced).
    async fn delete_code(&self, pool_id: &str, sub: &str, purpose: &str, code_hash: &str) -> Result<bool, StoreError>;
}

/// Attempt counters and sign-in failures, of users and of made-up names.
#[async_trait]
pub trait LimitStore: Send + Sync {
    /// Counts one attempt at `action` in the window that contains `now` and returns the count.
    /// Counters of made-up names whose window has passed may be dropped.
    async fn bump_attempts(
        &self,
        pool_id: &str,
        who: Subject<'_>,
        action: &str,
        now: Timestamp,
        window: Duration,
    ) -> Result<u32, StoreError>;
    async fn get_signin_failures(&self, pool_id: &str, who: Subject<'_>) -> Result<Option<SignInFailures>, StoreError>;
    /// Counts one failed sign-in; a count whose last failure is older than `quiet` restarts at 1.
    /// A made-up name never signs in, so its count is never cleared; old ones may be dropped.
    async fn record_signin_failure(
        &self,
        pool_id: &str,
        who: Subject<'_>,
        now: Timestamp,
        quiet: Duration,
    ) -> Result<u32, StoreError>;
    async fn clear_signin_failures(&self, pool_id: &str, sub: &str) -> Result<(), StoreError>;
    /// Reserves the next password check of a user whose failures are on record, until
    /// `now + hold`: false while another caller, on any instance, holds it. Recording a
    /// failure or clearing the failures ends the hold.
    async fn hold_signin(&self, pool_id: &str, sub: &str, now: Timestamp, hold: Duration) -> Result<bool, StoreError>;
}

/// Refresh tokens, revocation and the pools' signing keys.
#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), StoreError>;
    async fn get_refresh_token(&self, token_hash: &str) -> Result<Option<RefreshToken>, StoreError>;
    /// Replaces a refresh token by a new one of the same sign-in, atomically: the old one is
    /// marked rotated (the first rotation time stays) and the new one inserted, only while the
    /// old one is not revoked and not rotated more than `grace` ago. Returns whether it did.
    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new: &RefreshToken,
        now: Timestamp,
        grace: Duration,
    ) -> Result<bool, StoreError>;
    /// Marks the covered refresh tokens revoked; returns how many.
    async fn revoke_refresh_tokens(&self, pool_id: &str, which: &Revocation) -> Result<u64, StoreError>;
    /// The user of an access token and whether its sign-in was revoked, in one read: every
    /// access-token operation asks both.
    async fn get_token_user(
        &self,
        pool_id: &str,
        sub: &str,
        origin_jti: &str,
    ) -> Result<Option<(User, bool)>, StoreError>;
    async fn get_signing_keys(&self, pool_id: &str) -> Result<Vec<SigningKey>, StoreError>;
    /// Inserts a key unless the pool already has one for that use; returns whether it did.
    async fn insert_signing_key(&self, key: &SigningKey) -> Result<bool, StoreError>;
}

/// The state between the steps of a sign-in.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_auth_session(&self, session: &AuthSession) -> Result<(), StoreError>;
    async fn get_auth_session(&self, id_hash: &str) -> Result<Option<AuthSession>, StoreError>;
    /// Returns whether the session existed: only one caller can spend it.
    async fn delete_auth_session(&self, id_hash: &str) -> Result<bool, StoreError>;
}

/// The delivery log.
#[async_trait]
pub trait OutboxStore: Send + Sync {
    async fn queue_message(&self, message: &OutboxMessage) -> Result<i64, StoreError>;
    /// Records the outcome of a delivery; the sealed text goes with the lease.
    async fn set_outbox_status(&self, id: i64, status: &str) -> Result<(), StoreError>;
    /// Leases to the caller, until `now + lease`, up to `limit` messages still `pending` whose
    /// lease ran out: a message queued at `created` is leased to its instance until
    /// `created + lease`. Two callers never hold the same message at once.
    async fn claim_outbox(&self, now: Timestamp, lease: Duration, limit: usize)
        -> Result<Vec<OutboxEntry>, StoreError>;
    /// Drops the subject and body of every message that still has them (a data dir that was
    /// used for local development before it got admin keys); returns how many.
    async fn forget_outbox_text(&self) -> Result<u64, StoreError>;
    async fn list_outbox(&self, query: &OutboxQuery) -> Result<Vec<OutboxEntry>, StoreError>;
}

/// Facts about the database itself, shared by every instance that uses it.
#[async_trait]
pub trait MetaStore: Send + Sync {
    /// Records `value` under `name` unless one is there already; returns the value that is.
    async fn claim_meta(&self, name: &str, value: &str) -> Result<String, StoreError>;
    /// Records `value` under `name`, replacing what was there.
    async fn set_meta(&self, name: &str, value: &str) -> Result<(), StoreError>;
}

/// The devices users sign in from (they go with their user).
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// `Conflict{other}` when the key is taken.
    async fn insert_device(&self, device: &Device) -> Result<(), StoreError>;
    async fn get_device(&self, pool_id: &str, key: &str) -> Result<Option<Device>, StoreError>;
    /// Replaces what can change (verifier, name, remembered, modified, last authenticated);
    /// `NotFound` when the device is gone.
    async fn update_device(&self, device: &Device) -> Result<(), StoreError>;
    /// A user's devices ordered by key, strictly after `after`.
    async fn list_devices(
        &self,
        pool_id: &str,
        sub: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<Device>, StoreError>;
    /// Returns whether it was there.
    async fn delete_device(&self, pool_id: &str, key: &str) -> Result<bool, StoreError>;
}

/// Users' passkeys (they go with their user).
#[async_trait]
pub trait PasskeyStore: Send + Sync {
    /// `Conflict{other}` when the credential id is registered already.
    async fn insert_passkey(&self, passkey: &Passkey) -> Result<(), StoreError>;
    /// A user's passkeys, oldest first.
    async fn list_passkeys(&self, pool_id: &str, sub: &str) -> Result<Vec<Passkey>, StoreError>;
    /// Replaces the stored record (its counter moved).
    async fn update_passkey(&self, pool_id: &str, credential_id: &str, record: &str) -> Result<(), StoreError>;
    /// Returns whether it was there and the user's.
    async fn delete_passkey(&self, pool_id: &str, sub: &str, credential_id: &str) -> Result<bool, StoreError>;
}

/// User pool domains (they go with their pool). A name is taken across all pools.
#[async_trait]
pub trait DomainStore: Send + Sync {
    /// `Conflict{Domain}` when the name is taken, `Conflict{PoolDomain}` when the pool already
    /// has a domain of that kind (prefix or custom), `Conflict{Missing}` without the pool.
    async fn insert_domain(&self, domain: &PoolDomain) -> Result<(), StoreError>;
    async fn get_domain(&self, domain: &str) -> Result<Option<PoolDomain>, StoreError>;
    /// A pool's domains (at most one prefix and one custom).
    async fn pool_domains(&self, pool_id: &str) -> Result<Vec<PoolDomain>, StoreError>;
    /// Replaces the certificate and the managed login version; `NotFound` when it is gone.
    async fn update_domain(&self, domain: &PoolDomain) -> Result<(), StoreError>;
    /// Returns whether it was there and the pool's.
    async fn delete_domain(&self, pool_id: &str, domain: &str) -> Result<bool, StoreError>;
}

/// Resource servers and their scopes (they go with their pool).
#[async_trait]
pub trait ResourceServerStore: Send + Sync {
    /// `Conflict{ResourceServer}` when the identifier is taken in the pool, `Conflict{Missing}`
    /// without the pool.
    async fn insert_resource_server(&self, server: &ResourceServer) -> Result<(), StoreError>;
    async fn get_resource_server(&self, pool_id: &str, identifier: &str) -> Result<Option<ResourceServer>, StoreError>;
    /// Ordered by identifier, strictly after `after`.
    async fn list_resource_servers(
        &self,
        pool_id: &str,
        after: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ResourceServer>, StoreError>;
    /// Replaces name and scopes; `NotFound` when it is gone.
    async fn update_resource_server(&self, server: &ResourceServer) -> Result<(), StoreError>;
    /// Returns whether it was there.
    async fn delete_resource_server(&self, pool_id: &str, identifier: &str) -> Result<bool, StoreError>;
}

/// How the hosted pages look (it goes with its pool).
#[async_trait]
pub trait BrandingStore: Send + Sync {
    /// Creates or replaces a client's (or the pool's `ALL`) UI customization; `created` of a
    /// replaced one stays. `Conflict{Missing}` without the pool.
    async fn put_ui_customization(&self, ui: &UiCustomization) -> Result<(), StoreError>;
    async fn get_ui_customization(&self, pool_id: &str, client_id: &str)
        -> Result<Option<UiCustomization>, StoreError>;
    /// Returns whether there was one.
    async fn delete_ui_customization(&self, pool_id: &str, client_id: &str) -> Result<bool, StoreError>;
    /// `Conflict{Branding}` when the client has a style already, `Conflict{Missing}` without
    /// the pool.
    async fn insert_branding(&self, branding: &Branding) -> Result<(), StoreError>;
    async fn get_branding(&self, pool_id: &str, id: &str) -> Result<Option<Branding>, StoreError>;
    async fn get_client_branding(&self, pool_id: &str, client_id: &str) -> Result<Option<Branding>, StoreError>;
    /// Replaces what can change (values flag, settings, assets, modified); `NotFound` when gone.
    async fn update_branding(&self, branding: &Branding) -> Result<(), StoreError>;
    /// Returns whether it was there.
    async fn delete_branding(&self, pool_id: &str, id: &str) -> Result<bool, StoreError>;
}
