//! The operations of the domain, one module per area. [`Cognate`] holds the ports; each
//! method is one Cognito operation minus its wire format.

mod auth;
mod hooks;
mod pools;
mod signup;
mod users;

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

pub use auth::{AuthRequest, TokenGrant, ACCESS_SCOPE};
pub use pools::{ClientChanges, ListPage};
pub use signup::{CodeDelivery, SignUpRequest, SignUpResult};
pub use users::UserPage;

use crate::attributes;
use crate::client::AppClient;
use crate::error::{DomainError, Result};
use crate::pool::UserPool;
use crate::ports::{Clock, Mailer, Passwords, Rng, Store};
use crate::secret_hash;
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
}

impl Default for CoreConfig {
    fn default() -> Self {
        Self {
            region: "us-east-1".into(),
            signup_code_ttl: Duration::from_secs(24 * 3600),
            confirm_attempts_per_hour: 15,
            resend_per_hour: 5,
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
    pub config: CoreConfig,
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

    pub async fn require_user(&self, pool: &UserPool, name: &str) -> Result<User> {
        self.find_user(pool, name).await?.ok_or_else(DomainError::user_not_found)
    }
}
