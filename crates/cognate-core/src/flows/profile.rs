//! Changing a user's attributes and verifying email / phone number:
//!
//! ```text
//! UpdateUserAttributes(email=new) ──► email=new, email_verified=false, code to new ──VerifyUserAttribute──► verified
//!   with UserAttributeUpdateSettings: email stays old (and verified) until the code for new is entered
//! GetUserAttributeVerificationCode ──► code to the current value ──VerifyUserAttribute──► verified
//! ```
//!
//! An email or phone alias only signs in while verified, so a change releases the alias and
//! verification claims it again; in pools whose email *is* the username the value stays
//! unique even unverified.

use super::messages::{delivery_details, CodeDelivery};
use super::Cognate;
use crate::attributes;
use crate::codes::{self, CodeCheck};
use crate::error::{Conflict, DomainError, Result, StoreError};
use crate::pool::UserPool;
use crate::ports::AttributeChange;
use crate::triggers::Metadata;
use crate::user::{AliasClaim, AliasKind, Medium, OutboxMessage, StoredCode, User};

const GET_CODE_ACTION: &str = "get_user_attribute_verification_code";
const VERIFY_ACTION: &str = "verify_user_attribute";

/// Who is changing the attributes: the user (through an access token) or an administrator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Editor {
    User,
    Admin,
}

fn verify_purpose(kind: AliasKind) -> String {
    format!("verify:{}", kind.attribute())
}

fn medium(kind: AliasKind) -> Medium {
    if kind == AliasKind::PhoneNumber {
        Medium::Sms
    } else {
        Medium::Email
    }
}

fn contact(name: &str) -> Option<AliasKind> {
    match name {
        "email" => Some(AliasKind::Email),
        "phone_number" => Some(AliasKind::PhoneNumber),
        _ => None,
    }
}

fn alias_conflict(e: StoreError) -> DomainError {
    match e {
        StoreError::Conflict(Conflict::Alias(kind)) => {
            DomainError::AliasExists(format!("An account with the given {} already exists.", kind.attribute()))
        }
        other => other.into(),
    }
}

impl Cognate {
    /// UpdateUserAttributes / AdminUpdateUserAttributes. Returns where codes went.
    pub async fn update_user_attributes(
        &self,
        user: &User,
        supplied: Vec<(String, String)>,
        editor: Editor,
        client_id: Option<&str>,
        client_metadata: Metadata,
    ) -> Result<Vec<CodeDelivery>> {
        let pool = self.pool(&user.pool_id).await?;
        let settings = &pool.settings;
        self.check_edit(&pool, editor, client_id, &supplied).await?;
        let now = self.clock.now();
        let mut change = AttributeChange { pool_id: pool.id.clone(), sub: user.sub.clone(), now, ..Default::default() };
        let mut deliveries = Vec::new();
        let given = |name: &str| supplied.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str());
        for (name, value) in &supplied {
            if name.ends_with("_verified") {
                continue;
            }
            let Some(kind) = contact(name) else {
                if name == "preferred_username" && settings.alias_attributes.contains(&AliasKind::PreferredUsername) {
                    change.releases.push(AliasKind::PreferredUsername);
                    let value_key = settings.alias_key(AliasKind::PreferredUsername, value);
                    change.claims.push(AliasClaim { kind: AliasKind::PreferredUsername, value_key, force: false });
                }
                change.set.push((name.clone(), value.clone()));
                continue;
            };
            let flag = kind.verified_attribute().unwrap_or_default();
            let vouched = editor == Editor::Admin && given(flag) == Some("true");
            if user.attribute(name) == Some(value.as_str()) {
                continue;
            }
            let is_username = settings.username_attributes.contains(&kind);
            let is_alias = settings.alias_attributes.contains(&kind);
            let verify = settings.auto_verified_attributes.contains(&kind) && !vouched;
            if verify && settings.verify_before_update.contains(&kind) && user.attribute(name).is_some() {
                // The old value stays (verified, usable) until the new one's code comes back.
                let (code, message, delivery) = self
                    .verification_code(&pool, user, kind, value, "UpdateUserAttribute", client_id, &client_metadata)
                    .await?;
                change.codes.push(code);
                change.messages.push(message);
                deliveries.push(delivery);
                continue;
            }
            change.set.push((name.clone(), value.clone()));
            change.set.push((flag.to_string(), vouched.to_string()));
            // A code sent for the old value must not verify the new one.
            change.spend_codes.push(verify_purpose(kind));
            if is_username || is_alias {
                change.releases.push(kind);
            }
            if is_username || (is_alias && vouched) {
                change.claims.push(AliasClaim { kind, value_key: settings.alias_key(kind, value), force: false });
            }
            if verify {
                let mut updated = user.clone();
                updated.attributes.insert(name.clone(), value.clone());
                let (code, message, delivery) = self
                    .verification_code(&pool, &updated, kind, value, "UpdateUserAttribute", client_id, &client_metadata)
                    .await?;
                change.codes.push(code);
                change.messages.push(message);
                deliveries.push(delivery);
            }
        }
        // An administrator may (un)verify a value without changing it.
        for kind in [AliasKind::Email, AliasKind::PhoneNumber] {
            let flag = kind.verified_attribute().unwrap_or_default();
            let (Some(wanted), Editor::Admin) = (given(flag), editor) else { continue };
            if given(kind.attribute()).is_some_and(|v| user.attribute(kind.attribute()) != Some(v)) {
                continue;
            }
            change.set.push((flag.to_string(), wanted.to_string()));
            if let (true, Some(value)) = (settings.alias_attributes.contains(&kind), user.attribute(kind.attribute())) {
                change.releases.push(kind);
                if wanted == "true" {
                    change.claims.push(AliasClaim { kind, value_key: settings.alias_key(kind, value), force: false });
                }
            }
        }
        let ids = self.store.change_attributes(&change).await.map_err(alias_conflict)?;
        for (id, message) in ids.into_iter().zip(change.messages.iter()) {
            self.dispatch(Some(id), message).await?;
        }
        Ok(deliveries)
    }

    /// What an editor may change: known, well-formed, mutable attributes; users also not the
    /// `*_verified` flags nor attributes outside their app client's `WriteAttributes`.
    pub(crate) async fn check_edit(
        &self,
        pool: &UserPool,
        editor: Editor,
        client_id: Option<&str>,
        supplied: &[(String, String)],
    ) -> Result<()> {
        let settings = &pool.settings;
        attributes::validate_supplied(settings, supplied)?;
        for (name, _) in supplied {
            if editor == Editor::User && (name == "email_verified" || name == "phone_number_verified") {
                return Err(DomainError::not_authorized("A client attempted to write unauthorized attribute"));
            }
            if settings.custom_attribute(name).is_some_and(|s| !s.mutable) {
                return Err(DomainError::invalid(format!(
                    "Attributes did not conform to the schema: {name}: Attribute cannot be updated. (changing an immutable attribute)"
                )));
            }
        }
        if let (Editor::User, Some(client_id)) = (editor, client_id) {
            self.check_client_may_write(client_id, supplied).await?;
        }
        Ok(())
    }

    /// A verification code for `value` (which it names, so it verifies nothing else), the
    /// message that carries it to `value`, and where it goes. Nothing is stored yet.
    #[allow(clippy::too_many_arguments)]
    async fn verification_code(
        &self,
        pool: &UserPool,
        user: &User,
        kind: AliasKind,
        value: &str,
        message_kind: &str,
        client_id: Option<&str>,
        client_metadata: &Metadata,
    ) -> Result<(StoredCode, OutboxMessage, CodeDelivery)> {
        let now = self.clock.now();
        let ttl = self.config.signup_code_ttl;
        let purpose = verify_purpose(kind);
        let mut issued =
            codes::issue(self.rng.as_ref(), &pool.id, &user.sub, &purpose, Some(kind.attribute()), now, ttl);
        issued.stored.pending = Some(value.to_string());
        let medium = medium(kind);
        let message = self
            .render_code_message(pool, user, medium, value, message_kind, &issued.value, client_id, client_metadata)
            .await?;
        Ok((issued.stored, message, delivery_details(kind, medium, value)))
    }

    async fn check_client_may_write(&self, client_id: &str, supplied: &[(String, String)]) -> Result<()> {
        let Some(client) = self.store.get_client(client_id).await? else { return Ok(()) };
        if let Some(allowed) = &client.settings.write_attributes {
            if supplied.iter().any(|(n, _)| !allowed.contains(n)) {
                return Err(DomainError::not_authorized("A client attempted to write unauthorized attribute"));
            }
        }
        Ok(())
    }

    /// DeleteUserAttributes / AdminDeleteUserAttributes.
    pub async fn delete_user_attributes(&self, user: &User, names: &[String]) -> Result<()> {
        let pool = self.pool(&user.pool_id).await?;
        let settings = &pool.settings;
        let mut change = AttributeChange {
            pool_id: pool.id.clone(),
            sub: user.sub.clone(),
            now: self.clock.now(),
            ..Default::default()
        };
        for name in names {
            let is_username = contact(name).is_some_and(|k| settings.username_attributes.contains(&k));
            if name == "sub" || is_username || settings.schema.iter().any(|s| &s.name == name && s.required) {
                return Err(DomainError::invalid(format!(
                    "Attributes did not conform to the schema: {name}: The attribute is required"
                )));
            }
            if !attributes::is_standard(name) && settings.custom_attribute(name).is_none() {
                return Err(DomainError::invalid(format!(
                    "Attributes did not conform to the schema: Type for attribute {{{name}}} could not be determined"
                )));
            }
            change.remove.push(name.clone());
            if let Some(kind) = contact(name).or((name == "preferred_username").then_some(AliasKind::PreferredUsername))
            {
                if let Some(flag) = kind.verified_attribute() {
                    change.remove.push(flag.to_string());
                }
                change.releases.push(kind);
                change.spend_codes.push(verify_purpose(kind));
            }
        }
        self.store.change_attributes(&change).await.map_err(alias_conflict)?;
        Ok(())
    }

    /// GetUserAttributeVerificationCode: a code to the current value, or to the value
    /// waiting for verification if there is one.
    pub async fn get_user_attribute_verification_code(
        &self,
        user: &User,
        attribute: &str,
        client_id: Option<&str>,
        client_metadata: Metadata,
    ) -> Result<CodeDelivery> {
        let pool = self.pool(&user.pool_id).await?;
        let kind =
            contact(attribute).ok_or_else(|| DomainError::invalid(format!("Invalid attribute name: {attribute}")))?;
        let purpose = verify_purpose(kind);
        // Where the pool keeps the old value, a value waiting for verification gets the code.
        let pending = match pool.settings.verify_before_update.contains(&kind) {
            true => self.store.get_code(&pool.id, &user.sub, &purpose).await?.and_then(|c| c.pending),
            false => None,
        };
        let Some(to) = pending.clone().or_else(|| user.attribute(attribute).map(str::to_string)) else {
            return Err(DomainError::invalid(format!("User does not have the attribute {attribute}.")));
        };
        self.count_attempt(&pool, user, GET_CODE_ACTION, 5).await?;
        let (code, message, delivery) =
            self.verification_code(&pool, user, kind, &to, "VerifyUserAttribute", client_id, &client_metadata).await?;
        let id = self.store.replace_code(&code, Some(&message)).await?;
        self.dispatch(id, &message).await?;
        Ok(delivery)
    }

    /// VerifyUserAttribute: the code marks the value verified (swapping in a waiting value)
    /// and makes it a sign-in alias where the pool has one.
    pub async fn verify_user_attribute(&self, user: &User, attribute: &str, code: &str) -> Result<()> {
        let pool = self.pool(&user.pool_id).await?;
        let kind =
            contact(attribute).ok_or_else(|| DomainError::invalid(format!("Invalid attribute name: {attribute}")))?;
        self.count_attempt(&pool, user, VERIFY_ACTION, 15).await?;
        let purpose = verify_purpose(kind);
        let expired = || DomainError::ExpiredCode("Invalid code provided, please request a code again.".into());
        let stored = self.store.get_code(&pool.id, &user.sub, &purpose).await?.ok_or_else(expired)?;
        match codes::check(&stored, code, self.clock.now()) {
            CodeCheck::Mismatch => {
                return Err(DomainError::CodeMismatch("Invalid verification code provided, please try again.".into()))
            }
            CodeCheck::Expired => return Err(expired()),
            CodeCheck::Valid => {}
        }
        // A code verifies the value it was sent to: the waiting value where the pool keeps the
        // old one until then, otherwise only while that is still the user's value.
        let Some(value) = stored.pending.clone() else { return Err(expired()) };
        let keeps_old = pool.settings.verify_before_update.contains(&kind);
        if !keeps_old && user.attribute(attribute) != Some(value.as_str()) {
            return Err(expired());
        }
        let change = self.verified_change(&pool, user, kind, &value, purpose);
        self.store.change_attributes(&change).await.map_err(|e| match e {
            StoreError::Conflict(Conflict::Alias(kind)) => {
                DomainError::AliasExists(format!("An account with the {} already exists.", kind.attribute()))
            }
            other => other.into(),
        })?;
        Ok(())
    }

    fn verified_change(
        &self,
        pool: &UserPool,
        user: &User,
        kind: AliasKind,
        value: &str,
        purpose: String,
    ) -> AttributeChange {
        let settings = &pool.settings;
        let mut change = AttributeChange {
            pool_id: pool.id.clone(),
            sub: user.sub.clone(),
            now: self.clock.now(),
            spend_codes: vec![purpose],
            ..Default::default()
        };
        change.set.push((kind.attribute().to_string(), value.to_string()));
        change.set.push((kind.verified_attribute().unwrap_or_default().to_string(), "true".into()));
        if settings.alias_attributes.contains(&kind) || settings.username_attributes.contains(&kind) {
            change.releases.push(kind);
            change.claims.push(AliasClaim { kind, value_key: settings.alias_key(kind, value), force: false });
        }
        change
    }
}
