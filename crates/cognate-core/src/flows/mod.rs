//! The operations of the domain, one module per area. [`Cognate`] holds the ports; each
//! method is one Cognito operation minus its wire format.

mod admin;
mod auth;
mod authorize;
mod branding;
mod challenge;
mod choice;
mod custom;
mod devices;
mod groups;
mod hooks;
mod hosting;
mod lockout;
mod machine;
mod messages;
mod mfa;
mod passkeys;
mod pools;
mod profile;
mod proven;
mod recovery;
mod refresh;
mod second_factor;
mod signout;
mod signup;
mod state;
mod users;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_lifecycle;
#[cfg(test)]
mod tests_mfa;
#[cfg(test)]
mod tests_oauth;

use std::sync::Arc;
use std::time::Duration;

pub use admin::{AdminCreateUserRequest, MessageAction};
pub use auth::{AuthOutcome, AuthRequest, Challenge, NewDevice, OAuthGrant, SignedIn, TokenGrant, ACCESS_SCOPE};
pub use authorize::{Authorization, AuthorizeParams, Granted, Refusal, ResponseType, BROWSER_SESSION_LIFETIME};
pub use branding::BrandingChanges;
pub use challenge::RespondRequest;
pub use choice::configured_auth_factors;
pub use devices::{DevicePage, RememberedStatus};
pub use groups::{GroupChanges, Page};
pub use machine::{ClientAuth, MachineGrant};
pub use messages::CodeDelivery;
pub use mfa::{FactorSetting, MfaPreference, TokenHolder};
pub use passkeys::PasskeyPage;
pub use pools::{ClientChanges, ListPage};
pub use profile::Editor;
pub use signup::{SignUpRequest, SignUpResult};
pub use users::UserPage;

use crate::attributes;
use crate::client::AppClient;
use crate::error::{DomainError, Result};
use crate::ids;
use crate::pool::UserPool;
use crate::ports::{Clock, Cpu, Mailer, Passkeys, Passwords, Rng, Sealer, Store};
use crate::secret_hash;
use crate::srp;
use crate::triggers::Triggers;
use crate::user::{AliasKind, User};

/// Limits and lifetimes the operator can tune.
#[derive(Debug, Clone)]
pub struct CoreConfig {
    pub region: String,
    pub signup_code_ttl: Duration,
    /// ConfirmSignUp attempts per user per hour (Cognito: 15).
    pub confirm_attempts_per_hour: u32,
    /// ResendConfirmationCode calls per user per hour (Cognito: 5).
    pub resend_per_hour: u32,
    /// ForgotPassword codes live an hour on Cognito.
    pub forgot_password_code_ttl: Duration,
    /// ForgotPassword requests and ConfirmForgotPassword attempts per user per hour
    /// (Cognito: "between 5 and 20", by risk).
    pub forgot_password_per_hour: u32,
    /// ChangePassword calls per user per hour (Cognito: 5).
    pub change_password_per_hour: u32,
    pub lockout: LockoutPolicy,
    /// Whether the outbox keeps what a message said (codes, temporary passwords): the local
    /// development way to read a code. Off in production, where the outbox keeps only who was
    /// sent what kind of message, and when.
    pub keep_message_text: bool,
    /// How long an instance has to deliver a message it queued before another one does.
    pub delivery_lease: Duration,
}

/// Cognito's sign-in lockout: after `free_failures` failures the user is locked for 1 s,
/// doubling with each further failure up to `max_lock`; `quiet` without failures forgets them.
#[derive(Debug, Clone)]
pub struct LockoutPolicy {
    pub free_failures: u32,
    pub first_lock: Duration,
    pub max_lock: Duration,
    pub quiet: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self {
            free_failures: 5,
            first_lock: Duration::from_secs(1),
            max_lock: Duration::from_secs(15 * 60),
            quiet: Duration::from_secs(15 * 60),
        }
    }
}

impl Default for CoreConfig {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            signup_code_ttl: Duration::from_secs(24 * 3600),
            confirm_attempts_per_hour: 15,
            resend_per_hour: 5,
            forgot_password_code_ttl: HOUR,
            forgot_password_per_hour: 10,
            change_password_per_hour: 5,
            lockout: LockoutPolicy::default(),
            keep_message_text: true,
            delivery_lease: crate::ports::DELIVERY_LEASE,
        }
    }
}

pub const HOUR: Duration = Duration::from_secs(3600);

#[derive(Clone)]
pub struct Cognate {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub rng: Arc<dyn Rng>,
    pub passwords: Arc<dyn Passwords>,
    pub mailer: Arc<dyn Mailer>,
    pub triggers: Arc<dyn Triggers>,
    pub sealer: Arc<dyn Sealer>,
    pub cpu: Arc<dyn Cpu>,
    /// The WebAuthn ceremonies.
    pub passkeys: Arc<dyn Passkeys>,
    pub config: CoreConfig,
    /// A hash of a random password, made on first use with the configured cost.
    pub dummy_hash: Arc<std::sync::OnceLock<String>>,
    /// Password attempts running now, per user (see `lockout.rs`).
    pub in_flight: lockout::InFlight,
}

impl Cognate {
    pub async fn pool(&self, pool_id: &str) -> Result<UserPool> {
        self.store.get_pool(pool_id).await?.ok_or_else(|| DomainError::pool_not_found(pool_id))
    }

    /// The client and its pool; an unknown client is `ResourceNotFoundException`.
    pub async fn client_and_pool(&self, client_id: &str) -> Result<(AppClient, UserPool)> {
        let client = self.store.get_client(client_id).await?.ok_or_else(|| DomainError::client_not_found(client_id))?;
        let pool = self.pool(&client.pool_id).await?;
        Ok((client, pool))
    }

    /// Checks `SecretHash` for clients that have a secret; it is ignored for the others.
    pub fn check_secret_hash(client: &AppClient, presented: Option<&str>, usernames: &[&str]) -> Result<()> {
        let Some(secret) = &client.secret else { return Ok(()) };
        let id = &client.client_id;
        match presented {
            None | Some("") => Err(DomainError::not_authorized(format!(
                "Client {id} is configured for secret but secret was not received"
            ))),
            Some(hash) if secret_hash::matches(secret, id, hash, usernames) => Ok(()),
            Some(_) => Err(DomainError::not_authorized(format!("Unable to verify secret hash for client {id}"))),
        }
    }

    /// Checks a `ClientSecret` given in clear (RevokeToken, GetTokensFromRefreshToken) for
    /// clients that have one.
    pub fn check_client_secret(client: &AppClient, presented: Option<&str>) -> Result<()> {
        use subtle::ConstantTimeEq;
        let Some(secret) = &client.secret else { return Ok(()) };
        if bool::from(secret.as_bytes().ct_eq(presented.unwrap_or("").as_bytes())) {
            return Ok(());
        }
        Err(DomainError::not_authorized(format!(
            "Client {} is configured with secret but the secret was not received or is incorrect",
            client.client_id
        )))
    }

    /// Finds a user by what a caller typed: the username, or an email / phone number /
    /// preferred username that the pool accepts in its place.
    pub async fn find_user(&self, pool: &UserPool, name: &str) -> Result<Option<User>> {
        let settings = &pool.settings;
        if let Some(user) = self.store.get_user_by_username(&pool.id, &settings.username_key(name)).await? {
            return Ok(Some(user));
        }
        let kinds = settings.username_attributes.iter().chain(settings.alias_attributes.iter());
        for kind in kinds {
            let plausible = match kind {
                AliasKind::Email => attributes::is_email(name),
                AliasKind::PhoneNumber => attributes::is_phone(name),
                AliasKind::PreferredUsername => true,
            };
            if plausible {
                let key = settings.alias_key(*kind, name);
                if let Some(user) = self.store.get_user_by_alias(&pool.id, *kind, &key).await? {
                    return Ok(Some(user));
                }
            }
        }
        Ok(None)
    }

    /// Runs `job` through the [`Cpu`] port and hands back its result.
    pub(crate) async fn offload<T: Send + 'static>(&self, job: impl FnOnce() -> T + Send + 'static) -> Result<T> {
        let slot = Arc::new(std::sync::Mutex::new(None));
        let out = slot.clone();
        self.cpu
            .run(Box::new(move || {
                let value = job();
                if let Ok(mut guard) = out.lock() {
                    *guard = Some(value);
                }
            }))
            .await;
        let value = slot.lock().ok().and_then(|mut guard| guard.take());
        value.ok_or_else(|| DomainError::Internal("a background computation did not finish".into()))
    }

    /// Verifies `password` against a hash of nothing, so that an unknown user costs the same
    /// time as a wrong password.
    pub(crate) async fn verify_dummy(&self, password: &str) -> Result<()> {
        let hash = match self.dummy_hash.get() {
            Some(hash) => hash.clone(),
            None => {
                let mut raw = [0u8; 16];
                self.rng.fill(&mut raw);
                let hash = self.passwords.hash(&ids::hex(&raw)).await.map_err(DomainError::Internal)?;
                self.dummy_hash.get_or_init(|| hash).clone()
            }
        };
        self.passwords.verify(password, &hash).await.map_err(DomainError::Internal)?;
        Ok(())
    }

    /// Hashes a new password and derives its sealed SRP verifier (for the user's internal
    /// username, which is what SRP clients prove knowledge for).
    pub(crate) async fn password_record(
        &self,
        pool_id: &str,
        username: &str,
        password: &str,
    ) -> Result<(String, String)> {
        let hash = self.passwords.hash(password).await.map_err(DomainError::Internal)?;
        let mut salt = [0u8; 16];
        self.rng.fill(&mut salt);
        let (suffix, user, pw) = (srp::pool_suffix(pool_id).to_string(), username.to_string(), password.to_string());
        let verifier = self.offload(move || srp::Verifier::new(&salt, &suffix, &user, &pw).encode()).await?;
        Ok((hash, self.sealer.seal(verifier.as_bytes())))
    }

    pub async fn require_user(&self, pool: &UserPool, name: &str) -> Result<User> {
        self.find_user(pool, name).await?.ok_or_else(DomainError::user_not_found)
    }
}
