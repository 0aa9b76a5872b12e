//! Sign-up and confirmation:
//!
//! ```text
//! SignUp ──► UNCONFIRMED ──ConfirmSignUp(code) / AdminConfirmSignUp──► CONFIRMED
//!                 │  ▲
//!                 └──┘ ResendConfirmationCode (new code, old one stops working)
//! ```

use super::{Cognate, HOUR};
use crate::attributes;
use crate::codes::{self, CodeCheck};
use crate::error::{Conflict, DomainError, Result, StoreError};
use crate::ids::{self, Timestamp};
use crate::password;
use crate::pool::UserPool;
use crate::ports::{Confirmation, Subject};
use crate::triggers::{Metadata, TriggerKind, TriggerRequest};

use super::hooks::event_attributes;
use super::messages::{delivery_details, CodeDelivery};
use crate::user::{AliasClaim, AliasKind, Attributes, Medium, NewUser, User, UserStatus};

pub struct SignUpRequest {
    pub client_id: String,
    pub secret_hash: Option<String>,
    pub username: String,
    pub password: Option<String>,
    pub attributes: Vec<(String, String)>,
    pub validation_data: Metadata,
    pub client_metadata: Metadata,
}

#[derive(Debug)]
pub struct SignUpResult {
    pub confirmed: bool,
    pub sub: String,
    pub delivery: Option<CodeDelivery>,
}

const SIGNUP: &str = "signup";
const CONFIRM_ACTION: &str = "confirm_sign_up";
const RESEND_ACTION: &str = "resend_confirmation_code";

fn exists_message(kind: AliasKind) -> String {
    format!("An account with the given {} already exists.", kind.attribute())
}

/// Where a sign-up code goes: the phone first when both are auto-verified, as Cognito does.
fn code_target(pool: &UserPool, attributes: &Attributes) -> Option<(AliasKind, Medium, String)> {
    let auto = &pool.settings.auto_verified_attributes;
    [(AliasKind::PhoneNumber, Medium::Sms), (AliasKind::Email, Medium::Email)].into_iter().find_map(|(kind, medium)| {
        let value = attributes.get(kind.attribute())?;
        auto.contains(&kind).then(|| (kind, medium, value.clone()))
    })
}

/// The username a new user gets and the aliases its username attributes claim. In pools
/// whose email or phone number is the sign-in name, the username is the sub.
pub(crate) fn plan_username(
    settings: &crate::pool::PoolSettings,
    requested: &str,
    attrs: &mut Attributes,
    sub: &str,
) -> Result<(String, Vec<AliasClaim>)> {
    let mut aliases = Vec::new();
    if settings.username_attributes.is_empty() {
        for kind in &settings.alias_attributes {
            let looks_like = match kind {
                AliasKind::Email => attributes::is_email(requested),
                AliasKind::PhoneNumber => attributes::is_phone(requested),
                AliasKind::PreferredUsername => false,
            };
            if looks_like {
                return Err(DomainError::invalid(format!(
                    "Username cannot be of {} format, since user pool is configured for {} alias.",
                    kind.attribute(),
                    kind.attribute()
                )));
            }
        }
        return Ok((requested.to_string(), aliases));
    }
    let kind = if attributes::is_email(requested) && settings.username_attributes.contains(&AliasKind::Email) {
        AliasKind::Email
    } else if attributes::is_phone(requested) && settings.username_attributes.contains(&AliasKind::PhoneNumber) {
        AliasKind::PhoneNumber
    } else {
        return Err(DomainError::invalid(match settings.username_attributes.as_slice() {
            [AliasKind::Email] => "Username should be an email.",
            [AliasKind::PhoneNumber] => "Username should be a phone number.",
            _ => "Username should be either an email or a phone number.",
        }));
    };
    attrs.insert(kind.attribute().into(), requested.to_string());
    for k in &settings.username_attributes {
        if let Some(v) = attrs.get(k.attribute()) {
            aliases.push(AliasClaim { kind: *k, value_key: settings.alias_key(*k, v), force: false });
        }
    }
    Ok((sub.to_string(), aliases))
}

/// The answer to a refused new user: the username, or an alias that serves as the username
/// (`UsernameAttributes`), is taken; `None` for any other conflict.
pub(crate) fn exists_error(
    settings: &crate::pool::PoolSettings,
    conflict: Conflict,
    taken: &str,
) -> Option<DomainError> {
    match conflict {
        Conflict::Username => Some(DomainError::UsernameExists(taken.into())),
        Conflict::Alias(kind) if settings.username_attributes.contains(&kind) => {
            Some(DomainError::UsernameExists(exists_message(kind)))
        }
        _ => None,
    }
}

/// An alias (not serving as the username) that another user already holds.
pub(crate) fn alias_exists(kind: AliasKind) -> DomainError {
    DomainError::AliasExists(format!("An account with the {} already exists.", kind.attribute()))
}

impl Cognate {
    pub async fn sign_up(&self, req: SignUpRequest) -> Result<SignUpResult> {
        let (client, pool) = self.client_and_pool(&req.client_id).await?;
        Self::check_secret_hash(&client, req.secret_hash.as_deref(), &[&req.username])?;
        let settings = &pool.settings;
        if settings.allow_admin_create_user_only {
            return Err(DomainError::not_authorized("SignUp is not permitted for this user pool"));
        }
        if let Some(allowed) = &client.settings.write_attributes {
            if let Some((name, _)) = req.attributes.iter().find(|(n, _)| !allowed.contains(n)) {
                return Err(DomainError::not_authorized(format!(
                    "A client attempted to write unauthorized attribute {name}"
                )));
            }
        }
        attributes::validate_supplied(settings, &req.attributes)?;
        let mut attrs: Attributes = req.attributes.iter().cloned().collect();
        for verified in ["email_verified", "phone_number_verified"] {
            attrs.remove(verified);
        }

        let sub = ids::new_uuid(self.rng.as_ref());
        let (username, mut aliases) = plan_username(settings, &req.username, &mut attrs, &sub)?;
        attrs.insert("sub".into(), sub.clone());
        attributes::check_required(settings, &attrs)?;

        let Some(password) = req.password.as_deref().filter(|p| !p.is_empty()) else {
            return Err(DomainError::invalid("1 validation error detected: Value at 'password' failed to satisfy constraint: Member must not be null"));
        };
        password::check(&settings.password_policy, password)?;

        let mut status = UserStatus::Unconfirmed;
        let mut supplied = attrs.clone();
        supplied.remove("sub");
        let request = TriggerRequest {
            user_attributes: supplied,
            validation_data: req.validation_data.clone(),
            client_metadata: req.client_metadata.clone(),
            ..Default::default()
        };
        let presignup = self
            .trigger(&pool, TriggerKind::PreSignUp, "PreSignUp_SignUp", &username, Some(&client.client_id), request)
            .await?;
        if let Some(answer) = presignup {
            for (wanted, kind) in
                [(answer.auto_verify_email, AliasKind::Email), (answer.auto_verify_phone, AliasKind::PhoneNumber)]
            {
                if !wanted {
                    continue;
                }
                let Some(value) = attrs.get(kind.attribute()).cloned() else {
                    return Err(DomainError::InvalidLambdaResponse(format!(
                        "Invalid lambda function output : cannot auto-verify {} because the user has none",
                        kind.attribute()
                    )));
                };
                if let Some(flag) = kind.verified_attribute() {
                    attrs.insert(flag.into(), "true".into());
                }
                // An auto-verified alias moves from whoever held it, as Cognito documents.
                if settings.alias_attributes.contains(&kind) {
                    aliases.push(AliasClaim { kind, value_key: settings.alias_key(kind, &value), force: true });
                }
            }
            if answer.auto_confirm_user {
                status = UserStatus::Confirmed;
            }
        }
        let (password_hash, verifier) = self.password_record(&pool.id, &username, password).await?;

        let now = self.clock.now();
        let user = User {
            pool_id: pool.id.clone(),
            username: username.clone(),
            sub: sub.clone(),
            status,
            enabled: true,
            attributes: attrs,
            password_hash: Some(password_hash),
            srp_verifier: Some(verifier),
            password_set: now,
            created: now,
            modified: now,
            mfa: Default::default(),
        };
        let target = if status == UserStatus::Confirmed { None } else { code_target(&pool, &user.attributes) };
        let issued = target.as_ref().map(|(kind, ..)| {
            codes::issue(
                self.rng.as_ref(),
                &pool.id,
                &sub,
                SIGNUP,
                Some(kind.attribute()),
                now,
                self.config.signup_code_ttl,
            )
        });
        let message = match (&target, &issued) {
            (Some((_, medium, to)), Some(code)) => Some(
                self.render_code_message(
                    &pool,
                    &user,
                    *medium,
                    to,
                    "SignUp",
                    &code.value,
                    Some(&client.client_id),
                    &req.client_metadata,
                )
                .await?,
            ),
            _ => None,
        };
        let new_user = NewUser { username_key: settings.username_key(&username), aliases, user };
        let outbox_id =
            match self.store.create_user(&new_user, issued.as_ref().map(|c| &c.stored), message.as_ref()).await {
                Ok(id) => id,
                Err(StoreError::Conflict(conflict)) => {
                    return Err(exists_error(settings, conflict, "User already exists")
                        .unwrap_or_else(|| DomainError::UsernameExists("User already exists".into())))
                }
                Err(e) => return Err(e.into()),
            };
        if let Some(message) = &message {
            if let Err(e) = self.dispatch(outbox_id, message).await {
                // Nothing half-created: a user whose code never left is removed again.
                self.store.delete_user(&pool.id, &sub).await?;
                return Err(e);
            }
        }
        Ok(SignUpResult {
            confirmed: status == UserStatus::Confirmed,
            sub,
            delivery: target.map(|(kind, medium, to)| delivery_details(kind, medium, &to)),
        })
    }

    /// A user for the unauthenticated code calls, with their error wording. `None` when the
    /// client hides user existence (`hide`) and the user is unknown or disabled: the caller
    /// then answers as it would for a real user's wrong input.
    pub(crate) async fn user_for_code(&self, pool: &UserPool, username: &str, hide: bool) -> Result<Option<User>> {
        match self.find_user(pool, username).await? {
            Some(user) if user.enabled || !hide => Ok(Some(user)),
            _ if hide => Ok(None),
            _ => Err(DomainError::UserNotFound("Username/client id combination not found.".into())),
        }
    }

    pub(crate) async fn count_attempt(&self, pool: &UserPool, user: &User, action: &str, limit: u32) -> Result<()> {
        let n = self.store.bump_attempts(&pool.id, Subject::User(&user.sub), action, self.clock.now(), HOUR).await?;
        within(n, limit)
    }

    /// `count_attempt` for a name the client may not learn is unknown (or disabled): it
    /// reaches the limit after as many calls as a real user would.
    pub(crate) async fn count_hidden_attempt(
        &self,
        pool: &UserPool,
        name: &str,
        action: &str,
        limit: u32,
    ) -> Result<()> {
        let key = pool.settings.username_key(name);
        let n = self.store.bump_attempts(&pool.id, Subject::Name(&key), action, self.clock.now(), HOUR).await?;
        within(n, limit)
    }

    pub async fn confirm_sign_up(
        &self,
        client_id: &str,
        secret_hash: Option<&str>,
        username: &str,
        code: &str,
        force_alias_creation: bool,
        client_metadata: Metadata,
    ) -> Result<User> {
        let (client, pool) = self.client_and_pool(client_id).await?;
        Self::check_secret_hash(&client, secret_hash, &[username])?;
        let hide = client.settings.prevents_user_existence_errors();
        let Some(user) = self.user_for_code(&pool, username, hide).await? else {
            self.count_hidden_attempt(&pool, username, CONFIRM_ACTION, self.config.confirm_attempts_per_hour).await?;
            return Err(DomainError::CodeMismatch("Invalid verification code provided, please try again.".into()));
        };
        self.count_attempt(&pool, &user, CONFIRM_ACTION, self.config.confirm_attempts_per_hour).await?;
        if user.status != UserStatus::Unconfirmed {
            return Err(DomainError::not_authorized(format!(
                "User cannot be confirmed. Current status is {}",
                user.status.as_str()
            )));
        }
        let now = self.clock.now();
        let stored =
            self.store.get_code(&pool.id, &user.sub, SIGNUP).await?.ok_or_else(|| {
                DomainError::ExpiredCode("Invalid code provided, please request a code again.".into())
            })?;
        match codes::check(&stored, code, now) {
            CodeCheck::Mismatch => {
                return Err(DomainError::CodeMismatch("Invalid verification code provided, please try again.".into()))
            }
            CodeCheck::Expired => {
                return Err(DomainError::ExpiredCode("Invalid code provided, please request a code again.".into()))
            }
            CodeCheck::Valid => {}
        }
        let verified = stored.attribute.as_deref().and_then(AliasKind::parse);
        self.confirm(&pool, user, verified, force_alias_creation, now, Some(client_id), client_metadata).await
    }

    pub async fn admin_confirm_sign_up(
        &self,
        pool_id: &str,
        username: &str,
        client_metadata: Metadata,
    ) -> Result<User> {
        let pool = self.pool(pool_id).await?;
        let user = self.require_user(&pool, username).await?;
        if user.status != UserStatus::Unconfirmed {
            return Err(DomainError::not_authorized(format!(
                "User cannot be confirmed. Current status is {}",
                user.status.as_str()
            )));
        }
        let now = self.clock.now();
        self.confirm(&pool, user, None, false, now, None, client_metadata).await
    }

    /// UNCONFIRMED → CONFIRMED, verifying `verified` and claiming the aliases that brings.
    #[allow(clippy::too_many_arguments)]
    async fn confirm(
        &self,
        pool: &UserPool,
        mut user: User,
        verified: Option<AliasKind>,
        force: bool,
        now: Timestamp,
        client_id: Option<&str>,
        client_metadata: Metadata,
    ) -> Result<User> {
        let settings = &pool.settings;
        let mut set_attributes = Vec::new();
        let mut claims = Vec::new();
        if let Some(kind) = verified {
            if let Some(flag) = kind.verified_attribute() {
                set_attributes.push((flag.to_string(), "true".to_string()));
            }
            if settings.alias_attributes.contains(&kind) {
                if let Some(value) = user.attribute(kind.attribute()) {
                    claims.push(AliasClaim { kind, value_key: settings.alias_key(kind, value), force });
                }
            }
        }
        if settings.alias_attributes.contains(&AliasKind::PreferredUsername) {
            if let Some(value) = user.attribute("preferred_username") {
                let value_key = settings.alias_key(AliasKind::PreferredUsername, value);
                claims.push(AliasClaim { kind: AliasKind::PreferredUsername, value_key, force: false });
            }
        }
        let confirmation = Confirmation {
            pool_id: pool.id.clone(),
            sub: user.sub.clone(),
            expected: UserStatus::Unconfirmed,
            new_status: UserStatus::Confirmed,
            set_attributes: set_attributes.clone(),
            claims,
            now,
        };
        match self.store.confirm_user(&confirmation).await {
            Ok(()) => {}
            Err(StoreError::Conflict(Conflict::Status)) => {
                return Err(DomainError::not_authorized("User cannot be confirmed. Current status is CONFIRMED"))
            }
            Err(StoreError::Conflict(Conflict::Alias(kind))) => return Err(alias_exists(kind)),
            Err(e) => return Err(e.into()),
        }
        user.status = UserStatus::Confirmed;
        user.attributes.extend(set_attributes);
        user.modified = now;
        // The user stays confirmed even when the function fails, as on Cognito.
        let request =
            TriggerRequest { user_attributes: event_attributes(&user), client_metadata, ..Default::default() };
        let source = "PostConfirmation_ConfirmSignUp";
        self.trigger(pool, TriggerKind::PostConfirmation, source, &user.username, client_id, request).await?;
        Ok(user)
    }

    pub async fn resend_confirmation_code(
        &self,
        client_id: &str,
        secret_hash: Option<&str>,
        username: &str,
        client_metadata: Metadata,
    ) -> Result<CodeDelivery> {
        let (client, pool) = self.client_and_pool(client_id).await?;
        Self::check_secret_hash(&client, secret_hash, &[username])?;
        let hide = client.settings.prevents_user_existence_errors();
        let Some(user) = self.user_for_code(&pool, username, hide).await? else {
            self.count_hidden_attempt(&pool, username, RESEND_ACTION, self.config.resend_per_hour).await?;
            return Ok(super::recovery::simulated_delivery(username));
        };
        if user.status != UserStatus::Unconfirmed {
            return Err(DomainError::invalid("User is already confirmed."));
        }
        self.count_attempt(&pool, &user, RESEND_ACTION, self.config.resend_per_hour).await?;
        let Some((kind, medium, to)) = code_target(&pool, &user.attributes) else {
            return Err(DomainError::invalid("Cannot resend codes. Auto verification not turned on."));
        };
        let now = self.clock.now();
        let issued = codes::issue(
            self.rng.as_ref(),
            &pool.id,
            &user.sub,
            SIGNUP,
            Some(kind.attribute()),
            now,
            self.config.signup_code_ttl,
        );
        let message = self
            .render_code_message(
                &pool,
                &user,
                medium,
                &to,
                "ResendCode",
                &issued.value,
                Some(client_id),
                &client_metadata,
            )
            .await?;
        let outbox_id = self.store.replace_code(&issued.stored, Some(&message)).await?;
        self.dispatch(outbox_id, &message).await?;
        Ok(delivery_details(kind, medium, &to))
    }
}

/// The `n`th attempt in the hour, against its limit.
fn within(n: u32, limit: u32) -> Result<()> {
    if n > limit {
        return Err(DomainError::attempt_limit());
    }
    Ok(())
}
