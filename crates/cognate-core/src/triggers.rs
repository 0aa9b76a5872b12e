//! Lambda triggers as the domain sees them: which trigger fires, with what request, and what
//! the function may answer. Encoding the event as JSON and running the function are the
//! adapters' business (`cognate-wire::trigger`, `cognate-server::lambda`).

use std::collections::BTreeMap;

use async_trait::async_trait;

use crate::error::DomainError;
use crate::user::Attributes;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerKind {
    PreSignUp,
    PostConfirmation,
    CustomMessage,
    PreAuthentication,
    PostAuthentication,
    PreTokenGeneration,
    UserMigration,
    DefineAuthChallenge,
    CreateAuthChallenge,
    VerifyAuthChallengeResponse,
}

impl TriggerKind {
    /// The name used in `LambdaConfig` and in Cognito's error messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::PreSignUp => "PreSignUp",
            Self::PostConfirmation => "PostConfirmation",
            Self::CustomMessage => "CustomMessage",
            Self::PreAuthentication => "PreAuthentication",
            Self::PostAuthentication => "PostAuthentication",
            Self::PreTokenGeneration => "PreTokenGeneration",
            Self::UserMigration => "UserMigration",
            Self::DefineAuthChallenge => "DefineAuthChallenge",
            Self::CreateAuthChallenge => "CreateAuthChallenge",
            Self::VerifyAuthChallengeResponse => "VerifyAuthChallengeResponse",
        }
    }
}

pub type Metadata = Option<BTreeMap<String, String>>;

/// The `request` members of the events; each trigger uses its own subset.
#[derive(Debug, Clone, Default)]
pub struct TriggerRequest {
    pub user_attributes: Attributes,
    pub validation_data: Metadata,
    pub client_metadata: Metadata,
    pub code_parameter: Option<String>,
    /// CustomMessage_AdminCreateUser: the placeholder for the username (`{username}`).
    pub username_parameter: Option<String>,
    pub user_not_found: Option<bool>,
    pub new_device_used: Option<bool>,
    pub password: Option<String>,
    /// PreTokenGeneration V2: the scopes of the access token.
    pub scopes: Option<Vec<String>>,
    /// PreTokenGeneration: the user's groups and roles.
    pub group_configuration: Option<GroupConfiguration>,
    /// Custom auth: the challenges answered so far.
    pub session: Option<Vec<ChallengeResult>>,
    /// CreateAuthChallenge: the challenge to create.
    pub challenge_name: Option<String>,
    /// VerifyAuthChallengeResponse: what CreateAuthChallenge kept private, and the answer.
    pub private_challenge_parameters: Option<BTreeMap<String, String>>,
    pub challenge_answer: Option<String>,
}

/// One answered challenge of a custom authentication, as the triggers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeResult {
    pub challenge_name: String,
    pub challenge_result: bool,
    pub challenge_metadata: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupConfiguration {
    pub groups: Vec<String>,
    pub roles: Vec<String>,
    pub preferred_role: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Invocation {
    pub arn: String,
    pub trigger: TriggerKind,
    /// `PreSignUp_SignUp`, `TokenGeneration_Authentication`, …
    pub source: String,
    /// `"1"`, or `"2"` for PreTokenGeneration V2.
    pub version: String,
    pub region: String,
    pub pool_id: String,
    pub user_name: String,
    /// `None` for admin operations (`CLIENT_ID_NOT_APPLICABLE`).
    pub client_id: Option<String>,
    pub request: TriggerRequest,
}

/// Claims a PreTokenGeneration function adds or removes. Claim values are JSON text: V2
/// functions may return numbers, lists or objects, and the domain does not look inside.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenOverrides {
    pub id_add: Vec<(String, String)>,
    pub id_suppress: Vec<String>,
    pub access_add: Vec<(String, String)>,
    pub access_suppress: Vec<String>,
    pub scopes_add: Vec<String>,
    pub scopes_suppress: Vec<String>,
    /// `groupOverrideDetails`: replaces the groups, roles and preferred role in the tokens.
    pub groups: Option<GroupConfiguration>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MigratedUser {
    pub user_attributes: Attributes,
    pub final_user_status: Option<String>,
    pub message_action: Option<String>,
    pub force_alias_creation: bool,
}

/// The `response` members a function may fill; what a trigger does not use stays default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TriggerResponse {
    pub auto_confirm_user: bool,
    pub auto_verify_email: bool,
    pub auto_verify_phone: bool,
    pub sms_message: Option<String>,
    pub email_message: Option<String>,
    pub email_subject: Option<String>,
    pub token_overrides: TokenOverrides,
    pub migration: Option<MigratedUser>,
    /// DefineAuthChallenge.
    pub challenge_name: Option<String>,
    pub issue_tokens: bool,
    pub fail_authentication: bool,
    /// CreateAuthChallenge.
    pub public_challenge_parameters: BTreeMap<String, String>,
    pub private_challenge_parameters: BTreeMap<String, String>,
    pub challenge_metadata: Option<String>,
    /// VerifyAuthChallengeResponse.
    pub answer_correct: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TriggerError {
    /// The function ran and failed (`errorMessage`).
    Failed(String),
    /// No answer within the time limit.
    Timeout,
    /// The answer is not JSON or not the event's shape.
    InvalidResponse(String),
    /// The function could not be reached or is not configured (`AccessDeniedException`, …).
    Unavailable(String),
}

impl TriggerError {
    /// The exception Cognito answers with, worded as Cognito words it.
    pub fn into_domain(self, trigger: TriggerKind) -> DomainError {
        let name = trigger.name();
        match self {
            TriggerError::Failed(message) => {
                DomainError::UserLambdaValidation(format!("{name} failed with error {message}."))
            }
            TriggerError::Timeout => DomainError::UnexpectedLambda(format!(
                "{name} invocation failed due to error Socket timeout while invoking Lambda function."
            )),
            TriggerError::InvalidResponse(message) => DomainError::InvalidLambdaResponse(message),
            TriggerError::Unavailable(reason) => {
                DomainError::UnexpectedLambda(format!("{name} invocation failed due to error {reason}."))
            }
        }
    }
}

#[async_trait]
pub trait Triggers: Send + Sync {
    /// Runs the function named by `invocation.arn` and returns what it answered.
    async fn invoke(&self, invocation: &Invocation) -> Result<TriggerResponse, TriggerError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_worded_as_cognito_words_them() {
        assert_eq!(
            TriggerError::Failed("Domain not allowed.".into()).into_domain(TriggerKind::PreSignUp),
            DomainError::UserLambdaValidation("PreSignUp failed with error Domain not allowed..".into())
        );
        assert_eq!(
            TriggerError::Timeout.into_domain(TriggerKind::PostAuthentication),
            DomainError::UnexpectedLambda(
                "PostAuthentication invocation failed due to error Socket timeout while invoking Lambda function."
                    .into()
            )
        );
    }
}
