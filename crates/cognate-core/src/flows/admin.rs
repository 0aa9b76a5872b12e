//! Users managed by an administrator:
//!
//! ```text
//! AdminCreateUser ──► FORCE_CHANGE_PASSWORD ──NEW_PASSWORD_REQUIRED──► CONFIRMED
//! AdminSetUserPassword(Permanent) ──► CONFIRMED      (not permanent: FORCE_CHANGE_PASSWORD)
//! AdminResetUserPassword ──► RESET_REQUIRED ──ConfirmForgotPassword──► CONFIRMED
//! AdminDisableUser / AdminEnableUser flip `Enabled`; disabling revokes the user's tokens.
//! ```

use super::signup::{alias_exists, exists_error, plan_username};
use super::Cognate;
use crate::attributes;
use crate::error::{Conflict, DomainError, Result, StoreError};
use crate::ids;
use crate::password;
use crate::pool::UserPool;
use crate::ports::Revocation;
use crate::triggers::{Metadata, TriggerKind, TriggerRequest};
use crate::user::{AliasClaim, AliasKind, Attributes, Medium, NewUser, User, UserStatus, UserUpdate};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageAction {
    Resend,
    Suppress,
}

pub struct AdminCreateUserRequest {
    pub pool_id: String,
    pub username: String,
    pub attributes: Vec<(String, String)>,
    pub validation_data: Metadata,
    pub temporary_password: Option<String>,
    pub force_alias_creation: bool,
    pub message_action: Option<MessageAction>,
    /// Empty: SMS when the user has a phone number, else email (Cognito's default is SMS).
    pub delivery_mediums: Vec<Medium>,
    pub client_metadata: Metadata,
}

impl Cognate {
    pub async fn admin_create_user(&self, req: AdminCreateUserRequest) -> Result<User> {
        let pool = self.pool(&req.pool_id).await?;
        if req.message_action == Some(MessageAction::Resend) {
            return self.resend_invitation(&pool, &req).await;
        }
        let settings = &pool.settings;
        attributes::validate_supplied(settings, &req.attributes)?;
        let mut attrs: Attributes = req.attributes.iter().cloned().collect();
        let sub = ids::new_uuid(self.rng.as_ref());
        let (username, mut aliases) = plan_username(settings, &req.username, &mut attrs, &sub)?;
        attrs.insert("sub".into(), sub.clone());
        attributes::check_required(settings, &attrs)?;
        let temporary = self.temporary_password(&pool, req.temporary_password.as_deref())?;

        let mut supplied = attrs.clone();
        supplied.remove("sub");
        let request = TriggerRequest {
            user_attributes: supplied,
            validation_data: req.validation_data.clone(),
            client_metadata: req.client_metadata.clone(),
            ..Default::default()
        };
        let source = "PreSignUp_AdminCreateUser";
        if let Some(answer) = self.trigger(&pool, TriggerKind::PreSignUp, source, &username, None, request).await? {
            for (wanted, kind) in
                [(answer.auto_verify_email, AliasKind::Email), (answer.auto_verify_phone, AliasKind::PhoneNumber)]
            {
                if let (true, Some(flag), true) =
                    (wanted, kind.verified_attribute(), attrs.contains_key(kind.attribute()))
                {
                    attrs.insert(flag.into(), "true".into());
                }
            }
        }
        // Verified email / phone aliases are claimed at once: the administrator vouches for them.
        for kind in &settings.alias_attributes {
            let verified = kind.verified_attribute().is_none_or(|f| attrs.get(f).map(String::as_str) == Some("true"));
            if let (Some(value), true) = (attrs.get(kind.attribute()), verified) {
                let value_key = settings.alias_key(*kind, value);
                aliases.push(AliasClaim { kind: *kind, value_key, force: req.force_alias_creation });
            }
        }

        let (hash, verifier) = self.password_record(&pool.id, &username, &temporary).await?;
        let now = self.clock.now();
        let user = User {
            pool_id: pool.id.clone(),
            username: username.clone(),
            sub: sub.clone(),
            status: UserStatus::ForceChangePassword,
            enabled: true,
            attributes: attrs,
            password_hash: Some(hash),
            srp_verifier: Some(verifier),
            password_set: now,
            created: now,
            modified: now,
            mfa: Default::default(),
        };
        let message = match req.message_action {
            Some(MessageAction::Suppress) => None,
            _ => self.invitation(&pool, &user, &req.delivery_mediums, &temporary, &req.client_metadata).await?,
        };
        let new_user = NewUser { username_key: settings.username_key(&username), aliases, user: user.clone() };
        let outbox_id = match self.store.create_user(&new_user, None, message.as_ref()).await {
            Ok(id) => id,
            Err(StoreError::Conflict(conflict)) => {
                return Err(match (exists_error(settings, conflict, "User account already exists"), conflict) {
                    (Some(e), _) => e,
                    (None, Conflict::Alias(kind)) => alias_exists(kind),
                    (None, _) => DomainError::UsernameExists("User account already exists".into()),
                });
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(message) = &message {
            if let Err(e) = self.dispatch(outbox_id, message).await {
                self.store.delete_user(&pool.id, &sub).await?;
                return Err(e);
            }
        }
        Ok(user)
    }

    fn temporary_password(&self, pool: &UserPool, given: Option<&str>) -> Result<String> {
        match given.filter(|p| !p.is_empty()) {
            Some(p) => {
                password::check(&pool.settings.password_policy, p)?;
                Ok(p.to_string())
            }
            None => Ok(ids::temporary_password(self.rng.as_ref(), &pool.settings.password_policy)),
        }
    }

    /// The invitation for the first medium the user has an address for.
    async fn invitation(
        &self,
        pool: &UserPool,
        user: &User,
        mediums: &[Medium],
        temporary: &str,
        client_metadata: &Metadata,
    ) -> Result<Option<crate::user::OutboxMessage>> {
        let address = |m: Medium| match m {
            Medium::Email => user.attribute("email"),
            Medium::Sms => user.attribute("phone_number"),
        };
        let wanted: Vec<Medium> = if mediums.is_empty() { vec![Medium::Sms, Medium::Email] } else { mediums.to_vec() };
        let Some((medium, to)) = wanted.into_iter().find_map(|m| address(m).map(|a| (m, a.to_string()))) else {
            return Ok(None);
        };
        let message = self
            .render_code_message(pool, user, medium, &to, "AdminCreateUser", temporary, None, client_metadata)
            .await?;
        Ok(Some(message))
    }

    async fn resend_invitation(&self, pool: &UserPool, req: &AdminCreateUserRequest) -> Result<User> {
        let mut user = self.require_user(pool, &req.username).await?;
        if user.status != UserStatus::ForceChangePassword {
            return Err(DomainError::UnsupportedUserState(format!(
                "Resend not possible. {} status is not FORCE_CHANGE_PASSWORD",
                req.username
            )));
        }
        let temporary = self.temporary_password(pool, req.temporary_password.as_deref())?;
        // Rendered first: a failing CustomMessage function must not leave the user with a new
        // temporary password nobody was told.
        let message = self.invitation(pool, &user, &req.delivery_mediums, &temporary, &req.client_metadata).await?;
        let (hash, verifier) = self.password_record(&pool.id, &user.username, &temporary).await?;
        let now = self.clock.now();
        let update = UserUpdate {
            password_hash: Some(hash),
            srp_verifier: Some(Some(verifier)),
            expected_status: Some(UserStatus::ForceChangePassword),
            ..Default::default()
        };
        self.store.update_user(&pool.id, &user.sub, &update, now).await?;
        user.password_set = now;
        user.modified = now;
        if let Some(message) = message {
            let id = self.store.queue_message(&message).await?;
            self.dispatch(Some(id), &message).await?;
        }
        Ok(user)
    }

    pub async fn admin_set_user_password(
        &self,
        pool_id: &str,
        username: &str,
        new_password: &str,
        permanent: bool,
    ) -> Result<()> {
        let pool = self.pool(pool_id).await?;
        let user = self.require_user(&pool, username).await?;
        password::check(&pool.settings.password_policy, new_password)?;
        let (hash, verifier) = self.password_record(&pool.id, &user.username, new_password).await?;
        let status = if permanent { UserStatus::Confirmed } else { UserStatus::ForceChangePassword };
        let update = UserUpdate {
            password_hash: Some(hash),
            srp_verifier: Some(Some(verifier)),
            status: Some(status),
            ..Default::default()
        };
        self.store.update_user(&pool.id, &user.sub, &update, self.clock.now()).await?;
        self.store.clear_signin_failures(&pool.id, &user.sub).await?;
        Ok(())
    }

    /// RESET_REQUIRED, and a reset code to the verified contact if there is one.
    pub async fn admin_reset_user_password(
        &self,
        pool_id: &str,
        username: &str,
        client_metadata: Metadata,
    ) -> Result<()> {
        let pool = self.pool(pool_id).await?;
        let user = self.require_user(&pool, username).await?;
        if user.status == UserStatus::Unconfirmed {
            return Err(DomainError::not_authorized("User password cannot be reset in the current state."));
        }
        let update = UserUpdate {
            status: Some(UserStatus::ResetRequired),
            expected_status: Some(user.status),
            ..Default::default()
        };
        self.store.update_user(&pool.id, &user.sub, &update, self.clock.now()).await.map_err(|e| match e {
            StoreError::Conflict(_) => {
                DomainError::not_authorized("User password cannot be reset in the current state.")
            }
            other => other.into(),
        })?;
        if self.recovery_target(&user).is_some() {
            self.send_reset_code(&pool, &user, None, &client_metadata).await?;
        }
        Ok(())
    }

    pub async fn admin_set_enabled(&self, pool_id: &str, username: &str, enabled: bool) -> Result<()> {
        let pool = self.pool(pool_id).await?;
        let user = self.require_user(&pool, username).await?;
        let update = UserUpdate { enabled: Some(enabled), ..Default::default() };
        self.store.update_user(&pool.id, &user.sub, &update, self.clock.now()).await?;
        if !enabled {
            // "Deactivates a user and revokes all access tokens for the user."
            self.store.revoke_refresh_tokens(&pool.id, &Revocation::User { sub: user.sub.clone() }).await?;
        }
        Ok(())
    }
}
