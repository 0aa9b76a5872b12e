//! The second factor after a first one, as the pool's `MfaConfiguration` asks:
//!
//! ```text
//! OFF ─────────────────────────────────────────────────────────────► tokens
//! OPTIONAL, nothing turned on ─────────────────────────────────────► tokens
//! one factor (or the preferred one) ──► SMS_MFA | SOFTWARE_TOKEN_MFA | EMAIL_OTP ──► tokens
//! several, none preferred ──► SELECT_MFA_TYPE ──► the chosen one
//! ON, nothing usable ──► MFA_SETUP ──► AssociateSoftwareToken ──► VerifySoftwareToken ──► tokens
//! ```
//!
//! A wrong code leaves the session open for another try, up to [`MFA_TRIES`].

use std::collections::BTreeMap;

use subtle::ConstantTimeEq;

use super::auth::{param, AuthOutcome, Challenge};
use super::messages::{delivery_details, AUTHENTICATION};
use super::state::{invalid_session, Proof, SentCode, Step, StepKind};
use super::Cognate;
use crate::client::AppClient;
use crate::codes;
use crate::error::{DomainError, Result};
use crate::pool::{MfaMode, UserPool};
use crate::signin::ChallengeName;
use crate::totp;
use crate::triggers::Metadata;
use crate::user::{AliasKind, Medium, MfaFactor, User};

/// Answers one MFA session takes before it is spent for good.
pub(crate) const MFA_TRIES: u32 = 5;

/// `["SMS_MFA","SOFTWARE_TOKEN_MFA"]`: Cognito sends factor lists as JSON text.
fn factor_list(factors: &[MfaFactor]) -> String {
    let names: Vec<String> = factors.iter().map(|f| format!("\"{}\"", f.as_str())).collect();
    format!("[{}]", names.join(","))
}

/// The factors of `pool` that `user` can be challenged with now.
fn usable(pool: &UserPool, user: &User, factor: MfaFactor) -> bool {
    pool.settings.mfa.offers(factor)
        && match factor {
            MfaFactor::Sms => user.attribute("phone_number").is_some(),
            MfaFactor::Email => user.attribute("email").is_some(),
            MfaFactor::SoftwareToken => user.mfa.totp.is_some(),
        }
}

fn mismatch(factor: MfaFactor) -> DomainError {
    DomainError::CodeMismatch(match factor {
        MfaFactor::SoftwareToken => "Invalid code received for user".into(),
        MfaFactor::Sms | MfaFactor::Email => "Invalid code or auth state for the user.".into(),
    })
}

fn response_key(challenge: ChallengeName) -> &'static str {
    match challenge {
        ChallengeName::SmsMfa => "SMS_MFA_CODE",
        ChallengeName::SmsOtp => "SMS_OTP_CODE",
        ChallengeName::SoftwareTokenMfa => "SOFTWARE_TOKEN_MFA_CODE",
        _ => "EMAIL_OTP_CODE",
    }
}

impl Cognate {
    /// Where the pool's MFA settings ask for a second factor, its challenge; tokens otherwise.
    pub(crate) async fn second_factor(
        &self,
        client: AppClient,
        pool: UserPool,
        user: User,
        client_metadata: Metadata,
        proof: Proof,
    ) -> Result<AuthOutcome> {
        let mode = pool.settings.mfa.mode;
        // A code sent to the user's own address or phone is not followed by another one.
        if mode == MfaMode::Off || proof.factor.is_passwordless() {
            return self.issue_tokens(client, pool, user, client_metadata, proof).await;
        }
        let enabled: Vec<MfaFactor> =
            user.mfa.choice.enabled.iter().copied().filter(|f| usable(&pool, &user, *f)).collect();
        if enabled.is_empty() && mode == MfaMode::Optional {
            return self.issue_tokens(client, pool, user, client_metadata, proof).await;
        }
        // A second factor is due: a remembered device may prove itself instead.
        if self.device_may_stand_in(&pool, &user, &proof).await? {
            return self.device_srp_challenge(&client, &pool, &user, proof).await;
        }
        let factor = match enabled.as_slice() {
            // Required, and nothing turned on: a factor the user can already receive (an app
            // they verified, a phone number (Cognito verifies it by the code), a verified email
            // address), else set one up.
            [] => match [MfaFactor::SoftwareToken, MfaFactor::Sms, MfaFactor::Email]
                .into_iter()
                .find(|f| usable(&pool, &user, *f) && (*f != MfaFactor::Email || user.is_verified(AliasKind::Email)))
            {
                Some(factor) => factor,
                None => {
                    let parameters = BTreeMap::from([
                        ("MFAS_CAN_SETUP".to_string(), factor_list(&pool.settings.mfa.factors())),
                        ("USER_ID_FOR_SRP".to_string(), user.username.clone()),
                    ]);
                    let step = Step::MfaSetup { proof, verified: false };
                    let session = self.open_session(&client, &pool, Some(&user), &user.username, &step).await?;
                    let challenge = Challenge::new(ChallengeName::MfaSetup, parameters, session);
                    return Ok(AuthOutcome::Challenge(challenge));
                }
            },
            [one] => *one,
            several => match user.mfa.choice.preferred.filter(|p| several.contains(p)) {
                Some(preferred) => preferred,
                None => {
                    let parameters = BTreeMap::from([
                        ("MFAS_CAN_CHOOSE".to_string(), factor_list(several)),
                        ("USER_ID_FOR_SRP".to_string(), user.username.clone()),
                    ]);
                    let step = Step::SelectMfaType { proof, options: several.to_vec() };
                    let session = self.open_session(&client, &pool, Some(&user), &user.username, &step).await?;
                    let challenge = Challenge::new(ChallengeName::SelectMfaType, parameters, session);
                    return Ok(AuthOutcome::Challenge(challenge));
                }
            },
        };
        let challenge = self.mfa_code_challenge(&client, &pool, &user, &client_metadata, proof, factor).await?;
        Ok(AuthOutcome::Challenge(challenge))
    }

    /// The challenge that asks for a code of `factor`, sending one by SMS or email first (six
    /// digits for a second factor, eight for a passwordless first one, as Cognito sends them).
    pub(crate) async fn mfa_code_challenge(
        &self,
        client: &AppClient,
        pool: &UserPool,
        user: &User,
        client_metadata: &Metadata,
        proof: Proof,
        factor: MfaFactor,
    ) -> Result<Challenge> {
        let mut parameters = BTreeMap::from([("USER_ID_FOR_SRP".to_string(), user.username.clone())]);
        let code = match factor {
            MfaFactor::SoftwareToken => {
                if let Some(name) = user.mfa.totp.as_ref().and_then(|t| t.name.clone()) {
                    parameters.insert("FRIENDLY_DEVICE_NAME".into(), name);
                }
                None
            }
            MfaFactor::Sms | MfaFactor::Email => {
                let (kind, medium) = match factor {
                    MfaFactor::Sms => (AliasKind::PhoneNumber, Medium::Sms),
                    _ => (AliasKind::Email, Medium::Email),
                };
                let to = user.attribute(kind.attribute()).unwrap_or_default().to_string();
                let digits = if proof.factor.is_passwordless() { 8 } else { 6 };
                let value = codes::digits(self.rng.as_ref(), digits);
                let mut salt = [0u8; 16];
                self.rng.fill(&mut salt);
                let salt = crate::ids::hex(&salt);
                let client_id = Some(client.client_id.as_str());
                let message = self
                    .render_code_message(pool, user, medium, &to, AUTHENTICATION, &value, client_id, client_metadata)
                    .await?;
                let id = self.store.queue_message(&message).await?;
                self.dispatch(Some(id), &message).await?;
                let details = delivery_details(kind, medium, &to);
                parameters.insert("CODE_DELIVERY_DELIVERY_MEDIUM".into(), medium.as_str().into());
                parameters.insert("CODE_DELIVERY_DESTINATION".into(), details.destination);
                Some(SentCode { hash: codes::hash(&value, &salt), salt })
            }
        };
        let step = Step::Mfa { factor, proof, code, failures: 0 };
        let session = self.open_session(client, pool, Some(user), &user.username, &step).await?;
        let StepKind::Challenge(name) = step.kind() else { return Err(invalid_session()) };
        Ok(Challenge::new(name, parameters, session))
    }

    /// SMS_MFA, SOFTWARE_TOKEN_MFA or EMAIL_OTP answered with a code.
    pub(crate) async fn mfa_answer(
        &self,
        client: AppClient,
        pool: UserPool,
        challenge: ChallengeName,
        token: Option<&str>,
        responses: &BTreeMap<String, String>,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        let open = self.answered_session(&client, token, challenge, responses).await?;
        let Step::Mfa { factor, proof, code: sent, failures } = open.step.clone() else {
            return Err(invalid_session());
        };
        let presented = param(responses, response_key(challenge))?;
        // One answer at a time: a second one racing this one finds no session.
        self.spend_session(&open).await?;
        let user = self.session_user(&open).await?;
        let outcome = match (factor, &sent) {
            (MfaFactor::SoftwareToken, _) => self.check_totp(&user, presented).await,
            (_, Some(sent)) => {
                let hash = codes::hash(presented, &sent.salt);
                if bool::from(hash.as_bytes().ct_eq(sent.hash.as_bytes())) {
                    Ok(())
                } else {
                    Err(mismatch(factor))
                }
            }
            (_, None) => Err(invalid_session()),
        };
        if let Err(e) = outcome {
            if failures + 1 < MFA_TRIES {
                let step = Step::Mfa { factor, proof, code: sent, failures: failures + 1 };
                self.reopen_session(&open, &step).await?;
            }
            return Err(e);
        }
        if proof.factor.is_passwordless() {
            // The code was the first factor: the user's status is checked now.
            return self.first_factor_proven(client, pool, user, client_metadata, proof).await;
        }
        self.issue_tokens(client, pool, user, client_metadata, proof).await
    }

    /// Checks a code of the user's authenticator app and spends its 30-second step.
    pub(crate) async fn check_totp(&self, user: &User, presented: &str) -> Result<()> {
        let secret = user
            .mfa
            .totp
            .as_ref()
            .and_then(|t| self.sealer.open(&t.secret))
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|b32| totp::unbase32(&b32))
            .ok_or_else(|| mismatch(MfaFactor::SoftwareToken))?;
        let step = totp::matching_step(&secret, presented, self.clock.now())
            .ok_or_else(|| mismatch(MfaFactor::SoftwareToken))?;
        if !self.store.spend_totp_step(&user.pool_id, &user.sub, step).await? {
            return Err(DomainError::ExpiredCode("Your software token has already been used once.".into()));
        }
        Ok(())
    }

    /// SELECT_MFA_TYPE answered with the factor to use.
    pub(crate) async fn select_mfa_answer(
        &self,
        client: AppClient,
        pool: UserPool,
        token: Option<&str>,
        responses: &BTreeMap<String, String>,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        let open = self.answered_session(&client, token, ChallengeName::SelectMfaType, responses).await?;
        let Step::SelectMfaType { proof, options } = open.step.clone() else { return Err(invalid_session()) };
        let answer = param(responses, "ANSWER")?;
        // The model's documentation says EMAIL_MFA where the challenge is EMAIL_OTP.
        let chosen = MfaFactor::parse(if answer == "EMAIL_MFA" { "EMAIL_OTP" } else { answer })
            .filter(|f| options.contains(f))
            .ok_or_else(|| {
                DomainError::invalid(format!("Invalid ANSWER {answer}: choose one of {}", factor_list(&options)))
            })?;
        self.spend_session(&open).await?;
        let user = self.session_user(&open).await?;
        let challenge = self.mfa_code_challenge(&client, &pool, &user, &client_metadata, proof, chosen).await?;
        Ok(AuthOutcome::Challenge(challenge))
    }

    /// MFA_SETUP answered after VerifySoftwareToken accepted a code in its session.
    pub(crate) async fn mfa_setup_answer(
        &self,
        client: AppClient,
        pool: UserPool,
        token: Option<&str>,
        responses: &BTreeMap<String, String>,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        let open = self.answered_session(&client, token, ChallengeName::MfaSetup, responses).await?;
        let Step::MfaSetup { proof, verified } = open.step.clone() else { return Err(invalid_session()) };
        if !verified {
            return Err(DomainError::invalid(
                "The software token must be verified with VerifySoftwareToken before MFA_SETUP is answered.",
            ));
        }
        self.spend_session(&open).await?;
        let user = self.session_user(&open).await?;
        self.issue_tokens(client, pool, user, client_metadata, proof).await
    }
}
