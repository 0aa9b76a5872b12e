//! Users, their statuses and the records that hang off them (codes, refresh tokens, messages).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ids::Timestamp;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserStatus {
    Unconfirmed,
    Confirmed,
    ForceChangePassword,
    ResetRequired,
    ExternalProvider,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unconfirmed => "UNCONFIRMED",
            Self::Confirmed => "CONFIRMED",
            Self::ForceChangePassword => "FORCE_CHANGE_PASSWORD",
            Self::ResetRequired => "RESET_REQUIRED",
            Self::ExternalProvider => "EXTERNAL_PROVIDER",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "UNCONFIRMED" => Self::Unconfirmed,
            "CONFIRMED" => Self::Confirmed,
            "FORCE_CHANGE_PASSWORD" => Self::ForceChangePassword,
            "RESET_REQUIRED" => Self::ResetRequired,
            "EXTERNAL_PROVIDER" => Self::ExternalProvider,
            _ => return None,
        })
    }
}

/// Attribute name → value, all strings as in Cognito. Includes `sub`.
pub type Attributes = BTreeMap<String, String>;

/// Attributes that can serve as aliases or as the username.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AliasKind {
    #[serde(rename = "email")]
    Email,
    #[serde(rename = "phone_number")]
    PhoneNumber,
    #[serde(rename = "preferred_username")]
    PreferredUsername,
}

impl AliasKind {
    pub fn attribute(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::PhoneNumber => "phone_number",
            Self::PreferredUsername => "preferred_username",
        }
    }

    /// The `*_verified` attribute that makes this alias usable, if it has one.
    pub fn verified_attribute(self) -> Option<&'static str> {
        match self {
            Self::Email => Some("email_verified"),
            Self::PhoneNumber => Some("phone_number_verified"),
            Self::PreferredUsername => None,
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "email" => Self::Email,
            "phone_number" => Self::PhoneNumber,
            "preferred_username" => Self::PreferredUsername,
            _ => return None,
        })
    }

    pub fn all() -> [AliasKind; 3] {
        [Self::Email, Self::PhoneNumber, Self::PreferredUsername]
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub pool_id: String,
    pub username: String,
    pub sub: String,
    pub status: UserStatus,
    pub enabled: bool,
    pub attributes: Attributes,
    pub password_hash: Option<String>,
    /// The SRP salt and verifier, sealed by [`crate::ports::Sealer`]; `None` for users whose
    /// password was set before cognate kept verifiers (they can sign in with a password only).
    pub srp_verifier: Option<String>,
    /// When the password was last set: temporary passwords expire from here.
    pub password_set: Timestamp,
    pub created: Timestamp,
    pub modified: Timestamp,
    pub mfa: UserMfa,
}

/// A second factor a user can turn on (`UserMFASettingList` names them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MfaFactor {
    Sms,
    SoftwareToken,
    Email,
}

impl MfaFactor {
    pub const ALL: [MfaFactor; 3] = [Self::Sms, Self::SoftwareToken, Self::Email];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sms => "SMS_MFA",
            Self::SoftwareToken => "SOFTWARE_TOKEN_MFA",
            Self::Email => "EMAIL_OTP",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// The factors a user turned on and the one they prefer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MfaChoice {
    /// In [`MfaFactor`] order, each once.
    pub enabled: Vec<MfaFactor>,
    pub preferred: Option<MfaFactor>,
}

impl MfaChoice {
    pub fn is_enabled(&self, factor: MfaFactor) -> bool {
        self.enabled.contains(&factor)
    }

    /// Stored as `SMS_MFA,*SOFTWARE_TOKEN_MFA`: the starred factor is the preferred one.
    pub fn encode(&self) -> String {
        let names: Vec<String> = self
            .enabled
            .iter()
            .map(|f| if self.preferred == Some(*f) { format!("*{}", f.as_str()) } else { f.as_str().to_string() })
            .collect();
        names.join(",")
    }

    pub fn decode(s: &str) -> Self {
        let mut choice = MfaChoice::default();
        for name in s.split(',').filter(|n| !n.is_empty()) {
            let (preferred, name) = match name.strip_prefix('*') {
                Some(rest) => (true, rest),
                None => (false, name),
            };
            if let Some(factor) = MfaFactor::parse(name) {
                choice.enabled.push(factor);
                if preferred {
                    choice.preferred = Some(factor);
                }
            }
        }
        choice.enabled.sort();
        choice.enabled.dedup();
        choice
    }
}

/// A verified authenticator app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TotpToken {
    /// The shared secret, sealed by [`crate::ports::Sealer`].
    pub secret: String,
    /// `FriendlyDeviceName` from VerifySoftwareToken.
    pub name: Option<String>,
    /// The last 30-second step whose code was accepted: a code is accepted once.
    pub last_step: u64,
}

/// A user's second factors.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserMfa {
    pub choice: MfaChoice,
    pub totp: Option<TotpToken>,
    /// A secret from AssociateSoftwareToken waiting for its first code (sealed).
    pub totp_pending: Option<String>,
}

impl User {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes.get(name).map(String::as_str)
    }

    pub fn is_verified(&self, kind: AliasKind) -> bool {
        kind.verified_attribute().is_some_and(|v| self.attribute(v) == Some("true"))
    }
}

/// An alias a user holds: unique per pool and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasClaim {
    pub kind: AliasKind,
    pub value_key: String,
    /// Take the alias from whoever holds it (their attribute becomes unverified).
    pub force: bool,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub user: User,
    pub username_key: String,
    pub aliases: Vec<AliasClaim>,
}

/// A one-time code, stored only as a salted hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCode {
    pub pool_id: String,
    pub sub: String,
    /// `signup`, later `forgot_password`, `verify:<attribute>`.
    pub purpose: String,
    pub code_hash: String,
    pub salt: String,
    /// The attribute the code was sent to; confirming verifies it.
    pub attribute: Option<String>,
    /// A new value waiting for this code before it replaces the current one
    /// (`UserAttributeUpdateSettings`).
    pub pending: Option<String>,
    pub created: Timestamp,
    pub expires: Timestamp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Medium {
    Email,
    Sms,
}

impl Medium {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "EMAIL",
            Self::Sms => "SMS",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "EMAIL" => Some(Self::Email),
            "SMS" => Some(Self::Sms),
            _ => None,
        }
    }
}

/// A rendered message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxMessage {
    pub pool_id: String,
    pub username: String,
    pub recipient: String,
    pub medium: Medium,
    /// `SignUp`, `ResendCode`, … (the CustomMessage trigger source suffixes).
    pub kind: String,
    pub subject: Option<String>,
    pub body: String,
    /// The code or temporary password in `body`, so tests can read it without parsing text;
    /// kept, and forgotten, with the text.
    pub code: Option<String>,
    pub created: Timestamp,
    /// Whether the outbox may keep `subject` and `body`; the message is delivered either way.
    pub keep_text: bool,
    /// When the text is not kept: subject, body and code sealed (see [`SealedText`]) until the
    /// message is delivered, so that another instance can deliver it if this one dies first.
    pub sealed: Option<String>,
}

/// What a sealed outbox message said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SealedText {
    pub subject: Option<String>,
    pub body: String,
    pub code: Option<String>,
}

impl SealedText {
    pub fn encode(&self) -> Vec<u8> {
        crate::fields::Writer::new().opt(self.subject.as_deref()).str(&self.body).opt(self.code.as_deref()).finish()
    }

    pub fn decode(bytes: &[u8]) -> Option<SealedText> {
        let mut r = crate::fields::Reader::new(bytes);
        let (subject, body, code) = (r.opt()?, r.str()?, r.opt()?);
        r.is_empty().then_some(SealedText { subject, body, code })
    }
}

impl OutboxMessage {
    /// What the outbox keeps of the message: all of it, or without subject and body (read
    /// back with an empty body) unless `keep_text`.
    pub fn kept(&self) -> OutboxMessage {
        let mut kept = self.clone();
        if !self.keep_text {
            kept.subject = None;
            kept.body = String::new();
            kept.code = None;
        }
        kept
    }
}

/// A refresh token, stored by the hash of its value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshToken {
    pub token_hash: String,
    /// Set by RevokeToken / GlobalSignOut: the token and every access token of its sign-in
    /// (same `origin_jti`) stop working.
    pub revoked: bool,
    /// When rotation replaced this token; it keeps working for the client's grace period.
    pub rotated: Option<Timestamp>,
    pub pool_id: String,
    pub client_id: String,
    pub sub: String,
    pub origin_jti: String,
    pub auth_time: Timestamp,
    pub created: Timestamp,
    pub expires: Timestamp,
    /// The OAuth scopes granted at the token endpoint, space-separated; `None` for a sign-in
    /// through the API (its tokens carry `aws.cognito.signin.user.admin`).
    pub scopes: Option<String>,
}

/// A change to a user's password, status or enabled flag; `None` leaves a column alone. A
/// change of the SRP verifier alone does not count as a modification of the user.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub password_hash: Option<String>,
    pub srp_verifier: Option<Option<String>>,
    pub status: Option<UserStatus>,
    pub enabled: Option<bool>,
    /// Applied only while the user is in this status; `Conflict{status}` otherwise.
    pub expected_status: Option<UserStatus>,
    pub mfa_choice: Option<MfaChoice>,
    pub totp: Option<Option<TotpToken>>,
    pub totp_pending: Option<Option<String>>,
}

/// The server side of a multi-step sign-in, between a challenge and its answer. Stored by
/// the hash of the `Session` (or `SECRET_BLOCK`) string the client holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthSession {
    pub id_hash: String,
    pub pool_id: String,
    pub client_id: String,
    /// `None` when the user does not exist (the challenge is a decoy).
    pub sub: Option<String>,
    pub username: String,
    /// The challenge this session answers: `PASSWORD_VERIFIER`, `NEW_PASSWORD_REQUIRED`, …
    pub challenge: String,
    /// Flow-specific state (the SRP key, the custom-auth history), opaque to stores.
    pub state: String,
    pub expires: Timestamp,
}

/// A device a user signed in from, tracked when the pool's `DeviceConfiguration` asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub pool_id: String,
    pub sub: String,
    /// `<region>_<uuid>`: what the client sends back as `DEVICE_KEY`.
    pub key: String,
    /// The SRP "pool" of the device's verifier.
    pub group_key: String,
    /// The device's SRP salt and verifier from ConfirmDevice, sealed; `None` until confirmed.
    pub verifier: Option<String>,
    pub name: Option<String>,
    pub remembered: bool,
    pub created: Timestamp,
    pub modified: Timestamp,
    pub last_authenticated: Timestamp,
}

/// A registered passkey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Passkey {
    pub pool_id: String,
    pub sub: String,
    /// base64url.
    pub credential_id: String,
    /// The credential as the WebAuthn implementation keeps it (public key, counter).
    pub record: String,
    pub name: String,
    pub relying_party_id: String,
    pub attachment: Option<String>,
    pub transports: Vec<String>,
    pub created: Timestamp,
}

/// Failed sign-ins of one user since the last success (or the last quiet period).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignInFailures {
    pub count: u32,
    pub last: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::{MfaChoice, MfaFactor, SealedText};

    #[test]
    fn mfa_choices_round_trip() {
        let choice = MfaChoice { enabled: vec![MfaFactor::Sms, MfaFactor::Email], preferred: Some(MfaFactor::Email) };
        assert_eq!(choice.encode(), "SMS_MFA,*EMAIL_OTP");
        assert_eq!(MfaChoice::decode(&choice.encode()), choice);
        assert_eq!(MfaChoice::decode(""), MfaChoice::default());
        assert_eq!(MfaChoice::decode("EMAIL_OTP,SMS_MFA,X,SMS_MFA").enabled, vec![MfaFactor::Sms, MfaFactor::Email]);
    }

    #[test]
    fn sealed_text_round_trips_whatever_it_holds() {
        for text in [
            SealedText {
                subject: Some("Your code".into()),
                body: "Code: 12:34 — ✓".into(),
                code: Some("123456".into()),
            },
            SealedText { subject: None, body: String::new(), code: None },
            SealedText { subject: Some("-".into()), body: "3:abc".into(), code: Some(String::new()) },
        ] {
            assert_eq!(SealedText::decode(&text.encode()), Some(text));
        }
        assert_eq!(SealedText::decode(b"-5:abc-"), None, "cut short");
        assert_eq!(SealedText::decode(b"--0:-x"), None, "trailing bytes");
    }
}
