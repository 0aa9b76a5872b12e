//! The state of a sign-in between two steps: one typed [`Step`], sealed into the session row
//! that the `Session` (or SRP's `SECRET_BLOCK`) string names, so any instance can take the next
//! step and every session is spent once.

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;

use super::auth::{hash_refresh_token, param};
use super::Cognate;
use crate::client::AppClient;
use crate::error::{DomainError, Result};
use crate::fields::{Reader, Writer};
use crate::pool::UserPool;
use crate::signin::ChallengeName;
use crate::triggers::ChallengeResult;
use crate::user::{AuthSession, MfaFactor, User};

/// How the user proved who they are before any second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FirstFactor {
    Password,
    Srp,
    Custom,
    /// A one-time code sent to the user's email address or phone (`USER_AUTH`).
    EmailOtp,
    SmsOtp,
    /// The code that confirmed the sign-up, a moment ago (ConfirmSignUp's `Session`).
    SignUp,
    /// A passkey.
    WebAuthn,
}

impl FirstFactor {
    const ALL: [FirstFactor; 7] =
        [Self::Password, Self::Srp, Self::Custom, Self::EmailOtp, Self::SmsOtp, Self::SignUp, Self::WebAuthn];

    fn code(self) -> &'static str {
        match self {
            Self::Password => "password",
            Self::Srp => "srp",
            Self::Custom => "custom",
            Self::EmailOtp => "email_otp",
            Self::SmsOtp => "sms_otp",
            Self::SignUp => "sign_up",
            Self::WebAuthn => "web_authn",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.code() == s)
    }

    /// Whether a second factor may follow: only after something the user knows.
    pub fn is_passwordless(self) -> bool {
        matches!(self, Self::EmailOtp | Self::SmsOtp | Self::WebAuthn)
    }
}

/// What a sign-in has established so far, carried through the steps after the first factor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Proof {
    pub factor: FirstFactor,
    /// A temporary password was replaced on the way (PreTokenGeneration's source says so).
    pub new_password: bool,
    /// The `DEVICE_KEY` the client signed in with, checked to be the user's.
    pub device: Option<String>,
    /// The device proved itself (DEVICE_SRP_AUTH) in place of a second factor.
    pub device_authenticated: bool,
    /// The sign-in runs on the hosted pages: it ends in an authorization, not in tokens.
    pub hosted: bool,
}

impl Proof {
    pub fn first(factor: FirstFactor) -> Self {
        Self { factor, new_password: false, device: None, device_authenticated: false, hosted: false }
    }

    pub fn with_device(self, device: Option<String>) -> Self {
        Self { device, ..self }
    }

    /// PreTokenGeneration's trigger source for the tokens this sign-in ends in.
    pub fn token_source(&self) -> &'static str {
        if self.new_password {
            "TokenGeneration_NewPasswordChallenge"
        } else if self.device_authenticated {
            "TokenGeneration_AuthenticateDevice"
        } else {
            "TokenGeneration_Authentication"
        }
    }

    fn write(&self, w: &mut Writer) {
        w.str(self.factor.code())
            .flag(self.new_password)
            .opt(self.device.as_deref())
            .flag(self.device_authenticated)
            .flag(self.hosted);
    }

    fn read(r: &mut Reader<'_>) -> Option<Self> {
        Some(Self {
            factor: FirstFactor::parse(&r.str()?)?,
            new_password: r.flag()?,
            device: r.opt()?,
            device_authenticated: r.flag()?,
            hosted: r.flag()?,
        })
    }
}

/// A custom-auth conversation: the answered challenges, and the current challenge's private
/// parameters and metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Conversation {
    pub history: Vec<ChallengeResult>,
    pub private: BTreeMap<String, String>,
    pub metadata: Option<String>,
}

/// A one-time code sent by SMS or email, as the session keeps it: salted and hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SentCode {
    pub hash: String,
    pub salt: String,
}

/// The step a session waits for, with what that step needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// SRP's PASSWORD_VERIFIER: the session key both sides derived.
    PasswordVerifier {
        key: Vec<u8>,
    },
    NewPasswordRequired {
        proof: Proof,
    },
    CustomChallenge(Conversation),
    /// SMS_MFA, SOFTWARE_TOKEN_MFA or EMAIL_OTP after a first factor; wrong answers so far.
    Mfa {
        factor: MfaFactor,
        proof: Proof,
        code: Option<SentCode>,
        failures: u32,
    },
    SelectMfaType {
        proof: Proof,
        options: Vec<MfaFactor>,
    },
    /// MFA_SETUP: `verified` once VerifySoftwareToken accepted a code in this session.
    MfaSetup {
        proof: Proof,
        verified: bool,
    },
    /// DEVICE_SRP_AUTH: a remembered device may stand in for the second factor.
    DeviceSrpAuth {
        proof: Proof,
    },
    /// DEVICE_PASSWORD_VERIFIER: the session key of the device's SRP exchange.
    DevicePasswordVerifier {
        proof: Proof,
        key: Vec<u8>,
    },
    /// SELECT_CHALLENGE of `USER_AUTH`: the first factors offered.
    SelectChallenge {
        options: Vec<ChallengeName>,
    },
    /// Not a challenge: a sign-up just confirmed, which `USER_AUTH` may take as the first factor.
    SignedUp,
    /// WEB_AUTHN: the assertion ceremony's state.
    WebAuthn {
        proof: Proof,
        state: String,
    },
    /// Not a challenge: a passkey registration between its start and its completion.
    WebAuthnRegistration {
        state: String,
    },
    /// Not a challenge: an authorization code waiting for the token endpoint.
    AuthorizationCode(CodeGrant),
    /// Not a challenge: a browser signed in on the hosted pages (the single sign-on cookie).
    Browser {
        auth_time: i64,
    },
    /// Not a challenge: the browser that signed up on the hosted pages, until it confirms.
    SignUpHold,
}

/// What an authorization code stands for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CodeGrant {
    pub redirect_uri: String,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    /// PKCE `S256` challenge, when the app sent one.
    pub challenge: Option<String>,
    pub auth_time: i64,
}

/// What a session row waits for: a challenge's answer, or (`SIGN_UP`) a sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StepKind {
    Challenge(ChallengeName),
    SignUp,
    Registration,
    Code,
    Browser,
    SignUpHold,
}

impl StepKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Challenge(name) => name.as_str(),
            Self::SignUp => "SIGN_UP",
            Self::Registration => "WEB_AUTHN_REGISTRATION",
            Self::Code => "AUTHORIZATION_CODE",
            Self::Browser => "BROWSER_SESSION",
            Self::SignUpHold => "SIGN_UP_HOLD",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "SIGN_UP" => Some(Self::SignUp),
            "WEB_AUTHN_REGISTRATION" => Some(Self::Registration),
            "AUTHORIZATION_CODE" => Some(Self::Code),
            "BROWSER_SESSION" => Some(Self::Browser),
            "SIGN_UP_HOLD" => Some(Self::SignUpHold),
            other => ChallengeName::parse(other).map(Self::Challenge),
        }
    }
}

impl From<ChallengeName> for StepKind {
    fn from(name: ChallengeName) -> Self {
        Self::Challenge(name)
    }
}

/// The challenge that asks for a code of `factor`.
pub(crate) fn mfa_challenge(factor: MfaFactor) -> ChallengeName {
    match factor {
        MfaFactor::Sms => ChallengeName::SmsMfa,
        MfaFactor::SoftwareToken => ChallengeName::SoftwareTokenMfa,
        MfaFactor::Email => ChallengeName::EmailOtp,
    }
}

impl Step {
    pub fn kind(&self) -> StepKind {
        StepKind::Challenge(match self {
            Self::PasswordVerifier { .. } => ChallengeName::PasswordVerifier,
            Self::NewPasswordRequired { .. } => ChallengeName::NewPasswordRequired,
            Self::CustomChallenge(_) => ChallengeName::CustomChallenge,
            Self::Mfa { factor: MfaFactor::Sms, proof, .. } if proof.factor.is_passwordless() => ChallengeName::SmsOtp,
            Self::Mfa { factor, .. } => mfa_challenge(*factor),
            Self::SelectMfaType { .. } => ChallengeName::SelectMfaType,
            Self::MfaSetup { .. } => ChallengeName::MfaSetup,
            Self::SelectChallenge { .. } => ChallengeName::SelectChallenge,
            Self::DeviceSrpAuth { .. } => ChallengeName::DeviceSrpAuth,
            Self::DevicePasswordVerifier { .. } => ChallengeName::DevicePasswordVerifier,
            Self::WebAuthn { .. } => ChallengeName::WebAuthn,
            Self::SignedUp => return StepKind::SignUp,
            Self::WebAuthnRegistration { .. } => return StepKind::Registration,
            Self::AuthorizationCode(_) => return StepKind::Code,
            Self::Browser { .. } => return StepKind::Browser,
            Self::SignUpHold => return StepKind::SignUpHold,
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.str(self.kind().as_str());
        match self {
            Self::PasswordVerifier { key } => {
                w.str(&crate::ids::hex(key));
            }
            Self::NewPasswordRequired { proof } => proof.write(&mut w),
            Self::CustomChallenge(c) => {
                w.num(c.history.len() as u64);
                for h in &c.history {
                    w.str(&h.challenge_name).flag(h.challenge_result).opt(h.challenge_metadata.as_deref());
                }
                w.num(c.private.len() as u64);
                for (k, v) in &c.private {
                    w.str(k).str(v);
                }
                w.opt(c.metadata.as_deref());
            }
            Self::Mfa { factor: _, proof, code, failures } => {
                proof.write(&mut w);
                w.opt(code.as_ref().map(|c| c.hash.as_str())).opt(code.as_ref().map(|c| c.salt.as_str()));
                w.num(u64::from(*failures));
            }
            Self::SelectMfaType { proof, options } => {
                proof.write(&mut w);
                w.str(&options.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(","));
            }
            Self::MfaSetup { proof, verified } => {
                proof.write(&mut w);
                w.flag(*verified);
            }
            Self::SelectChallenge { options } => {
                w.str(&options.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(","));
            }
            Self::DeviceSrpAuth { proof } => proof.write(&mut w),
            Self::DevicePasswordVerifier { proof, key } => {
                proof.write(&mut w);
                w.str(&crate::ids::hex(key));
            }
            Self::WebAuthn { proof, state } => {
                proof.write(&mut w);
                w.str(state);
            }
            Self::WebAuthnRegistration { state } => {
                w.str(state);
            }
            Self::AuthorizationCode(grant) => {
                w.str(&grant.redirect_uri).num(grant.scopes.len() as u64);
                for scope in &grant.scopes {
                    w.str(scope);
                }
                // Times are after 1970: the sign is never needed.
                w.opt(grant.nonce.as_deref()).opt(grant.challenge.as_deref()).num(grant.auth_time.unsigned_abs());
            }
            Self::Browser { auth_time } => {
                w.num(auth_time.unsigned_abs());
            }
            Self::SignUpHold => {}
            Self::SignedUp => {}
        }
        w.finish()
    }

    pub fn decode(bytes: &[u8]) -> Option<Self> {
        let mut r = Reader::new(bytes);
        let name = match StepKind::parse(&r.str()?)? {
            StepKind::SignUp => return r.is_empty().then_some(Self::SignedUp),
            StepKind::Registration => {
                let state = r.str()?;
                return r.is_empty().then_some(Self::WebAuthnRegistration { state });
            }
            StepKind::Code => {
                let redirect_uri = r.str()?;
                let count = r.num()?;
                let scopes = (0..count).map(|_| r.str()).collect::<Option<Vec<_>>>()?;
                let grant = CodeGrant {
                    redirect_uri,
                    scopes,
                    nonce: r.opt()?,
                    challenge: r.opt()?,
                    auth_time: i64::try_from(r.num()?).ok()?,
                };
                return r.is_empty().then_some(Self::AuthorizationCode(grant));
            }
            StepKind::SignUpHold => return r.is_empty().then_some(Self::SignUpHold),
            StepKind::Browser => {
                let auth_time = i64::try_from(r.num()?).ok()?;
                return r.is_empty().then_some(Self::Browser { auth_time });
            }
            StepKind::Challenge(name) => name,
        };
        let step = match name {
            ChallengeName::PasswordVerifier => Self::PasswordVerifier { key: crate::ids::unhex(&r.str()?)? },
            ChallengeName::NewPasswordRequired => Self::NewPasswordRequired { proof: Proof::read(&mut r)? },
            ChallengeName::CustomChallenge => {
                let mut c = Conversation::default();
                for _ in 0..r.num()? {
                    c.history.push(ChallengeResult {
                        challenge_name: r.str()?,
                        challenge_result: r.flag()?,
                        challenge_metadata: r.opt()?,
                    });
                }
                for _ in 0..r.num()? {
                    c.private.insert(r.str()?, r.str()?);
                }
                c.metadata = r.opt()?;
                Self::CustomChallenge(c)
            }
            name @ (ChallengeName::SmsMfa
            | ChallengeName::SoftwareTokenMfa
            | ChallengeName::EmailOtp
            | ChallengeName::SmsOtp) => {
                let factor = match name {
                    ChallengeName::SmsOtp => MfaFactor::Sms,
                    _ => MfaFactor::ALL.into_iter().find(|f| mfa_challenge(*f) == name)?,
                };
                let proof = Proof::read(&mut r)?;
                let code = match (r.opt()?, r.opt()?) {
                    (Some(hash), Some(salt)) => Some(SentCode { hash, salt }),
                    _ => None,
                };
                let failures = u32::try_from(r.num()?).ok()?;
                Self::Mfa { factor, proof, code, failures }
            }
            ChallengeName::SelectMfaType => {
                let proof = Proof::read(&mut r)?;
                let options = r.str()?.split(',').map(MfaFactor::parse).collect::<Option<Vec<_>>>()?;
                Self::SelectMfaType { proof, options }
            }
            ChallengeName::MfaSetup => Self::MfaSetup { proof: Proof::read(&mut r)?, verified: r.flag()? },
            ChallengeName::DeviceSrpAuth => Self::DeviceSrpAuth { proof: Proof::read(&mut r)? },
            ChallengeName::WebAuthn => Self::WebAuthn { proof: Proof::read(&mut r)?, state: r.str()? },
            ChallengeName::DevicePasswordVerifier => {
                Self::DevicePasswordVerifier { proof: Proof::read(&mut r)?, key: crate::ids::unhex(&r.str()?)? }
            }
            ChallengeName::SelectChallenge => Self::SelectChallenge {
                options: r.str()?.split(',').map(ChallengeName::parse).collect::<Option<Vec<_>>>()?,
            },
            _ => return None,
        };
        r.is_empty().then_some(step)
    }
}

/// A session row and the step it waits for.
pub(crate) struct Open {
    pub row: AuthSession,
    pub step: Step,
}

pub(crate) fn invalid_session() -> DomainError {
    DomainError::not_authorized("Invalid session for the user.")
}

fn expired_session() -> DomainError {
    DomainError::not_authorized("Invalid session for the user, session is expired.")
}

impl Cognate {
    /// Stores the state of the next step and returns the string the client will present.
    pub(crate) async fn open_session(
        &self,
        client: &AppClient,
        pool: &UserPool,
        user: Option<&User>,
        username: &str,
        step: &Step,
    ) -> Result<String> {
        let mut raw = [0u8; 96];
        self.rng.fill(&mut raw);
        let token = base64::engine::general_purpose::STANDARD.encode(raw);
        self.open_session_as(client, pool, user, username, step, token).await
    }

    /// [`Self::open_session`] under a `Session` string the caller chose.
    pub(crate) async fn open_session_as(
        &self,
        client: &AppClient,
        pool: &UserPool,
        user: Option<&User>,
        username: &str,
        step: &Step,
        token: String,
    ) -> Result<String> {
        let minutes = u64::from(client.settings.auth_session_validity.unwrap_or(3).clamp(3, 15));
        let session = AuthSession {
            id_hash: hash_refresh_token(&token),
            pool_id: pool.id.clone(),
            client_id: client.client_id.clone(),
            sub: user.map(|u| u.sub.clone()),
            username: username.to_string(),
            challenge: step.kind().as_str().to_string(),
            // The SRP key or a custom challenge's private answer: sealed like other secrets.
            state: self.sealer.seal(&step.encode()),
            expires: self.clock.now().plus(Duration::from_secs(minutes * 60)),
        };
        self.store.insert_auth_session(&session).await?;
        Ok(token)
    }

    /// Finds the session behind `token` for this client and challenge.
    pub(crate) async fn session(
        &self,
        client: &AppClient,
        token: &str,
        challenge: impl Into<StepKind>,
    ) -> Result<Open> {
        let open = self.session_for(token, challenge).await?;
        if open.row.client_id != client.client_id {
            return Err(invalid_session());
        }
        Ok(open)
    }

    /// Finds the session behind `token` for this challenge, whichever client opened it (the
    /// MFA_SETUP calls name no client).
    pub(crate) async fn session_for(&self, token: &str, kind: impl Into<StepKind>) -> Result<Open> {
        let kind = kind.into();
        let row = self.store.get_auth_session(&hash_refresh_token(token)).await?.ok_or_else(invalid_session)?;
        if row.challenge != kind.as_str() {
            return Err(invalid_session());
        }
        let step = self.sealer.open(&row.state).and_then(|b| Step::decode(&b)).ok_or_else(invalid_session)?;
        if step.kind() != kind {
            return Err(invalid_session());
        }
        if self.clock.now() >= row.expires {
            self.store.delete_auth_session(&row.id_hash).await?;
            return Err(expired_session());
        }
        Ok(Open { row, step })
    }

    /// The session an answer names by its `Session`, after the answer's `SECRET_HASH` (over
    /// the `USERNAME` it sends or the session's user) was checked.
    pub(crate) async fn answered_session(
        &self,
        client: &AppClient,
        token: Option<&str>,
        challenge: ChallengeName,
        responses: &BTreeMap<String, String>,
    ) -> Result<Open> {
        let token = token.filter(|s| !s.is_empty()).ok_or_else(invalid_session)?;
        let username = param(responses, "USERNAME")?;
        let open = self.session(client, token, challenge).await?;
        Self::check_secret_hash(
            client,
            responses.get("SECRET_HASH").map(String::as_str),
            &[username, open.row.username.as_str()],
        )?;
        Ok(open)
    }

    /// Puts a spent session back with a new step under the same `Session` string and expiry:
    /// the client answers again (a wrong MFA code).
    pub(crate) async fn reopen_session(&self, open: &Open, step: &Step) -> Result<()> {
        let row = AuthSession { state: self.sealer.seal(&step.encode()), ..open.row.clone() };
        self.store.insert_auth_session(&row).await?;
        Ok(())
    }

    /// The user a session is about, as stored now; a session without one, or whose user is
    /// gone, is invalid.
    pub(crate) async fn session_user(&self, open: &Open) -> Result<User> {
        self.session_subject(open).await?.ok_or_else(invalid_session)
    }

    /// [`Self::session_user`], or `None` for the session of a name with no user (a decoy).
    pub(crate) async fn session_subject(&self, open: &Open) -> Result<Option<User>> {
        match &open.row.sub {
            Some(sub) => {
                Ok(Some(self.store.get_user_by_sub(&open.row.pool_id, sub).await?.ok_or_else(invalid_session)?))
            }
            None => Ok(None),
        }
    }

    /// Spends a session: only one caller gets `Ok`.
    pub(crate) async fn spend_session(&self, open: &Open) -> Result<()> {
        if self.store.delete_auth_session(&open.row.id_hash).await? {
            Ok(())
        } else {
            Err(invalid_session())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_survives_its_encoding() {
        let steps = [
            Step::PasswordVerifier { key: vec![0, 1, 254, 255] },
            Step::NewPasswordRequired { proof: Proof::first(FirstFactor::Srp).with_device(Some("us-east-1_d".into())) },
            Step::CustomChallenge(Conversation::default()),
            Step::Mfa {
                factor: MfaFactor::Email,
                proof: Proof { new_password: true, ..Proof::first(FirstFactor::Password) },
                code: Some(SentCode { hash: "h".into(), salt: "s".into() }),
                failures: 2,
            },
            Step::Mfa {
                factor: MfaFactor::SoftwareToken,
                proof: Proof::first(FirstFactor::Custom),
                code: None,
                failures: 0,
            },
            Step::SelectMfaType {
                proof: Proof::first(FirstFactor::Srp),
                options: vec![MfaFactor::Sms, MfaFactor::SoftwareToken],
            },
            Step::MfaSetup { proof: Proof::first(FirstFactor::Password), verified: true },
            Step::SelectChallenge { options: vec![ChallengeName::PasswordSrp, ChallengeName::EmailOtp] },
            Step::SignedUp,
            Step::WebAuthn { proof: Proof::first(FirstFactor::WebAuthn), state: "{\"a\":1}".into() },
            Step::WebAuthnRegistration { state: "{}".into() },
            Step::AuthorizationCode(CodeGrant {
                redirect_uri: "https://app.example.com/cb?x=1".into(),
                scopes: vec!["openid".into(), "orders/read".into()],
                nonce: Some("n 1".into()),
                challenge: None,
                auth_time: 1_700_000_000_000,
            }),
            Step::Browser { auth_time: 42 },
            Step::SignUpHold,
            Step::DeviceSrpAuth { proof: Proof::first(FirstFactor::Srp).with_device(Some("us-east-1_x".into())) },
            Step::DevicePasswordVerifier { proof: Proof::first(FirstFactor::Password), key: vec![9; 16] },
            Step::NewPasswordRequired { proof: Proof::first(FirstFactor::SignUp) },
            Step::NewPasswordRequired { proof: Proof { hosted: true, ..Proof::first(FirstFactor::Password) } },
            Step::Mfa { factor: MfaFactor::Sms, proof: Proof::first(FirstFactor::SmsOtp), code: None, failures: 1 },
            Step::CustomChallenge(Conversation {
                history: vec![
                    ChallengeResult {
                        challenge_name: "CUSTOM_CHALLENGE".into(),
                        challenge_result: false,
                        challenge_metadata: None,
                    },
                    ChallengeResult {
                        challenge_name: "CUSTOM_CHALLENGE".into(),
                        challenge_result: true,
                        challenge_metadata: Some("a b\nc".into()),
                    },
                ],
                private: BTreeMap::from([("answer".to_string(), "5 \n x".to_string())]),
                metadata: Some("CAPTCHA-1".into()),
            }),
        ];
        for step in steps {
            assert_eq!(Step::decode(&step.encode()), Some(step));
        }
        assert_eq!(Step::decode(b"16:PASSWORD_VERIFIER"), None, "cut short");
        assert_eq!(Step::decode(b"7:UNKNOWN"), None);
    }
}
