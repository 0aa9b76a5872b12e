//! Second factors as configured: the pool's (`SetUserPoolMfaConfig`), a user's choice
//! (`SetUserMFAPreference`) and authenticator apps (`AssociateSoftwareToken`,
//! `VerifySoftwareToken`), by access token or inside an MFA_SETUP challenge.

use super::state::{invalid_session, Open, Step};
use super::Cognate;
use crate::error::{DomainError, Result};
use crate::pool::{MfaConfig, MfaMode, UserPool};
use crate::signin::ChallengeName;
use crate::totp;
use crate::user::{MfaChoice, MfaFactor, TotpToken, User, UserUpdate};

/// One factor's part of `SetUserMFAPreference`; `None` members leave it as it is.
#[derive(Debug, Clone, Copy, Default)]
pub struct FactorSetting {
    pub enabled: Option<bool>,
    pub preferred: Option<bool>,
}

/// `SetUserMFAPreference`: the factors it names, the others untouched.
#[derive(Debug, Clone, Default)]
pub struct MfaPreference {
    pub sms: Option<FactorSetting>,
    pub software_token: Option<FactorSetting>,
    pub email: Option<FactorSetting>,
}

/// Who `AssociateSoftwareToken` / `VerifySoftwareToken` act for: a signed-in user, or the
/// user of an MFA_SETUP challenge.
pub enum TokenHolder {
    User(Box<User>),
    Session(String),
}

fn no_token_mfa() -> DomainError {
    DomainError::SoftwareTokenMfaNotFound("Software Token MFA has not been enabled by the userPool.".into())
}

impl Cognate {
    /// `SetUserPoolMfaConfig`: the whole configuration is replaced, as on Cognito.
    pub async fn set_pool_mfa_config(
        &self,
        pool_id: &str,
        config: MfaConfig,
        sms_message: Option<String>,
    ) -> Result<UserPool> {
        let mut pool = self.pool(pool_id).await?;
        let factors = config.factors();
        match config.mode {
            MfaMode::Off if !factors.is_empty() => {
                return Err(DomainError::invalid(
                    "Invalid MFA configuration given, can't turn off MFA and configure an MFA together.",
                ))
            }
            MfaMode::On | MfaMode::Optional if factors.is_empty() => {
                return Err(DomainError::invalid(
                    "Invalid MFA Configuration given. SMS MFA, Email MFA, or Software Token MFA must be enabled.",
                ))
            }
            _ => {}
        }
        if config.sms {
            pool.settings.templates.sms_authentication_message = sms_message;
        }
        pool.settings.mfa = config;
        super::pools::check_sign_in_policy(&pool.settings)?;
        pool.modified = self.clock.now();
        self.store.update_pool(&pool).await?;
        Ok(pool)
    }

    /// `SetUserMFAPreference` / `AdminSetUserMFAPreference`.
    pub async fn set_user_mfa_preference(&self, user: &User, preference: &MfaPreference) -> Result<()> {
        let mut choice: MfaChoice = user.mfa.choice.clone();
        let named = [
            (MfaFactor::Sms, preference.sms),
            (MfaFactor::SoftwareToken, preference.software_token),
            (MfaFactor::Email, preference.email),
        ];
        for (factor, setting) in named {
            let Some(setting) = setting else { continue };
            if setting.enabled == Some(false) && setting.preferred == Some(true) {
                return Err(DomainError::invalid(format!(
                    "{} cannot be the preferred MFA method while it is disabled.",
                    factor.as_str()
                )));
            }
            let enabled = setting.enabled.unwrap_or(setting.preferred == Some(true));
            if enabled {
                let deliverable = match factor {
                    MfaFactor::Sms => user.attribute("phone_number").is_some(),
                    MfaFactor::Email => user.attribute("email").is_some(),
                    MfaFactor::SoftwareToken => user.mfa.totp.is_some(),
                };
                if !deliverable {
                    return Err(DomainError::invalid(format!(
                        "User does not have delivery config set to turn on {}",
                        factor.as_str()
                    )));
                }
                if !choice.enabled.contains(&factor) {
                    choice.enabled.push(factor);
                    choice.enabled.sort();
                }
            } else {
                choice.enabled.retain(|f| *f != factor);
            }
            let preferred_now = choice.preferred == Some(factor);
            match setting.preferred {
                Some(true) => choice.preferred = Some(factor),
                Some(false) if preferred_now => choice.preferred = None,
                _ if !enabled && preferred_now => choice.preferred = None,
                _ => {}
            }
        }
        let update = UserUpdate { mfa_choice: Some(choice), ..Default::default() };
        self.store.update_user(&user.pool_id, &user.sub, &update, self.clock.now()).await?;
        Ok(())
    }

    pub async fn admin_set_user_mfa_preference(
        &self,
        pool_id: &str,
        username: &str,
        preference: &MfaPreference,
    ) -> Result<()> {
        let pool = self.pool(pool_id).await?;
        let user = self.require_user(&pool, username).await?;
        self.set_user_mfa_preference(&user, preference).await
    }

    /// `AdminDeleteSoftwareToken`: the app, a pending one and the factor go.
    pub async fn admin_delete_software_token(&self, pool_id: &str, username: &str) -> Result<()> {
        let pool = self.pool(pool_id).await?;
        let user = self.require_user(&pool, username).await?;
        let mut choice = user.mfa.choice.clone();
        choice.enabled.retain(|f| *f != MfaFactor::SoftwareToken);
        if choice.preferred == Some(MfaFactor::SoftwareToken) {
            choice.preferred = None;
        }
        let update =
            UserUpdate { totp: Some(None), totp_pending: Some(None), mfa_choice: Some(choice), ..Default::default() };
        self.store.update_user(&pool.id, &user.sub, &update, self.clock.now()).await?;
        Ok(())
    }

    /// The user and pool behind a token holder, and the MFA_SETUP session if it is one (spent).
    async fn holder(&self, holder: TokenHolder) -> Result<(User, UserPool, Option<Open>)> {
        match holder {
            TokenHolder::User(user) => {
                let pool = self.pool(&user.pool_id).await?;
                Ok((*user, pool, None))
            }
            TokenHolder::Session(token) => {
                let open = self.session_for(&token, ChallengeName::MfaSetup).await?;
                let pool = self.pool(&open.row.pool_id).await?;
                let user = self.session_user(&open).await?;
                self.spend_session(&open).await?;
                Ok((user, pool, Some(open)))
            }
        }
    }

    /// The next MFA_SETUP session after `open`, for the same client and sign-in.
    async fn next_setup_session(&self, open: &Open, pool: &UserPool, user: &User, verified: bool) -> Result<String> {
        let Step::MfaSetup { proof, .. } = open.step.clone() else { return Err(invalid_session()) };
        let client = self.client_in_pool(&pool.id, &open.row.client_id).await?;
        let step = Step::MfaSetup { proof, verified };
        self.open_session(&client, pool, Some(user), &user.username, &step).await
    }

    /// `AssociateSoftwareToken`: a new secret, waiting for its first code. Returns the secret
    /// in base32 and, inside an MFA_SETUP challenge, the session for the next step.
    pub async fn associate_software_token(&self, holder: TokenHolder) -> Result<(String, Option<String>)> {
        let (user, pool, open) = self.holder(holder).await?;
        if !pool.settings.mfa.software_token {
            return Err(no_token_mfa());
        }
        let secret = totp::base32(&totp::new_secret(self.rng.as_ref()));
        let update = UserUpdate { totp_pending: Some(Some(self.sealer.seal(secret.as_bytes()))), ..Default::default() };
        self.store.update_user(&pool.id, &user.sub, &update, self.clock.now()).await?;
        let session = match &open {
            Some(open) => Some(self.next_setup_session(open, &pool, &user, false).await?),
            None => None,
        };
        Ok((secret, session))
    }

    /// `VerifySoftwareToken`: the pending secret becomes the user's app once a code of it
    /// matches. Inside MFA_SETUP the app is also turned on (and preferred if nothing is), and
    /// the returned session answers the challenge.
    pub async fn verify_software_token(
        &self,
        holder: TokenHolder,
        code: &str,
        friendly_name: Option<String>,
    ) -> Result<Option<String>> {
        let (user, pool, open) = self.holder(holder).await?;
        let pending = user.mfa.totp_pending.clone();
        let secret = pending
            .as_deref()
            .and_then(|sealed| self.sealer.open(sealed))
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|b32| totp::unbase32(&b32));
        let (Some(sealed), Some(secret)) = (pending, secret) else {
            if let Some(open) = &open {
                self.reopen_session(open, &open.step).await?;
            }
            return Err(DomainError::SoftwareTokenMfaNotFound(
                "No software token is associated with the user: call AssociateSoftwareToken first.".into(),
            ));
        };
        let Some(step) = totp::matching_step(&secret, code, self.clock.now()) else {
            if let Some(open) = &open {
                self.reopen_session(open, &open.step).await?;
            }
            return Err(DomainError::EnableSoftwareTokenMfa("Code mismatch and fail enable Software Token MFA".into()));
        };
        let mut update = UserUpdate {
            totp: Some(Some(TotpToken { secret: sealed, name: friendly_name, last_step: step })),
            totp_pending: Some(None),
            ..Default::default()
        };
        if open.is_some() {
            let mut choice = user.mfa.choice.clone();
            if !choice.is_enabled(MfaFactor::SoftwareToken) {
                choice.enabled.push(MfaFactor::SoftwareToken);
                choice.enabled.sort();
            }
            choice.preferred = choice.preferred.or(Some(MfaFactor::SoftwareToken));
            update.mfa_choice = Some(choice);
        }
        self.store.update_user(&pool.id, &user.sub, &update, self.clock.now()).await?;
        match &open {
            Some(open) => Ok(Some(self.next_setup_session(open, &pool, &user, true).await?)),
            None => Ok(None),
        }
    }
}
