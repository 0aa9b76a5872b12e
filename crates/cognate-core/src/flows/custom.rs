//! CUSTOM_AUTH: the pool's DefineAuthChallenge, CreateAuthChallenge and
//! VerifyAuthChallengeResponse functions run the conversation.
//!
//! ```text
//! InitiateAuth(CUSTOM_AUTH) ──► Define(session=[]) ──► Create ──► CUSTOM_CHALLENGE {public params}
//! RespondToAuthChallenge(ANSWER) ──► Verify ──► Define(session=[…, result]) ──► tokens | fail | next challenge
//! ```
//!
//! Between rounds the session row keeps the answered challenges and the current challenge's
//! private parameters, so the next step can run on any instance.

use std::collections::BTreeMap;

use super::auth::{param, AuthOutcome, Challenge};
use super::hooks::event_attributes;
use super::state::{invalid_session, Conversation, FirstFactor, Proof, Step};
use super::Cognate;
use crate::client::AppClient;
use crate::error::{DomainError, Result};
use crate::pool::UserPool;
use crate::signin::ChallengeName;
use crate::triggers::{ChallengeResult, Metadata, TriggerKind, TriggerRequest};
use crate::user::{Attributes, User};

const CUSTOM_CHALLENGE: &str = "CUSTOM_CHALLENGE";

/// Who is signing in: a real user, or a name that does not exist (hidden from the caller).
struct Subject {
    user: Option<User>,
    name: String,
}

impl Subject {
    fn attributes(&self) -> Attributes {
        self.user.as_ref().map(event_attributes).unwrap_or_default()
    }
}

impl Cognate {
    pub(crate) async fn custom_start(
        &self,
        client: AppClient,
        pool: UserPool,
        params: &BTreeMap<String, String>,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        if pool.settings.lambda(TriggerKind::DefineAuthChallenge.name()).is_none() {
            return Err(DomainError::invalid("Custom auth lambda trigger is not configured for the user pool."));
        }
        let username = param(params, "USERNAME")?;
        let user = self.find_user(&pool, username).await?;
        let names: Vec<&str> = match &user {
            Some(u) => vec![username, u.username.as_str()],
            None => vec![username],
        };
        Self::check_secret_hash(&client, params.get("SECRET_HASH").map(String::as_str), &names)?;
        let subject = match user {
            Some(user) => {
                if !user.enabled {
                    return Err(DomainError::not_authorized("User is disabled."));
                }
                self.pre_authentication(&pool, &user, &client.client_id, &client_metadata).await?;
                Subject { name: user.username.clone(), user: Some(user) }
            }
            None if client.settings.prevents_user_existence_errors() => Subject { user: None, name: username.into() },
            None => return Err(DomainError::user_not_found()),
        };
        self.custom_round(client, pool, subject, Conversation::default(), client_metadata).await
    }

    /// Asks DefineAuthChallenge what comes next and acts on it.
    async fn custom_round(
        &self,
        client: AppClient,
        pool: UserPool,
        subject: Subject,
        conversation: Conversation,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        let not_found = subject.user.is_none();
        let request = TriggerRequest {
            user_attributes: subject.attributes(),
            session: Some(conversation.history.clone()),
            user_not_found: Some(not_found),
            client_metadata: client_metadata.clone(),
            ..Default::default()
        };
        let source = "DefineAuthChallenge_Authentication";
        let define = self
            .trigger(&pool, TriggerKind::DefineAuthChallenge, source, &subject.name, Some(&client.client_id), request)
            .await?
            .unwrap_or_default();
        if define.fail_authentication {
            return Err(DomainError::incorrect_credentials());
        }
        if define.issue_tokens {
            let Some(user) = subject.user else { return Err(DomainError::incorrect_credentials()) };
            let proof = Proof::first(FirstFactor::Custom);
            return self.first_factor_proven(client, pool, user, client_metadata, proof).await;
        }
        match define.challenge_name.as_deref() {
            Some(CUSTOM_CHALLENGE) => {}
            Some(other) => {
                return Err(DomainError::UnsupportedOperation(format!(
                    "The {other} challenge inside CUSTOM_AUTH is not supported by cognate yet."
                )))
            }
            None => {
                return Err(DomainError::InvalidLambdaResponse(
                    "Invalid lambda function output : challengeName, issueTokens or failAuthentication is required"
                        .into(),
                ))
            }
        }
        let request = TriggerRequest {
            user_attributes: subject.attributes(),
            challenge_name: Some(CUSTOM_CHALLENGE.into()),
            session: Some(conversation.history.clone()),
            user_not_found: Some(not_found),
            client_metadata,
            ..Default::default()
        };
        let source = "CreateAuthChallenge_Authentication";
        let created = self
            .trigger(&pool, TriggerKind::CreateAuthChallenge, source, &subject.name, Some(&client.client_id), request)
            .await?
            .unwrap_or_default();
        let next = Conversation {
            history: conversation.history,
            private: created.private_challenge_parameters,
            metadata: created.challenge_metadata,
        };
        let step = Step::CustomChallenge(next);
        let session = self.open_session(&client, &pool, subject.user.as_ref(), &subject.name, &step).await?;
        let mut parameters = created.public_challenge_parameters;
        parameters.insert("USERNAME".into(), subject.name);
        Ok(AuthOutcome::Challenge(Challenge::new(ChallengeName::CustomChallenge, parameters, session)))
    }

    pub(crate) async fn custom_answer(
        &self,
        client: AppClient,
        pool: UserPool,
        token: Option<&str>,
        responses: &BTreeMap<String, String>,
        client_metadata: Metadata,
    ) -> Result<AuthOutcome> {
        let answer = param(responses, "ANSWER")?;
        let open = self.answered_session(&client, token, ChallengeName::CustomChallenge, responses).await?;
        self.spend_session(&open).await?;
        let Step::CustomChallenge(conversation) = open.step.clone() else { return Err(invalid_session()) };
        let user = self.session_subject(&open).await?;
        let subject = Subject { user, name: open.row.username.clone() };
        let request = TriggerRequest {
            user_attributes: subject.attributes(),
            private_challenge_parameters: Some(conversation.private.clone()),
            challenge_answer: Some(answer.to_string()),
            user_not_found: Some(subject.user.is_none()),
            client_metadata: client_metadata.clone(),
            ..Default::default()
        };
        let source = "VerifyAuthChallengeResponse_Authentication";
        let verified = self
            .trigger(
                &pool,
                TriggerKind::VerifyAuthChallengeResponse,
                source,
                &subject.name,
                Some(&client.client_id),
                request,
            )
            .await?
            .unwrap_or_default();
        let mut history = conversation.history;
        history.push(ChallengeResult {
            challenge_name: CUSTOM_CHALLENGE.into(),
            challenge_result: verified.answer_correct && subject.user.is_some(),
            challenge_metadata: conversation.metadata,
        });
        let next = Conversation { history, ..Default::default() };
        self.custom_round(client, pool, subject, next, client_metadata).await
    }
}
