//! User pools and the settings the flows read.
//!
//! Settings derive serde so a store can persist them as one document; the AWS wire shapes are
//! mapped separately in `cognate-wire`, so this persisted form is cognate's own.

use serde::{Deserialize, Serialize};

use crate::ids::Timestamp;
use crate::user::{AliasKind, MfaFactor};

#[derive(Debug, Clone, PartialEq)]
pub struct UserPool {
    pub id: String,
    pub name: String,
    pub created: Timestamp,
    pub modified: Timestamp,
    pub settings: PoolSettings,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PoolSettings {
    pub password_policy: PasswordPolicy,
    /// `email` / `phone_number` used as the username itself.
    pub username_attributes: Vec<AliasKind>,
    /// `email` / `phone_number` / `preferred_username` usable as sign-in aliases once verified.
    pub alias_attributes: Vec<AliasKind>,
    pub auto_verified_attributes: Vec<AliasKind>,
    /// `None` when the pool was created without `UsernameConfiguration` (case sensitive).
    pub case_sensitive: Option<bool>,
    pub templates: MessageTemplates,
    /// Custom attributes, and standard attributes whose settings differ from the defaults.
    pub schema: Vec<SchemaAttribute>,
    /// Trigger name (`PreSignUp`, …) → function ARN.
    pub lambda_config: Vec<(String, String)>,
    /// `V1_0` / `V2_0` / `V3_0` from `PreTokenGenerationConfig`; `None` means V1.
    pub pre_token_generation_version: Option<String>,
    pub allow_admin_create_user_only: bool,
    /// `UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate`: a changed
    /// email / phone number replaces the old one only once its code is entered.
    pub verify_before_update: Vec<AliasKind>,
    pub deletion_protection: bool,
    pub mfa: MfaConfig,
    /// `DeviceConfiguration`: devices are tracked when it is set.
    pub devices: Option<DeviceConfig>,
    /// `Policies.SignInPolicy.AllowedFirstAuthFactors`; empty means Cognito's default,
    /// `PASSWORD` alone.
    pub first_auth_factors: Vec<FirstAuthFactor>,
    /// Members of the pool's configuration that cognate stores and echoes but does not act
    /// on yet, as the wire layer encoded them. The domain never looks inside.
    pub passthrough: String,
}

impl PoolSettings {
    pub fn is_case_sensitive(&self) -> bool {
        self.case_sensitive.unwrap_or(true)
    }

    /// The key under which a username (or case-folded alias) is unique in this pool.
    pub fn username_key(&self, username: &str) -> String {
        if self.is_case_sensitive() {
            username.to_string()
        } else {
            username.to_lowercase()
        }
    }

    /// Emails compare case-insensitively in case-insensitive pools; phone numbers never vary.
    pub fn alias_key(&self, kind: AliasKind, value: &str) -> String {
        match kind {
            AliasKind::Email | AliasKind::PreferredUsername => self.username_key(value),
            AliasKind::PhoneNumber => value.to_string(),
        }
    }

    pub fn custom_attribute(&self, name: &str) -> Option<&SchemaAttribute> {
        self.schema.iter().find(|a| a.name == name)
    }

    /// The first factors `USER_AUTH` may offer.
    pub fn allows_first_factor(&self, factor: FirstAuthFactor) -> bool {
        factor == FirstAuthFactor::Password || self.first_auth_factors.contains(&factor)
    }

    pub fn lambda(&self, trigger: &str) -> Option<&str> {
        self.lambda_config.iter().find(|(t, _)| t == trigger).map(|(_, arn)| arn.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PasswordPolicy {
    pub minimum_length: u32,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    pub password_history_size: Option<u32>,
    pub temporary_password_validity_days: u32,
}

impl Default for PasswordPolicy {
    /// What Cognito applies when a pool is created without a policy.
    fn default() -> Self {
        Self {
            minimum_length: 8,
            require_uppercase: true,
            require_lowercase: true,
            require_numbers: true,
            require_symbols: true,
            password_history_size: None,
            temporary_password_validity_days: 7,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageTemplates {
    pub email_message: Option<String>,
    pub email_subject: Option<String>,
    pub sms_message: Option<String>,
    pub email_message_by_link: Option<String>,
    pub email_subject_by_link: Option<String>,
    pub default_email_option: Option<String>,
    pub sms_authentication_message: Option<String>,
    /// `AdminCreateUserConfig.InviteMessageTemplate`.
    pub invite_email_message: Option<String>,
    pub invite_email_subject: Option<String>,
    pub invite_sms_message: Option<String>,
}

pub const DEFAULT_CODE_MESSAGE: &str = "Your verification code is {####}. ";
pub const DEFAULT_CODE_SUBJECT: &str = "Your verification code";
pub const DEFAULT_INVITE_MESSAGE: &str = "Your username is {username} and temporary password is {####}.";
pub const DEFAULT_INVITE_SUBJECT: &str = "Your temporary password";

impl MessageTemplates {
    pub fn email_message(&self) -> &str {
        self.email_message.as_deref().unwrap_or(DEFAULT_CODE_MESSAGE)
    }

    pub fn email_subject(&self) -> &str {
        self.email_subject.as_deref().unwrap_or(DEFAULT_CODE_SUBJECT)
    }

    pub fn sms_message(&self) -> &str {
        self.sms_message.as_deref().unwrap_or(DEFAULT_CODE_MESSAGE)
    }

    pub fn invite_email_message(&self) -> &str {
        self.invite_email_message.as_deref().unwrap_or(DEFAULT_INVITE_MESSAGE)
    }

    pub fn invite_email_subject(&self) -> &str {
        self.invite_email_subject.as_deref().unwrap_or(DEFAULT_INVITE_SUBJECT)
    }

    pub fn invite_sms_message(&self) -> &str {
        self.invite_sms_message.as_deref().unwrap_or(DEFAULT_INVITE_MESSAGE)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AttributeDataType {
    String,
    Number,
    DateTime,
    Boolean,
}

impl AttributeDataType {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::String => "String",
            Self::Number => "Number",
            Self::DateTime => "DateTime",
            Self::Boolean => "Boolean",
        }
    }
}

/// One schema attribute. `name` is the full name (`custom:tier` for custom attributes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaAttribute {
    pub name: String,
    pub data_type: AttributeDataType,
    pub developer_only: bool,
    pub mutable: bool,
    pub required: bool,
    pub min_length: Option<String>,
    pub max_length: Option<String>,
    pub min_value: Option<String>,
    pub max_value: Option<String>,
}

impl SchemaAttribute {
    pub fn is_custom(&self) -> bool {
        self.name.starts_with("custom:") || self.name.starts_with("dev:")
    }
}

/// `MfaConfiguration`: whether users sign in with a second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum MfaMode {
    #[default]
    Off,
    On,
    Optional,
}

impl MfaMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Off => "OFF",
            Self::On => "ON",
            Self::Optional => "OPTIONAL",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "OFF" => Self::Off,
            "ON" => Self::On,
            "OPTIONAL" => Self::Optional,
            _ => return None,
        })
    }
}

/// The pool's second factors (`SetUserPoolMfaConfig`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct MfaConfig {
    pub mode: MfaMode,
    pub sms: bool,
    pub software_token: bool,
    /// `EmailMfaConfiguration`: its presence turns email codes on.
    pub email: Option<EmailMfa>,
    pub web_authn: Option<WebAuthnConfig>,
    /// `SmsMfaConfiguration.SmsConfiguration` as the wire layer encoded it: AWS plumbing,
    /// echoed, while cognate's own SMS channel sends the codes.
    pub sms_configuration: Option<String>,
}

impl MfaConfig {
    /// The factors users of this pool can use, in [`MfaFactor`] order.
    pub fn factors(&self) -> Vec<MfaFactor> {
        let mut out = Vec::new();
        if self.sms {
            out.push(MfaFactor::Sms);
        }
        if self.software_token {
            out.push(MfaFactor::SoftwareToken);
        }
        if self.email.is_some() {
            out.push(MfaFactor::Email);
        }
        out
    }

    pub fn offers(&self, factor: MfaFactor) -> bool {
        self.factors().contains(&factor)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct EmailMfa {
    pub message: Option<String>,
    pub subject: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WebAuthnConfig {
    pub relying_party_id: Option<String>,
    /// `required` or `preferred`.
    pub user_verification: Option<String>,
}

pub const DEFAULT_AUTHENTICATION_MESSAGE: &str = "Your authentication code is {####}. ";
pub const DEFAULT_AUTHENTICATION_SUBJECT: &str = "Your authentication code";

/// `AuthFactorType`: what may prove who a user is in choice-based sign-in (`USER_AUTH`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FirstAuthFactor {
    Password,
    EmailOtp,
    SmsOtp,
    WebAuthn,
}

impl FirstAuthFactor {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Password => "PASSWORD",
            Self::EmailOtp => "EMAIL_OTP",
            Self::SmsOtp => "SMS_OTP",
            Self::WebAuthn => "WEB_AUTHN",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "PASSWORD" => Self::Password,
            "EMAIL_OTP" => Self::EmailOtp,
            "SMS_OTP" => Self::SmsOtp,
            "WEB_AUTHN" => Self::WebAuthn,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceConfig {
    /// A remembered device signs in with its own SRP proof in place of a second factor.
    pub challenge_required_on_new_device: bool,
    /// Devices are remembered only when the user says so (UpdateDeviceStatus).
    pub only_remembered_on_user_prompt: bool,
}
