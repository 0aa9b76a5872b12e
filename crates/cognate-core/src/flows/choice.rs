//! Choice-based sign-in (`USER_AUTH`): the user, or the app for them, picks the first factor
//! among those the pool allows and the user can use.
//!
//! ```text
//! InitiateAuth(USER_AUTH, USERNAME) ──► SELECT_CHALLENGE {AvailableChallenges}
//!     RespondToAuthChallenge(ANSWER=PASSWORD, PASSWORD) ──► tokens | MFA challenge
//!     RespondToAuthChallenge(ANSWER=PASSWORD_SRP, SRP_A) ──► PASSWORD_VERIFIER
//!     RespondToAuthChallenge(ANSWER=EMAIL_OTP | SMS_OTP) ──► EMAIL_OTP | SMS_OTP ──► tokens
//! InitiateAuth(USER_AUTH, PREFERRED_CHALLENGE=…) ──► straight to that factor when offered
//! InitiateAuth(USER_AUTH, Session from ConfirmSignUp) ──► tokens (the sign-up code was the factor)
//! ```

use std::collections::BTreeMap;

use super::auth::{param, AuthOutcome, Challenge};
use super::state::{invalid_session, FirstFactor, Proof, Step, StepKind};
use super::Cognate;
use crate::client::AppClient;
use crate::error::{DomainError, Result};
use crate::pool::{FirstAuthFactor, MfaMode, UserPool};
use crate::signin::{AuthFlow, ChallengeName};
use crate::triggers::Metadata;
use crate::user::{AliasKind, MfaFactor, User};

/// The first factors USER_AUTH can answer a challenge for.
const FIRST_FACTORS: [ChallengeName; 5] = [
    ChallengeName::PasswordSrp,
    ChallengeName::Password,
    ChallengeName::EmailOtp,
    ChallengeName::SmsOtp,
    ChallengeName::WebAuthn,
];

/// The factors `user` can sign in with under `pool`'s sign-in policy, in Cognito's order.
pub(crate) fn first_factor_options(pool: &UserPool, user: &User, passkeys: bool) -> Vec<ChallengeName> {
    let mut out = Vec::new();
    if user.password_hash.is_some() {
        out.extend([ChallengeName::PasswordSrp, ChallengeName::Password]);
    }
    // A user who turned a second factor on signs in with a password, so that it can follow.
    if pool.settings.mfa.mode != MfaMode::Off && !user.mfa.choice.enabled.is_empty() {
        return out;
    }
    let settings = &pool.settings;
    if settings.allows_first_factor(FirstAuthFactor::EmailOtp) && user.is_verified(AliasKind::Email) {
        out.push(ChallengeName::EmailOtp);
    }
    if settings.allows_first_factor(FirstAuthFactor::SmsOtp) && user.is_verified(AliasKind::PhoneNumber) {
        out.push(ChallengeName::SmsOtp);
    }
    if passkeys {
        out.push(ChallengeName::WebAuthn);
    }
    out
}

/// `ConfiguredUserAuthFactors` of GetUserAuthFactors.
pub fn configured_auth_factors(pool: &UserPool, user: &User, passkeys: bool) -> Vec<FirstAuthFactor> {
    let mut out = Vec::new();
    if user.password_hash.is_some() {
        out.push(FirstAuthFactor::Password);
    }
    if pool.settings.allows_first_factor(FirstAuthFactor::EmailOtp) && user.is_verified(AliasKind::Email) {
        out.push(FirstAuthFactor::EmailOtp);
    }
    if pool.settings.allows_first_factor(FirstAuthFactor::SmsOtp) && user.is_verified(AliasKind::PhoneNumber) {
        out.push(FirstAuthFactor::SmsOtp);
    }
    if passkeys {
        out.push(FirstAuthFactor::WebAuthn);
    }
    out
}

impl Cognate {
    pub(crate) async fn user_auth(
        &self,
        client: AppClient,
        pool: UserPool,
        params: &BTreeMap<String, String>,
        session: Option<&str>,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        let username = param(params, "USERNAME")?;
        if let Some(token) = session.filter(|s| !s.is_empty()) {
            return self.signed_up_sign_in(client, pool, username, token, params, client_metadata).await;
        }
        let preferred = match params.get("PREFERRED_CHALLENGE").filter(|p| !p.is_empty()) {
            Some(p) => Some(
                ChallengeName::parse(p)
                    .filter(|c| FIRST_FACTORS.contains(c))
                    .ok_or_else(|| DomainError::invalid(format!("Invalid PREFERRED_CHALLENGE {p}")))?,
            ),
            None => None,
        };
        let user = self.find_user(&pool, username).await?;
        let names: Vec<&str> = match &user {
            Some(u) => vec![username, u.username.as_str()],
            None => vec![username],
        };
        Self::check_secret_hash(&client, params.get("SECRET_HASH").map(String::as_str), &names)?;
        let options = match &user {
            Some(u) if !u.enabled => return Err(DomainError::not_authorized("User is disabled.")),
            Some(u) => {
                // A user with second factors signs in with a password (see first_factor_options).
                let passkeys = self.has_passkeys(&pool, u).await?
                    && (pool.settings.mfa.mode == MfaMode::Off || u.mfa.choice.enabled.is_empty());
                first_factor_options(&pool, u, passkeys)
            }
            // Hidden users are offered what a user with a password is: nothing tells them apart.
            None if client.settings.prevents_user_existence_errors() => {
                vec![ChallengeName::PasswordSrp, ChallengeName::Password]
            }
            None => return Err(DomainError::user_not_found()),
        };
        if let Some(factor) = preferred.filter(|p| options.contains(p)) {
            let outcome =
                self.start_first_factor(client, pool, user, username, factor, params, client_metadata).await?;
            return Ok(with_available(outcome, &options));
        }
        let name = user.as_ref().map_or(username, |u| u.username.as_str()).to_string();
        let step = Step::SelectChallenge { options: options.clone() };
        let session = self.open_session(&client, &pool, user.as_ref(), &name, &step).await?;
        let challenge = Challenge {
            available: Some(options),
            ..Challenge::new(ChallengeName::SelectChallenge, BTreeMap::new(), session)
        };
        Ok(AuthOutcome::Challenge(challenge))
    }

    /// The chosen first factor: a password checked now, SRP's first step, or a code sent.
    #[allow(clippy::too_many_arguments)]
    async fn start_first_factor(
        &self,
        client: AppClient,
        pool: UserPool,
        user: Option<User>,
        typed: &str,
        factor: ChallengeName,
        params: &BTreeMap<String, String>,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        let mut forwarded = BTreeMap::from([("USERNAME".to_string(), typed.to_string())]);
        for carried in ["SECRET_HASH", "DEVICE_KEY"] {
            if let Some(value) = params.get(carried) {
                forwarded.insert(carried.into(), value.clone());
            }
        }
        match factor {
            ChallengeName::Password => {
                forwarded.insert("PASSWORD".into(), param(params, "PASSWORD")?.to_string());
                self.password_auth(client, pool, &forwarded, client_metadata, false).await
            }
            ChallengeName::PasswordSrp => {
                forwarded.insert("SRP_A".into(), param(params, "SRP_A")?.to_string());
                self.srp_start(client, pool, &forwarded).await
            }
            ChallengeName::EmailOtp | ChallengeName::SmsOtp => {
                let user = user.ok_or_else(invalid_session)?;
                self.pre_authentication(&pool, &user, &client.client_id, &client_metadata).await?;
                let (medium, first) = match factor {
                    ChallengeName::EmailOtp => (MfaFactor::Email, FirstFactor::EmailOtp),
                    _ => (MfaFactor::Sms, FirstFactor::SmsOtp),
                };
                let proof = Proof::first(first);
                let challenge = self.mfa_code_challenge(&client, &pool, &user, &client_metadata, proof, medium).await?;
                Ok(AuthOutcome::Challenge(challenge))
            }
            ChallengeName::WebAuthn => {
                let user = user.ok_or_else(invalid_session)?;
                self.pre_authentication(&pool, &user, &client.client_id, &client_metadata).await?;
                self.webauthn_challenge(&client, &pool, &user).await
            }
            other => Err(DomainError::invalid(format!("The {other} challenge is not available for this user."))),
        }
    }

    /// SELECT_CHALLENGE answered: with `ANSWER`, or by naming the factor as the challenge.
    pub(crate) async fn select_challenge_answer(
        &self,
        client: AppClient,
        pool: UserPool,
        answered: ChallengeName,
        token: Option<&str>,
        responses: &BTreeMap<String, String>,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        let open = self.answered_session(&client, token, ChallengeName::SelectChallenge, responses).await?;
        let Step::SelectChallenge { options } = open.step.clone() else { return Err(invalid_session()) };
        let factor = match answered {
            ChallengeName::SelectChallenge => {
                let answer = param(responses, "ANSWER")?;
                ChallengeName::parse(answer).ok_or_else(|| DomainError::invalid(format!("Invalid ANSWER {answer}")))?
            }
            named => named,
        };
        if !options.contains(&factor) {
            return Err(DomainError::invalid(format!("The {factor} challenge is not available for this user.")));
        }
        self.spend_session(&open).await?;
        let user = self.session_subject(&open).await?;
        let typed = open.row.username.clone();
        self.start_first_factor(client, pool, user, &typed, factor, responses, client_metadata).await
    }

    /// USER_AUTH with ConfirmSignUp's `Session`: the code that confirmed the user a moment ago
    /// is the first factor.
    async fn signed_up_sign_in(
        &self,
        client: AppClient,
        pool: UserPool,
        username: &str,
        token: &str,
        params: &BTreeMap<String, String>,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        let open = self.session(&client, token, StepKind::SignUp).await?;
        let user = self.session_user(&open).await?;
        let named = self.find_user(&pool, username).await?;
        if named.is_none_or(|n| n.sub != user.sub) {
            return Err(invalid_session());
        }
        Self::check_secret_hash(
            &client,
            params.get("SECRET_HASH").map(String::as_str),
            &[username, user.username.as_str()],
        )?;
        self.spend_session(&open).await?;
        self.first_factor_proven(client, pool, user, client_metadata, Proof::first(FirstFactor::SignUp)).await
    }

    /// The `Session` SignUp (for a user confirmed at once) and ConfirmSignUp return, for a
    /// client that may sign in with `USER_AUTH`.
    pub async fn session_after_sign_up(&self, client_id: &str, user: &User) -> Result<Option<String>> {
        let (client, pool) = self.client_and_pool(client_id).await?;
        if !client.settings.allows(AuthFlow::UserAuth) {
            return Ok(None);
        }
        let session = self.open_session(&client, &pool, Some(user), &user.username, &Step::SignedUp).await?;
        Ok(Some(session))
    }

    /// GetUserAuthFactors / AdminGetUserAuthFactors: the first factors the user has set up.
    pub async fn user_auth_factors(&self, user: &User) -> Result<Vec<FirstAuthFactor>> {
        let pool = self.pool(&user.pool_id).await?;
        let passkeys = self.has_passkeys(&pool, user).await?;
        Ok(configured_auth_factors(&pool, user, passkeys))
    }
}

/// Cognito names the offered factors beside whatever challenge the preferred one led to.
fn with_available(outcome: AuthOutcome, options: &[ChallengeName]) -> AuthOutcome {
    match outcome {
        AuthOutcome::Challenge(c) => AuthOutcome::Challenge(Challenge { available: Some(options.to_vec()), ..c }),
        tokens => tokens,
    }
}
