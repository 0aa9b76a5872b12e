//! Forgotten and changed passwords:
//!
//! ```text
//! ForgotPassword ──► code (1 h) to the verified email, else the verified phone
//! ConfirmForgotPassword(code, new password) ──► CONFIRMED (from RESET_REQUIRED too)
//! ChangePassword(access token, old, new)
//! ```

use super::messages::{delivery_details, CodeDelivery};
use super::Cognate;
use crate::codes::{self, CodeCheck};
use crate::error::{DomainError, Result};
use crate::mask;
use crate::password;
use crate::pool::UserPool;
use crate::triggers::{Metadata, TriggerKind, TriggerRequest};
use crate::user::{AliasKind, Medium, User, UserStatus, UserUpdate};

use super::hooks::event_attributes;

pub(crate) const FORGOT_PASSWORD: &str = "forgot_password";
const FORGOT_ACTION: &str = "forgot_password";
const CONFIRM_FORGOT_ACTION: &str = "confirm_forgot_password";
const CHANGE_ACTION: &str = "change_password";

fn mismatch() -> DomainError {
    DomainError::CodeMismatch("Invalid verification code provided, please try again.".into())
}

fn expired() -> DomainError {
    DomainError::ExpiredCode("Invalid code provided, please request a code again.".into())
}

/// What ForgotPassword answers for a user it will not reveal: a destination shaped like a
/// real one, derived from what the caller typed.
pub(crate) fn simulated_delivery(typed: &str) -> CodeDelivery {
    if crate::attributes::is_phone(typed) {
        return delivery_details(AliasKind::PhoneNumber, Medium::Sms, typed);
    }
    let address = if typed.contains('@') { typed.to_string() } else { format!("{typed}@example.com") };
    CodeDelivery { destination: mask::email(&address), medium: Medium::Email, attribute: "email".into() }
}

impl Cognate {
    /// The verified contact a reset code goes to: email first, then phone.
    pub(crate) fn recovery_target(&self, user: &User) -> Option<(AliasKind, Medium, String)> {
        [(AliasKind::Email, Medium::Email), (AliasKind::PhoneNumber, Medium::Sms)].into_iter().find_map(
            |(kind, medium)| {
                let value = user.attribute(kind.attribute())?;
                user.is_verified(kind).then(|| (kind, medium, value.to_string()))
            },
        )
    }

    pub(crate) async fn send_reset_code(
        &self,
        pool: &UserPool,
        user: &User,
        client_id: Option<&str>,
        client_metadata: &Metadata,
    ) -> Result<CodeDelivery> {
        let (kind, medium, to) = self.recovery_target(user).ok_or_else(|| {
            DomainError::invalid(
                "Cannot reset password for the user as there is no registered/verified email or phone_number",
            )
        })?;
        let now = self.clock.now();
        let ttl = self.config.forgot_password_code_ttl;
        let issued =
            codes::issue(self.rng.as_ref(), &pool.id, &user.sub, FORGOT_PASSWORD, Some(kind.attribute()), now, ttl);
        let message = self
            .render_code_message(pool, user, medium, &to, "ForgotPassword", &issued.value, client_id, client_metadata)
            .await?;
        let outbox_id = self.store.replace_code(&issued.stored, Some(&message)).await?;
        self.dispatch(outbox_id, &message).await?;
        Ok(delivery_details(kind, medium, &to))
    }

    pub async fn forgot_password(
        &self,
        client_id: &str,
        secret_hash: Option<&str>,
        username: &str,
        client_metadata: Metadata,
    ) -> Result<CodeDelivery> {
        let (client, pool) = self.client_and_pool(client_id).await?;
        Self::check_secret_hash(&client, secret_hash, &[username])?;
        let hide = client.settings.prevents_user_existence_errors();
        let found = match self.find_user(&pool, username).await? {
            Some(user) => Some(user),
            None => self.migrate_user(&pool, client_id, username, None, &client_metadata).await?,
        };
        let limit = self.config.forgot_password_per_hour;
        let user = match found {
            Some(user) => user,
            None if hide => {
                self.count_hidden_attempt(&pool, username, FORGOT_ACTION, limit).await?;
                return Ok(simulated_delivery(username));
            }
            None => return Err(DomainError::UserNotFound("Username/client id combination not found.".into())),
        };
        if !user.enabled {
            if hide {
                self.count_hidden_attempt(&pool, username, FORGOT_ACTION, limit).await?;
                return Ok(simulated_delivery(username));
            }
            return Err(DomainError::not_authorized("User is disabled."));
        }
        self.count_attempt(&pool, &user, FORGOT_ACTION, limit).await?;
        match self.send_reset_code(&pool, &user, Some(client_id), &client_metadata).await {
            Err(DomainError::InvalidParameter(_)) if hide => Ok(simulated_delivery(username)),
            other => other,
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub async fn confirm_forgot_password(
        &self,
        client_id: &str,
        secret_hash: Option<&str>,
        username: &str,
        code: &str,
        new_password: &str,
        client_metadata: Metadata,
    ) -> Result<()> {
        let (client, pool) = self.client_and_pool(client_id).await?;
        Self::check_secret_hash(&client, secret_hash, &[username])?;
        let hide = client.settings.prevents_user_existence_errors();
        let Some(user) = self.user_for_code(&pool, username, hide).await? else {
            self.count_hidden_attempt(&pool, username, CONFIRM_FORGOT_ACTION, self.config.forgot_password_per_hour)
                .await?;
            return Err(mismatch());
        };
        if !user.enabled {
            return Err(DomainError::not_authorized("User is disabled."));
        }
        self.count_attempt(&pool, &user, CONFIRM_FORGOT_ACTION, self.config.forgot_password_per_hour).await?;
        // A real user who asked for no reset answers like a made-up name when names are hidden
        // (ExpiredCode would tell them apart).
        let none = || if hide { mismatch() } else { expired() };
        let stored = self.store.get_code(&pool.id, &user.sub, FORGOT_PASSWORD).await?.ok_or_else(none)?;
        match codes::check(&stored, code, self.clock.now()) {
            CodeCheck::Mismatch => return Err(mismatch()),
            CodeCheck::Expired => return Err(expired()),
            CodeCheck::Valid => {}
        }
        password::check(&pool.settings.password_policy, new_password)?;
        if !self.store.delete_code(&pool.id, &user.sub, FORGOT_PASSWORD, &stored.code_hash).await? {
            return Err(expired());
        }
        let (hash, verifier) = self.password_record(&pool.id, &user.username, new_password).await?;
        let status = match user.status {
            UserStatus::ResetRequired | UserStatus::ForceChangePassword => Some(UserStatus::Confirmed),
            _ => None,
        };
        let update =
            UserUpdate { password_hash: Some(hash), srp_verifier: Some(Some(verifier)), status, ..Default::default() };
        self.store.update_user(&pool.id, &user.sub, &update, self.clock.now()).await?;
        self.store.clear_signin_failures(&pool.id, &user.sub).await?;
        let request =
            TriggerRequest { user_attributes: event_attributes(&user), client_metadata, ..Default::default() };
        let source = "PostConfirmation_ConfirmForgotPassword";
        self.trigger(&pool, TriggerKind::PostConfirmation, source, &user.username, Some(client_id), request).await?;
        Ok(())
    }

    /// ChangePassword for the user of an access token the caller verified.
    pub async fn change_password(&self, user: &User, previous: &str, proposed: &str) -> Result<()> {
        let pool = self.pool(&user.pool_id).await?;
        self.count_attempt(&pool, user, CHANGE_ACTION, self.config.change_password_per_hour).await?;
        let hash = user.password_hash.as_deref().unwrap_or("");
        if !self.passwords.verify(previous, hash).await.map_err(DomainError::Internal)? {
            return Err(DomainError::incorrect_credentials());
        }
        password::check(&pool.settings.password_policy, proposed)?;
        let (hash, verifier) = self.password_record(&pool.id, &user.username, proposed).await?;
        let update = UserUpdate { password_hash: Some(hash), srp_verifier: Some(Some(verifier)), ..Default::default() };
        self.store.update_user(&pool.id, &user.sub, &update, self.clock.now()).await?;
        Ok(())
    }
}
